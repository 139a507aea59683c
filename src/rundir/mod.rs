//! The run directory: what `sbo run` writes and `sbo plot`, `sbo report` and the analysis
//! read, described once ([`schema`]) and written and read through that description.
//!
//! Owns: file names, columns and formats of a run directory. Must not know: how results are
//! computed (the run layer) or analysed (`analysis`), figures and reports (`plot`, `report`).

pub mod read;
pub mod schema;
pub mod state;
pub mod write;

pub use read::{read_run, read_run_lanes, RunFiles};
pub use schema::{LaneRow, MetricsRow, Num, RunSummary, SeedsRow};
pub use state::{fingerprint, read_shard, Checkpoints, RunStart, ShardFile, ShardSummary};
pub use write::{finish_run_dir, start_run_dir, RunDir};
