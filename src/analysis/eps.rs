//! eps-stationarity as the convergence analyses state it: the average over the iterates
//! 0..t of E |grad F(x_t)|^2, E taken over seeds, at or below eps; and what reaching it cost,
//! per kind of cost. The kappa and eps studies fit exponents to these costs.
//!
//! The average over iterates is the trapezoid rule on the logging steps (resolution: the
//! logging grid, so such studies log on a geometric grid). A seed that diverged makes the mean
//! undefined from there on: that configuration does not reach eps.

use super::claim::Verdict;
use super::fit::{ols_loglog, Fit, FitMethod};
use super::run_data::{ConfigData, RunData};
use crate::algo::CostKind;
use crate::metrics::Metric;
use serde::Serialize;

/// The per-seed series a cost kind is read from (`None`: the logging step itself, or the
/// sum of the four oracle counts).
fn series_of(kind: CostKind) -> Option<Metric> {
    match kind {
        CostKind::Iterations | CostKind::OracleCalls => None,
        CostKind::Samples => Some(Metric::Samples),
        CostKind::GradG => Some(Metric::OracleGradG),
        CostKind::GradF => Some(Metric::OracleGradF),
        CostKind::Hvp => Some(Metric::OracleHvp),
        CostKind::Jvp => Some(Metric::OracleJvp),
    }
}

/// The average over iterates of the mean over `seeds` of `rows` (`rows[seed][log point]`),
/// at every logging step.
pub fn averaged(log_steps: &[u64], rows: &[Vec<f64>], seeds: &[usize]) -> Vec<f64> {
    let mean_at = |k: usize| -> f64 {
        if seeds.is_empty() {
            return f64::NAN;
        }
        seeds
            .iter()
            .map(|&s| {
                rows.get(s)
                    .and_then(|r| r.get(k))
                    .copied()
                    .unwrap_or(f64::NAN)
            })
            .sum::<f64>()
            / seeds.len() as f64
    };
    let mut out = Vec::with_capacity(log_steps.len());
    let mut area = 0.0;
    let mut prev: Option<(f64, f64)> = None;
    for (k, &t) in log_steps.iter().enumerate() {
        let m = mean_at(k);
        let t = t as f64;
        let avg = match prev {
            None => m,
            Some((t0, m0)) => {
                area += (t - t0) * 0.5 * (m + m0);
                let span = t - log_steps[0] as f64;
                if span > 0.0 {
                    area / span
                } else {
                    m
                }
            }
        };
        out.push(if avg.is_finite() { avg } else { f64::NAN });
        prev = Some((t, m));
        if !m.is_finite() {
            // Undefined from here on.
            area = f64::NAN;
        }
    }
    out
}

/// What a configuration paid to reach eps (means over the seeds used).
#[derive(Clone, Debug, Serialize)]
pub struct EpsCost {
    pub eps: f64,
    /// First logging step at which the averaged measure is <= eps (`None` also when it was
    /// there from the start: see `at_start`).
    pub step: Option<u64>,
    /// eps held at t = 0 already: nothing was paid, and there is no cost to fit.
    pub at_start: bool,
    /// Per [`CostKind::ALL`], the mean over the seeds at that step (NaN when not reached).
    pub costs: [f64; 7],
    /// The averaged measure at the last logging step (how close a miss was).
    pub final_average: f64,
    /// ln(t_k / t_{k-1}) at the crossing step t_k: the crossing happened somewhere after the
    /// previous logging step, so the log of every cost is known to within this much below.
    pub resolution: f64,
    pub seeds: usize,
}

impl EpsCost {
    pub fn cost(&self, kind: CostKind) -> f64 {
        let i = CostKind::ALL.iter().position(|k| *k == kind).unwrap_or(0);
        self.costs[i]
    }
}

