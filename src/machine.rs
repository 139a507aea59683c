//! What this machine can give a run: the memory a sweep may plan to use, so that sizes are
//! checked before anything is allocated (a huge feature index, a million neighbours) and the
//! error says what to lower instead of the process aborting.
//!
//! Owns: the memory budget. Must not know: what the memory is for.

/// The budget when the machine does not say what it has (no `/proc/meminfo`): 8 GiB.
const FALLBACK_BYTES: u64 = 8 << 30;

/// Bytes a run may plan to allocate: `SBO_MEMORY_LIMIT` when set (bytes, with an optional
/// `k`, `M`, `G` or `T` suffix: `2e9`, `512M`, `16G`), else half of the memory available now
/// (`MemAvailable` of `/proc/meminfo`, or the cgroup's limit when it is lower: a container, a
/// Slurm job), else 8 GiB. A value that does not parse is ignored.
pub fn memory_budget() -> u64 {
    if let Some(v) = std::env::var("SBO_MEMORY_LIMIT")
        .ok()
        .and_then(|s| parse_bytes(&s))
    {
        return v;
    }
    let avail = match (available_memory(), cgroup_limit()) {
        (Some(a), Some(c)) => Some(a.min(c)),
        (a, c) => a.or(c),
    };
    avail.map_or(FALLBACK_BYTES, |a| a / 2)
}

/// `2e9`, `512M`, `16G`, `1.5T` as bytes.
pub fn parse_bytes(s: &str) -> Option<u64> {
    let s = s.trim();
    let (num, scale) = match s.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => {
            let scale = match c.to_ascii_uppercase() {
                'K' => 1e3,
                'M' => 1e6,
                'G' => 1e9,
                'T' => 1e12,
                _ => return None,
            };
            (&s[..i], scale)
        }
        _ => (s, 1.0),
    };
    let v = num.trim().parse::<f64>().ok()? * scale;
    (v.is_finite() && v >= 1.0).then_some(v as u64)
}

/// The memory limit of this process's cgroup (v2 `memory.max`, v1 `memory.limit_in_bytes`),
/// when one is set.
fn cgroup_limit() -> Option<u64> {
    [
        "/sys/fs/cgroup/memory.max",
        "/sys/fs/cgroup/memory/memory.limit_in_bytes",
    ]
    .iter()
    .filter_map(|p| std::fs::read_to_string(p).ok())
    .filter_map(|s| s.trim().parse::<u64>().ok())
    // v1 reports "no limit" as a huge number.
    .find(|&v| v < 1 << 60)
}

/// `MemAvailable` of `/proc/meminfo` in bytes (Linux).
pub fn available_memory() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    kb.checked_mul(1024)
}

/// `bytes` for people: `3.2 GB`, `640 MB`, `12 kB`.
pub fn human_bytes(bytes: f64) -> String {
    let units = [(1e12, "TB"), (1e9, "GB"), (1e6, "MB"), (1e3, "kB")];
    for (scale, unit) in units {
        if bytes >= scale {
            return format!("{:.1} {unit}", bytes / scale);
        }
    }
    format!("{bytes:.0} B")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_is_positive_and_readable() {
        assert!(memory_budget() > 0);
        assert_eq!(human_bytes(3.2e9), "3.2 GB");
        assert_eq!(human_bytes(640e6), "640.0 MB");
        assert_eq!(human_bytes(12.0), "12 B");
        assert_eq!(parse_bytes("512M"), Some(512_000_000));
        assert_eq!(parse_bytes("2e9"), Some(2_000_000_000));
        assert_eq!(parse_bytes("1.5G"), Some(1_500_000_000));
        assert_eq!(parse_bytes("lots"), None);
        assert_eq!(parse_bytes("0"), None);
    }
}
