//! The figures that belong to a study rather than to every run: the convergence curves of the
//! configurations a grid search kept, cost against kappa with the fitted power law, and final
//! stability against the sample size with its fit. `sbo plot` draws them next to the
//! standard figures of [`crate::plot`].

use crate::algo::CostKind;
use crate::analysis::kappa;
use crate::analysis::select::select;
use crate::analysis::stability::{size_fits, SizeCurve};
use crate::analysis::RunData;
use crate::plot::{standard_figures, Figure, Line, Panel};

/// Study figures of a run: (file stem, figure).
pub fn study_figures(run: &RunData) -> Vec<(String, Figure)> {
    let mut out = Vec::new();
    if let Some(cands) = select(run) {
        let chosen: Vec<&str> = cands
            .iter()
            .filter(|c| c.chosen)
            .map(|c| c.config.as_str())
            .collect();
        // The winners as the seeds that did not choose them see them.
        let held = run.held_out();
        let shown = match &held {
            Some(h) => format!(
                "step sizes chosen by the grid search, shown on the {} held-out seeds",
                h.seeds.len()
            ),
            None => "step sizes chosen by the grid search".to_string(),
        };
        let mut kept = held.unwrap_or_else(|| run.clone());
        kept.configs.retain(|c| chosen.contains(&c.label.as_str()));
        for (stem, mut fig) in standard_figures(&kept) {
            if stem == "convergence" || stem == "accuracy" {
                fig.title = format!("{} — {shown}", fig.title);
                out.push((format!("{stem}-selected"), fig));
            }
        }
    }
    let metric = run.config.report.target_metric;
    if kappa::is_kappa_study(run) {
        let mut lines = Vec::new();
        for cv in kappa::curves(run, metric) {
            let pts: Vec<&kappa::KappaPoint> =
                cv.points.iter().filter(|p| p.cost.step.is_some()).collect();
            let x: Vec<f64> = pts.iter().map(|p| p.kappa).collect();
            let fit = cv
                .fits
                .iter()
                .find(|f| f.cost == CostKind::OracleCalls)
                .and_then(|f| f.fit);
            let fit_text = fit.map_or(String::new(), |f| format!(", c = {}", f.text()));
            lines.push(Line {
                label: format!("{}{fit_text}", cv.algo_label),
                y: pts
                    .iter()
                    .map(|p| p.cost.cost(CostKind::OracleCalls))
                    .collect(),
                lo: None,
                hi: None,
                x: x.clone(),
                dashed: cv.tuned,
                markers: true,
            });
            if let Some(f) = fit {
                lines.push(Line {
                    label: format!("{} fit kappa^{:.2}", cv.algo_label, f.slope),
                    y: x.iter()
                        .map(|k| (f.intercept + f.slope * k.ln()).exp())
                        .collect(),
                    x,
                    lo: None,
                    hi: None,
                    dashed: true,
                    markers: false,
                });
            }
        }
        out.push((
            "kappa".into(),
            Figure {
                title: format!(
                    "Oracle calls until the average over iterates of the seed-mean {metric} reaches eps"
                ),
                panels: vec![Panel {
                    title: "oracle calls to eps (mean over the reported seeds)".into(),
                    x_label: "kappa (lower-level condition number)".into(),
                    y_label: "oracle calls".into(),
                    log_x: true,
                    log_y: true,
                    lines,
                }],
                columns: 1,
            },
        ));
    }
    let sm = run.config.report.stability_metric;
    for (key, name) in [
        ("data.n_upper", "m (upper-level samples)"),
        ("data.n_lower", "n (lower-level samples)"),
    ] {
        let fits = size_fits(run, key, sm);
        if fits.iter().all(|c| c.sizes.len() < 2) {
            continue;
        }
        let mut lines = Vec::new();
        for SizeCurve {
            group: g,
            sizes: x,
            finals,
            fit,
            ..
        } in fits
        {
            let fit_text = fit.map_or(String::new(), |f| format!(", b = {}", f.text()));
            lines.push(Line {
                label: format!("{g}{fit_text}"),
                x: x.clone(),
                y: finals.iter().map(|s| s.mean).collect(),
                lo: Some(finals.iter().map(|s| s.ci_low).collect()),
                hi: Some(finals.iter().map(|s| s.ci_high).collect()),
                dashed: false,
                markers: true,
            });
            if let Some(f) = fit {
                lines.push(Line {
                    label: format!("{g} fit size^{:.2}", f.slope),
                    y: x.iter()
                        .map(|m| (f.intercept + f.slope * m.ln()).exp())
                        .collect(),
                    x,
                    lo: None,
                    hi: None,
                    dashed: true,
                    markers: false,
                });
            }
        }
        let stem = if key == "data.n_upper" {
            "stability-vs-m"
        } else {
            "stability-vs-n"
        };
        out.push((
            stem.into(),
            Figure {
                title: format!("Final stability against {name}"),
                panels: vec![Panel {
                    title: format!("{sm} at t = {} (mean over seeds, 95% band)", run.steps()),
                    x_label: name.into(),
                    y_label: format!("{sm} (on-average argument stability)"),
                    log_x: true,
                    log_y: true,
                    lines,
                }],
                columns: 1,
            },
        ));
    }
    out
}