/// The cost of `c` to reach `eps` on `metric` over `seeds` (indices into its per-seed rows).
pub fn cost_to_eps(
    run: &RunData,
    c: &ConfigData,
    metric: Metric,
    eps: f64,
    seeds: &[usize],
) -> EpsCost {
    let empty = Vec::new();
    let rows = c.per_seed.get(&metric).unwrap_or(&empty);
    let avg = averaged(&run.log_steps, rows, seeds);
    let hit = avg.iter().position(|v| v.is_finite() && *v <= eps);
    let mean_of = |m: Metric, k: usize| -> f64 {
        let r = c.per_seed.get(&m).unwrap_or(&empty);
        seeds
            .iter()
            .map(|&s| r.get(s).and_then(|x| x.get(k)).copied().unwrap_or(f64::NAN))
            .sum::<f64>()
            / seeds.len().max(1) as f64
    };
    let at_start = hit == Some(0);
    let costs = CostKind::ALL.map(|kind| match hit {
        None | Some(0) => f64::NAN,
        Some(k) => match (kind, series_of(kind)) {
            (CostKind::Iterations, _) => run.log_steps[k] as f64,
            (_, Some(m)) => mean_of(m, k),
            (_, None) => super::target::ORACLE_METRICS
                .iter()
                .map(|&m| {
                    let v = mean_of(m, k);
                    if v.is_finite() {
                        v
                    } else {
                        0.0
                    }
                })
                .sum(),
        },
    });
    let resolution = match hit {
        Some(k) if k > 0 => {
            let (t1, t0) = (run.log_steps[k] as f64, run.log_steps[k - 1].max(1) as f64);
            (t1 / t0).ln().max(0.0)
        }
        _ => 0.0,
    };
    EpsCost {
        eps,
        at_start,
        resolution,
        // Reached at the start: nothing was paid, and no cost to fit.
        step: hit.filter(|&k| k > 0).map(|k| run.log_steps[k]),
        costs,
        final_average: avg.last().copied().unwrap_or(f64::NAN),
        seeds: seeds.len(),
    }
}

/// Bootstrap draws behind an exponent's interval.
pub const DRAWS: usize = 1000;

/// Fewer seeds give no interval: with 2 or 3 the percentile bootstrap only spans the few
/// distinct resamples, not a 95 % interval.
pub const MIN_BOOTSTRAP_SEEDS: usize = 5;

/// SplitMix64: the bootstrap's reproducible draws.
struct Mix(u64);
impl Mix {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_add(crate::rng::SPLITMIX_GAMMA);
        let z = crate::rng::splitmix64(self.0);
        ((z as u128 * n as u128) >> 64) as usize
    }
}

/// The exponent c of cost ~ x^c by least squares on log-log axes over the points (`cost_at(i,
/// seeds)`: point i's cost on those seeds, `None` where eps is not reached), with a 95 %
/// percentile bootstrap interval: each draw resamples `seeds` once, for every point (seeds are
/// paired across points). The interval is left undefined when more than a tenth of the draws
/// miss eps somewhere: it would describe the lucky draws only.
pub fn bootstrap_fit(
    x: &[f64],
    resolution: &[f64],
    seeds: &[usize],
    salt: u64,
    cost_at: impl Fn(usize, &[usize]) -> Option<f64>,
) -> Option<Fit> {
    let y: Option<Vec<f64>> = (0..x.len()).map(|i| cost_at(i, seeds)).collect();
    let y = y?;
    let positive = |v: &f64| v.is_finite() && *v > 0.0;
    if !y.iter().all(positive) || !x.iter().all(positive) {
        return None;
    }
    let (slope, intercept, se, n) = ols_loglog(x, &y)?;
    let mut rng = Mix(0x5b0c_a11e ^ salt.rotate_left(17) ^ (x.len() as u64) << 40);
    let mut slopes = Vec::with_capacity(DRAWS);
    if seeds.len() >= 2 {
        for _ in 0..DRAWS {
            let draw: Vec<usize> = (0..seeds.len())
                .map(|_| seeds[rng.below(seeds.len())])
                .collect();
            let ys: Option<Vec<f64>> = (0..x.len()).map(|i| cost_at(i, &draw)).collect();
            if let Some((s, ..)) = ys.and_then(|ys| ols_loglog(x, &ys)) {
                slopes.push(s);
            }
        }
    }
    let (lo, hi) = if seeds.len() >= MIN_BOOTSTRAP_SEEDS
        && !slopes.is_empty()
        && slopes.len() * 10 >= DRAWS * 9
    {
        slopes.sort_by(f64::total_cmp);
        let q = |p: f64| slopes[((slopes.len() - 1) as f64 * p).round() as usize];
        (q(0.025), q(0.975))
    } else {
        (f64::NAN, f64::NAN)
    };
    // The logging grid: ln cost_i is known only within [ln c_i - res_i, ln c_i], and the
    // least-squares slope moves by sum w_i delta_i (w_i = (ln x_i - mean) / Sxx), so the
    // interval widens by the worst such shift on each side.
    let lx: Vec<f64> = x.iter().map(|v| v.ln()).collect();
    let mean = lx.iter().sum::<f64>() / lx.len() as f64;
    let sxx: f64 = lx.iter().map(|v| (v - mean).powi(2)).sum();
    let (mut down, mut up) = (0.0, 0.0);
    for (i, v) in lx.iter().enumerate() {
        let w = (v - mean) / sxx;
        let r = resolution.get(i).copied().unwrap_or(0.0);
        if w > 0.0 {
            down += w * r;
        } else {
            up += -w * r;
        }
    }
    let (lo, hi) = (lo - down, hi + up);
    Some(Fit {
        slope,
        ci_low: lo,
        ci_high: hi,
        intercept,
        points: n,
        seeds: seeds.len(),
        method: FitMethod::Bootstrap,
        se,
        df: 0,
    })
}

