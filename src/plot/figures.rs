//! The figures every run gets, chosen from what the run measured.
//!
//! A run only writes the metrics it could compute (no stability without neighbours, no
//! hypergradient norm without `exact`, no accuracy without a logistic loss), so each figure is
//! made when its data exists rather than by study kind: a figure of empty panels would only
//! say that something is missing, which the absence of the file says as well.

use super::{Figure, Line, Panel};
use crate::analysis::{ConfigData, RunData, Series};
use crate::metrics::Metric;
use crate::problem::Loss;
use crate::sweep::config::{LogScale, StudyKind};
use crate::sweep::DataKind;

/// Figures every run gets, chosen from what it measured: (file stem, figure).
pub fn standard_figures(run: &RunData) -> Vec<(String, Figure)> {
    let mut out = Vec::new();
    if let Some(f) = stability(run) {
        out.push(("stability".to_string(), f));
    }
    if let Some(f) = convergence(run) {
        out.push(("convergence".to_string(), f));
    }
    if let Some(f) = accuracy(run) {
        out.push(("accuracy".to_string(), f));
    }
    if let Some(f) = cleaning(run) {
        out.push(("cleaning".to_string(), f));
    }
    out.push(("losses".to_string(), losses(run)));
    out
}

/// The quantity a figure's x axis counts. Iterations come from the logging steps; the cost
/// axes from the seed means of the cost metrics at the same steps, so that configurations
/// with different per-step costs (inner loops, Neumann terms, batch sizes) compare at equal
/// work rather than at equal t.
#[derive(Clone, Copy)]
enum Cost {
    Iterations,
    Oracle,
    Samples,
    Seconds,
}

const COSTS: [Cost; 4] = [Cost::Iterations, Cost::Oracle, Cost::Samples, Cost::Seconds];

impl Cost {
    fn name(self) -> &'static str {
        match self {
            Cost::Iterations => "iterations",
            Cost::Oracle => "oracle calls",
            Cost::Samples => "samples read",
            Cost::Seconds => "time",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Cost::Iterations => "iterations t",
            Cost::Oracle => "oracle calls per lane (∇g + ∇f + Hessian- + Jacobian-vector)",
            Cost::Samples => "samples read per lane",
            Cost::Seconds => "step time per lane (s)",
        }
    }

    fn at(self, c: &ConfigData, t: u64) -> f64 {
        let mean = |m: Metric| c.series(m).and_then(|s| s.at(t));
        match self {
            Cost::Iterations => t as f64,
            Cost::Samples => mean(Metric::Samples).unwrap_or(f64::NAN),
            Cost::Seconds => mean(Metric::Seconds).unwrap_or(f64::NAN),
            // Counters an algorithm never calls may be missing; they count as zero, but a
            // configuration with no counter at all has no oracle axis.
            Cost::Oracle => {
                let parts: Vec<f64> = [
                    Metric::OracleGradG,
                    Metric::OracleGradF,
                    Metric::OracleHvp,
                    Metric::OracleJvp,
                ]
                .iter()
                .filter_map(|&m| mean(m))
                .collect();
                if parts.is_empty() {
                    f64::NAN
                } else {
                    parts.iter().sum()
                }
            }
        }
    }
}

/// Whether any configuration has a finite value of `metric`.
fn measured(run: &RunData, metric: Metric) -> bool {
    run.configs.iter().any(|c| {
        c.series(metric)
            .is_some_and(|s| s.mean.iter().any(|v| v.is_finite()))
    })
}

/// Whether test loss is the exact population risk (synthetic data, squared loss) rather than
/// a loss on held-out samples; the titles say which, since the two gaps mean different things.
fn population_risk(run: &RunData) -> bool {
    run.config.data.kind == DataKind::Synthetic
        && run
            .config
            .problem
            .resolve()
            .is_ok_and(|s| s.loss == Loss::Squared)
}

fn log_steps(run: &RunData) -> bool {
    run.config.run.log_scale == LogScale::Log
}

