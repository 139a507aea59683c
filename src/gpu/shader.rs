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

#[cfg(test)]
mod tests {
    use super::*;

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
