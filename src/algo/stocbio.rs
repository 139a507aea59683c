//! `stocbio`: multi-loop. Per outer step k: D warm-started inner SGD steps on y, then a
//! Neumann series with Q terms and scale eta (a fresh batch per term), then the x step:
//!
//!   r = grad_y f_xi(x, y);  s = r;  for q = 1..Q-1: r -= eta H_{zeta_q}(x, y) r;  s += r
//!   v = eta s;   x+ = x - alpha (grad_x f_xi(x, y) - J(x, y) v)

use super::{draw, sub_scaled, AlgoConfig, LaneState};
use crate::problem::Oracles;
use crate::real::Real;
use crate::rng::{stream, LaneRng};

pub(super) fn step<T: Real>(cfg: &AlgoConfig, o: &Oracles, rng: &LaneRng, lane: &mut LaneState<T>) {
    let k = lane.t;
    let alpha = T::of(cfg.alpha.at(k));
    let beta = T::of(cfg.beta.at(k));
    let eta = T::of(cfg.eta);
    let n = o.lower.n();
    let qq = cfg.terms;
    let wr = cfg.without_replacement;

    super::inner_then_upper_grad(cfg, o, rng, lane, k, beta);
    let ws = &mut lane.ws;
    ws.r.copy_from_slice(&ws.u);
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

    super::implicit_x_step(o, lane, alpha);
}
