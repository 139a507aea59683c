//! `ssaid`: single-loop stochastic approximate implicit differentiation (SOBA form), all
//! three updates at the same point (x, y, v):
//!
//!   y+ = y - beta_t  grad_y g_zeta(x, y)
//!   v+ = v - gamma_t (H_zeta'(x, y) v - grad_y f_xi(x, y))
//!   x+ = x - alpha_t (grad_x f_xi(x, y) - J(x, y) v)
//!
//! zeta' = zeta unless `independent_hvp_batch`. J needs no batch (only the coupling depends
//! on x). An optional radius projects v back onto a ball, as in the analysis of SSAID.

use crate::algo::descriptor::{
    Algorithm, CostKind, KappaBound, KernelFlags, KernelSpec, Setting::*, Theory,
};
use crate::algo::shared::{draw, sub_scaled};
use crate::algo::{work, AlgoConfig, LaneState, OracleCounts};
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
    soba_step(cfg, o, rng, lane, |o, lane, alpha| {
        crate::algo::shared::implicit_x_step(cfg, o, lane, alpha)
    });
}

/// The SOBA step with its x update left to `x_step(oracles, lane, alpha)` (called with g, H v
/// and grad_y f taken, before y and v move): ssaid steps along the fresh estimate, ma-soba
/// along its moving average.
pub(crate) fn soba_step<T: Num>(
    cfg: &AlgoConfig,
    o: &Oracles,
    rng: &LaneRng,
    lane: &mut LaneState<T>,
    x_step: impl FnOnce(&Oracles, &mut LaneState<T>, T),
) {
    let t = lane.t;
    let alpha = lane.setting(cfg, |c| c.alpha.at(t));
    let beta = lane.setting(cfg, |c| c.beta.at(t));
    let gamma = lane.setting(cfg, |c| c.gamma.at(t));
    let (n, m) = (o.lower.n(), o.upper.n());
    let ws = &mut lane.ws;
    let wr = cfg.without_replacement;

    let zeta = draw(
        rng,
        stream::LOWER,
        t,
        n,
        cfg.batch_lower,
        wr,
        &mut ws.idx_lower,
    );
    if cfg.independent_hvp_batch {
        o.grad_y_g(&lane.x, &lane.y, zeta, &mut ws.g);
        let zh = draw(
            rng,
            stream::HVP,
            t,
            n,
            cfg.batch_lower,
            wr,
            &mut ws.idx_extra,
        );
        o.hvp(&lane.x, &lane.y, &lane.v, zh, &mut ws.hv);
    } else {
        o.grad_and_hvp(&lane.x, &lane.y, &lane.v, zeta, &mut ws.g, &mut ws.hv);
    }
    let xi = draw(
        rng,
        stream::UPPER,
        t,
        m,
        cfg.batch_upper,
        wr,
        &mut ws.idx_upper,
    );
    o.grad_y_f(&lane.x, &lane.y, xi, &mut ws.u);
    // x first, at the old (y, v); g, H v and grad_y f are already taken at the old x.
    x_step(o, lane, alpha);

    let ws = &mut lane.ws;
    sub_scaled(&mut lane.y, beta, &ws.g);
    // hv <- H v - grad_y f, then v -= gamma * hv.
    sub_scaled(&mut ws.hv, T::one(), &ws.u);
    sub_scaled(&mut lane.v, gamma, &ws.hv);
    if let Some(r) = cfg.v_radius {
        let norm = crate::real::dot(&lane.v, &lane.v).sqrt();
        let r = T::of(r);
        // Per lane: scaled by r / |v| beyond the ball, by 1 (exactly v) inside it.
        let s = norm.gt_select(r, r / norm, T::one());
        lane.v.iter_mut().for_each(|v| *v *= s);
    }
}

pub(crate) static SSAID: Algorithm = Algorithm {
    name: "ssaid",
    summary: "single-loop stochastic AID (SOBA form): y, v and x updated at the same point",
    inner_key: "T",
    settings: &[
        Alpha,
        Beta,
        Gamma,
        BatchLower,
        BatchUpper,
        WithoutReplacement,
        IndependentHvpBatch,
        VRadius,
    ],
    defaults: |_| {},
    step_f64: step::<f64>,
    step_f32: step::<f32>,
    pack_f64: Some(step::<Pack<f64>>),
    pack_f32: Some(step::<Pack<f32>>),
    // The Hessian batch is the gradient's (one draw) unless drawn independently.
    nominal_counts: |c, bl, bu| {
        OracleCounts::new(1, 1, 1, 1, (1 + c.independent_hvp_batch as u64) * bl + bu)
    },
    extra_counts: None,
    refresh_period: None,
    unrolled_iterates: |_| 0,
    memory: |_, _| 0,
    kernel: KernelSpec {
        source: include_str!("../../../shaders/step_ssaid.wgsl"),
        classes: true,
        sample_weights: true,
        network: true,
        lane_threads: Some(include_str!("../../../shaders/step_ssaid_threads.wgsl")),
        specialise: KernelFlags::of,
    },
    work: |c, s| {
        let lower = if c.independent_hvp_batch {
            work::grad(s, s.batch_lower) + work::hvp(s, s.batch_lower)
        } else {
            // Gradient and Hessian product from one read of the rows.
            work::pass(s, s.batch_lower, 2.0, 2.0)
        };
        (lower + work::grad(s, s.batch_upper)).plus_vector_ops(4.0 * s.d + s.p)
    },
    kappa_scaled: &[Alpha, Beta, Gamma],
    theory: Theory {
        // Single loop with fixed batches: every kind of cost is a fixed multiple of the
        // iterations, so one bound covers them all.
        kappa_bounds: &[KappaBound {
            cost: CostKind::OracleCalls,
            exponent: 7.0,
            source:
                "SSAID (Zhou, Luo, Dai, Ye 2026, arXiv 2602.23633, main result as stated in the \
                     abstract): O(kappa^7 eps^-2) oracle calls",
        }],
        ..Theory::NONE
    },
};