/// "The measured exponent is at most the bound": holds when the whole interval is at or
/// below it, does not hold when all of it is above, inconclusive otherwise; not judged
/// without a bound, an interval or 3 points.
pub fn against_bound(fit: Option<Fit>, bound: Option<f64>) -> Verdict {
    match (fit, bound) {
        (Some(f), Some(b)) if f.ci_low.is_finite() && f.points >= 3 => {
            if f.ci_high <= b {
                Verdict::Holds
            } else if f.ci_low > b {
                Verdict::Fails
            } else {
                Verdict::Inconclusive
            }
        }
        _ => Verdict::NotJudged,
    }
}

/// One configuration's cost to each eps of `report.eps`.
#[derive(Clone, Debug, Serialize)]
pub struct EpsCurve {
    pub config: String,
    pub algorithm: String,
    pub points: Vec<EpsCost>,
    /// Per cost kind: the exponent b of cost ~ (1/eps)^b, and the verdict against the
    /// analyses' eps^-2.
    pub fits: Vec<(CostKind, Option<Fit>, Verdict)>,
    /// An eps smaller than the fitted ones was not reached.
    pub censored: bool,
}

/// The exponent every analysis sbo cites gives in eps: O(eps^-2).
pub const EPS_BOUND: f64 = 2.0;

/// A curve from the configuration that runs at each eps (`cfgs[i]` for `eps[i]`: one
/// configuration throughout, or the one tuned for each eps), measured on `seeds`.
fn eps_curve(
    run: &RunData,
    metric: Metric,
    label: String,
    cfgs: &[&ConfigData],
    seeds: &[usize],
) -> EpsCurve {
    let eps = &run.config.report.eps;
    let algorithm = cfgs.first().map_or(String::new(), |c| c.algorithm.clone());
    let points: Vec<EpsCost> = eps
        .iter()
        .zip(cfgs)
        .map(|(&e, c)| cost_to_eps(run, c, metric, e, seeds))
        .collect();
    let used: Vec<usize> = (0..points.len())
        .filter(|&i| points[i].step.is_some())
        .collect();
    // A smaller eps than the fitted ones that was not reached: the cost there is the one
    // that could outgrow the bound.
    let smallest = used.iter().map(|&i| eps[i]).fold(f64::INFINITY, f64::min);
    let censored = (0..points.len())
        .any(|i| points[i].step.is_none() && !points[i].at_start && eps[i] < smallest);
    let x: Vec<f64> = used.iter().map(|&i| 1.0 / eps[i]).collect();
    let res: Vec<f64> = used.iter().map(|&i| points[i].resolution).collect();
    let bounded = crate::algo::AlgoKind::parse(&algorithm)
        .is_ok_and(|k| !k.descriptor().theory.kappa_bounds.is_empty());
    let fits = CostKind::ALL
        .iter()
        .map(|&kind| {
            let fit = bootstrap_fit(&x, &res, seeds, kind as u64, |j, draw| {
                let i = used[j];
                let p = cost_to_eps(run, cfgs[i], metric, eps[i], draw);
                p.step.map(|_| p.cost(kind))
            });
            let verdict =
                against_bound(fit, bounded.then_some(EPS_BOUND)).unless_censored(censored);
            (kind, fit, verdict)
        })
        .collect();
    EpsCurve {
        config: label,
        algorithm,
        points,
        fits,
        censored,
    }
}

