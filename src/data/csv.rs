//! CSV reader. STUB: filled in by the data work.
use crate::data::Dataset;
use crate::error::Result;
use std::path::Path;

/// Reads a numeric CSV file (plain, `.bz2`, `.gz`); `label_column` (0-based, negative counts
/// from the end) holds the label, all other columns are features. A first line that does not
/// parse as numbers is taken as a header.
pub fn read_csv(path: &Path, label_column: i64) -> Result<Dataset> {
    let _ = (path, label_column);
    todo!()
}
