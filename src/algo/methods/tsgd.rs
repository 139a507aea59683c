//! `tsgd` (two-timescale SGD, warm-started inner loop) and `ud` (the same with the inner
//! variable reset to y_init at every outer step).
//!
//!   y^0 = y_k (tsgd) or y_init (ud);  y^{s+1} = y^s - beta_k grad_y g_{zeta_s}(x_k, y^s)
//!   u = grad_y f_xi(x_k, y^T);  h = grad_x f_xi(x_k, y^T)
//!   for s = T-1 down to 0:
//!     h -= beta_k J_{zeta_s}(x_k, y^s) u;  u -= beta_k H_{zeta_s}(x_k, y^s) u
//!   x_{k+1} = x_k - alpha_k h;  y_{k+1} = y^T
//!
//! Both products of step s are taken on zeta_s, the batch of the inner step they differentiate
//! (d y^{s+1} / d x = -beta_k J_{zeta_s}(x_k, y^s)). J ignores the batch unless x weighs the
//! lower samples (data hyper-cleaning), where it must be zeta_s and not the batch drawn last.
//! The batch zeta_s is drawn again (same counter, same indices) on the way back, before both
//! products, instead of being stored: counter-based draws make that free of state. The last H
//! product (s = 0) does not affect h and is skipped.

use crate::algo::descriptor::{Algorithm, KernelFlags, KernelSpec, Setting::*, Theory};
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
    reset: bool,
) {
    let k = lane.t;
    let tt = cfg.inner_steps;
    let (alpha, beta) = (
        lane.setting(cfg, |c| c.alpha.at(k)),
        lane.setting(cfg, |c| c.beta.at(k)),
    );
    let (n, m) = (o.lower.n(), o.upper.n());
    let d = lane.y.len();
    let ws = &mut lane.ws;
    let lower_step = |s: usize| k * tt as u64 + s as u64;

    // ys holds y^0..y^{T} back to back; forward pass.
    ws.ys[..d].copy_from_slice(if reset { &lane.y_init } else { &lane.y });
    for s in 0..tt {
        let zeta = draw(
            rng,
            stream::LOWER,
            lower_step(s),
            n,
            cfg.batch_lower,
            cfg.without_replacement,
            &mut ws.idx_lower,
        );
        let (prev, next) = ws.ys.split_at_mut((s + 1) * d);
        let ys = &prev[s * d..];
        o.grad_y_g(&lane.x, ys, zeta, &mut ws.g);
        let yn = &mut next[..d];
        yn.copy_from_slice(ys);
        sub_scaled(yn, beta, &ws.g);
    }

    // Backward pass through the T inner steps.
    let y_t = &ws.ys[tt * d..(tt + 1) * d];
    let xi = draw(
        rng,
        stream::UPPER,
        k,
        m,
        cfg.batch_upper,
        cfg.without_replacement,
        &mut ws.idx_upper,
    );
    o.grad_y_f(&lane.x, y_t, xi, &mut ws.u);
    o.grad_x_f(&lane.x, y_t, &mut ws.h);
    for s in (0..tt).rev() {
        let ys = &ws.ys[s * d..(s + 1) * d];
        // zeta_s again (the forward pass's indices), for J and H of step s alike.
        let zeta = draw(
            rng,
            stream::LOWER,
            lower_step(s),
            n,
            cfg.batch_lower,
            cfg.without_replacement,
            &mut ws.idx_lower,
        );
        o.jvp(&lane.x, ys, &ws.u, zeta, &mut ws.jv);
        sub_scaled(&mut ws.h, beta, &ws.jv);
        if s > 0 {
            o.hvp(&lane.x, ys, &ws.u, zeta, &mut ws.hv);
            sub_scaled(&mut ws.u, beta, &ws.hv);
        }
    }
    sub_scaled(&mut lane.x, alpha, &ws.h);
    lane.y.copy_from_slice(&ws.ys[tt * d..(tt + 1) * d]);
}

fn step_tsgd<T: Num>(
    cfg: &AlgoConfig,
    o: &Oracles,
    rng: &LaneRng,
    lane: &mut LaneState<T>,
    _: &mut OracleCounts,
) {
    step(cfg, o, rng, lane, false)
}

