//! WGSL composition. WGSL has no `#include`, so kernels are assembled on the host from parts
//! (see [`super::shaders`]) before being handed to [`GpuContext::pipeline`].
//!
//! [`GpuContext::pipeline`]: super::GpuContext::pipeline

/// Concatenates WGSL parts into one module source, in order.
///
/// A part that is textually identical to an earlier one is skipped, so two kernels' parts that
/// both pull in e.g. [`super::shaders::RNG`] can be composed without duplicate definitions.
/// Each part is preceded by a `// ---- part i ----` marker line, so a compiler message's line
/// number can be traced back with [`locate`].
pub fn compose(parts: &[&str]) -> String {
    let mut out = String::with_capacity(parts.iter().map(|p| p.len() + 32).sum());
    let mut seen: Vec<&str> = Vec::with_capacity(parts.len());
    for (i, part) in parts.iter().enumerate() {
        if seen.contains(part) {
            continue;
        }
        seen.push(part);
        out.push_str(&format!("// ---- part {i} ----\n"));
        out.push_str(part);
        if !part.ends_with('\n') {
            out.push('\n');
        }
    }
    out
}

/// Maps a 1-based line of [`compose`]'s output back to `(part index, 1-based line in that
/// part)`; `None` for a marker line or a line past the end.
pub fn locate(composed: &str, line: usize) -> Option<(usize, usize)> {
    let mut current: Option<(usize, usize)> = None;
    for (n, text) in composed.lines().enumerate() {
        let is_marker = text
            .strip_prefix("// ---- part ")
            .and_then(|r| r.strip_suffix(" ----"))
            .and_then(|r| r.parse::<usize>().ok());
        if let Some(part) = is_marker {
            current = Some((part, 0));
            if n + 1 == line {
                return None;
            }
            continue;
        }
        if let Some((_, l)) = current.as_mut() {
            *l += 1;
        }
        if n + 1 == line {
            return current;
        }
    }
    None
}

/// The lane vectors of `shaders/common.wgsl` with their sizes, in their order in the spilled
/// layout (x, y, v, h, then the work vectors).
const LANE_VECTORS: [(&str, &str); 11] = [
    ("sx", "P"),
    ("sy", "D"),
    ("sv", "D"),
    ("sh", "P"),
    ("pt", "D"),
    ("sw", "D"),
    ("ga", "D"),
    ("gb", "D"),
    ("gc", "D"),
    ("su", "D"),
    ("sr", "D"),
];

/// Floats of one spilled lane: 2 p + 9 d.
pub fn spilled_lane_floats(p: usize, d: usize) -> usize {
    2 * p + 9 * d
}

/// The spilled form of a composed lane kernel: its lane vectors (x, y, v and the work vectors
/// of `shaders/common.wgsl`) move from workgroup memory to the workgroup's slice of a storage
/// buffer (binding 8, `2 P + 9 D` floats per workgroup of the dispatch), for lanes whose
/// vectors do not fit in workgroup memory. Every `NAME[` becomes `lv[lvb + OFFSET + `, so the
/// kernels' arithmetic and its order are unchanged; every workgroup barrier also orders
/// storage memory (a workgroup barrier alone does not); `lvb` is set at the top of the entry
/// point from the workgroup's lane within the dispatch. The batch, its coefficients and the
/// reductions stay in workgroup memory.
pub fn spill_lane_vectors(src: &str) -> String {
    let mut offsets = Vec::with_capacity(LANE_VECTORS.len());
    let mut at = String::from("0u");
    for (name, size) in LANE_VECTORS {
        offsets.push((name, at.clone()));
        at = format!("{at} + {size}");
    }
    let mut out = String::with_capacity(src.len() + src.len() / 4);
    for line in src.lines() {
        let t = line.trim_start();
        let declared = LANE_VECTORS
            .iter()
            .any(|(name, size)| t == format!("var<workgroup> {name}: array<f32, {size}>;"));
        if declared {
            continue;
        }
        let mut l = line.replace(
            "workgroupBarrier();",
            "workgroupBarrier(); storageBarrier();",
        );
        for (name, off) in &offsets {
            l = replace_indexing(&l, name, &format!("lv[lvb + {off} + "));
        }
        if t.starts_with("let tid = lid.x;") {
            l.push_str(&format!(
                "\n    lvb = (lane_index(wid) - prm.lane_offset) * ({at});"
            ));
        }
        out.push_str(&l);
        out.push('\n');
    }
    out.push_str(
        "\n// Spilled lane vectors (see `spill_lane_vectors`).\n\
         @group(0) @binding(8) var<storage, read_write> lv: array<f32>;\n\
         var<private> lvb: u32;\n",
    );
    out
}

