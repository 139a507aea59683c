//! The kappa study: for each algorithm configuration, what it costs to reach the target at
//! each condition number, and the exponent of cost ~ kappa^c beside the theory's.

use super::fit::{fit_seeds, Fit};
use super::run_data::RunData;
use super::target::{resolve_target, time_to_target, TargetHit};
use crate::algo::Schedule;
use crate::metrics::Metric;
use serde::Serialize;

pub const KEY: &str = "data.kappa";

#[derive(Clone, Debug, Serialize)]
pub struct KappaPoint {
    pub kappa: f64,
    pub config: String,
    /// Step sizes the lanes ran with at this kappa.
    pub alpha: String,
    pub beta: String,
    pub gamma: String,
    /// T or D, and Q, at this kappa.
    pub inner_steps: usize,
    pub terms: usize,
    pub hit: TargetHit,
}

#[derive(Clone, Debug, Serialize)]
pub struct KappaCurve {
    /// The configuration within a variant (`ssaid[alpha=0.1]`).
    pub algo_label: String,
    pub algorithm: String,
    pub points: Vec<KappaPoint>,
    /// Exponent of oracle calls to target ~ kappa^c, over the kappas every seed reached.
    pub fit: Option<Fit>,
}

/// The exponent of the oracle complexity bound the literature gives for an algorithm, with
/// its source; the biased (truncated) methods and the deterministic CG baseline have none
/// in this setting.
pub fn theory_exponent(algorithm: &str) -> Option<(f64, &'static str)> {
    crate::algo::AlgoKind::parse(algorithm)
        .ok()
        .and_then(|k| k.descriptor().theory.kappa_exponent)
}

/// A schedule with 4 significant digits (scaled step sizes are not round numbers).
fn short(s: &Schedule) -> String {
    let g = |c: f64| {
        // `{}` of an f64 has no trailing zeros to trim (10 stays "10").
        format!("{}", (c * 1e4).round() / 1e4)
    };
    let sig = |c: f64| {
        if c != 0.0 && c.abs() < 1e-3 {
            format!("{c:.3e}")
        } else {
            g(c)
        }
    };
    match *s {
        Schedule::Constant(c) => sig(c),
        Schedule::Poly(c, e) => format!("poly({}, {e})", sig(c)),
        Schedule::Inv(c) => format!("inv({})", sig(c)),
    }
}

/// Whether the run is a kappa study (`data.kappa` in `[vary]`).
pub fn is_kappa_study(run: &RunData) -> bool {
    run.configs.iter().any(|c| c.variant_value(KEY).is_some())
}

pub fn curves(run: &RunData, metric: Metric) -> Vec<KappaCurve> {
    run.groups_along(KEY)
        .into_iter()
        .map(|(g, cs)| {
            let points: Vec<KappaPoint> = cs
                .iter()
                .filter_map(|c| {
                    let target = resolve_target(run, c, metric)?;
                    Some(KappaPoint {
                        kappa: c.variant_value(KEY)?,
                        config: c.label.clone(),
                        alpha: short(&c.settings.alpha),
                        beta: short(&c.settings.beta),
                        gamma: short(&c.settings.gamma),
                        inner_steps: c.settings.inner_steps,
                        terms: c.settings.terms,
                        hit: time_to_target(run, c, metric, target),
                    })
                })
                .collect();
            // Only kappas every seed reached enter the fit: a mean over the seeds that happened
            // to make it would understate the cost exactly where it is largest.
            let full: Vec<&KappaPoint> = points
                .iter()
                .filter(|p| p.hit.reached == p.hit.seeds && p.hit.seeds > 0)
                .collect();
            let x: Vec<f64> = full.iter().map(|p| p.kappa).collect();
            let n_seeds = full
                .iter()
                .map(|p| p.hit.oracle_calls_per_seed.len())
                .min()
                .unwrap_or(0);
            let ys: Vec<Vec<f64>> = (0..n_seeds)
                .map(|s| {
                    full.iter()
                        .map(|p| p.hit.oracle_calls_per_seed[s])
                        .collect()
                })
                .collect();
            KappaCurve {
                algo_label: g,
                algorithm: cs[0].algorithm.clone(),
                fit: fit_seeds(&x, &ys),
                points,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scaled_steps_print_without_losing_digits() {
        assert_eq!(short(&Schedule::Constant(10.0)), "10");
        assert_eq!(short(&Schedule::Constant(100.0)), "100");
        assert_eq!(short(&Schedule::Constant(0.031645)), "0.0316");
        assert_eq!(short(&Schedule::Constant(1e-4)), "1.000e-4");
        assert_eq!(short(&Schedule::Poly(20.0, 0.6)), "poly(20, 0.6)");
    }
}
