//! Sweeps: a grid of configurations x seeds x neighbours, described in TOML (or built in
//! code), checked, and prepared into a [`Study`] (one per `[vary]` variant, in a [`Plan`]).
//!
//! Owns: configuration types, grid expansion, data loading and splitting for a study. Must not
//! know: engines or result files (`run` runs a plan, `rundir` writes it).

pub mod algo_grid;
pub mod axis;
pub mod config;
pub mod grid;
pub mod scaling;
mod size;
pub mod study;
pub mod vary;

pub use algo_grid::AlgoGrid;
pub use axis::OneOrList;
pub use config::{
    Backend, DataConfig, DataKind, Precision, ProblemConfig, ReplaceSide, ReportConfig, Resample,
    RunConfig, StudyKind, SweepConfig,
};
pub use grid::LabeledAlgo;
pub use scaling::{AlgoScaling, Exponents, StepScaling};
pub use study::Study;
pub use vary::{Plan, PlannedVariant, Variant};
