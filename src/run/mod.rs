//! The backend-neutral run layer: how the lanes of a study are laid out, what an engine does
//! ([`Engine`]), what it measures ([`GroupRecord`]) and how that becomes metrics, the result
//! types, the variant loop with its one fallback rule.
//!
//! Owns: everything the CPU and GPU engines share. Must not know: any engine (`cpu`, `gpu`
//! implement [`Engine`]; `backend` chooses one), files (`rundir` writes results).

pub mod checkpoint;
mod driver;
pub mod engine;
pub mod layout;
mod plan;
pub mod record;
pub mod result;

pub use checkpoint::{
    Checkpointing, EngineState, GroupProgress, LaneSnapshot, PieceOut, PieceProgress,
};
pub use driver::run_study;
pub use engine::{
    should_fall_back, DeviceInfo, Engine, EngineChoice, EngineRun, FinalLane, FinalState,
};
pub use layout::{neighbour_replacements, Layout, NeighbourChoice};
pub use plan::{
    assemble_pieces, pieces, run_pieces, run_plan, Piece, PiecesRun, PlanRun, Resume, Shard,
    VariantFailure,
};
pub use record::{GroupRecord, StabilitySums};
pub use result::{merge, ConfigResult, GroupOut, LaneRecord, LaneStatus, MetricRow, SweepResult};

use crate::error::SboError;

/// Something that happened during a run, for a progress display.
pub enum RunEvent<'a> {
    /// A variant starts (its label; empty without `[vary]`).
    VariantStarted { variant: &'a str },
    /// The engine failed on a variant, which now runs again on the fallback engine.
    FellBack {
        variant: &'a str,
        error: &'a SboError,
    },
    /// The run ended and its results are being written (a handler that would quit at once
    /// should wait).
    Writing,
}

/// Callbacks of a run.
#[derive(Default)]
pub struct RunOptions<'a> {
    /// Lane-steps done, as they are done.
    pub progress: Option<&'a (dyn Fn(u64) + Sync)>,
    pub events: Option<&'a (dyn Fn(RunEvent) + Sync)>,
    /// Set (by a Ctrl-C handler, say) to stop after the current logging interval: the result
    /// then holds the logging steps completed so far (`SweepResult::stopped_at`).
    pub stop: Option<&'a std::sync::atomic::AtomicBool>,
}

impl RunOptions<'_> {
    pub(crate) fn event(&self, e: RunEvent) {
        if let Some(f) = self.events {
            f(e);
        }
    }

    pub(crate) fn stopped(&self) -> bool {
        self.stop
            .is_some_and(|s| s.load(std::sync::atomic::Ordering::SeqCst))
    }
}
