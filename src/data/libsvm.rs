//! LIBSVM / SVMlight text reader (plain, `.bz2`, `.gz`). STUB: filled in by the data work.
use crate::data::Dataset;
use crate::error::Result;
use std::path::Path;

/// Reads a LIBSVM file. Feature indices are 1-based; missing features are zero. `dim` fixes
/// the number of columns (an index beyond it is an error naming the line); `None` takes the
/// largest index present. Labels are returned as written (see [`crate::data::libsvm::map_labels_pm1`]).
pub fn read_libsvm(path: &Path, dim: Option<usize>) -> Result<Dataset> {
    let _ = (path, dim);
    todo!()
}

/// Maps a two-valued label column to {-1, +1} (the larger value to +1) for logistic loss.
/// More than two distinct values is an error.
pub fn map_labels_pm1(data: &mut Dataset, what: &str) -> Result<()> {
    let _ = (data, what);
    todo!()
}
