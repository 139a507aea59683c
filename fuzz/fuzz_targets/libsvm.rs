//! Any bytes as a LIBSVM file: an error or a dataset, never a panic or an allocation beyond
//! the memory budget (SBO_MEMORY_LIMIT, set small here so that libFuzzer's limit is not hit
//! first).
#![no_main]

use libfuzzer_sys::fuzz_target;
use sbo::data::libsvm::{read_libsvm_with, IndexBase};
use std::io::Write;

fuzz_target!(|data: &[u8]| {
    std::env::set_var("SBO_MEMORY_LIMIT", "256M");
    let mut f = tempfile::NamedTempFile::new().expect("a temporary file");
    f.write_all(data).expect("writing the input");
    for base in [IndexBase::One, IndexBase::Zero, IndexBase::Auto] {
        let _ = read_libsvm_with(f.path(), None, base);
        let _ = read_libsvm_with(f.path(), Some(7), base);
    }
});