/// `text` with every `name[` that is a whole identifier replaced by `with`.
fn replace_indexing(text: &str, name: &str, with: &str) -> String {
    let pat = format!("{name}[");
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(&pat) {
        let before = rest[..i].chars().next_back();
        let whole = !before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
        out.push_str(&rest[..i]);
        out.push_str(if whole { with } else { &pat });
        rest = &rest[i + pat.len()..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spilling_moves_the_lane_vectors_and_nothing_else() {
        let src = "var<workgroup> sx: array<f32, P>;\nvar<workgroup> sy: array<f32, D>;\n\
                   var<workgroup> za: array<f32, 4u>;\n\
                   fn main() {\n    let tid = lid.x;\n    \
                   sy[j] = sy[j] - rsy[j] * sx[kx(j)] + za[0];\n    workgroupBarrier();\n}";
        let s = spill_lane_vectors(src);
        assert!(!s.contains("var<workgroup> sx"), "{s}");
        assert!(s.contains("var<workgroup> za"), "{s}");
        assert!(
            s.contains("lv[lvb + 0u + P + j] = lv[lvb + 0u + P + j] - rsy[j]"),
            "{s}"
        );
        assert!(s.contains("lv[lvb + 0u + kx(j)]"), "{s}");
        assert!(s.contains("workgroupBarrier(); storageBarrier();"), "{s}");
        assert!(
            s.contains("lvb = (lane_index(wid) - prm.lane_offset) * (0u + P + D + D"),
            "{s}"
        );
        assert!(s.contains("@binding(8) var<storage, read_write> lv"), "{s}");
        assert_eq!(spilled_lane_floats(3, 5), 51);
    }

    /// The rewrite keys on the declarations' exact text: if `shaders/common.wgsl` were
    /// reformatted, a vector would stay in workgroup memory while its uses moved. Every real
    /// kernel, spilled, must keep no lane-vector declaration and no unrewritten access.
    #[test]
    fn every_real_kernel_spills_completely() {
        use crate::gpu::shaders;
        let mut sources: Vec<String> = crate::algo::AlgoKind::ALL
            .iter()
            .map(|k| compose(&shaders::step_kernel(k.descriptor().kernel.source)))
            .collect();
        let mut metrics = shaders::lane_prelude();
        metrics.push(shaders::METRICS);
        sources.push(compose(&metrics));
        for src in &sources {
            assert!(src.contains("var<workgroup> sy: array<f32, D>;"), "fixture");
            let s = spill_lane_vectors(src);
            for (name, _) in LANE_VECTORS {
                assert!(
                    !s.contains(&format!("var<workgroup> {name}:")),
                    "{name} declared"
                );
                let pat = format!("{name}[");
                for (i, _) in s.match_indices(&pat) {
                    let before = s[..i].chars().next_back();
                    assert!(
                        before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_'),
                        "{name}[ left at byte {i}: {}",
                        &s[i.saturating_sub(40)..(i + 40).min(s.len())]
                    );
                }
            }
            assert_eq!(
                s.matches("workgroupBarrier(); storageBarrier();").count(),
                src.matches("workgroupBarrier();").count()
            );
            assert_eq!(s.matches("lvb = (lane_index(wid)").count(), 1);
        }
    }

    #[test]
    fn compose_skips_duplicates_and_locates_lines() {
        let a = "fn a() {}\nfn a2() {}";
        let b = "fn b() {}\n";
        let s = compose(&[a, b, a]);
        assert_eq!(s.matches("fn a()").count(), 1);
        assert_eq!(s.lines().count(), 5);
        assert_eq!(locate(&s, 1), None);
        assert_eq!(locate(&s, 2), Some((0, 1)));
        assert_eq!(locate(&s, 3), Some((0, 2)));
        assert_eq!(locate(&s, 5), Some((1, 1)));
        assert_eq!(locate(&s, 6), None);
    }
}
