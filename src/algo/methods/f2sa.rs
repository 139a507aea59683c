//! `f2sa`: fully first-order stochastic approximation (Kwon, Kwon, Wright and Nowak, "A Fully
//! First-Order Method for Stochastic Bilevel Optimization", ICML 2023). No Hessian or Jacobian
//! products: the hypergradient is replaced by the x-gradient of the penalised Lagrangian
//! f(x, y) + lambda (g(x, y) - g(x, z)), with y minimising f + lambda g and z minimising g.
//! Per outer step k, with lambda the lane's current penalty:
//!
//!   T steps, s = 0..T-1, each on fresh batches (lower zeta, lower zeta', upper xi):
//!     y -= beta_k  (lambda grad_y g_zeta(x, y) + grad_y f_xi(x, y))
//!     z -= gamma_k grad_y g_zeta'(x, z)
//!   x -= alpha_k (grad_x f(x, y) + lambda (grad_x g_B(x, y) - grad_x g_B(x, z)))
//!   lambda += delta_lambda_k
//!
//! z lives in the lane's v (the slot of the other methods' linear-system iterate) and lambda
//! in its memory, starting at `lambda0`. The x step takes both x-gradients of g on one batch
//! B, the lower batch of the last inner step (zeta_{T-1}), so that it is the x-gradient of
//! one batch's penalty f(x, y) + lambda (g_B(x, y) - g_B(x, z)) at the new y and z. It reads
//! no samples in the problems where g and f depend on x only through the coupling and
//! nu |x|^2 / 2; with per-sample weights (data hyper-cleaning) it reads B's rows again.
//!
//! benchopt's `F2SA` maps as: step_size -> beta and gamma, step_size / outer_ratio -> alpha,
//! lmbda0 -> lambda0, delta_lmbda -> delta_lambda, n_inner_steps -> T; its schedules are
//! beta = poly(c, 5/7), gamma = alpha = poly(c, 4/7), delta_lambda = poly(c, 1/7). y
//! is what sbo measures (its validation loss, its distance between neighbours): the
//! penalised solution that benchopt also reports.

use crate::algo::descriptor::{Algorithm, KernelFlags, KernelSpec, Setting::*, Theory};
use crate::algo::shared::{draw, last_lower, sub_scaled};
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
    let k = lane.t;
    if k == 0 {
        lane.m[0] = lane.setting(cfg, |c| c.lambda0);
    }
    let lam = lane.m[0];
    let alpha = lane.setting(cfg, |c| c.alpha.at(k));
    let beta = lane.setting(cfg, |c| c.beta.at(k));
    let gamma = lane.setting(cfg, |c| c.gamma.at(k));
    let (n, m) = (o.lower.n(), o.upper.n());
    let tt = cfg.inner_steps as u64;
    let wr = cfg.without_replacement;
    let ws = &mut lane.ws;
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
        let xi = draw(
            rng,
            stream::UPPER,
            i,
            m,
            cfg.batch_upper,
            wr,
            &mut ws.idx_upper,
        );
        o.grad_y_f(&lane.x, &lane.y, xi, &mut ws.u);
        let zeta2 = draw(
            rng,
            stream::HVP,
            i,
            n,
            cfg.batch_lower,
            wr,
            &mut ws.idx_extra,
        );
        o.grad_y_g(&lane.x, &lane.v, zeta2, &mut ws.hv);
        // y -= beta (lam g + u), coordinate by coordinate (the GPU twin's order).
        for ((y, g), u) in lane.y.iter_mut().zip(&ws.g).zip(&ws.u) {
            *y -= beta * (lam * *g + *u);
        }
        sub_scaled(&mut lane.v, gamma, &ws.hv);
    }
    o.grad_x_f(&lane.x, &lane.y, &mut ws.h);
    // Both x-gradients of g on one batch, the lower batch of the last inner step.
    let zeta = last_lower(cfg, &ws.idx_lower);
    o.grad_x_g(&lane.x, &lane.y, zeta, &mut ws.jv);
    o.grad_x_g(&lane.x, &lane.v, zeta, &mut ws.xb);
    for ((x, h), (gy, gz)) in lane.x.iter_mut().zip(&ws.h).zip(ws.jv.iter().zip(&ws.xb)) {
        *x -= alpha * (*h + lam * (*gy - *gz));
    }
    lane.m[0] = lam + lane.setting(cfg, |c| c.delta_lambda.at(k));
}

pub(crate) static F2SA: Algorithm = Algorithm {
    name: "f2sa",
    summary:
        "fully first-order: penalised Lagrangian, y and z by SGD, no Hessians (Kwon et al. 2023)",
    inner_key: "T",
    settings: &[
        Alpha,
        Beta,
        Gamma,
        BatchLower,
        BatchUpper,
        WithoutReplacement,
        InnerSteps,
        Lambda0,
        DeltaLambda,
    ],
    // benchopt's step size 0.01, lmbda0 1 and 10 inner steps, with constant steps and a
    // fixed penalty: benchopt's growing penalty needs its shrinking steps (beta lambda L_g
    // must stay below 2), which a user sets together (`delta_lambda`, schedules).
    defaults: |c| {
        c.alpha = super::super::Schedule::Constant(0.01);
        c.beta = super::super::Schedule::Constant(0.01);
        c.gamma = super::super::Schedule::Constant(0.01);
        c.inner_steps = 10;
        c.lambda0 = 1.0;
        c.delta_lambda = super::super::Schedule::Constant(0.0);
    },
    step_f64: step::<f64>,
    step_f32: step::<f32>,
    pack_f64: Some(step::<Pack<f64>>),
    pack_f32: Some(step::<Pack<f32>>),
    // Per inner step: grad g at y and at z, grad f at y. The x step's partial derivatives
    // read no data and, like grad_x f everywhere in sbo, are not counted.
    nominal_counts: |c, bl, bu| {
        let t = c.inner_steps as u64;
        OracleCounts::new(2 * t, t, 0, 0, t * (2 * bl + bu))
    },
    extra_counts: None,
    refresh_period: None,
    unrolled_iterates: |_| 0,
    memory: |_, _| 1,
    kernel: KernelSpec {
        source: include_str!("../../../shaders/step_f2sa.wgsl"),
        classes: true,
        sample_weights: true,
        network: true,
        lane_threads: None,
        specialise: KernelFlags::of,
    },
    work: |c, s| {
        let t = c.inner_steps as f64;
        (t * (2.0 * work::grad(s, s.batch_lower) + work::grad(s, s.batch_upper)))
            .plus_vector_ops(t * 2.0 * s.d + 3.0 * s.d + s.p)
    },
    kappa_scaled: &[Alpha, Beta, Gamma],
    theory: Theory::NONE,
};
