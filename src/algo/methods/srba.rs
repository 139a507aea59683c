//! `srba`: stochastic recursive bilevel algorithm (Dagréou, Moreau, Vaiter and Ablin, "A
//! Lower Bound and a Near-Optimal Algorithm for Bilevel Empirical Risk Minimization",
//! AISTATS 2024). SOBA's three directions (ssaid's) estimated recursively, SARAH style:
//! every `period` steps from full batches, in between corrected by the difference of the
//! batch estimates at the current and the previous point (same batches at both):
//!
//!   t % period == 0:  d_y = grad_y g(x, y),  d_v = H v - grad_y f,  d_x = grad_x f - J v
//!   otherwise:        d += D_batch(x, y, v) - D_batch(x', y', v')   for each direction
//!   (x', y', v') <- (x, y, v);  y -= beta d_y;  v -= gamma d_v;  x -= alpha d_x
//!
//! J v is taken on the lower batch, as H v (the full set at a full step), so the x
//! direction's correction is one batch's difference too; J reads that batch only when x
//! weighs the lower samples (data hyper-cleaning). The lane's memory holds x', y', v' and
//! the three directions, 2 p + 4 d floats.
//!
//! benchopt's `SRBA` maps as: step_size -> beta = gamma, step_size / outer_ratio -> alpha
//! (constant), period = (n_inner + n_outer) period_frac / batch_size; sbo's `period = 0`
//! takes that rule with period_frac = 1/2, benchopt's default. A full-batch step reads every
//! sample once; the others read their batches at two points.

use crate::algo::descriptor::{Algorithm, KernelFlags, KernelSpec, Setting::*, Theory};
use crate::algo::shared::{draw, sub_scaled, x_direction};
use crate::algo::{work, AlgoConfig, LaneState, OracleCounts};
use crate::problem::{Batch, Oracles};
use crate::real::{Num, Pack};
use crate::rng::{stream, LaneRng};

/// SOBA's directions at (x, y, v) on the batches: d_y into `g`, d_v = H v - grad_y f into
/// `hv`, d_x = grad_x f - J v into `dx`, J v on the lower batch as H v; `u` (length d) and
/// `jv` (length p) are scratch.
#[allow(clippy::too_many_arguments)]
fn directions<T: Num>(
    o: &Oracles,
    x: &[T],
    y: &[T],
    v: &[T],
    lower: Batch,
    upper: Batch,
    g: &mut [T],
    hv: &mut [T],
    u: &mut [T],
    dx: &mut [T],
    jv: &mut [T],
) {
    o.grad_and_hvp(x, y, v, lower, g, hv);
    o.grad_y_f(x, y, upper, u);
    sub_scaled(hv, T::one(), u);
    x_direction(o, x, y, v, lower, dx, jv);
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
    let gamma = lane.setting(cfg, |c| c.gamma.at(k));
    let (n, m) = (o.lower.n(), o.upper.n());
    let (p, d) = (lane.x.len(), lane.y.len());
    let wr = cfg.without_replacement;
    let (old, dirs) = lane.m.split_at_mut(p + 2 * d);
    let (xo, rest) = old.split_at_mut(p);
    let (yo, vo) = rest.split_at_mut(d);
    let (dx, rest) = dirs.split_at_mut(p);
    let (dy, dv) = rest.split_at_mut(d);
    let ws = &mut lane.ws;
    let (x, y, v) = (&lane.x, &lane.y, &lane.v);

    if k.is_multiple_of(cfg.period_len(n, m)) {
        let full = Batch::Full;
        directions(o, x, y, v, full, full, dy, dv, &mut ws.u, dx, &mut ws.xb);
    } else {
        let zeta = draw(
            rng,
            stream::LOWER,
            k,
            n,
            cfg.batch_lower,
            wr,
            &mut ws.idx_lower,
        );
        let xi = draw(
            rng,
            stream::UPPER,
            k,
            m,
            cfg.batch_upper,
            wr,
            &mut ws.idx_upper,
        );
        directions(
            o, x, y, v, zeta, xi, &mut ws.g, &mut ws.hv, &mut ws.u, &mut ws.h, &mut ws.xb,
        );
        directions(
            o,
            xo,
            yo,
            vo,
            zeta,
            xi,
            &mut ws.r,
            &mut ws.dir,
            &mut ws.u,
            &mut ws.jv,
            &mut ws.xb,
        );
        // d += D(now) - D(before), coordinate by coordinate.
        for (dd, (a, b)) in dy.iter_mut().zip(ws.g.iter().zip(&ws.r)) {
            *dd += *a - *b;
        }
        for (dd, (a, b)) in dv.iter_mut().zip(ws.hv.iter().zip(&ws.dir)) {
            *dd += *a - *b;
        }
        for (dd, (a, b)) in dx.iter_mut().zip(ws.h.iter().zip(&ws.jv)) {
            *dd += *a - *b;
        }
    }
    xo.copy_from_slice(x);
    yo.copy_from_slice(y);
    vo.copy_from_slice(v);
    sub_scaled(&mut lane.y, beta, dy);
    sub_scaled(&mut lane.v, gamma, dv);
    sub_scaled(&mut lane.x, alpha, dx);
}

pub(crate) static SRBA: Algorithm = Algorithm {
    name: "srba",
    summary:
        "SOBA's directions by SARAH recursion with periodic full batches (Dagréou et al. 2024)",
    inner_key: "T",
    settings: &[
        Alpha,
        Beta,
        Gamma,
        BatchLower,
        BatchUpper,
        WithoutReplacement,
        Period,
    ],
    defaults: |_| {},
    step_f64: step::<f64>,
    step_f32: step::<f32>,
    pack_f64: Some(step::<Pack<f64>>),
    pack_f32: Some(step::<Pack<f32>>),
    // A batch step: the oracles at two points, on the same batches. A full-batch step
    // evaluates them once but reads every sample: `extra_counts` says which step is which.
    nominal_counts: |_, bl, bu| OracleCounts::new(1, 1, 1, 1, bl + bu),
    extra_counts: Some(|c, _, k, n, m| {
        if k.is_multiple_of(c.period_len(n, m)) {
            let (bl, bu) = c.batch_lens(n, m);
            OracleCounts::new(0, 0, 0, 0, (n + m).saturating_sub(bl + bu) as u64)
        } else {
            OracleCounts::new(1, 1, 1, 1, 0)
        }
    }),
    refresh_period: Some(|c, n, m| c.period_len(n, m)),
    unrolled_iterates: |_| 0,
    memory: |_, s| 2 * s.p + 4 * s.d,
    kernel: KernelSpec {
        source: include_str!("../../../shaders/step_srba.wgsl"),
        classes: true,
        sample_weights: true,
        network: true,
        lane_threads: None,
        specialise: KernelFlags::of,
    },
    work: |_, s| {
        (work::pass(s, s.batch_lower, 4.0, 4.0) + work::pass(s, s.batch_upper, 2.0, 2.0))
            .plus_vector_ops(12.0 * s.d + 6.0 * s.p)
    },
    kappa_scaled: &[Alpha, Beta, Gamma],
    theory: Theory::NONE,
};
