//! The kappa study: for each algorithm configuration, what it costs to reach the target at
//! each condition number, and the exponent of cost ~ kappa^c beside the theory's.

use super::claim::Verdict;
use super::eps::{bootstrap_fit, cost_to_eps, EpsCost};
use super::fit::{ols_loglog, Fit};
use super::run_data::{ConfigData, RunData};
use crate::algo::{CostKind, Schedule, Setting};
use crate::metrics::Metric;
use crate::problem::exact::QuadraticConstants;
use serde::Serialize;

pub const KEY: &str = "data.kappa";

#[derive(Clone, Debug, Serialize)]
pub struct KappaPoint {
    pub kappa: f64,
    pub config: String,
    /// Step sizes the lanes ran with at this kappa.
    pub alpha: String,
    pub beta: String,
    /// "–" for an algorithm that has no such setting (likewise T/D and Q below).
    pub gamma: String,
    /// T or D, and Q, at this kappa.
    pub inner_steps: String,
    pub terms: String,
    pub cost: EpsCost,
}

/// One exponent of cost ~ kappa^c and the bound it is compared with.
#[derive(Clone, Debug, Serialize)]
pub struct KappaFit {
    pub cost: CostKind,
    /// Least squares on log-log axes over the kappas where eps was reached; the interval is
    /// a percentile bootstrap over seeds (the same seeds drawn at every kappa).
    pub fit: Option<Fit>,
    /// (exponent, source) of the algorithm's bound on this kind of cost.
    pub bound: Option<(f64, &'static str)>,
    /// "cost grows no faster than kappa^bound": holds when the whole interval is at or below
    /// it, does not hold when all of it is above; inconclusive rather than "holds" when a
    /// larger kappa was not reached (the cost that outgrows a bound is the one that is
    /// missing from the fit).
    pub verdict: Verdict,
    /// A kappa beyond the fitted range did not reach eps.
    pub censored: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct KappaCurve {
    /// The configuration within a variant (`ssaid[alpha=0.1]`), or `ssaid (tuned per kappa)`.
    pub algo_label: String,
    pub algorithm: String,
    /// Made of the configuration that reached eps cheapest at each kappa on the selection
    /// seeds, measured on the others.
    pub tuned: bool,
    pub points: Vec<KappaPoint>,
    pub fits: Vec<KappaFit>,
}

/// The problem's constants at one kappa (from `summary.json`).
#[derive(Clone, Copy, Debug, Serialize)]
pub struct KappaConstants {
    pub kappa: f64,
    pub constants: QuadraticConstants,
}

/// The algorithm's bound on `kind`, if its analysis gives one.
pub fn bound(algorithm: &str, kind: CostKind) -> Option<(f64, &'static str)> {
    crate::algo::AlgoKind::parse(algorithm).ok().and_then(|k| {
        k.descriptor()
            .theory
            .kappa_bounds
            .iter()
            .find(|b| b.cost == kind)
            .map(|b| (b.exponent, b.source))
    })
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

/// eps of a configuration: `report.target`, or `report.relative_target` times its initial
/// seed-mean `metric` (which moves with kappa; the report says so).
pub fn eps_of(run: &RunData, c: &ConfigData, metric: Metric) -> Option<f64> {
    super::target::resolve_target(run, c, metric)
}

/// The problem's constants per kappa, where the run recorded them (quadratic problems).
pub fn constants(run: &RunData) -> Vec<KappaConstants> {
    let mut out: Vec<KappaConstants> = run
        .summary
        .variants
        .iter()
        .filter_map(|v| {
            let kappa = v
                .values
                .iter()
                .find(|(k, _)| k == KEY)
                .and_then(|(_, x)| x.parse().ok())?;
            Some(KappaConstants {
                kappa,
                constants: v.data.constants?,
            })
        })
        .collect();
    out.sort_by(|a, b| a.kappa.total_cmp(&b.kappa));
    out.dedup_by(|a, b| a.kappa == b.kappa);
    out
}

fn point(run: &RunData, c: &ConfigData, metric: Metric, seeds: &[usize]) -> Option<KappaPoint> {
    let eps = eps_of(run, c, metric)?;
    let reads = c.settings.kind.descriptor().settings;
    let shown = |s: Setting, text: String| {
        if reads.contains(&s) {
            text
        } else {
            "–".to_string()
        }
    };
    Some(KappaPoint {
        kappa: c.variant_value(KEY)?,
        config: c.label.clone(),
        alpha: short(&c.settings.alpha),
        beta: short(&c.settings.beta),
        gamma: shown(Setting::Gamma, short(&c.settings.gamma)),
        inner_steps: shown(Setting::InnerSteps, c.settings.inner_steps.to_string()),
        terms: shown(Setting::Terms, c.settings.terms.to_string()),
        cost: cost_to_eps(run, c, metric, eps, seeds),
    })
}

/// The exponent of `kind` over the kappas where every point reached eps, with a percentile
/// bootstrap interval over `seeds` (each draw resamples the seeds once, for every kappa).
fn fit_kind(
    run: &RunData,
    metric: Metric,
    cfgs: &[&ConfigData],
    points: &[KappaPoint],
    seeds: &[usize],
    kind: CostKind,
) -> Option<Fit> {
    let used: Vec<usize> = (0..points.len())
        .filter(|&i| points[i].cost.step.is_some())
        .collect();
    let x: Vec<f64> = used.iter().map(|&i| points[i].kappa).collect();
    let res: Vec<f64> = used.iter().map(|&i| points[i].cost.resolution).collect();
    bootstrap_fit(&x, &res, seeds, kind as u64, |j, draw| {
        let i = used[j];
        let c = cost_to_eps(run, cfgs[i], metric, points[i].cost.eps, draw);
        c.step.map(|_| c.cost(kind))
    })
}

fn curve(
    run: &RunData,
    metric: Metric,
    label: String,
    tuned: bool,
    cfgs: Vec<&ConfigData>,
    points: Vec<KappaPoint>,
    seeds: &[usize],
) -> KappaCurve {
    let algorithm = cfgs.first().map_or(String::new(), |c| c.algorithm.clone());
    let reached_max = points
        .iter()
        .filter(|p| p.cost.step.is_some())
        .map(|p| p.kappa)
        .fold(f64::NEG_INFINITY, f64::max);
    let censored = points
        .iter()
        .any(|p| p.cost.step.is_none() && !p.cost.at_start && p.kappa > reached_max);
    let fits = CostKind::ALL
        .iter()
        .map(|&kind| {
            let fit = fit_kind(run, metric, &cfgs, &points, seeds, kind);
            let bound = bound(&algorithm, kind);
            let verdict =
                super::eps::against_bound(fit, bound.map(|b| b.0)).unless_censored(censored);
            KappaFit {
                cost: kind,
                fit,
                bound,
                verdict,
                censored,
            }
        })
        .collect();
    KappaCurve {
        algo_label: label,
        algorithm,
        tuned,
        points,
        fits,
    }
}

/// One curve per configuration along kappa, and per algorithm with more than one
/// configuration a curve tuned per kappa.
pub fn curves(run: &RunData, metric: Metric) -> Vec<KappaCurve> {
    let (pick, report) = run.seed_split();
    let mut out = Vec::new();
    let groups = run.groups_along(KEY);
    for (g, cs) in &groups {
        // Configured curves are not selected: every seed measures them.
        let all: Vec<usize> = (0..run.seeds.len()).collect();
        let pts: Vec<(KappaPoint, &ConfigData)> = cs
            .iter()
            .filter_map(|c| point(run, c, metric, &all).map(|p| (p, *c)))
            .collect();
        let (points, cfgs): (Vec<_>, Vec<_>) = pts.into_iter().unzip();
        out.push(curve(run, metric, g.clone(), false, cfgs, points, &all));
    }
    // Tuned per kappa: among an algorithm's configurations (in the same other variant
    // values), the one with the fewest oracle calls to eps on the selection seeds.
    let mut algos: Vec<(String, String)> = Vec::new();
    for c in run
        .configs
        .iter()
        .filter(|c| c.variant_value(KEY).is_some())
    {
        let key = (c.variant_without(KEY), c.algorithm.clone());
        if !algos.contains(&key) {
            algos.push(key);
        }
    }
    for (rest, algorithm) in algos {
        let members: Vec<&ConfigData> = run
            .configs
            .iter()
            .filter(|c| {
                c.variant_value(KEY).is_some()
                    && c.algorithm == algorithm
                    && c.variant_without(KEY) == rest
            })
            .collect();
        let mut kappas: Vec<f64> = members
            .iter()
            .filter_map(|c| c.variant_value(KEY))
            .collect();
        kappas.sort_by(f64::total_cmp);
        kappas.dedup();
        if members.len() <= kappas.len() {
            continue; // one configuration per kappa: nothing to tune
        }
        let mut cfgs = Vec::new();
        let mut points = Vec::new();
        for k in kappas {
            let best = members
                .iter()
                .filter(|c| c.variant_value(KEY) == Some(k))
                .filter_map(|c| {
                    let p = point(run, c, metric, &pick)?;
                    let calls = p.cost.cost(CostKind::OracleCalls);
                    calls.is_finite().then_some((calls, *c))
                })
                .min_by(|a, b| a.0.total_cmp(&b.0));
            if let Some((_, c)) = best {
                if let Some(p) = point(run, c, metric, &report) {
                    cfgs.push(c);
                    points.push(p);
                }
            }
        }
        let label = if rest.is_empty() {
            format!("{algorithm} (tuned per kappa)")
        } else {
            format!("{rest} | {algorithm} (tuned per kappa)")
        };
        out.push(curve(run, metric, label, true, cfgs, points, &report));
    }
    out
}

/// The exponent of a constant against kappa (regime check: does the family exercise the
/// worst case the bounds are about?).
pub fn constant_exponent(
    rows: &[KappaConstants],
    f: impl Fn(&QuadraticConstants) -> f64,
) -> Option<f64> {
    let x: Vec<f64> = rows.iter().map(|r| r.kappa).collect();
    let y: Vec<f64> = rows.iter().map(|r| f(&r.constants)).collect();
    ols_loglog(&x, &y).map(|(s, ..)| s)
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
