//! `aid-cg`: multi-loop. Per outer step k: D warm-started inner SGD steps on y, then Q
//! conjugate-gradient iterations on H_B v = grad_y f_xi with one batch B held fixed for the
//! whole solve (CG needs a fixed operator), warm-started from the previous v; then the x step
//! x+ = x - alpha (grad_x f - J v).
//!
//! CG stops early when the residual vanishes or when the operator shows non-positive
//! curvature along the search direction (possible on the nonconvex coupling), keeping the
//! last iterate: the usual truncated-CG safeguard.

use super::{draw, samples, sub_scaled, AlgoConfig, LaneState};
use crate::problem::Oracles;
use crate::real::{dot, Real};
use crate::rng::{stream, LaneRng};

pub(super) fn step<T: Real>(cfg: &AlgoConfig, o: &Oracles, rng: &LaneRng, lane: &mut LaneState<T>) {
    let k = lane.t;
    let alpha = T::of(cfg.alpha.at(k));
    let beta = T::of(cfg.beta.at(k));
    let (n, m) = (o.lower.n(), o.upper.n());
    let (dd, qq) = (cfg.inner_steps, cfg.terms);
    let ws = &mut lane.ws;
    let wr = cfg.without_replacement;

    super::inner_sgd(
        o,
        rng,
        &lane.x,
        &mut lane.y,
        &mut ws.g,
        &mut ws.idx_lower,
        cfg,
        k,
        beta,
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
    o.grad_y_f(&lane.x, &lane.y, xi, &mut ws.u);
    let bb = draw(
        rng,
        stream::HVP,
        k,
        n,
        cfg.batch_lower,
        wr,
        &mut ws.idx_extra,
    );

    // r = b - H v;  dir = r.
    o.hvp(&lane.x, &lane.y, &lane.v, bb, &mut ws.hv);
    let mut hvps = 1u64;
    for ((r, b), hv) in ws.r.iter_mut().zip(&ws.u).zip(&ws.hv) {
        *r = *b - *hv;
    }
    ws.dir.copy_from_slice(&ws.r);
    let mut rs = dot(&ws.r, &ws.r);
    for _ in 0..qq {
        if rs == T::zero() {
            break;
        }
        o.hvp(&lane.x, &lane.y, &ws.dir, bb, &mut ws.hv);
        hvps += 1;
        let curv = dot(&ws.dir, &ws.hv);
        // Also stops on a NaN curvature (`partial_cmp` is None).
        if curv.partial_cmp(&T::zero()) != Some(std::cmp::Ordering::Greater) {
            break;
        }
        let a = rs / curv;
        for (v, p) in lane.v.iter_mut().zip(&ws.dir) {
            *v += a * *p;
        }
        sub_scaled(&mut ws.r, a, &ws.hv);
        let rs_new = dot(&ws.r, &ws.r);
        let b = rs_new / rs;
        for (p, r) in ws.dir.iter_mut().zip(&ws.r) {
            *p = *r + b * *p;
        }
        rs = rs_new;
    }

    o.grad_x_f(&lane.x, &lane.y, &mut ws.h);
    o.jvp(&lane.x, &lane.y, &lane.v, &mut ws.jv);
    sub_scaled(&mut ws.h, T::one(), &ws.jv);
    sub_scaled(&mut lane.x, alpha, &ws.h);

    let c = &mut lane.counts;
    let (bl, bu) = (samples(cfg.batch_lower, n), samples(cfg.batch_upper, m));
    c.grad_g += dd as u64;
    c.grad_f += 1;
    c.hvp += hvps;
    c.jvp += 1;
    c.samples += dd as u64 * bl + hvps * bl + bu;
}
