//! `stocbio`: multi-loop. Per outer step k: D warm-started inner SGD steps on y, then a
//! Neumann series with Q terms and scale eta (a fresh batch per term), then the x step:
//!
//!   r = grad_y f_xi(x, y);  s = r;  for q = 1..Q-1: r -= eta H_{zeta_q}(x, y) r;  s += r
//!   v = eta s;   x+ = x - alpha (grad_x f_xi(x, y) - J(x, y) v)

use super::{draw, samples, sub_scaled, AlgoConfig, LaneState};
use crate::problem::Oracles;
use crate::real::Real;
use crate::rng::{stream, LaneRng};

pub(super) fn step<T: Real>(cfg: &AlgoConfig, o: &Oracles, rng: &LaneRng, lane: &mut LaneState<T>) {
    let k = lane.t;
    let alpha = T::of(cfg.alpha.at(k));
    let beta = T::of(cfg.beta.at(k));
    let eta = T::of(cfg.eta);
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
    o.grad_y_f(&lane.x, &lane.y, xi, &mut ws.r);
    lane.v.copy_from_slice(&ws.r);
    for q in 1..qq {
        let zq = draw(
            rng,
            stream::NEUMANN,
            k * qq as u64 + q as u64,
            n,
            cfg.batch_lower,
            wr,
            &mut ws.idx_extra,
        );
        o.hvp(&lane.x, &lane.y, &ws.r, zq, &mut ws.hv);
        sub_scaled(&mut ws.r, eta, &ws.hv);
        for (s, r) in lane.v.iter_mut().zip(&ws.r) {
            *s += *r;
        }
    }
    lane.v.iter_mut().for_each(|s| *s *= eta);

    o.grad_x_f(&lane.x, &lane.y, &mut ws.h);
    o.jvp(&lane.x, &lane.y, &lane.v, &mut ws.jv);
    sub_scaled(&mut ws.h, T::one(), &ws.jv);
    sub_scaled(&mut lane.x, alpha, &ws.h);

    let c = &mut lane.counts;
    let (bl, bu) = (samples(cfg.batch_lower, n), samples(cfg.batch_upper, m));
    c.grad_g += dd as u64;
    c.grad_f += 1;
    c.hvp += qq as u64 - 1;
    c.jvp += 1;
    c.samples += dd as u64 * bl + (qq as u64 - 1) * bl + bu;
}
