//! `ssgd`: single-timescale SGD with a one-step truncated hypergradient.
//!
//!   y+ = y - beta_t grad_y g_zeta(x, y)
//!   h  = grad_x f_xi(x, y+) - beta_t J_zeta(x, y) grad_y f_xi(x, y+)
//!   x+ = x - alpha_t h
//!
//! The operations run in exactly the order `tsgd` uses with T = 1, so the two agree bit for bit.

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
    let t = lane.t;
    let (alpha, beta) = (
        lane.setting(cfg, |c| c.alpha.at(t)),
        lane.setting(cfg, |c| c.beta.at(t)),
    );
    let (n, m) = (o.lower.n(), o.upper.n());
    let ws = &mut lane.ws;
    let d = lane.y.len();
    let zeta = draw(
        rng,
        stream::LOWER,
        t,
        n,
        cfg.batch_lower,
        cfg.without_replacement,
        &mut ws.idx_lower,
    );
    let xi = draw(
        rng,
        stream::UPPER,
        t,
        m,
        cfg.batch_upper,
        cfg.without_replacement,
        &mut ws.idx_upper,
    );

    // y+ in ys[..d]; the old y stays in lane.y until the end (J needs it).
    o.grad_y_g(&lane.x, &lane.y, zeta, &mut ws.g);
    let y_new = &mut ws.ys[..d];
    y_new.copy_from_slice(&lane.y);
    sub_scaled(y_new, beta, &ws.g);

    o.grad_y_f(&lane.x, y_new, xi, &mut ws.u);
    o.grad_x_f(&lane.x, y_new, &mut ws.h);
    o.jvp(
        &lane.x,
        &lane.y,
        &ws.u,
        last_lower(cfg, &ws.idx_lower),
        &mut ws.jv,
    );
    sub_scaled(&mut ws.h, beta, &ws.jv);
    sub_scaled(&mut lane.x, alpha, &ws.h);
    lane.y.copy_from_slice(&ws.ys[..d]);
}

pub(crate) static SSGD: Algorithm = Algorithm {
    name: "ssgd",
    summary: "single-timescale SGD with a one-step truncated hypergradient",
    inner_key: "T",
    settings: &[Alpha, Beta, BatchLower, BatchUpper, WithoutReplacement],
    defaults: |_| {},
    step_f64: step::<f64>,
    step_f32: step::<f32>,
    pack_f64: Some(step::<Pack<f64>>),
    pack_f32: Some(step::<Pack<f32>>),
    // Samples are counted when drawn: J shares the lower batch.
    nominal_counts: |_, bl, bu| OracleCounts::new(1, 1, 0, 1, bl + bu),
    extra_counts: None,
    refresh_period: None,
    unrolled_iterates: |_| 0,
    memory: |_, _| 0,
    kernel: KernelSpec {
        source: include_str!("../../../shaders/step_ssgd.wgsl"),
        classes: true,
        sample_weights: true,
        network: true,
        lane_threads: None,
        specialise: KernelFlags::of,
    },
    work: |_, s| {
        (work::grad(s, s.batch_lower) + work::grad(s, s.batch_upper)).plus_vector_ops(3.0 * s.d)
    },
    kappa_scaled: &[Alpha, Beta],
    theory: Theory::NONE,
};
