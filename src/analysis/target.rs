//! Time to target: the first logging step at which a seed's stationarity measure is at or
//! below a target, and what it took to get there in iterations, oracle calls, samples read and
//! seconds. Resolution is that of the logging steps, so convergence studies log on a
//! geometric grid.

use super::run_data::{ConfigData, RunData};
use crate::metrics::Metric;
use serde::Serialize;

/// Oracle calls of every kind (gradients of g and f, Hessian- and Jacobian-vector products).
pub const ORACLE_METRICS: [Metric; 4] = [
    Metric::OracleGradG,
    Metric::OracleGradF,
    Metric::OracleHvp,
    Metric::OracleJvp,
];

/// Mean and range over the seeds that reached the target. A range rather than a t-interval:
/// costs are positive, often identical across seeds (oracle counts are deterministic per
/// step) and quantised by the logging grid, where a symmetric interval would mislead.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Spread {
    pub mean: f64,
    pub min: f64,
    pub max: f64,
    pub count: usize,
}

impl Spread {
    pub fn of(xs: &[f64]) -> Spread {
        let v: Vec<f64> = xs.iter().copied().filter(|x| x.is_finite()).collect();
        if v.is_empty() {
            return Spread {
                mean: f64::NAN,
                min: f64::NAN,
                max: f64::NAN,
                count: 0,
            };
        }
        Spread {
            mean: v.iter().sum::<f64>() / v.len() as f64,
            min: v.iter().copied().fold(f64::INFINITY, f64::min),
            max: v.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            count: v.len(),
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct TargetHit {
    pub config: String,
    pub target: f64,
    /// Seeds that reached the target, of `seeds`.
    pub reached: usize,
    pub seeds: usize,
    pub iterations: Spread,
    pub oracle_calls: Spread,
    pub samples: Spread,
    pub seconds: Spread,
    /// Per seed: oracle calls to the target (NaN where not reached), for kappa fits.
    pub oracle_calls_per_seed: Vec<f64>,
}

/// Oracle calls per seed and logging step: the sum of [`ORACLE_METRICS`].
pub fn oracle_calls(c: &ConfigData) -> Vec<Vec<f64>> {
    let mut out: Option<Vec<Vec<f64>>> = None;
    for m in ORACLE_METRICS {
        if let Some(v) = c.per_seed.get(&m) {
            match &mut out {
                None => out = Some(v.clone()),
                Some(o) => {
                    for (a, b) in o.iter_mut().zip(v) {
                        for (x, y) in a.iter_mut().zip(b) {
                            *x += *y;
                        }
                    }
                }
            }
        }
    }
    out.unwrap_or_default()
}

/// The target of a configuration: `report.target`, or `report.relative_target` times the
/// configuration's mean `metric` at t = 0.
pub fn resolve_target(run: &RunData, c: &ConfigData, metric: Metric) -> Option<f64> {
    let r = &run.config.report;
    if let Some(t) = r.target {
        return Some(t);
    }
    let rel = r.relative_target?;
    let s = c.series(metric)?;
    let v0 = *s.mean.first()?;
    (v0.is_finite() && v0 > 0.0).then_some(rel * v0)
}

/// First logging step per seed at which `metric <= target`.
pub fn time_to_target(run: &RunData, c: &ConfigData, metric: Metric, target: f64) -> TargetHit {
    let vals = c.per_seed.get(&metric);
    let calls = oracle_calls(c);
    let empty: Vec<Vec<f64>> = Vec::new();
    let empty_row: Vec<f64> = Vec::new();
    let samples = c.per_seed.get(&Metric::Samples).unwrap_or(&empty);
    let secs = c.per_seed.get(&Metric::Seconds).unwrap_or(&empty);
    let n_seeds = vals.map_or(0, |v| v.len());
    let mut it = Vec::new();
    let mut oc = Vec::new();
    let mut sa = Vec::new();
    let mut se = Vec::new();
    let mut per_seed = vec![f64::NAN; n_seeds];
    for s in 0..n_seeds {
        let row = vals.map(|v| &v[s]).unwrap_or(&empty_row);
        if let Some(i) = row.iter().position(|v| v.is_finite() && *v <= target) {
            let at =
                |m: &Vec<Vec<f64>>| m.get(s).and_then(|r| r.get(i)).copied().unwrap_or(f64::NAN);
            it.push(run.log_steps.get(i).copied().unwrap_or(0) as f64);
            let c_i = at(&calls);
            oc.push(c_i);
            per_seed[s] = c_i;
            sa.push(at(samples));
            se.push(at(secs));
        }
    }
    TargetHit {
        config: c.label.clone(),
        target,
        reached: it.len(),
        seeds: n_seeds,
        iterations: Spread::of(&it),
        oracle_calls: Spread::of(&oc),
        samples: Spread::of(&sa),
        seconds: Spread::of(&se),
        oracle_calls_per_seed: per_seed,
    }
}
