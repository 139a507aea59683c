//! `aid-cg`: multi-loop. Per outer step k: D warm-started inner SGD steps on y, then Q
//! conjugate-gradient iterations on H_B v = grad_y f_xi with one batch B held fixed for the
//! whole solve (CG needs a fixed operator), warm-started from the previous v; then the x step
//! x+ = x - alpha (grad_x f - J v).
//!
//! CG stops early when the residual vanishes or when the operator shows non-positive
//! curvature along the search direction (possible on the nonconvex coupling), keeping the
//! last iterate: the usual truncated-CG safeguard.

use super::stocbio::STOCBIO;
use crate::algo::descriptor::{Algorithm, KernelFlags, KernelSpec, Setting::*, Theory};
use crate::algo::shared::{draw, sub_scaled};
use crate::algo::{AlgoConfig, LaneState, OracleCounts};
use crate::problem::Oracles;
use crate::real::{dot, Real};
use crate::rng::{stream, LaneRng};

/// Counts the Hessian-vector products CG used (1 + its iterations) into `counts`.
fn step<T: Real>(
    cfg: &AlgoConfig,
    o: &Oracles,
    rng: &LaneRng,
    lane: &mut LaneState<T>,
    counts: &mut OracleCounts,
) {
    let k = lane.t;
    let alpha = lane.setting(cfg, |c| c.alpha.at(k));
    let beta = lane.setting(cfg, |c| c.beta.at(k));
    let n = o.lower.n();
    let qq = cfg.terms;
    let wr = cfg.without_replacement;

    crate::algo::shared::inner_then_upper_grad(cfg, o, rng, lane, k, beta);
    let ws = &mut lane.ws;
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

    crate::algo::shared::implicit_x_step(cfg, o, lane, alpha);

    // CG may stop early: count the products it really computed.
    counts.hvp = hvps;
}

/// The multi-loop kernel with CG; inner steps, defaults and work as stocBiO's.
pub(crate) static AID_CG: Algorithm = Algorithm {
    name: "aid-cg",
    summary: "multi-loop: D inner SGD steps, Q conjugate-gradient iterations on one batch",
    settings: &[
        Alpha,
        Beta,
        BatchLower,
        BatchUpper,
        WithoutReplacement,
        InnerSteps,
        Terms,
    ],
    step_f64: step::<f64>,
    step_f32: step::<f32>,
    // CG stops per lane (its count of Hessian products differs between lanes), so
    // aid-cg's lanes are stepped one by one.
    pack_f64: None,
    pack_f32: None,
    // All Q iterations plus the initial residual, on one fixed CG batch that counts once.
    nominal_counts: |c, bl, bu| {
        let (t, q) = (c.inner_steps as u64, c.terms as u64);
        OracleCounts::new(t, 1, q + 1, 1, t * bl + bl + bu)
    },
    kernel: KernelSpec {
        source: STOCBIO.kernel.source,
        classes: true,
        sample_weights: true,
        network: true,
        lane_threads: None,
        specialise: |c| KernelFlags {
            cg: true,
            ..KernelFlags::of(c)
        },
    },
    kappa_scaled: &[Alpha, Beta, InnerSteps],
    theory: Theory::NONE,
    ..STOCBIO
};
