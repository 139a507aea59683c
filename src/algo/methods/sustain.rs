//! `sustain`: single-timescale double-momentum stochastic approximation (Khanduri, Zeng,
//! Hong, Wai, Wang and Yang, "A Near-Optimal Algorithm for Stochastic Bilevel Optimization
//! via Double-Momentum", NeurIPS 2021). mrbo's step (STORM momentum on y and x, estimates
//! at the current and the previous point on the same batches) with Ghadimi and Wang's
//! randomly truncated series for H^-1 grad_y f instead of the Neumann sum, the same number
//! of terms p ~ U{0, ..., Q - 1} at both points:
//!
//!   r = b;  p times: r -= eta H_{zeta_q} r;  v = Q eta r
//!
//! benchopt's `SUSTAIN` maps as mrbo's, with n_hia_steps -> Q. The Hessian products vary
//! from step to step; both engines count the ones taken (replayed from the lane's
//! generator on the GPU).

use super::mrbo::{momentum_step, MRBO};
use crate::algo::descriptor::{Algorithm, KernelFlags, KernelSpec, Theory};
use crate::algo::shared::truncation;
use crate::algo::{work, AlgoConfig, LaneState, OracleCounts};
use crate::problem::Oracles;
use crate::real::{Num, Pack};
use crate::rng::LaneRng;

fn step<T: Num>(
    cfg: &AlgoConfig,
    o: &Oracles,
    rng: &LaneRng,
    lane: &mut LaneState<T>,
    _: &mut OracleCounts,
) {
    momentum_step(cfg, o, rng, lane, true);
}

pub(crate) static SUSTAIN: Algorithm = Algorithm {
    name: "sustain",
    summary: "mrbo with randomly truncated Neumann series (Khanduri et al. 2021)",
    defaults: |c| {
        (MRBO.defaults)(c);
        c.terms = 10;
    },
    step_f64: step::<f64>,
    step_f32: step::<f32>,
    pack_f64: Some(step::<Pack<f64>>),
    pack_f32: Some(step::<Pack<f32>>),
    // The series' products come with each step's truncation (`extra_counts`).
    nominal_counts: |_, bl, bu| OracleCounts::new(2, 2, 0, 2, bl + bu),
    extra_counts: Some(|c, rng, k, n_lower, _| {
        let p = truncation(c, rng, k);
        let bl = c.batch_lower.len(n_lower) as u64;
        OracleCounts::new(0, 0, 2 * p, 0, p * bl)
    }),
    kernel: KernelSpec {
        source: MRBO.kernel.source,
        classes: true,
        sample_weights: true,
        network: true,
        lane_threads: None,
        specialise: |c| KernelFlags {
            truncated: true,
            ..KernelFlags::of(c)
        },
    },
    // The expected (Q - 1) / 2 products at each point.
    work: |c, s| {
        let h = (c.terms as f64 - 1.0).max(0.0) / 2.0;
        (work::pass(s, s.batch_lower, 2.0, 2.0)
            + work::pass(s, s.batch_upper, 2.0, 2.0)
            + 2.0 * h * work::hvp(s, s.batch_lower))
        .plus_vector_ops((2.0 * h + 8.0) * s.d + 6.0 * s.p)
    },
    theory: Theory::NONE,
    ..MRBO
};
