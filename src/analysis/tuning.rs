//! Does tuning matter? Each algorithm's selected configuration against the untuned model: a
//! configuration of the same run (and variant) whose hyperparameter step is zero (`alpha = 0`),
//! so its x stays at `run.x0` while its y is trained by its own lower-level steps. The untuned
//! configurations of the winner's algorithm are its baselines (y then trained the same way);
//! without one, every untuned configuration of the variant is, and the row names which. They
//! are compared on
//! held-out data (test accuracy for logistic problems, else test loss) at the last logging step,
//! paired per seed, on the seeds the selection did not see when `report.select_seeds` holds
//! some out, Holm-corrected across the rows at 5 %.
//!
//! Owns: the baseline rule and the comparison. Must not know: how a report is written.

use super::claim::Verdict;
use super::paired::{directional, holm, PairedDiff, ALPHA};
use super::run_data::{ConfigData, RunData};
use super::select::Candidate;
use crate::metrics::Metric;
use serde::Serialize;

#[derive(Clone, Debug, Serialize)]
pub struct TuningRow {
    /// The selected configuration.
    pub tuned: String,
    /// The untuned configuration it is compared with.
    pub untuned: String,
    pub metric: Metric,
    /// `tuned - untuned` per seed; `None` with fewer than 2 paired seeds.
    pub diff: Option<PairedDiff>,
    /// Holm-adjusted p-value across the rows.
    pub p_adjusted: f64,
    /// "tuning improves the held-out metric".
    pub verdict: Verdict,
}

/// The held-out metric of a run: test accuracy where it was measured, else test loss; and
/// whether larger is better.
fn held_out_metric(run: &RunData) -> (Metric, bool) {
    let measured = |m: Metric| {
        run.configs
            .iter()
            .any(|c| c.final_values(m).iter().any(|v| v.is_finite()))
    };
    if measured(Metric::TestAccuracy) {
        (Metric::TestAccuracy, true)
    } else {
        (Metric::TestLoss, false)
    }
}

/// One row per selected configuration that has an untuned configuration in its variant
/// (empty without a selection or without an untuned configuration).
pub fn tuning_rows(run: &RunData, candidates: &[Candidate]) -> Vec<TuningRow> {
    let (metric, larger) = held_out_metric(run);
    // Only the seeds the selection never saw, when some were held out.
    let (_, report) = run.seed_split();
    let finals = |c: &ConfigData| -> Vec<f64> {
        let v = c.final_values(metric);
        report.iter().filter_map(|&s| v.get(s).copied()).collect()
    };
    let mut rows: Vec<TuningRow> = Vec::new();
    for cand in candidates.iter().filter(|c| c.chosen) {
        let Some(tuned) = run.configs.iter().find(|c| c.label == cand.config) else {
            continue;
        };
        if tuned.is_untuned() {
            continue;
        }
        let untuned = |same: bool| {
            run.configs.iter().filter(move |c| {
                c.is_untuned()
                    && c.variant == tuned.variant
                    && (!same || c.algorithm == tuned.algorithm)
            })
        };
        let same_algorithm = untuned(true).next().is_some();
        for base in untuned(same_algorithm) {
            rows.push(TuningRow {
                tuned: tuned.label.clone(),
                untuned: base.label.clone(),
                metric,
                diff: PairedDiff::of(&finals(base), &finals(tuned)),
                p_adjusted: f64::NAN,
                verdict: Verdict::NotJudged,
            });
        }
    }
    let p: Vec<f64> = rows
        .iter()
        .map(|r| r.diff.map_or(f64::NAN, |d| d.p))
        .collect();
    let judged: Vec<usize> = (0..rows.len()).filter(|&i| p[i].is_finite()).collect();
    let adjusted = holm(&judged.iter().map(|&i| p[i]).collect::<Vec<_>>());
    for (&i, &pa) in judged.iter().zip(&adjusted) {
        let r = &mut rows[i];
        r.p_adjusted = pa;
        if let Some(d) = &r.diff {
            r.verdict = directional(d, pa, larger, ALPHA);
        }
    }
    rows
}