/// Cost against eps for every configuration of the run (on every seed), and per algorithm
/// with several configurations a curve tuned per eps: at each eps the configuration that
/// reached it with the fewest oracle calls on the selection seeds, measured on the others
/// (empty without `report.eps`).
pub fn eps_curves(run: &RunData, metric: Metric) -> Vec<EpsCurve> {
    let eps = &run.config.report.eps;
    if eps.is_empty() {
        return Vec::new();
    }
    let n = run.seeds.len();
    let all: Vec<usize> = (0..n).collect();
    let mut out: Vec<EpsCurve> = run
        .configs
        .iter()
        .map(|c| eps_curve(run, metric, c.label.clone(), &vec![c; eps.len()], &all))
        .collect();
    let (pick, report) = run.seed_split();
    let mut groups: Vec<(Vec<(String, String)>, String)> = Vec::new();
    for c in run.configs.iter().filter(|c| !c.is_untuned()) {
        let key = (c.variant.clone(), c.algorithm.clone());
        if !groups.contains(&key) {
            groups.push(key);
        }
    }
    for (variant, algorithm) in groups {
        let members: Vec<&ConfigData> = run
            .configs
            .iter()
            .filter(|c| !c.is_untuned() && c.variant == variant && c.algorithm == algorithm)
            .collect();
        if members.len() < 2 {
            continue;
        }
        let cfgs: Vec<&ConfigData> = eps
            .iter()
            .map(|&e| {
                members
                    .iter()
                    .filter_map(|c| {
                        let calls =
                            cost_to_eps(run, c, metric, e, &pick).cost(CostKind::OracleCalls);
                        calls.is_finite().then_some((calls, *c))
                    })
                    .min_by(|a, b| a.0.total_cmp(&b.0))
                    // None reached this eps: any member stands for the miss.
                    .map_or(members[0], |(_, c)| c)
            })
            .collect();
        let prefix = variant
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(", ");
        let label = if prefix.is_empty() {
            format!("{algorithm} (tuned per eps)")
        } else {
            format!("{prefix} | {algorithm} (tuned per eps)")
        };
        out.push(eps_curve(run, metric, label, &cfgs, &report));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_average_over_iterates_is_the_trapezoid_rule() {
        // Mean over seeds: 4, 2, 1 at t = 0, 10, 30.
        let rows = vec![vec![5.0, 3.0, 1.0], vec![3.0, 1.0, 1.0]];
        let a = averaged(&[0, 10, 30], &rows, &[0, 1]);
        assert_eq!(a[0], 4.0);
        assert!((a[1] - 3.0).abs() < 1e-12); // (4 + 2) / 2
        assert!((a[2] - (30.0 + 30.0) / 30.0).abs() < 1e-12); // (10*3 + 20*1.5) / 30
                                                              // One seed alone.
        assert_eq!(averaged(&[0, 10], &rows, &[1])[1], 2.0);
        // A diverged seed makes every later average undefined.
        let bad = vec![vec![1.0, f64::NAN, 1.0], vec![1.0, 1.0, 1.0]];
        let a = averaged(&[0, 10, 20], &bad, &[0, 1]);
        assert!(a[1].is_nan() && a[2].is_nan());
    }
}
