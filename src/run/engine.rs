//! What an engine is: something that takes a prepared study, advances every lane from one
//! logging step to the next, measures each (configuration, seed) group, and hands back the
//! lanes' final states. The CPU and GPU engines implement these traits and know nothing of
//! each other; everything they share lives in the run layer.

use super::checkpoint::EngineState;
use super::record::GroupRecord;
use crate::algo::OracleCounts;
use crate::error::{Result, SboError};
use crate::sweep::Study;

/// Where lanes run.
pub trait Engine: Send + Sync {
    /// `cpu`, or `gpu (adapter name)`: what the result's `backend` says.
    fn backend(&self) -> String;

    /// Whether the engine runs on a GPU (for reports; the fallback is the
    /// [`EngineChoice::fallback`] the choice made).
    fn is_gpu(&self) -> bool;

    /// What the engine runs on, for reports and benchmarks.
    fn device(&self) -> DeviceInfo;

    /// What can be known before a run: an error when `study` does not fit this engine
    /// (device limits), so that `sbo check` reports it. The default accepts every study.
    fn check(&self, _study: &Study) -> Result<()> {
        Ok(())
    }

    /// Prepares `study` on this engine: data in place, every lane at step 0 with its initial
    /// point. `pool` is the run's thread pool (`run.threads`), for the engine's own parallel
    /// work.
    fn start<'s>(
        &'s self,
        study: &'s Study,
        pool: &'s rayon::ThreadPool,
    ) -> Result<Box<dyn EngineRun + 's>>;
}

/// The device an engine runs on.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct DeviceInfo {
    /// The CPU model or the GPU adapter's name.
    pub name: String,
    /// `cpu`, or the graphics API (`Vulkan`, `Metal`, ...).
    pub backend: String,
    pub device_type: String,
    pub driver: String,
    pub driver_info: String,
    /// A software adapter (lavapipe): a CPU emulation of a GPU.
    pub software: bool,
}

/// One study in progress on an engine.
pub trait EngineRun {
    /// The arithmetic the lanes run in: `f64` or `f32`.
    fn precision(&self) -> &'static str;

    /// Threads the engine steps lanes with.
    fn threads(&self) -> usize;

    /// Advances every lane to outer step `t` (not below the current step); `progress`, when
    /// given, receives lane-steps as they are done (an engine may wait for its device to
    /// report them). A lane found non-finite by the next [`EngineRun::records`] (or, on the
    /// CPU, right after its advance) is marked diverged at `t`.
    fn advance_to(&mut self, t: u64, progress: Option<&(dyn Fn(u64) + Sync)>) -> Result<()>;

    /// Every group's record at the current step, in group order ([`super::Layout`]).
    fn records(&mut self) -> Result<Vec<GroupRecord>>;

    /// Every lane's state at the current step, in lane order, and the clocks, after
    /// [`EngineRun::records`] (which settles the lanes found diverged at this step).
    fn snapshot(&mut self) -> Result<EngineState>;

    /// Puts every lane and clock back to `state` (a [`EngineRun::snapshot`] of the same study
    /// on the same engine, checked with [`super::PieceProgress::fits`]) at outer step `t`,
    /// right after [`Engine::start`].
    fn restore(&mut self, t: u64, state: &EngineState) -> Result<()>;

    /// The lanes' final states, in lane order, and the compute seconds of each group.
    fn finish(self: Box<Self>) -> Result<FinalState>;
}

/// The end of a run on an engine.
pub struct FinalState {
    pub lanes: Vec<FinalLane>,
    /// Seconds spent stepping each group's lanes, in group order.
    pub group_seconds: Vec<f64>,
}

/// One lane's final iterate.
pub struct FinalLane {
    pub x: Vec<f64>,
    pub y: Vec<f64>,
    pub diverged_at: Option<u64>,
    pub counts: OracleCounts,
}

/// The one rule for falling back from a failed GPU run to the CPU (`backend = "auto"`): any
/// failure except a configuration error, which the CPU would repeat.
pub fn should_fall_back(e: &SboError) -> bool {
    !matches!(e, SboError::Config { .. })
}

/// An engine chosen for a run, an engine to fall back to when it fails, and why (shown to
/// the user).
pub struct EngineChoice {
    pub engine: Box<dyn Engine>,
    pub fallback: Option<Box<dyn Engine>>,
    pub reason: String,
}
