//! `mrbo`: momentum-based recursive bilevel optimizer (Yang, Ji and Liang, "Provably Faster
//! Algorithms for Bilevel Optimization", NeurIPS 2021). Single loop with STORM momentum on
//! both directions: each step evaluates its estimates at the current point and at the
//! previous one on the same batches, and corrects the momentum by their difference.
//!
//!   m_y = grad_y g_zeta(x, y) + (1 - rho_t) (m_y - grad_y g_zeta(x', y'))
//!   v   = Neumann(x, y; grad_y f_xi(x, y)),  v' = Neumann(x', y'; grad_y f_xi(x', y'))
//!         (stocBiO's series, Q terms, scale eta, the same batches at both points)
//!   D   = grad_x f(x, y) - J_zeta(x, y) v,  D' the same at (x', y', v')
//!   m_x = D + (1 - rho_t) (m_x - D')
//!   (x', y') <- (x, y);  y -= beta_t m_y;  x -= alpha_t m_x
//!
//! J is taken on zeta, y's lower batch, at both points (it reads that batch only when x
//! weighs the lower samples, data hyper-cleaning). The lane's memory holds x', y', m_x and
//! m_y; v holds the current Neumann estimate. The first step has no previous point and
//! takes m = the fresh estimates (benchopt starts from zeros and evaluates the "previous
//! point" at the origin).
//!
//! benchopt's `MRBO` maps as: step_size / (t + 1)^(1/3) -> beta, step_size / outer_ratio /
//! (t + 1)^(1/3) -> alpha, hia_lr (= step_size) -> eta, n_shia_steps -> Q - 1 (its series
//! has one term more than its step count), eta / (t + 1)^(2/3) -> rho. Oracle counts are
//! nominal: both points every step (the first step evaluates one).

use crate::algo::descriptor::{Algorithm, KernelFlags, KernelSpec, Setting::*, Theory};
use crate::algo::lane::setting;
use crate::algo::shared::{draw, last_lower, series, sub_scaled, x_direction, Neumann};
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
    momentum_step(cfg, o, rng, lane, false);
}

/// mrbo's step; with `truncated`, both series are Ghadimi and Wang's random truncation
/// with the same number of terms (sustain).
pub(crate) fn momentum_step<T: Num>(
    cfg: &AlgoConfig,
    o: &Oracles,
    rng: &LaneRng,
    lane: &mut LaneState<T>,
    truncated: bool,
) {
    let k = lane.t;
    let first = k == 0;
    let alpha = lane.setting(cfg, |c| c.alpha.at(k));
    let beta = lane.setting(cfg, |c| c.beta.at(k));
    let keep = T::one() - lane.setting(cfg, |c| c.rho.at(k));
    let (p, d) = (lane.x.len(), lane.y.len());
    let wr = cfg.without_replacement;
    let (prev, mom) = lane.m.split_at_mut(p + d);
    let (xp, yp) = prev.split_at_mut(p);
    let (mx, my) = mom.split_at_mut(p);
    let ws = &mut lane.ws;

    // y's direction.
    let zeta = draw(
        rng,
        stream::LOWER,
        k,
        o.lower.n(),
        cfg.batch_lower,
        wr,
        &mut ws.idx_lower,
    );
    o.grad_y_g(&lane.x, &lane.y, zeta, &mut ws.g);
    if first {
        my.copy_from_slice(&ws.g);
    } else {
        o.grad_y_g(xp, yp, zeta, &mut ws.hv);
        for ((m, g), g_old) in my.iter_mut().zip(&ws.g).zip(&ws.hv) {
            *m = *g + keep * (*m - *g_old);
        }
    }

    // x's direction at the current point.
    let xi = draw(
        rng,
        stream::UPPER,
        k,
        o.upper.n(),
        cfg.batch_upper,
        wr,
        &mut ws.idx_upper,
    );
    o.grad_y_f(&lane.x, &lane.y, xi, &mut ws.u);
    let scratch = Neumann {
        r: &mut ws.r,
        hv: &mut ws.hv,
        idx: &mut ws.idx_extra,
        eta: setting(&lane.lane_configs, cfg, |c| c.eta),
    };
    series(
        truncated,
        cfg,
        o,
        rng,
        k,
        &lane.x,
        &lane.y,
        &ws.u,
        scratch,
        &mut lane.v,
    );
    let zeta = last_lower(cfg, &ws.idx_lower);
    x_direction(o, &lane.x, &lane.y, &lane.v, zeta, &mut ws.h, &mut ws.jv);
    if first {
        mx.copy_from_slice(&ws.h);
    } else {
        // ... and at the previous one, on the same batches.
        o.grad_y_f(xp, yp, xi, &mut ws.u);
        let scratch = Neumann {
            r: &mut ws.r,
            hv: &mut ws.hv,
            idx: &mut ws.idx_extra,
            eta: setting(&lane.lane_configs, cfg, |c| c.eta),
        };
        series(
            truncated,
            cfg,
            o,
            rng,
            k,
            xp,
            yp,
            &ws.u,
            scratch,
            &mut ws.dir,
        );
        x_direction(o, xp, yp, &ws.dir, zeta, &mut ws.jv, &mut ws.xb);
        for ((m, dd), d_old) in mx.iter_mut().zip(&ws.h).zip(&ws.jv) {
            *m = *dd + keep * (*m - *d_old);
        }
    }

    xp.copy_from_slice(&lane.x);
    yp.copy_from_slice(&lane.y);
    sub_scaled(&mut lane.y, beta, my);
    sub_scaled(&mut lane.x, alpha, mx);
}

