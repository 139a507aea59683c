//! Any text as a sweep config: parsed, and when it parses, prepared (data generated or read,
//! sizes checked) — an error or a plan, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sbo::sweep::{Plan, SweepConfig};

fuzz_target!(|data: &[u8]| {
    std::env::set_var("SBO_MEMORY_LIMIT", "256M");
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(c) = SweepConfig::from_toml(text) {
        let _ = Plan::prepare(&c, None);
    }
});
