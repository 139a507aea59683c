//! What this machine can give a run: the memory a sweep may plan to use, so that sizes are
//! checked before anything is allocated (a huge feature index, a million neighbours) and the
//! error says what to lower instead of the process aborting.
//!
//! Owns: the memory budget. Must not know: what the memory is for.

/// The budget when the machine does not say what it has (no `/proc/meminfo`): 8 GiB.
const FALLBACK_BYTES: u64 = 8 << 30;

/// Bytes a run may plan to allocate: `SBO_MEMORY_LIMIT` (bytes, e.g. `2e9` or `2000000000`)
/// when set, else half of the memory available now (`MemAvailable` of `/proc/meminfo`), else
/// 8 GiB.
pub fn memory_budget() -> u64 {
    if let Some(v) = std::env::var("SBO_MEMORY_LIMIT")
        .ok()
        .and_then(|s| s.trim().parse::<f64>().ok())
        .filter(|v| v.is_finite() && *v > 0.0)
    {
        return v as u64;
    }
    available_memory().map_or(FALLBACK_BYTES, |a| a / 2)
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
    }
}
