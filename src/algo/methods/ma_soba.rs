//! `ma-soba`: SOBA with a moving average of the hypergradient direction (Chen, Xiao and
//! Balasubramanian, "Optimal Algorithms for Stochastic Bilevel Optimization under Relaxed
//! Smoothness Conditions", arXiv 2306.12067, 2023). y and v move as in `ssaid` (the SOBA
//! form, same batches); x moves along an average h of the x-direction estimates, which
//! the paper's analysis needs to drop SOBA's higher-order smoothness assumptions:
//!
//!   D = grad_x f(x, y) - J(x, y) v            (at the old point, as ssaid's)
//!   h+ = (1 - rho_t) h + rho_t D,   h_0 = 0
//!   x+ = x - alpha_t h+
//!
//! `rho` is the paper's theta. The average is updated before x moves, so the first step
//! already moves x (by alpha rho D). The paper's projection of v onto a ball is
//! `v_radius`. The paper's text could not be read from this environment (only its
//! abstract): the order of the h and x updates is sbo's choice, stated here and in the
//! README.

use super::ssaid::{soba_step, SSAID};
use crate::algo::descriptor::{Algorithm, KernelFlags, KernelSpec, Setting::*, Theory};
use crate::algo::shared::{last_lower, sub_scaled, x_direction};
use crate::algo::{AlgoConfig, LaneState, OracleCounts};
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
    let rho = lane.setting(cfg, |c| c.rho.at(lane.t));
    soba_step(cfg, o, rng, lane, |o, lane, alpha| {
        let ws = &mut lane.ws;
        let zeta = last_lower(cfg, &ws.idx_lower);
        x_direction(o, &lane.x, &lane.y, &lane.v, zeta, &mut ws.h, &mut ws.jv);
        // h <- h + rho (D - h), coordinate by coordinate (the GPU twin's order).
        for (h, d) in lane.m.iter_mut().zip(&ws.h) {
            *h += rho * (*d - *h);
        }
        sub_scaled(&mut lane.x, alpha, &lane.m);
    });
}

/// ssaid's kernel with the moving average switched on; counts, work and theory as ssaid's
/// (the average costs p vector operations, which the work model leaves out).
pub(crate) static MA_SOBA: Algorithm = Algorithm {
    name: "ma-soba",
    summary: "SOBA with a moving average of the x direction (Chen, Xiao & Balasubramanian 2023)",
    settings: &[
        Alpha,
        Beta,
        Gamma,
        Rho,
        BatchLower,
        BatchUpper,
        WithoutReplacement,
        IndependentHvpBatch,
        VRadius,
    ],
    step_f64: step::<f64>,
    step_f32: step::<f32>,
    pack_f64: Some(step::<Pack<f64>>),
    pack_f32: Some(step::<Pack<f32>>),
    memory: |_, s| s.p,
    kernel: KernelSpec {
        source: SSAID.kernel.source,
        classes: true,
        sample_weights: true,
        network: true,
        lane_threads: None,
        specialise: |c| KernelFlags {
            moving_average: true,
            ..KernelFlags::of(c)
        },
    },
    theory: Theory::NONE,
    ..SSAID
};
