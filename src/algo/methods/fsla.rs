//! `fsla`: fully single-loop algorithm (Li, Gu and Huang, "A Fully Single Loop Algorithm for
//! Bilevel Optimization without Hessian Inverse", AAAI 2022), in benchopt's form: y, then v
//! at the new y, then x along a STORM momentum of its direction, each step on fresh batches:
//!
//!   y+ = y - beta_t grad_y g_zeta(x, y)
//!   v+ = v - gamma_t (H_zeta'(x, y+) v - grad_y f_xi(x, y+))
//!   D  = grad_x f(x, y+) - J_zeta(x, y+) v+,   D' = the same at (x', y, v), on zeta
//!   d  = D + (1 - rho_t) (d - D'),   x' <- x,   x+ = x - alpha_t d
//!
//! x' is the previous step's x; the lane's memory holds x' and d. The first step has no
//! previous point and takes d = D (benchopt starts from zeros, with x' at the origin).
//!
//! J is taken on zeta, y's batch, at both points: STORM's correction is the difference of
//! one batch's estimates. Where grad_x f and J read no data, D' is exactly the previous
//! step's D and the correction cancels: d = D at every step, and fsla is SOBA with the
//! updates in sequence (y, then v at the new y, then x at the new y and v). With per-sample
//! weights (data hyper-cleaning) J reads zeta's rows and the momentum acts as written.
//!
//! benchopt's `FSLA` maps as: step_size / (t + 1)^(1/2) -> beta and gamma,
//! step_size / outer_ratio / (t + 1)^(1/2) -> alpha, its momentum step_size / (t + 1)^(1/2)
//! -> rho.

use crate::algo::descriptor::{Algorithm, KernelFlags, KernelSpec, Setting::*, Theory};
use crate::algo::shared::{draw, last_lower, sub_scaled, x_direction};
use crate::algo::{work, AlgoConfig, LaneState, OracleCounts, Schedule};
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
    let keep = T::one() - lane.setting(cfg, |c| c.rho.at(k));
    let (n, m) = (o.lower.n(), o.upper.n());
    let wr = cfg.without_replacement;
    let p = lane.x.len();
    let (xp, dm) = lane.m.split_at_mut(p);
    let ws = &mut lane.ws;

    let zeta = draw(
        rng,
        stream::LOWER,
        k,
        n,
        cfg.batch_lower,
        wr,
        &mut ws.idx_lower,
    );
    o.grad_y_g(&lane.x, &lane.y, zeta, &mut ws.g);
    ws.r.copy_from_slice(&lane.y);
    sub_scaled(&mut lane.y, beta, &ws.g);

    let zeta2 = draw(
        rng,
        stream::HVP,
        k,
        n,
        cfg.batch_lower,
        wr,
        &mut ws.idx_extra,
    );
    o.hvp(&lane.x, &lane.y, &lane.v, zeta2, &mut ws.hv);
    let xi = draw(
        rng,
        stream::UPPER,
        k,
        m,
        cfg.batch_upper,
        wr,
        &mut ws.idx_upper,
    );
    o.grad_y_f(&lane.x, &lane.y, xi, &mut ws.u);
    ws.dir.copy_from_slice(&lane.v);
    // hv <- H v - b, then v -= gamma hv (ssaid's order).
    sub_scaled(&mut ws.hv, T::one(), &ws.u);
    sub_scaled(&mut lane.v, gamma, &ws.hv);

    let zeta = last_lower(cfg, &ws.idx_lower);
    x_direction(o, &lane.x, &lane.y, &lane.v, zeta, &mut ws.h, &mut ws.jv);
    if k == 0 {
        dm.copy_from_slice(&ws.h);
    } else {
        // D' at (x', y, v), the point before this step's updates.
        x_direction(o, xp, &ws.r, &ws.dir, zeta, &mut ws.jv, &mut ws.xb);
        for ((d, dd), d_old) in dm.iter_mut().zip(&ws.h).zip(&ws.jv) {
            *d = *dd + keep * (*d - *d_old);
        }
    }
    xp.copy_from_slice(&lane.x);
    sub_scaled(&mut lane.x, alpha, dm);
}

pub(crate) static FSLA: Algorithm = Algorithm {
    name: "fsla",
    summary: "single loop: y, then v, then x along a STORM momentum (Li, Gu & Huang 2022)",
    inner_key: "T",
    settings: &[
        Alpha,
        Beta,
        Gamma,
        Rho,
        BatchLower,
        BatchUpper,
        WithoutReplacement,
    ],
    // benchopt's step_size 0.1 at its first step, without its schedules.
    defaults: |c| {
        c.rho = Schedule::Constant(0.1);
    },
    step_f64: step::<f64>,
    step_f32: step::<f32>,
    pack_f64: Some(step::<Pack<f64>>),
    pack_f32: Some(step::<Pack<f32>>),
    // One gradient of g (y), one Hessian product on its own batch, one gradient of f; the
    // Jacobian product at both points (no samples, or zeta's rows again).
    nominal_counts: |_, bl, bu| OracleCounts::new(1, 1, 1, 2, 2 * bl + bu),
    extra_counts: None,
    refresh_period: None,
    unrolled_iterates: |_| 0,
    memory: |_, s| 2 * s.p,
    kernel: KernelSpec {
        source: include_str!("../../../shaders/step_fsla.wgsl"),
        classes: true,
        sample_weights: true,
        network: true,
        lane_threads: None,
        specialise: KernelFlags::of,
    },
    work: |_, s| {
        (work::grad(s, s.batch_lower) + work::hvp(s, s.batch_lower) + work::grad(s, s.batch_upper))
            .plus_vector_ops(5.0 * s.d + 4.0 * s.p)
    },
    kappa_scaled: &[Alpha, Beta, Gamma],
    theory: Theory::NONE,
};
