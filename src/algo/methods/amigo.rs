//! `amigo`: AmIGO, amortized implicit gradient optimization (Arbel and Mairal, "Amortized
//! Implicit Differentiation for Stochastic Bilevel Optimization", ICLR 2022). Multi-loop like
//! stocBiO, but the linear system H v = grad_y f is solved by Q warm-started SGD steps on v
//! (a fresh lower batch per step) instead of a fresh Neumann series every outer step: v is
//! amortized across outer steps. Per outer step k:
//!
//!   D warm-started inner SGD steps on y (lower batches k D + s);
//!   b = grad_y f_xi(x, y);  for q = 0..Q-1: v -= gamma (H_{zeta_q}(x, y) v - b);
//!   x+ = x - alpha (grad_x f_xi(x, y) - J(x, y) v)
//!
//! benchopt's `AmIGO` solver maps as: step_size -> beta = gamma, step_size / outer_ratio ->
//! alpha, n_inner_steps -> D = Q; benchopt runs the inner steps after the x step (and once
//! before the first), which is the same sequence shifted by one prologue.

use super::stocbio::STOCBIO;
use crate::algo::descriptor::{Algorithm, KernelFlags, KernelSpec, Setting::*, Theory};
use crate::algo::shared::{draw, multiloop_work, sub_scaled};
use crate::algo::{AlgoConfig, LaneState, OracleCounts};
use crate::problem::Oracles;
use crate::real::{Num, Pack};
use crate::rng::{stream, LaneRng};

fn step<T: Num>(
    cfg: &AlgoConfig,
    o: &Oracles,
    rng: &LaneRng,
    lane: &mut LaneState<T>,
    _: &mut OracleCounts,
) {
    let k = lane.t;
    let alpha = lane.setting(cfg, |c| c.alpha.at(k));
    let beta = lane.setting(cfg, |c| c.beta.at(k));
    let gamma = lane.setting(cfg, |c| c.gamma.at(k));
    let n = o.lower.n();
    let qq = cfg.terms;

    crate::algo::shared::inner_then_upper_grad(cfg, o, rng, lane, k, beta);
    let ws = &mut lane.ws;
    for q in 0..qq {
        let zq = draw(
            rng,
            stream::NEUMANN,
            k * qq as u64 + q as u64,
            n,
            cfg.batch_lower,
            cfg.without_replacement,
            &mut ws.idx_extra,
        );
        o.hvp(&lane.x, &lane.y, &lane.v, zq, &mut ws.hv);
        // hv <- H v - b, then v -= gamma hv (the GPU twin's order).
        sub_scaled(&mut ws.hv, T::one(), &ws.u);
        sub_scaled(&mut lane.v, gamma, &ws.hv);
    }

    crate::algo::shared::implicit_x_step(cfg, o, lane, alpha);
}

/// The multi-loop kernel with SGD on v; inner steps and the upper gradient as stocBiO's.
pub(crate) static AMIGO: Algorithm = Algorithm {
    name: "amigo",
    summary: "multi-loop: D inner SGD steps, Q warm-started SGD steps on v (Arbel & Mairal 2022)",
    settings: &[
        Alpha,
        Beta,
        Gamma,
        BatchLower,
        BatchUpper,
        WithoutReplacement,
        InnerSteps,
        Terms,
    ],
    step_f64: step::<f64>,
    step_f32: step::<f32>,
    pack_f64: Some(step::<Pack<f64>>),
    pack_f32: Some(step::<Pack<f32>>),
    // Q Hessian products, each on its own batch.
    nominal_counts: |c, bl, bu| {
        let (t, q) = (c.inner_steps as u64, c.terms as u64);
        OracleCounts::new(t, 1, q, 1, t * bl + q * bl + bu)
    },
    kernel: KernelSpec {
        source: STOCBIO.kernel.source,
        classes: true,
        sample_weights: true,
        network: true,
        lane_threads: None,
        specialise: |c| KernelFlags {
            v_sgd: true,
            ..KernelFlags::of(c)
        },
    },
    work: multiloop_work,
    kappa_scaled: &[Alpha, Beta, Gamma, InnerSteps, Terms],
    theory: Theory::NONE,
    ..STOCBIO
};
