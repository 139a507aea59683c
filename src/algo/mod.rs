//! The algorithms of DESIGN section 3 on the CPU: the reference the GPU kernels are checked
//! against. One file per algorithm, each holding its step and its [`Algorithm`] descriptor
//! ([`descriptor`]); [`registry`] lists them; `shared` holds what their steps share.
//!
//! Owns: the algorithms' math, their configuration and lane state, and what every engine
//! needs to know about them (the descriptors). Must not know: engines, devices, sweeps or
//! output files.
//!
//! Every algorithm advances a [`LaneState`] in place and draws its batches from the lane's
//! counter-based generator at fixed (stream, step) coordinates, so a neighbour lane sees exactly
//! the batch indices of its base lane and results do not depend on scheduling.

mod config;
pub mod descriptor;
mod lane;
mod methods;
pub mod registry;
mod schedule;
mod shared;
pub mod work;

pub use config::{AlgoConfig, AlgoKind, BatchSize};
pub use descriptor::{
    Algorithm, CostKind, Dims, KappaBound, KernelFlags, KernelSpec, Setting, StepReal, Theory,
    Work, WorkShape,
};
pub use lane::{coef_len, LaneState, OracleCounts};
pub use registry::names_list;
pub use schedule::Schedule;

use crate::problem::Oracles;
use crate::real::Num;
use crate::rng::LaneRng;
use descriptor::StepFn;

/// Advances a lane by `steps` outer steps of `cfg`.
pub fn advance<T: StepReal>(
    cfg: &AlgoConfig,
    oracles: &Oracles,
    rng: &LaneRng,
    lane: &mut LaneState<T>,
    steps: u64,
) {
    advance_with(
        T::step(cfg.kind.descriptor()),
        cfg,
        oracles,
        rng,
        lane,
        steps,
    );
}

/// Advances a lane, or a pack of lanes (`real::Pack`), by `steps` outer steps of `step`.
pub fn advance_with<T: Num>(
    step: StepFn<T>,
    cfg: &AlgoConfig,
    oracles: &Oracles,
    rng: &LaneRng,
    lane: &mut LaneState<T>,
    steps: u64,
) {
    let (n, m) = (oracles.lower.n(), oracles.upper.n());
    let nominal = OracleCounts::nominal_per_step(cfg, n, m);
    let desc = cfg.kind.descriptor();
    for _ in 0..steps {
        let mut used = nominal;
        if let Some(extra) = desc.extra_counts {
            used.add(&extra(cfg, rng, lane.t, n, m));
        }
        step(cfg, oracles, rng, lane, &mut used);
        oracles.spec.project_x(&mut lane.x);
        lane.counts.add(&used);
        lane.t += 1;
    }
}