/// One configuration's `metric` against `cost`, with its 95% interval over seeds as the band.
/// Sparse logging gets markers, so that three logged points do not pass for a smooth curve.
fn line(c: &ConfigData, metric: Metric, cost: Cost, skip_t0: bool) -> Option<Line> {
    let s: &Series = c.series(metric)?;
    let keep: Vec<usize> = (0..s.t.len())
        .filter(|&i| !(skip_t0 && s.t[i] == 0))
        .collect();
    let pick = |v: &[f64]| -> Vec<f64> {
        keep.iter()
            .map(|&i| v.get(i).copied().unwrap_or(f64::NAN))
            .collect()
    };
    let (lo, hi) = (pick(&s.ci_low), pick(&s.ci_high));
    let band = lo.iter().chain(&hi).any(|v| v.is_finite());
    Some(Line {
        label: c.label.clone(),
        x: keep.iter().map(|&i| cost.at(c, s.t[i])).collect(),
        y: pick(&s.mean),
        lo: band.then_some(lo),
        hi: band.then_some(hi),
        dashed: false,
        markers: keep.len() <= 12,
    })
}

fn lines(run: &RunData, metric: Metric, cost: Cost, skip_t0: bool) -> Vec<Line> {
    run.configs
        .iter()
        .filter_map(|c| line(c, metric, cost, skip_t0))
        .collect()
}

/// What the bands are, for figure titles: readers need it to judge overlaps.
fn seeds_note(run: &RunData) -> String {
    match run.seeds.len() {
        1 => "1 seed, no interval".to_string(),
        n => format!("mean over {n} seeds, 95% intervals"),
    }
}

/// Symbol of a stability metric as the titles write it.
fn distance_symbol(metric: Metric) -> String {
    match metric {
        Metric::DistX => "|x(D) - x(D')|".into(),
        Metric::DistY => "|y(D) - y(D')|".into(),
        Metric::DistXy => "|(x,y)(D) - (x,y)(D')|".into(),
        Metric::DistXSq => "|x(D) - x(D')|²".into(),
        Metric::DistYSq => "|y(D) - y(D')|²".into(),
        Metric::DistXySq => "|(x,y)(D) - (x,y)(D')|²".into(),
        other => other.name().into(),
    }
}

fn stability(run: &RunData) -> Option<Figure> {
    let metric = run.config.report.stability_metric;
    let nonzero = run.configs.iter().any(|c| {
        c.series(metric)
            .is_some_and(|s| s.mean.iter().any(|v| v.is_finite() && *v > 0.0))
    });
    if !nonzero {
        return None;
    }
    let sym = distance_symbol(metric);
    let stab = Panel {
        title: format!("On-average argument stability {sym}"),
        x_label: Cost::Iterations.label().into(),
        y_label: format!("{sym}, mean over neighbours D'"),
        log_x: true,
        log_y: true,
        lines: lines(run, metric, Cost::Iterations, true),
    };
    let (title, y_label) = if population_risk(run) {
        (
            "Generalization gap (population risk - validation upper loss)",
            "exact population risk − validation loss",
        )
    } else {
        (
            "Generalization gap (test - validation upper loss)",
            "test loss − validation loss",
        )
    };
    let gap = Panel {
        title: title.into(),
        x_label: Cost::Iterations.label().into(),
        y_label: y_label.into(),
        log_x: true,
        log_y: false,
        lines: lines(run, Metric::GenGap, Cost::Iterations, true),
    };
    Some(Figure {
        title: format!(
            "{}: stability and generalization ({}, {} neighbours per seed)",
            run.title(),
            seeds_note(run),
            run.config.run.neighbours
        ),
        panels: vec![stab, gap],
        columns: 2,
    })
}

fn target_symbol(metric: Metric) -> String {
    match metric {
        Metric::HypergradNormSq => "|∇F(x_t)|²".into(),
        Metric::HypergradNorm => "|∇F(x_t)|".into(),
        Metric::YErr => "|y_t - y*(x_t)|".into(),
        other => other.name().into(),
    }
}

