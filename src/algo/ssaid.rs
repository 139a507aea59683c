//! `ssaid`: single-loop stochastic approximate implicit differentiation (SOBA form), all
//! three updates at the same point (x, y, v):
//!
//!   y+ = y - beta_t  grad_y g_zeta(x, y)
//!   v+ = v - gamma_t (H_zeta'(x, y) v - grad_y f_xi(x, y))
//!   x+ = x - alpha_t (grad_x f_xi(x, y) - J(x, y) v)
//!
//! zeta' = zeta unless `independent_hvp_batch`. J needs no batch (only the coupling depends
//! on x). An optional radius projects v back onto a ball, as in the analysis of SSAID.

use super::{draw, sub_scaled, AlgoConfig, LaneState};
use crate::problem::Oracles;
use crate::real::Real;
use crate::rng::{stream, LaneRng};

pub(super) fn step<T: Real>(cfg: &AlgoConfig, o: &Oracles, rng: &LaneRng, lane: &mut LaneState<T>) {
    let t = lane.t;
    let alpha = T::of(cfg.alpha.at(t));
    let beta = T::of(cfg.beta.at(t));
    let gamma = T::of(cfg.gamma.at(t));
    let (n, m) = (o.lower.n(), o.upper.n());
    let ws = &mut lane.ws;
    let wr = cfg.without_replacement;

    let zeta = draw(
        rng,
        stream::LOWER,
        t,
        n,
        cfg.batch_lower,
        wr,
        &mut ws.idx_lower,
    );
    if cfg.independent_hvp_batch {
        o.grad_y_g(&lane.x, &lane.y, zeta, &mut ws.g);
        let zh = draw(
            rng,
            stream::HVP,
            t,
            n,
            cfg.batch_lower,
            wr,
            &mut ws.idx_extra,
        );
        o.hvp(&lane.x, &lane.y, &lane.v, zh, &mut ws.hv);
    } else {
        o.grad_and_hvp(&lane.x, &lane.y, &lane.v, zeta, &mut ws.g, &mut ws.hv);
    }
    let xi = draw(
        rng,
        stream::UPPER,
        t,
        m,
        cfg.batch_upper,
        wr,
        &mut ws.idx_upper,
    );
    o.grad_y_f(&lane.x, &lane.y, xi, &mut ws.u);
    o.grad_x_f(&lane.x, &lane.y, &mut ws.h);
    o.jvp(&lane.x, &lane.y, &lane.v, &mut ws.jv);

    sub_scaled(&mut lane.y, beta, &ws.g);
    // hv <- H v - grad_y f, then v -= gamma * hv.
    sub_scaled(&mut ws.hv, T::one(), &ws.u);
    sub_scaled(&mut lane.v, gamma, &ws.hv);
    if let Some(r) = cfg.v_radius {
        let norm = crate::real::dot(&lane.v, &lane.v).sqrt();
        let r = T::of(r);
        if norm > r {
            let s = r / norm;
            lane.v.iter_mut().for_each(|v| *v *= s);
        }
    }
    // h <- grad_x f - J v, then x -= alpha * h.
    sub_scaled(&mut ws.h, T::one(), &ws.jv);
    sub_scaled(&mut lane.x, alpha, &ws.h);
}
