//! `ttsa`: two-timescale stochastic approximation (Hong, Wai, Wang and Yang, "A Two-Timescale
//! Stochastic Algorithm Framework for Bilevel Optimization", SIAM J. Optim. 2023). bsa's step
//! with one inner step: y takes one SGD step, then x steps along the hypergradient estimate
//! with the randomly truncated series at the new y,
//!
//!   y+ = y - beta grad_y g_zeta(x, y);  b = grad_y f_xi(x, y+);  v = Q eta r (as bsa);
//!   x+ = x - alpha (grad_x f(x, y+) - J(x, y+) v)
//!
//! on two timescales: benchopt's `TTSA` takes beta = poly(c, 0.4) and alpha = poly(c, 0.6)
//! (step_size and step_size / outer_ratio), eta = step_size (its hia_lr), n_hia_steps -> Q.
//! `T`/`D` are not read: there is one inner step.

use super::bsa::{self, BSA};
use crate::algo::descriptor::{Algorithm, KernelFlags, KernelSpec, Setting::*};
use crate::algo::{AlgoConfig, LaneState, OracleCounts, Schedule};
use crate::problem::Oracles;
use crate::real::{Num, Pack};
use crate::rng::LaneRng;

fn step<T: Num>(
    cfg: &AlgoConfig,
    o: &Oracles,
    rng: &LaneRng,
    lane: &mut LaneState<T>,
    counts: &mut OracleCounts,
) {
    let one = AlgoConfig {
        inner_steps: 1,
        ..cfg.clone()
    };
    bsa::step(&one, o, rng, lane, counts);
}

pub(crate) static TTSA: Algorithm = Algorithm {
    name: "ttsa",
    summary: "two timescales: one y step, then x with a randomly truncated Neumann series (Hong et al. 2023)",
    settings: &[
        Alpha,
        Beta,
        BatchLower,
        BatchUpper,
        WithoutReplacement,
        Terms,
        Eta,
    ],
    // benchopt's schedules at its default step_size 0.1.
    defaults: |c| {
        c.alpha = Schedule::Poly(0.1, 0.6);
        c.beta = Schedule::Poly(0.1, 0.4);
        c.eta = 0.1;
        c.terms = 10;
        c.inner_steps = 1;
    },
    step_f64: step::<f64>,
    step_f32: step::<f32>,
    pack_f64: Some(step::<Pack<f64>>),
    pack_f32: Some(step::<Pack<f32>>),
    nominal_counts: |_, bl, bu| OracleCounts::new(1, 1, 0, 1, bl + bu),
    kernel: KernelSpec {
        source: BSA.kernel.source,
        classes: true,
        sample_weights: true,
        network: true,
        lane_threads: None,
        specialise: |c| KernelFlags {
            inner_steps: 1,
            truncated: true,
            ..KernelFlags::of(c)
        },
    },
    work: |c, s| {
        bsa::truncated_work(
            &AlgoConfig {
                inner_steps: 1,
                ..c.clone()
            },
            s,
        )
    },
    kappa_scaled: &[Alpha, Beta, Eta, Terms],
    ..BSA
};
