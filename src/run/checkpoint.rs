//! What a run in progress must keep to continue later exactly as if it had not stopped: the
//! lanes' states at a logging step, the metric values measured so far and the metric
//! worker's warm starts. Engines save and restore [`LaneSnapshot`]s; the driver assembles a
//! [`PieceProgress`] and hands it to whoever stores it (`rundir` writes it to the run
//! directory).
//!
//! Owns: the checkpoint's contents and when one is due. Must not know: files.

use super::result::GroupOut;
use crate::algo::OracleCounts;
use crate::error::Result;
use crate::metrics::MetricValues;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// One lane at a logging step. Values are widened to f64, which is exact for f32 lanes, so a
/// restored lane continues bit for bit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LaneSnapshot {
    pub x: Vec<f64>,
    pub y: Vec<f64>,
    /// The linear-system iterate (zero for algorithms without one).
    pub v: Vec<f64>,
    pub counts: OracleCounts,
    pub diverged_at: Option<u64>,
}

/// What the metrics of one group carry from one logging step to the next.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct GroupProgress {
    /// The values of the logging steps measured so far.
    pub values: Vec<MetricValues>,
    /// The warm start of the exact inner solve.
    pub y_star: Vec<f64>,
    pub warnings: Vec<String>,
}

/// A piece of a run (a study, or the slice of one a shard runs) stopped at a logging step.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PieceProgress {
    /// Logging steps measured: the lanes stand at `log_steps[done - 1]`.
    pub done: usize,
    /// The engine that ran it (`cpu`, `gpu (adapter)`) and its precision: only the same
    /// engine continues it bit for bit.
    pub backend: String,
    pub precision: String,
    pub lanes: Vec<LaneSnapshot>,
    pub groups: Vec<GroupProgress>,
    /// Wall-clock seconds spent on the piece so far.
    pub seconds: f64,
}

/// A piece run to its end (or to a stop): its groups in order and how it ran.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PieceOut {
    pub groups: Vec<GroupOut>,
    /// Logging steps measured (fewer than the study's after a stop).
    pub done: usize,
    pub backend: String,
    pub precision: String,
    pub threads: usize,
    pub seconds: f64,
    /// Things the user should know that belong to the piece rather than a group (a fallback
    /// to the CPU, a checkpoint that could not be written).
    pub warnings: Vec<String>,
}

/// Where and how often a run saves its progress.
pub struct Checkpointing<'a> {
    /// The least time between two checkpoints (zero: at every logging step). A run stopped
    /// on request always saves one at the step it stops at.
    pub every: Duration,
    /// Stores a checkpoint: `(piece index, progress)`. Called on the metrics worker, so
    /// writing overlaps the engine's next interval.
    pub save: &'a (dyn Fn(usize, &PieceProgress) -> Result<()> + Sync),
    /// Stores a piece that ran to its end: `(piece index, result)`.
    pub piece_done: &'a (dyn Fn(usize, &PieceOut) -> Result<()> + Sync),
}