pub(crate) static MRBO: Algorithm = Algorithm {
    name: "mrbo",
    summary:
        "single loop, STORM momentum on y and x, Neumann series at both points (Yang et al. 2021)",
    inner_key: "T",
    settings: &[
        Alpha,
        Beta,
        Rho,
        BatchLower,
        BatchUpper,
        WithoutReplacement,
        Terms,
        Eta,
    ],
    // benchopt's defaults at its first step (step_size 0.1, eta 0.5, 10 Neumann steps),
    // without its schedules.
    defaults: |c| {
        c.alpha = Schedule::Constant(0.1);
        c.beta = Schedule::Constant(0.1);
        c.eta = 0.1;
        c.terms = 11;
        c.rho = Schedule::Constant(0.5);
    },
    step_f64: step::<f64>,
    step_f32: step::<f32>,
    pack_f64: Some(step::<Pack<f64>>),
    pack_f32: Some(step::<Pack<f32>>),
    // Both points: two gradients of g and f, 2 (Q - 1) Hessian and two Jacobian products;
    // the samples of one point (the other reads the same rows).
    nominal_counts: |c, bl, bu| {
        let h = (c.terms as u64).saturating_sub(1);
        OracleCounts::new(2, 2, 2 * h, 2, bl + bu + h * bl)
    },
    extra_counts: None,
    refresh_period: None,
    unrolled_iterates: |_| 0,
    memory: |_, s| 2 * (s.p + s.d),
    kernel: KernelSpec {
        source: include_str!("../../../shaders/step_mrbo.wgsl"),
        classes: true,
        sample_weights: true,
        network: true,
        lane_threads: None,
        specialise: KernelFlags::of,
    },
    work: |c, s| {
        let h = (c.terms as f64 - 1.0).max(0.0);
        (work::pass(s, s.batch_lower, 2.0, 2.0)
            + work::pass(s, s.batch_upper, 2.0, 2.0)
            + 2.0 * h * work::hvp(s, s.batch_lower))
        .plus_vector_ops((4.0 * h + 8.0) * s.d + 6.0 * s.p)
    },
    kappa_scaled: &[Alpha, Beta, Eta, Terms],
    theory: Theory::NONE,
};
