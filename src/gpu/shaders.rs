//! The WGSL sources under `shaders/`, embedded at compile time.
//!
//! Kernels are built by [`compose`](super::shader::compose)-ing these parts in dependency order,
//! e.g. `compose(&[shaders::RNG, my_kernel])`.

/// Philox4x32-10, `mulhilo`, `bounded`, word and Floyd helpers: the twin of [`crate::rng`].
pub const RNG: &str = include_str!("../../shaders/rng.wgsl");

/// Specialisation constants, bindings and the workgroup state of one lane.
pub const COMMON: &str = include_str!("../../shaders/common.wgsl");
/// Losses and their derivatives: the twin of `problem::loss`.
pub const LOSS: &str = include_str!("../../shaders/loss.wgsl");
/// Couplings and their derivatives: the twin of `problem::coupling`.
pub const COUPLING: &str = include_str!("../../shaders/coupling.wgsl");
/// Batch drawing with the lane's replaced sample: the twin of `algo::draw`.
pub const BATCH: &str = include_str!("../../shaders/batch.wgsl");
/// The data passes oracles are made of (dot products, then per-feature sums).
pub const PASS: &str = include_str!("../../shaders/pass.wgsl");
/// Fused step kernels, one per algorithm family.
pub const STEP_SSGD: &str = include_str!("../../shaders/step_ssgd.wgsl");
pub const STEP_SSAID: &str = include_str!("../../shaders/step_ssaid.wgsl");
pub const STEP_TSGD: &str = include_str!("../../shaders/step_tsgd.wgsl");
pub const STEP_MULTILOOP: &str = include_str!("../../shaders/step_multiloop.wgsl");
/// Per-group metrics at a logging step.
pub const METRICS: &str = include_str!("../../shaders/metrics.wgsl");

/// Every part a lane kernel needs before its own file, in dependency order.
pub const LANE_PRELUDE: [&str; 6] = [RNG, COMMON, LOSS, COUPLING, BATCH, PASS];
