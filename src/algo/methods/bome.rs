//! `bome`: bilevel optimization made easy (Ye, Liu, Wright, Stone and Liu, "BOME! Bilevel
//! Optimization Made Easy: A Simple First-Order Approach", NeurIPS 2022). First order: the
//! lower-level constraint is the value gap q(x, y) = g(x, y) - g(x, y*(x)) <= 0, with
//! y*(x) approximated by T gradient steps from y, and (x, y) move along the direction that
//! decreases f while decreasing q at least at rate phi = eta |grad q|^2:
//!
//!   z = y;  T times: z -= beta grad_y g_zeta_s(x, z)
//!   grad q = (grad_x g_zeta(x, y) - grad_x g_zeta(x, z),  grad_y g_zeta(x, y))
//!   lambda = max(eta |grad q|^2 - <grad f, grad q>, 0) / |grad q|^2   (0 when grad q = 0)
//!   x -= alpha (grad_x f + lambda grad_x q);   y -= beta (grad_y f_xi + lambda grad_y q)
//!
//! benchopt's `BOME` is deterministic (full batches) with choice_phi = "grad_norm": it maps
//! as step_size -> beta, step_size / outer_ratio -> alpha, eta -> eta, n_inner_steps -> T.
//! With batches, sbo draws the inner steps' batches (lower stream, steps k T + s), the
//! batch zeta of grad q (stream 2, step k) and of grad_y f (upper, step k). grad q is the
//! gradient in (x, y) of one batch's gap q_zeta(x, y) = g_zeta(x, y) - g_zeta(x, z) with z
//! held fixed (BOME does not differentiate through z): its x part reads data only when x
//! weighs the lower samples (data hyper-cleaning), and is then taken on zeta as well, which
//! the inner steps that made z did not draw. z lives in the lane's v for the step (it
//! restarts from y every step). benchopt divides by |grad q|^2 unguarded; sbo takes
//! lambda = 0 when it is 0 (y at the lower solution, x-gradients equal).

use crate::algo::descriptor::{Algorithm, KernelFlags, KernelSpec, Setting::*, Theory};
use crate::algo::shared::{draw, last_lower, sub_scaled};
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
    let eta = lane.setting(cfg, |c| c.eta);
    let (n, m) = (o.lower.n(), o.upper.n());
    let tt = cfg.inner_steps as u64;
    let wr = cfg.without_replacement;
    let ws = &mut lane.ws;

    lane.v.copy_from_slice(&lane.y);
    for s in 0..tt {
        let zeta = draw(
            rng,
            stream::LOWER,
            k * tt + s,
            n,
            cfg.batch_lower,
            wr,
            &mut ws.idx_lower,
        );
        o.grad_y_g(&lane.x, &lane.v, zeta, &mut ws.g);
        sub_scaled(&mut lane.v, beta, &ws.g);
    }
    let zeta = draw(
        rng,
        stream::HVP,
        k,
        n,
        cfg.batch_lower,
        wr,
        &mut ws.idx_extra,
    );
    o.grad_y_g(&lane.x, &lane.y, zeta, &mut ws.g); // grad_y q
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
    o.grad_x_f(&lane.x, &lane.y, &mut ws.h);
    // grad_x q on zeta too: grad q is then the gradient of one batch's value gap.
    let zeta = last_lower(cfg, &ws.idx_extra);
    o.grad_x_g(&lane.x, &lane.y, zeta, &mut ws.jv);
    o.grad_x_g(&lane.x, &lane.v, zeta, &mut ws.xb);
    for (a, b) in ws.jv.iter_mut().zip(&ws.xb) {
        *a -= *b; // grad_x q
    }
    let mut nq = T::zero();
    let mut dot = T::zero();
    for (qy, fy) in ws.g.iter().zip(&ws.u) {
        nq += *qy * *qy;
        dot += *fy * *qy;
    }
    for (qx, fx) in ws.jv.iter().zip(&ws.h) {
        nq += *qx * *qx;
        dot += *fx * *qx;
    }
    // lam = (eta |grad q|^2 - grad f . grad q)_+ / |grad q|^2, and 0 when grad q = 0: selected
    // per lane (a lane with nq = 0 computes a NaN quotient that is never taken).
    let zero = T::zero();
    let gap = eta * nq - dot;
    let lam = nq.gt_select(zero, gap.gt_select(zero, gap / nq, zero), zero);
    for ((y, fy), qy) in lane.y.iter_mut().zip(&ws.u).zip(&ws.g) {
        *y -= beta * (*fy + lam * *qy);
    }
    for ((x, fx), qx) in lane.x.iter_mut().zip(&ws.h).zip(&ws.jv) {
        *x -= alpha * (*fx + lam * *qx);
    }
}

pub(crate) static BOME: Algorithm = Algorithm {
    name: "bome",
    summary:
        "first order: value-gap constraint, T inner steps, dynamic barrier lambda (Ye et al. 2022)",
    inner_key: "T",
    settings: &[
        Alpha,
        Beta,
        BatchLower,
        BatchUpper,
        WithoutReplacement,
        InnerSteps,
        Eta,
    ],
    // benchopt's defaults: step_size 0.1, eta 0.5, 10 inner steps.
    defaults: |c| {
        c.alpha = Schedule::Constant(0.1);
        c.beta = Schedule::Constant(0.1);
        c.eta = 0.5;
        c.inner_steps = 10;
    },
    step_f64: step::<f64>,
    step_f32: step::<f32>,
    pack_f64: Some(step::<Pack<f64>>),
    pack_f32: Some(step::<Pack<f32>>),
    // T inner gradients and grad_y q on lower batches, grad_y f on the upper one; the
    // x-gradients read no samples (with per-sample weights, zeta's rows again) and are not
    // counted.
    nominal_counts: |c, bl, bu| {
        let t = c.inner_steps as u64;
        OracleCounts::new(t + 1, 1, 0, 0, (t + 1) * bl + bu)
    },
    extra_counts: None,
    refresh_period: None,
    unrolled_iterates: |_| 0,
    memory: |_, _| 0,
    kernel: KernelSpec {
        source: include_str!("../../../shaders/step_bome.wgsl"),
        classes: true,
        sample_weights: true,
        network: true,
        lane_threads: None,
        specialise: KernelFlags::of,
    },
    work: |c, s| {
        let t = c.inner_steps as f64;
        ((t + 1.0) * work::grad(s, s.batch_lower) + work::grad(s, s.batch_upper))
            .plus_vector_ops((t + 8.0) * s.d + 4.0 * s.p)
    },
    kappa_scaled: &[Alpha, Beta],
    theory: Theory::NONE,
};
