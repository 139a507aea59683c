//! Sweeps: a grid of configurations x seeds x neighbours, described in TOML, prepared into a
//! [`Study`] and run on a backend.

pub mod algo_grid;
pub mod axis;
pub mod config;
pub mod grid;
pub mod runner;
pub mod study;
pub mod vary;

pub use algo_grid::AlgoGrid;
pub use axis::OneOrList;
pub use config::{
    Backend, DataConfig, DataKind, Precision, ProblemConfig, ReplaceSide, ReportConfig, RunConfig,
    StepScaling, StudyKind, SweepConfig,
};
pub use grid::LabeledAlgo;
pub use runner::{
    neighbour_replacements, run_cpu, ConfigResult, LaneRecord, LaneStatus, MetricRow,
    NeighbourChoice, RunOptions, SweepResult,
};
pub use study::Study;
pub use vary::{Plan, PlannedVariant, Variant};
