//! `vrbo`: variance-reduced bilevel optimizer (Yang, Ji and Liang, "Provably Faster
//! Algorithms for Bilevel Optimization", NeurIPS 2021), in benchopt's form: SARAH-recursive
//! estimates of y's direction and of the hypergradient (stocBiO's Neumann series), refreshed
//! from full batches every `period` outer steps, with T inner steps per outer step.
//! Per outer step k:
//!
//!   k % period == 0:  d_y = grad_y g(x, y);  v = Neumann_full(x, y; grad_y f(x, y));
//!                     d_x = grad_x f - J(x, y) v;  y' = y        (full batches)
//!   x -= alpha d_x
//!   T times, on fresh batches (lower and upper steps k T + s, the series' terms as stocBiO's
//!   at step k T + s), at the new x:
//!     d_y += grad_y g(x, y) - grad_y g(x, y')
//!     d_x += (grad_x f - J_zeta(x, y) v) - (grad_x f - J_zeta(x, y') v')
//!            (v, v' the series at y, y'; J on the inner step's lower batch zeta at both)
//!     y' <- y;  y -= beta d_y
//!
//! J reads its batch only when x weighs the lower samples (data hyper-cleaning): the full
//! set at a refresh, zeta at both points of a correction. The lane's memory holds y', d_y
//! and d_x (2 d + p floats); v holds the last series at y.
//! benchopt's `VRBO` maps as: step_size -> beta, step_size / outer_ratio -> alpha,
//! hia_lr (= step_size) -> eta, n_shia_steps -> Q - 1 (its series has one term more),
//! n_inner_steps -> T, period = (n_inner + n_outer) period_frac / batch_size; sbo's
//! `period = 0` takes benchopt's period_frac = 128. Like benchopt, the corrections compare
//! the two y at the same (new) x. sbo sets y' = y at a full step, so the first correction
//! after it is zero; benchopt keeps the y' of the last inner step.

use crate::algo::descriptor::{Algorithm, KernelFlags, KernelSpec, Setting::*, Theory};
use crate::algo::lane::setting;
use crate::algo::shared::{draw, neumann, sub_scaled, x_direction, Neumann};
use crate::algo::{work, AlgoConfig, BatchSize, LaneState, OracleCounts};
use crate::problem::{Batch, Oracles};
use crate::real::{Num, Pack};
use crate::rng::{stream, LaneRng};

/// Outer steps between full-batch refreshes: `period`, or benchopt's rule
/// (n_lower + n_upper) 128 / batch_lower when 0.
pub(crate) fn refresh_every(c: &AlgoConfig, n: usize, m: usize) -> u64 {
    if c.period > 0 {
        return c.period as u64;
    }
    ((n + m) as u64 * 128 / c.batch_lower.len(n).max(1) as u64).max(1)
}

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
    let (n, m) = (o.lower.n(), o.upper.n());
    let d = lane.y.len();
    let tt = cfg.inner_steps as u64;
    let wr = cfg.without_replacement;
    let (yo, rest) = lane.m.split_at_mut(d);
    let (dy, dx) = rest.split_at_mut(d);
    let ws = &mut lane.ws;

    if k.is_multiple_of(refresh_every(cfg, n, m)) {
        o.grad_y_g(&lane.x, &lane.y, Batch::Full, dy);
        o.grad_y_f(&lane.x, &lane.y, Batch::Full, &mut ws.u);
        // stocBiO's series with the full lower set's Hessian (a full batch draws nothing).
        let full = AlgoConfig {
            batch_lower: BatchSize::Full,
            ..cfg.clone()
        };
        let scratch = Neumann {
            r: &mut ws.r,
            hv: &mut ws.hv,
            idx: &mut ws.idx_extra,
            eta: setting(&lane.lane_configs, cfg, |c| c.eta),
        };
        neumann(
            &full,
            o,
            rng,
            k,
            &lane.x,
            &lane.y,
            &ws.u,
            scratch,
            &mut lane.v,
        );
        x_direction(o, &lane.x, &lane.y, &lane.v, Batch::Full, dx, &mut ws.jv);
        yo.copy_from_slice(&lane.y);
    }
    sub_scaled(&mut lane.x, alpha, dx);

    for s in 0..tt {
        let i = k * tt + s;
        let zeta = draw(
            rng,
            stream::LOWER,
            i,
            n,
            cfg.batch_lower,
            wr,
            &mut ws.idx_lower,
        );
        o.grad_y_g(&lane.x, &lane.y, zeta, &mut ws.g);
        o.grad_y_g(&lane.x, yo, zeta, &mut ws.dir);
        for (dd, (a, b)) in dy.iter_mut().zip(ws.g.iter().zip(&ws.dir)) {
            *dd += *a - *b;
        }
        let xi = draw(
            rng,
            stream::UPPER,
            i,
            m,
            cfg.batch_upper,
            wr,
            &mut ws.idx_upper,
        );
        // At y: the series into v, then x's direction into h.
        o.grad_y_f(&lane.x, &lane.y, xi, &mut ws.u);
        let scratch = Neumann {
            r: &mut ws.r,
            hv: &mut ws.hv,
            idx: &mut ws.idx_extra,
            eta: setting(&lane.lane_configs, cfg, |c| c.eta),
        };
        neumann(
            cfg,
            o,
            rng,
            i,
            &lane.x,
            &lane.y,
            &ws.u,
            scratch,
            &mut lane.v,
        );
        x_direction(o, &lane.x, &lane.y, &lane.v, zeta, &mut ws.h, &mut ws.jv);
        // At y': the series into dir, x's direction into jv (xb as scratch), J on zeta.
        o.grad_y_f(&lane.x, yo, xi, &mut ws.u);
        let scratch = Neumann {
            r: &mut ws.r,
            hv: &mut ws.hv,
            idx: &mut ws.idx_extra,
            eta: setting(&lane.lane_configs, cfg, |c| c.eta),
        };
        neumann(cfg, o, rng, i, &lane.x, yo, &ws.u, scratch, &mut ws.dir);
        x_direction(o, &lane.x, yo, &ws.dir, zeta, &mut ws.jv, &mut ws.xb);
        for (dd, (a, b)) in dx.iter_mut().zip(ws.h.iter().zip(&ws.jv)) {
            *dd += *a - *b;
        }
        yo.copy_from_slice(&lane.y);
        sub_scaled(&mut lane.y, beta, dy);
    }
}