/// Convergence against every cost axis: the target metric and the validation loss, or, in a
/// convergence study whose problem is too large for the exact hypergradient (MNIST's
/// thousands of weights), the validation loss and the test accuracy.
fn convergence(run: &RunData) -> Option<Figure> {
    let target = run.config.report.target_metric;
    let exact = measured(run, target);
    let study = run.config.report.kind == StudyKind::Convergence;
    let fallback = study && measured(run, Metric::ValLoss);
    if !(exact || fallback) {
        return None;
    }
    let sym = target_symbol(target);
    let log_x = log_steps(run);
    let row = |metric: Metric, title: &str, y_label: &str, log_y: bool| {
        COSTS.map(|cost| Panel {
            title: format!("{title} vs {}", cost.name()),
            x_label: cost.label().into(),
            y_label: y_label.into(),
            log_x,
            log_y,
            lines: lines(run, metric, cost, false),
        })
    };
    let mut panels = Vec::new();
    if exact {
        panels.extend(row(
            target,
            &sym,
            &format!("{sym} (inner problem solved exactly)"),
            true,
        ));
    }
    panels.extend(row(
        Metric::ValLoss,
        "Upper loss",
        "upper loss on the validation set",
        false,
    ));
    if !exact && measured(run, Metric::TestAccuracy) {
        panels.extend(row(
            Metric::TestAccuracy,
            "Test accuracy",
            "test accuracy (fraction correct)",
            false,
        ));
    }
    let note = if exact {
        String::new()
    } else {
        format!(", {sym} not measured")
    };
    Some(Figure {
        title: format!("{}: convergence ({}{note})", run.title(), seeds_note(run)),
        panels,
        columns: 4,
    })
}

fn accuracy(run: &RunData) -> Option<Figure> {
    if !measured(run, Metric::TestAccuracy) {
        return None;
    }
    Some(Figure {
        title: format!("{}: test accuracy ({})", run.title(), seeds_note(run)),
        panels: vec![Panel {
            title: "Test accuracy".into(),
            x_label: Cost::Iterations.label().into(),
            y_label: "test accuracy (fraction correct)".into(),
            log_x: log_steps(run),
            log_y: false,
            lines: lines(run, Metric::TestAccuracy, Cost::Iterations, false),
        }],
        columns: 1,
    })
}

/// Data hyper-cleaning's diagnostic: how well the weights below 1/2 find the corrupted samples.
fn cleaning(run: &RunData) -> Option<Figure> {
    if !measured(run, Metric::CleaningRecall) {
        return None;
    }
    let panel = |metric: Metric, title: &str, y_label: &str| Panel {
        title: title.into(),
        x_label: Cost::Iterations.label().into(),
        y_label: y_label.into(),
        log_x: log_steps(run),
        log_y: false,
        lines: lines(run, metric, Cost::Iterations, false),
    };
    Some(Figure {
        title: format!(
            "{}: corrupted samples found by the weights ({})",
            run.title(),
            seeds_note(run)
        ),
        panels: vec![
            panel(
                Metric::CleaningPrecision,
                "Precision",
                "corrupted share of samples with sigmoid(x_i) < 1/2",
            ),
            panel(
                Metric::CleaningRecall,
                "Recall",
                "share of corrupted samples with sigmoid(x_i) < 1/2",
            ),
        ],
        columns: 2,
    })
}

fn losses(run: &RunData) -> Figure {
    let (test_title, test_label) = if population_risk(run) {
        ("Population risk (exact)", "population risk of y_t")
    } else {
        ("Test loss", "loss on the test set")
    };
    let panel = |metric: Metric, title: &str, y_label: &str| Panel {
        title: title.into(),
        x_label: Cost::Iterations.label().into(),
        y_label: y_label.into(),
        log_x: log_steps(run),
        log_y: false,
        lines: lines(run, metric, Cost::Iterations, false),
    };
    Figure {
        title: format!("{}: losses ({})", run.title(), seeds_note(run)),
        panels: vec![
            panel(
                Metric::ValLoss,
                "Upper loss (validation)",
                "loss on the validation set",
            ),
            panel(Metric::TestLoss, test_title, test_label),
            panel(
                Metric::LowerObjective,
                "Lower-level objective",
                "g(x_t, y_t) on the training set",
            ),
        ],
        columns: 3,
    }
}
