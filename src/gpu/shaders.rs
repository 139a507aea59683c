//! The WGSL sources under `shaders/`, embedded at compile time, and the parts every lane
//! kernel is composed of.
//!
//! Kernels are built by [`compose`](super::shader::compose)-ing these parts in dependency order,
//! e.g. `compose(&[shaders::RNG, my_kernel])`. The step kernels themselves belong to the
//! algorithms (`KernelSpec::source` in `src/algo/`).

use std::sync::OnceLock;

/// Philox4x32-10, `mulhilo`, `bounded`, word and Floyd helpers: the twin of [`crate::rng`].
pub const RNG: &str = include_str!("../../shaders/rng.wgsl");

/// Bindings, the workgroup state of one lane and its helpers.
pub const COMMON: &str = include_str!("../../shaders/common.wgsl");
/// Losses and their derivatives: the twin of `problem::loss`.
pub const LOSS: &str = include_str!("../../shaders/loss.wgsl");
/// Couplings and their derivatives: the twin of `problem::coupling`.
pub const COUPLING: &str = include_str!("../../shaders/coupling.wgsl");
/// Batch drawing with the lane's replaced sample: the twin of `algo::draw`.
pub const BATCH: &str = include_str!("../../shaders/batch.wgsl");
/// The oracles, named after their CPU twins, and the data passes they are made of.
pub const PASS: &str = include_str!("../../shaders/pass.wgsl");
/// The lane memory of the step kernels (binding 6), composed before the algorithm's step.
pub const MEMORY: &str = include_str!("../../shaders/memory.wgsl");
/// The entry point of every step kernel, composed after the algorithm's `fn step`.
pub const LANE_LOOP: &str = include_str!("../../shaders/lane_loop.wgsl");
/// The thread-per-lane form's private state, row draw and entry point, composed with an
/// algorithm's `fn lt_step` (`KernelSpec::lane_threads`).
pub const THREADS: &str = include_str!("../../shaders/threads.wgsl");
/// The network lower model's data passes: the twin of `problem::mlp`.
pub const NET: &str = include_str!("../../shaders/net.wgsl");
/// The estimates the solvers build from the oracles: whole-set passes, grad_y g and H v in
/// one pass, the Neumann series, grad_x g's gap (twins of `algo::shared` and the oracles'
/// full-batch and x-derivative forms).
pub const ESTIMATES: &str = include_str!("../../shaders/estimates.wgsl");
/// Per-group metrics at a logging step.
pub const METRICS: &str = include_str!("../../shaders/metrics.wgsl");

/// The generated declarations of the Rust <-> WGSL contract ([`super::contract`]).
pub fn contract() -> &'static str {
    static TEXT: OnceLock<String> = OnceLock::new();
    TEXT.get_or_init(super::contract::declarations)
}

/// Every part a lane kernel needs before its own file, in dependency order.
pub fn lane_prelude() -> Vec<&'static str> {
    vec![
        contract(),
        RNG,
        COMMON,
        LOSS,
        COUPLING,
        BATCH,
        PASS,
        NET,
        ESTIMATES,
    ]
}

/// The parts of an algorithm's thread-per-lane step kernel (`KernelSpec::lane_threads`): the
/// prelude for its bindings and helpers, the lane memory (the loop-limit probe), the
/// thread-per-lane entry point and the algorithm's `fn lt_step`.
pub fn lane_threads_kernel(source: &'static str) -> Vec<&'static str> {
    let mut parts = lane_prelude();
    parts.push(MEMORY);
    parts.push(THREADS);
    parts.push(source);
    parts
}

/// The parts of an algorithm's step kernel: the prelude, its step file, the lane loop.
pub fn step_kernel(step_source: &'static str) -> Vec<&'static str> {
    let mut parts = lane_prelude();
    parts.push(MEMORY);
    parts.push(step_source);
    parts.push(LANE_LOOP);
    parts
}
