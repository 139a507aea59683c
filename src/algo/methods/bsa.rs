//! `bsa`: bilevel stochastic approximation (Ghadimi and Wang, "Approximation Methods for
//! Bilevel Programming", 2018). Multi-loop like stocBiO, with the Neumann sum replaced by its
//! randomly truncated, unbiased form: per outer step k,
//!
//!   D warm-started inner SGD steps on y (lower batches k D + s);
//!   b = grad_y f_xi(x, y);  p ~ U{0, ..., Q - 1};  r = b;  p times: r -= eta H_{zeta_q} r;
//!   v = Q eta r;   x+ = x - alpha (grad_x f(x, y) - J(x, y) v)
//!
//! benchopt's `BSA` maps as: step_size / (t + 1)^(1/2) -> beta, step_size -> eta (its
//! hia_lr), step_size / outer_ratio / (t + 1)^(1/2) -> alpha, n_inner_steps -> D,
//! n_hia_steps -> Q; benchopt runs the inner steps after the x step, which is the same
//! sequence shifted by one prologue. The Hessian products vary from step to step; both
//! engines count the ones taken (replayed from the lane's generator on the GPU).

use super::stocbio::{multiloop_step, STOCBIO};
use crate::algo::descriptor::{Algorithm, KernelFlags, KernelSpec, Setting::*, Theory};
use crate::algo::shared::truncation;
use crate::algo::{work, AlgoConfig, LaneState, OracleCounts};
use crate::problem::Oracles;
use crate::real::{Num, Pack};
use crate::rng::LaneRng;

/// BSA's outer step (ttsa's with D = 1): stocbio's with the truncated series.
pub(crate) fn step<T: Num>(
    cfg: &AlgoConfig,
    o: &Oracles,
    rng: &LaneRng,
    lane: &mut LaneState<T>,
    _: &mut OracleCounts,
) {
    multiloop_step(cfg, o, rng, lane, true);
}

/// The random counts of a randomly truncated series at step k: p Hessian products.
pub(crate) fn truncation_counts(
    c: &AlgoConfig,
    rng: &LaneRng,
    k: u64,
    n_lower: usize,
    _: usize,
) -> OracleCounts {
    let p = truncation(c, rng, k);
    let bl = c.batch_lower.len(n_lower) as u64;
    OracleCounts::new(0, 0, p, 0, p * bl)
}

/// The multi-loop work model with the expected (Q - 1) / 2 products of the series.
pub(crate) fn truncated_work(c: &AlgoConfig, s: &crate::algo::WorkShape) -> crate::algo::Work {
    let (t, h) = (c.inner_steps as f64, (c.terms as f64 - 1.0).max(0.0) / 2.0);
    (t * work::grad(s, s.batch_lower)
        + work::grad(s, s.batch_upper)
        + h * work::hvp(s, s.batch_lower))
    .plus_vector_ops((t + h + 2.0) * s.d + s.p)
}

pub(crate) static BSA: Algorithm = Algorithm {
    name: "bsa",
    summary: "multi-loop with a randomly truncated Neumann series (Ghadimi & Wang 2018)",
    step_f64: step::<f64>,
    step_f32: step::<f32>,
    pack_f64: Some(step::<Pack<f64>>),
    pack_f32: Some(step::<Pack<f32>>),
    nominal_counts: |c, bl, bu| {
        let t = c.inner_steps as u64;
        OracleCounts::new(t, 1, 0, 1, t * bl + bu)
    },
    extra_counts: Some(truncation_counts),
    kernel: KernelSpec {
        source: STOCBIO.kernel.source,
        classes: true,
        sample_weights: true,
        network: true,
        lane_threads: None,
        specialise: |c| KernelFlags {
            truncated: true,
            ..KernelFlags::of(c)
        },
    },
    work: truncated_work,
    kappa_scaled: &[Alpha, Beta, Eta, InnerSteps, Terms],
    theory: Theory::NONE,
    ..STOCBIO
};
