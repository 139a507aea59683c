//! Datasets: dense f32 storage, readers for LIBSVM, CSV and IDX (MNIST) files, deterministic
//! splits into lower / upper / test / replacement pool, and the synthetic `quadratic` generator.
//!
//! Owns: datasets and their files. Must not know: problems, algorithms, sweeps.

pub mod classes;
pub mod csv;
mod dataset;
pub mod idx;
pub mod libsvm;
pub mod sets;
pub mod split;
pub mod synthetic;

pub use dataset::{DataView, Dataset, Replacement};
pub use sets::{RowMaps, SeedSets, SetSizes, StudyData};
pub use split::{
    file_rows, split, split_files, split_rows, FileRows, SplitFiles, SplitSpec, Splits, ALL,
};
pub use synthetic::{generate_quadratic, Population, QuadraticModel, SyntheticSpec};
