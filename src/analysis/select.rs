//! Step-size selection from a grid search run by sbo itself: among configurations that
//! differ only in their settings (same algorithm, and same variant when `select_by` says so),
//! keep the one whose metric is smallest on average (geometric mean) over the last part of
//! the run. A
//! configuration with a diverged lane (NaN in any seed) is never chosen, so a step size on the
//! edge of stability does not win on the seeds that happened to survive.

use super::run_data::RunData;
use serde::Serialize;

#[derive(Clone, Debug, Serialize)]
pub struct Candidate {
    pub config: String,
    pub group: String,
    /// Geometric mean of the metric over seeds and the selection window (NaN: diverged).
    pub score: f64,
    pub diverged: bool,
    pub chosen: bool,
}

/// Geometric mean when every value is positive (stationarity measures span decades, and an
/// arithmetic mean would only see the first logging steps), else the arithmetic mean.
fn score(xs: &[f64]) -> f64 {
    if xs.is_empty() {
        return f64::NAN;
    }
    let n = xs.len() as f64;
    if xs.iter().all(|x| *x > 0.0) {
        (xs.iter().map(|x| x.ln()).sum::<f64>() / n).exp()
    } else {
        xs.iter().sum::<f64>() / n
    }
}

/// Scores every configuration and marks the winner of each group; `None` without a
/// `report.select_metric`.
pub fn select(run: &RunData) -> Option<Vec<Candidate>> {
    let r = &run.config.report;
    let metric = r.select_metric.as_deref()?;
    let n = run.log_steps.len();
    let from = n - ((n as f64 * r.select_window).ceil() as usize).clamp(1, n);
    let mut out: Vec<Candidate> = run
        .configs
        .iter()
        .map(|c| {
            let group = if r.select_by == "algorithm+variant" && !c.variant.is_empty() {
                format!("{} ({})", c.algorithm, c.variant_without(""))
            } else {
                c.algorithm.clone()
            };
            let vals = c.per_seed.get(metric);
            let diverged = vals.is_none_or(|v| {
                v.iter()
                    .any(|row| row[from..].iter().any(|x| !x.is_finite()))
            });
            let score = match vals {
                Some(v) if !diverged => {
                    let xs: Vec<f64> = v
                        .iter()
                        .flat_map(|row| row[from..].iter().copied())
                        .collect();
                    score(&xs)
                }
                _ => f64::NAN,
            };
            Candidate {
                config: c.label.clone(),
                group,
                score,
                diverged,
                chosen: false,
            }
        })
        .collect();
    let groups: Vec<String> = {
        let mut g: Vec<String> = Vec::new();
        for c in &out {
            if !g.contains(&c.group) {
                g.push(c.group.clone());
            }
        }
        g
    };
    for g in groups {
        let best = out
            .iter()
            .enumerate()
            .filter(|(_, c)| c.group == g && c.score.is_finite())
            .min_by(|a, b| a.1.score.total_cmp(&b.1.score))
            .map(|(i, _)| i);
        if let Some(i) = best {
            out[i].chosen = true;
        }
    }
    Some(out)
}