pub(crate) static VRBO: Algorithm = Algorithm {
    name: "vrbo",
    summary: "double loop, SARAH-recursive y and hypergradient estimates with full-batch refreshes (Yang et al. 2021)",
    inner_key: "T",
    settings: &[
        Alpha,
        Beta,
        BatchLower,
        BatchUpper,
        WithoutReplacement,
        InnerSteps,
        Terms,
        Eta,
        Period,
    ],
    // benchopt's step_size 0.1, n_shia_steps 10, n_inner_steps 10.
    defaults: |c| {
        c.alpha = crate::algo::Schedule::Constant(0.1);
        c.beta = crate::algo::Schedule::Constant(0.1);
        c.eta = 0.1;
        c.terms = 11;
        c.inner_steps = 10;
    },
    step_f64: step::<f64>,
    step_f32: step::<f32>,
    pack_f64: Some(step::<Pack<f64>>),
    pack_f32: Some(step::<Pack<f32>>),
    // The T inner steps: both points, each with its series on the same batches.
    nominal_counts: |c, bl, bu| {
        let (t, h) = (c.inner_steps as u64, (c.terms as u64).saturating_sub(1));
        OracleCounts::new(2 * t, 2 * t, 2 * t * h, 2 * t, t * (bl + bu + h * bl))
    },
    // The refresh: full gradients of g and f, Q - 1 full Hessian products, one Jacobian.
    extra_counts: Some(|c, _, k, n, m| {
        if k.is_multiple_of(refresh_every(c, n, m)) {
            let h = (c.terms as u64).saturating_sub(1);
            OracleCounts::new(1, 1, h, 1, (n + m) as u64 + h * n as u64)
        } else {
            OracleCounts::default()
        }
    }),
    refresh_period: Some(refresh_every),
    unrolled_iterates: |_| 0,
    memory: |_, s| 2 * s.d + s.p,
    kernel: KernelSpec {
        source: include_str!("../../../shaders/step_vrbo.wgsl"),
        classes: true,
        sample_weights: true,
        network: true,
        lane_threads: None,
        specialise: KernelFlags::of,
    },
    // The inner steps only: the refresh, amortised over `period` steps, is left out.
    work: |c, s| {
        let (t, h) = (c.inner_steps as f64, (c.terms as f64 - 1.0).max(0.0));
        (t * (work::pass(s, s.batch_lower, 2.0, 2.0)
            + work::pass(s, s.batch_upper, 2.0, 2.0)
            + 2.0 * h * work::hvp(s, s.batch_lower)))
        .plus_vector_ops(t * ((4.0 * h + 6.0) * s.d + 4.0 * s.p))
    },
    kappa_scaled: &[Alpha, Beta, Eta, InnerSteps, Terms],
    theory: Theory::NONE,
};