fn step_ud<T: Num>(
    cfg: &AlgoConfig,
    o: &Oracles,
    rng: &LaneRng,
    lane: &mut LaneState<T>,
    _: &mut OracleCounts,
) {
    step(cfg, o, rng, lane, true)
}

/// T forward gradients, one upper gradient, T - 1 Hessian products and T Jacobian products;
/// the backward pass redraws the forward batches (J and H of step s on zeta_s), which count
/// once.
fn counts(c: &AlgoConfig, bl: u64, bu: u64) -> OracleCounts {
    let t = c.inner_steps as u64;
    OracleCounts::new(t, 1, t.saturating_sub(1), t, t * bl + bu)
}

fn tsgd_work(
    c: &AlgoConfig,
    s: &crate::algo::descriptor::WorkShape,
) -> crate::algo::descriptor::Work {
    let t = c.inner_steps as f64;
    let data = t * work::grad(s, s.batch_lower)
        + work::grad(s, s.batch_upper)
        + (t - 1.0).max(0.0) * work::hvp(s, s.batch_lower);
    // The saved inner iterates: T + 1 written, T read per outer step.
    let scratch = ((t + 1.0) * s.d + t * s.d) * 4.0;
    let w = data.plus_vector_ops(3.0 * t * s.d + s.p);
    crate::algo::descriptor::Work {
        flops: w.flops,
        bytes: w.bytes + scratch,
    }
}

pub(crate) static TSGD: Algorithm = Algorithm {
    name: "tsgd",
    summary: "two-timescale SGD: T warm-started inner steps, hypergradient through them",
    inner_key: "T",
    settings: &[
        Alpha,
        Beta,
        BatchLower,
        BatchUpper,
        WithoutReplacement,
        InnerSteps,
    ],
    defaults: |c| c.inner_steps = 8,
    step_f64: step_tsgd::<f64>,
    step_f32: step_tsgd::<f32>,
    pack_f64: Some(step_tsgd::<Pack<f64>>),
    pack_f32: Some(step_tsgd::<Pack<f32>>),
    nominal_counts: counts,
    extra_counts: None,
    refresh_period: None,
    unrolled_iterates: |c| c.inner_steps + 1,
    memory: |_, _| 0,
    kernel: KernelSpec {
        source: include_str!("../../../shaders/step_tsgd.wgsl"),
        classes: true,
        sample_weights: true,
        network: true,
        lane_threads: Some(include_str!("../../../shaders/step_tsgd_threads.wgsl")),
        specialise: KernelFlags::of,
    },
    work: tsgd_work,
    kappa_scaled: &[Alpha, Beta, InnerSteps],
    theory: Theory {
        unrolled_inner_steps: true,
        ..Theory::NONE
    },
};

/// tsgd with the inner variable reset: the same kernel with `RESET`, the same counts and work.
/// A network's y_init (seeded random weights, not one constant) is kept in the lane's memory
/// for the GPU kernel, which copies y there at the first step; the CPU reads `y_init` and
/// leaves those d floats unused.
pub(crate) static UD: Algorithm = Algorithm {
    name: "ud",
    summary: "unrolled differentiation: tsgd with y re-initialised at every outer step",
    step_f64: step_ud::<f64>,
    step_f32: step_ud::<f32>,
    pack_f64: Some(step_ud::<Pack<f64>>),
    pack_f32: Some(step_ud::<Pack<f32>>),
    kernel: KernelSpec {
        source: TSGD.kernel.source,
        classes: true,
        sample_weights: true,
        network: true,
        lane_threads: Some(include_str!("../../../shaders/step_tsgd_threads.wgsl")),
        specialise: |c| KernelFlags {
            reset: true,
            ..KernelFlags::of(c)
        },
    },
    theory: Theory {
        unrolled_inner_steps: true,
        reinitialised_twin_of: Some("tsgd"),
        ..Theory::NONE
    },
    memory: |_, s| if s.random_start { s.d } else { 0 },
    ..TSGD
};
