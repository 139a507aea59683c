//! Step-size selection from a grid search run by sbo itself: among configurations of one
//! algorithm within one variant, keep the one whose metric is smallest on average (geometric
//! mean over seeds and the last part of the logging points). With `report.select_seeds` the
//! choice is made on the first seeds only and the winner's score is also given on the others:
//! the minimum over a grid is optimistic on the seeds that chose it. A configuration with a diverged
//! lane (NaN in any seed) is never chosen, so a step size on the edge of stability does not
//! win on the seeds that happened to survive; nor is an untuned model (alpha = 0), which is
//! the baseline the winners are compared with ([`super::tuning`]).

use super::run_data::RunData;
use serde::Serialize;

/// Per-seed rows of one metric: `rows[seed][log point]`.
type Seeds = [Vec<f64>];

#[derive(Clone, Debug, Serialize)]
pub struct Candidate {
    pub config: String,
    pub group: String,
    /// Geometric mean of the metric over the selection seeds and window (NaN: diverged).
    pub score: f64,
    /// The same on the seeds the selection did not see (`report.select_seeds`); `None` when
    /// every seed was used to pick.
    pub held_out: Option<f64>,
    pub diverged: bool,
    /// The run did not measure the metric (e.g. `hypergrad_norm_sq` without `run.exact`).
    pub missing: bool,
    pub chosen: bool,
    /// An untuned model (`alpha = 0`, [`super::ConfigData::is_untuned`]): scored, never chosen.
    pub untuned: bool,
    /// For a winner at the edge of its grid: which setting, and how.
    pub edge: Option<String>,
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

/// Scores every configuration and marks the winner of each group (an algorithm within a
/// variant: different kappas or sizes are different problems, never compared); `None` without
/// a `report.select_metric`.
pub fn select(run: &RunData) -> Option<Vec<Candidate>> {
    let r = &run.config.report;
    let metric = r.select_metric?;
    let n = run.log_steps.len();
    let from = n.saturating_sub(((n as f64 * r.select_window).ceil() as usize).max(1));
    let mut out: Vec<Candidate> = run
        .configs
        .iter()
        .map(|c| {
            let group = if c.variant.is_empty() {
                c.algorithm.clone()
            } else {
                format!("{} ({})", c.algorithm, c.variant_without(""))
            };
            let all = c.per_seed.get(&metric);
            let missing = all.is_none();
            // The seeds the choice is made on, and those it never sees.
            let (pick, rest): (Option<&Seeds>, Option<&Seeds>) = match (all, run.selection_k()) {
                (Some(v), Some(k)) if k < v.len() => (Some(&v[..k]), Some(&v[k..])),
                (Some(v), _) => (Some(&v[..]), None),
                (None, _) => (None, None),
            };
            let tail = |row: &Vec<f64>| row.get(from..).unwrap_or(&[]).to_vec();
            let diverged_in =
                |v: &[Vec<f64>]| v.iter().any(|row| tail(row).iter().any(|x| !x.is_finite()));
            let diverged = pick.is_some_and(diverged_in);
            let score_of = |v: &[Vec<f64>]| {
                if diverged_in(v) {
                    f64::NAN
                } else {
                    score(&v.iter().flat_map(tail).collect::<Vec<_>>())
                }
            };
            let score = match pick {
                Some(v) if !diverged => score_of(v),
                _ => f64::NAN,
            };
            Candidate {
                config: c.label.clone(),
                group,
                score,
                held_out: rest.map(score_of),
                diverged,
                missing,
                chosen: false,
                untuned: c.is_untuned(),
                edge: None,
            }
        })
        .collect();
    let mut groups: Vec<String> = Vec::new();
    for c in &out {
        if !groups.contains(&c.group) {
            groups.push(c.group.clone());
        }
    }
    for g in groups {
        let best = out
            .iter()
            .enumerate()
            .filter(|(_, c)| c.group == g && c.score.is_finite() && !c.untuned)
            .min_by(|a, b| a.1.score.total_cmp(&b.1.score))
            .map(|(i, _)| i);
        if let Some(i) = best {
            out[i].chosen = true;
            out[i].edge = grid_edge(run, &out, i);
        }
    }
    Some(out)
}

/// Whether the winner sits at either end of a swept setting: among the configurations of its
/// group that differ from it in one numeric setting only, it has the smallest or largest
/// value of three or more. The best value may then lie outside the grid.
fn grid_edge(run: &RunData, cands: &[Candidate], winner: usize) -> Option<String> {
    let settings = |label: &str| {
        run.configs
            .iter()
            .find(|c| c.label == label)
            .and_then(|c| serde_json::to_value(&c.settings).ok())
            .and_then(|v| v.as_object().cloned())
    };
    let w = settings(&cands[winner].config)?;
    let mut notes = Vec::new();
    for (key, wv) in &w {
        let Some(wx) = wv.as_f64() else { continue };
        let mut values = vec![wx];
        for c in cands.iter().filter(|c| {
            c.group == cands[winner].group && c.config != cands[winner].config && !c.untuned
        }) {
            let Some(o) = settings(&c.config) else {
                continue;
            };
            let same_elsewhere = w.iter().all(|(k, v)| k == key || o.get(k) == Some(v));
            if let (true, Some(x)) = (same_elsewhere, o.get(key).and_then(|v| v.as_f64())) {
                values.push(x);
            }
        }
        if values.len() >= 3 {
            let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            if wx == lo || wx == hi {
                notes.push(format!(
                    "{key} = {wx} is the {} of the {} values tried",
                    if wx == lo { "smallest" } else { "largest" },
                    values.len()
                ));
            }
        }
    }
    (!notes.is_empty()).then(|| notes.join("; "))
}
