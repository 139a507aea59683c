//! What a run in progress must keep to continue later exactly as if it had not stopped: the
//! lanes' states at a logging step, the metric values measured so far and the metric
//! worker's warm starts. Engines save and restore [`LaneSnapshot`]s; the driver assembles a
//! [`PieceProgress`] and hands it to whoever stores it (`rundir` writes it to the run
//! directory).
//!
//! Owns: the checkpoint's contents and when one is due. Must not know: files.

use super::layout::Layout;
use super::result::GroupOut;
use crate::algo::OracleCounts;
use crate::error::Result;
use crate::metrics::MetricValues;
use crate::sweep::Study;
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
    /// The algorithm's memory (`Algorithm::memory`; empty for most). Absent in checkpoints
    /// written before it existed, which were all of algorithms without one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub m: Vec<f64>,
    pub counts: OracleCounts,
    pub diverged_at: Option<u64>,
}

/// Every lane of a study on an engine at a logging step, and the engine's clocks.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EngineState {
    /// In lane order.
    pub lanes: Vec<LaneSnapshot>,
    /// Per group: the seconds its record reports (the `seconds` metric) and the seconds spent
    /// stepping all its lanes, so that a resumed run's clocks go on from there.
    pub clocks: Vec<(f64, f64)>,
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
    pub engine: EngineState,
    pub groups: Vec<GroupProgress>,
    /// Wall-clock seconds spent on the piece so far.
    pub seconds: f64,
}

impl PieceProgress {
    /// Whether this progress can continue `study`: its sizes, lane by lane. `Err` says what
    /// does not fit.
    pub fn fits(&self, study: &Study) -> std::result::Result<(), String> {
        let layout = Layout::of(study);
        let (p, d) = (study.p(), study.d());
        if self.done == 0 || self.done > study.log_steps.len() {
            return Err(format!(
                "it stands at logging step {} of {}",
                self.done,
                study.log_steps.len()
            ));
        }
        if self.engine.lanes.len() != layout.lanes()
            || self.engine.clocks.len() != layout.groups()
            || self.groups.len() != layout.groups()
        {
            return Err(format!(
                "it holds {} lanes in {} groups, the run has {} in {}",
                self.engine.lanes.len(),
                self.groups.len(),
                layout.lanes(),
                layout.groups()
            ));
        }
        if self
            .engine
            .lanes
            .iter()
            .any(|l| l.x.len() != p || l.y.len() != d || l.v.len() != d)
        {
            return Err(format!("a lane's dimensions are not p = {p}, d = {d}"));
        }
        if self
            .groups
            .iter()
            .any(|g| g.values.len() != self.done || g.y_star.len() != d)
        {
            return Err("a group's metric values do not match its logging steps".into());
        }
        Ok(())
    }
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

impl PieceOut {
    /// Whether this is a complete run of `study` (as a piece of a plan): every group, every
    /// lane, every logging step. `Err` says what is missing.
    pub fn fits(&self, study: &Study) -> std::result::Result<(), String> {
        let layout = Layout::of(study);
        let steps = study.log_steps.len();
        if self.done != steps {
            return Err(format!("it ran {} of {steps} logging steps", self.done));
        }
        if self.groups.len() != layout.groups() {
            return Err(format!(
                "it holds {} groups, the piece has {}",
                self.groups.len(),
                layout.groups()
            ));
        }
        if self
            .groups
            .iter()
            .any(|g| g.values.len() != steps || g.lanes.len() != layout.group_size)
        {
            return Err("a group's values or lanes are missing".into());
        }
        Ok(())
    }
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
