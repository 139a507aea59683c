//! Any bytes as a CSV data file, with the label first, last and out of range.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::io::Write;

fuzz_target!(|data: &[u8]| {
    std::env::set_var("SBO_MEMORY_LIMIT", "256M");
    let mut f = tempfile::NamedTempFile::new().expect("a temporary file");
    f.write_all(data).expect("writing the input");
    for col in [0, -1, 3, 1000] {
        let _ = sbo::data::csv::read_csv(f.path(), col);
    }
});
