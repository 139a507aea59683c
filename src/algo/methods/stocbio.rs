//! `stocbio`: multi-loop. Per outer step k: D warm-started inner SGD steps on y, then a
//! Neumann series with Q terms and scale eta (a fresh batch per term), then the x step:
//!
//!   r = grad_y f_xi(x, y);  s = r;  for q = 1..Q-1: r -= eta H_{zeta_q}(x, y) r;  s += r
//!   v = eta s;   x+ = x - alpha (grad_x f_xi(x, y) - J(x, y) v)

use crate::algo::descriptor::{
    Algorithm, CostKind, KappaBound, KernelFlags, KernelSpec, Setting::*, Theory,
};
use crate::algo::lane::setting;
use crate::algo::shared::{multiloop_work, series, Neumann};
use crate::algo::{AlgoConfig, LaneState, OracleCounts};
use crate::problem::Oracles;
use crate::real::{Num, Pack};
use crate::rng::LaneRng;

fn step<T: Num>(
    cfg: &AlgoConfig,
    o: &Oracles,
    rng: &LaneRng,
    lane: &mut LaneState<T>,
    _: &mut OracleCounts,
) {
    multiloop_step(cfg, o, rng, lane, false);
}

/// The multi-loop step: D inner steps, grad_y f, the series (randomly truncated for bsa
/// and ttsa), the x step.
pub(crate) fn multiloop_step<T: Num>(
    cfg: &AlgoConfig,
    o: &Oracles,
    rng: &LaneRng,
    lane: &mut LaneState<T>,
    truncated: bool,
) {
    let k = lane.t;
    let alpha = lane.setting(cfg, |c| c.alpha.at(k));
    let beta = lane.setting(cfg, |c| c.beta.at(k));

    crate::algo::shared::inner_then_upper_grad(cfg, o, rng, lane, k, beta);
    let ws = &mut lane.ws;
    let scratch = Neumann {
        r: &mut ws.r,
        hv: &mut ws.hv,
        idx: &mut ws.idx_extra,
        eta: setting(&lane.lane_configs, cfg, |c| c.eta),
    };
    let (x, y) = (&lane.x, &lane.y);
    series(truncated, cfg, o, rng, k, x, y, &ws.u, scratch, &mut lane.v);

    crate::algo::shared::implicit_x_step(cfg, o, lane, alpha);
}

pub(crate) static STOCBIO: Algorithm = Algorithm {
    name: "stocbio",
    summary: "multi-loop: D inner SGD steps, a Q-term Neumann series (fresh batch per term)",
    inner_key: "D",
    settings: &[
        Alpha,
        Beta,
        BatchLower,
        BatchUpper,
        WithoutReplacement,
        InnerSteps,
        Terms,
        Eta,
    ],
    defaults: |c| {
        c.inner_steps = 10;
        c.terms = 10;
    },
    step_f64: step::<f64>,
    step_f32: step::<f32>,
    pack_f64: Some(step::<Pack<f64>>),
    pack_f32: Some(step::<Pack<f32>>),
    // Every Neumann term draws a fresh batch, and each counts.
    nominal_counts: |c, bl, bu| {
        let (t, q) = (c.inner_steps as u64, c.terms as u64);
        let hvp = q.saturating_sub(1);
        OracleCounts::new(t, 1, hvp, 1, t * bl + hvp * bl + bu)
    },
    extra_counts: None,
    refresh_period: None,
    unrolled_iterates: |_| 0,
    memory: |_, _| 0,
    kernel: KernelSpec {
        source: include_str!("../../../shaders/step_multiloop.wgsl"),
        classes: true,
        sample_weights: true,
        network: true,
        lane_threads: None,
        specialise: KernelFlags::of,
    },
    work: multiloop_work,
    kappa_scaled: &[Alpha, Beta, Eta, InnerSteps, Terms],
    theory: Theory {
        kappa_bounds: &[
            KappaBound {
                cost: CostKind::GradG,
                exponent: 9.0,
                source: "stocBiO (Ji, Yang, Liang, ICML 2021; as tabulated in Huang et al. 2022, Table 2): Gc(g) = O(kappa^9 eps^-2)",
            },
            KappaBound {
                cost: CostKind::GradF,
                exponent: 5.0,
                source: "stocBiO (Ji, Yang, Liang, ICML 2021; as tabulated in Huang et al. 2022, Table 2): Gc(f) = O(kappa^5 eps^-2)",
            },
            KappaBound {
                cost: CostKind::Jvp,
                exponent: 5.0,
                source: "stocBiO (Ji, Yang, Liang, ICML 2021; as tabulated in Huang et al. 2022, Table 2): JV(g) = O(kappa^5 eps^-2)",
            },
            KappaBound {
                cost: CostKind::Hvp,
                exponent: 6.0,
                source: "stocBiO (Ji, Yang, Liang, ICML 2021; as tabulated in Huang et al. 2022, Table 2): HV(g) = O(kappa^6 eps^-2), \
                         up to a log factor",
            },
        ],
        ..Theory::NONE
    },
};
