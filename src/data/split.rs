//! Deterministic seeded splits. STUB: filled in by the data work.
use crate::data::Dataset;
use crate::error::Result;

/// How many rows each part takes. Rows are drawn without overlap from a seeded permutation of
/// the training file; the test part comes from the test file when there is one, otherwise from
/// the training file's remaining rows.
#[derive(Clone, Debug, PartialEq)]
pub struct SplitSpec {
    pub n_lower: usize,
    pub n_upper: usize,
    /// `None`: all test-file rows (or all remaining training rows).
    pub n_test: Option<usize>,
    pub n_pool: usize,
    pub seed: u64,
}

#[derive(Clone, Debug)]
pub struct Splits {
    pub lower: Dataset,
    pub upper: Dataset,
    pub test: Dataset,
    pub pool: Dataset,
}

pub fn split(train: &Dataset, test: Option<&Dataset>, spec: &SplitSpec) -> Result<Splits> {
    let _ = (train, test, spec);
    todo!()
}
