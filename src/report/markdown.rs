//! `sbo report`: a Markdown report of a run directory — the configuration, the figures, the
//! fitted exponents next to what the theory predicts with a verdict for each claim, the
//! step-size selection and the time-to-target table. Everything comes from the files of the
//! run directory, so a report can be made again at any time.

use super::cells::tally;
use super::sections;
use super::targets::{target_csv, target_rows};
use crate::analysis::kappa;
use crate::analysis::stability;
use crate::analysis::stability::Verdict;
use crate::analysis::RunData;
use crate::error::{Result, SboError};
use crate::metrics::Metric;
use crate::sweep::{DataKind, StudyKind};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Which sections a run gets.
struct Sections {
    stability: bool,
    convergence: bool,
    kappa: bool,
}

fn sections(run: &RunData) -> Sections {
    let has = |m: Metric| run.configs.iter().any(|c| c.per_seed.contains_key(&m));
    let neighbours = run.summary.neighbours > 0;
    let kind = run.config.report.kind;
    let kappa = kappa::is_kappa_study(run);
    Sections {
        stability: neighbours
            && has(run.config.report.stability_metric)
            && matches!(kind, StudyKind::Auto | StudyKind::Stability),
        // A convergence study gets its last-step table even where the exact hypergradient
        // cannot be measured (MNIST's thousands of weights): losses and accuracy still are.
        convergence: (has(run.config.report.target_metric)
            && matches!(
                kind,
                StudyKind::Auto | StudyKind::Convergence | StudyKind::Kappa
            ))
            || kind == StudyKind::Convergence,
        kappa: kappa && matches!(kind, StudyKind::Auto | StudyKind::Kappa),
    }
}

/// Writes `report.md` (and `time_to_target.csv` where a target is set) into the run
/// directory; `figures` are the files `sbo plot` wrote, linked from the report.
pub fn write_report(run: &RunData, figures: &[PathBuf]) -> Result<PathBuf> {
    let text = render(run, figures);
    let path = run.dir.join("report.md");
    std::fs::write(&path, text).map_err(|err| SboError::io(&path, err))?;
    // The same seeds as the report's table: those a selection never saw, if it held any out.
    let rows = target_rows(run.held_out().as_ref().unwrap_or(run));
    if !rows.is_empty() {
        let p = run.dir.join("time_to_target.csv");
        std::fs::write(&p, target_csv(&rows)?).map_err(|err| SboError::io(&p, err))?;
    }
    Ok(path)
}

fn rel(run: &RunData, p: &Path) -> String {
    p.strip_prefix(&run.dir)
        .unwrap_or(p)
        .to_string_lossy()
        .replace('\\', "/")
}

/// A c-c or nc-nc run with ridges on y or x: said, since the stability claims for C-C and
/// NC-NC are about problems without uniform strong convexity, which a ridge on y gives the
/// convex lower level of c-c and moves nc-nc's towards.
fn hidden_convexity(run: &RunData) -> Option<String> {
    let p = &run.summary.problem;
    if run.config.problem.model == Some(crate::problem::Model::Mlp) {
        // Whatever the preset, the network is what decides convexity in y.
        let ridge = if p.lam_y > 0.0 {
            format!(
                "; lam_y = {} adds curvature to every weight without making g convex",
                p.lam_y
            )
        } else {
            String::new()
        };
        return Some(format!(
            "**Note on the lower model:** a one-hidden-layer network (`model = \"mlp\"`) makes g \
             and f nonconvex in y whatever the preset, so the stability claims are judged as \
             NC-NC{ridge}."
        ));
    }
    let preset = run.config.problem.preset.name();
    if !matches!(preset, "c-c" | "nc-nc") || (p.lam_y <= 0.0 && p.nu <= 0.0) {
        return None;
    }
    let mut parts = Vec::new();
    if p.lam_y > 0.0 {
        parts.push(if preset == "nc-nc" {
            format!(
                "lam_y = {0} adds curvature to every coordinate of the lower level, so it is \
                 nonconvex only where the coupling's curvature is below -{0}",
                p.lam_y
            )
        } else {
            format!(
                "lam_y = {0} makes the lower level strongly convex (mu_g >= {0})",
                p.lam_y
            )
        });
    }
    if p.nu > 0.0 {
        parts.push(format!(
            "nu = {} adds a ridge on x to the upper level",
            p.nu
        ));
    }
    Some(format!(
        "**Note on the preset:** `{preset}` is defined without ridges, but this run sets them: {}. The theory's {} claims are about problems without uniform strong convexity; read its verdicts as those of a weakly regularised problem.",
        parts.join("; "),
        preset.to_uppercase()
    ))
}

/// Where along the run a nonconvex coupling makes the lower level nonconvex: the share of
/// coordinates with negative curvature (`neg_curvature_share`) at the start, half way and at
/// the end, mean over seeds.
fn nonconvexity(o: &mut String, run: &RunData) {
    let rows: Vec<(&str, &crate::analysis::Series)> = run
        .configs
        .iter()
        .filter_map(|c| Some((c.label.as_str(), c.series(Metric::NegCurvatureShare)?)))
        .collect();
    if rows.is_empty() {
        return;
    }
    let _ = writeln!(
        o,
        "**Nonconvexity along the run** (share of coordinates j where exp(x_k(j)) phi''(y_j) + lam_y < 0 at the base lane, mean over seeds; a negative entry is necessary for the lower level to be nonconvex there):\n"
    );
    let _ = writeln!(
        o,
        "| configuration | t = {} | t = {} | t = {} |",
        run.log_steps.first().unwrap_or(&0),
        run.log_steps.get(run.log_steps.len() / 2).unwrap_or(&0),
        run.log_steps.last().unwrap_or(&0)
    );
    let _ = writeln!(o, "|---|---|---|---|");
    for (label, s) in rows {
        let at = |i: usize| s.mean.get(i).map_or("-".to_string(), |v| format!("{v:.2}"));
        let n = s.mean.len();
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} |",
            label.replace('|', "\\|"),
            at(0),
            at(n / 2),
            at(n.saturating_sub(1))
        );
    }
    o.push('\n');
}

/// The Markdown text of the report.
pub fn render(run: &RunData, figures: &[PathBuf]) -> String {
    let mut o = String::new();
    let s = &run.summary;
    let cfg = &run.config;
    let _ = writeln!(o, "# {}\n", run.title());
    let _ = writeln!(
        o,
        "sbo {} · backend {} ({}) · {} configuration(s) × {} seed(s) × {} lane(s) per seed · {} steps · {} lane-steps in {:.1} s\n",
        s.versions.sbo,
        s.backend,
        s.precision,
        run.configs.len(),
        run.seeds.len(),
        s.neighbours + 1,
        run.steps(),
        s.lane_steps,
        s.seconds,
    );
    let _ = writeln!(
        o,
        "Problem {}; data `{:?}`{}{}. Intervals are Student-t 95% over the {} seeds; they cover {}.\n",
        if run.vary_keys().iter().any(|k| k == "problem.preset") {
            "varies (see the labels)".to_string()
        } else if cfg.problem.model == Some(crate::problem::Model::Mlp) {
            format!(
                "`{}` with a network lower level ({} {} hidden units)",
                cfg.problem.preset.name(),
                cfg.problem.hidden.unwrap_or(0),
                format!("{:?}", cfg.problem.activation.unwrap_or_default()).to_lowercase()
            )
        } else {
            format!("`{}`", cfg.problem.preset.name())
        },
        cfg.data.kind,
        if cfg.data.kind == DataKind::Synthetic {
            " (test loss = exact population risk)"
        } else {
            ""
        },
        if s.neighbours > 0 {
            if run.vary_keys().iter().any(|k| k == "run.replace") {
                "; the set whose samples neighbours replace varies (see the labels)".to_string()
            } else {
                format!("; neighbours replace {} samples", s.replace.name())
            }
        } else {
            String::new()
        },
        run.seeds.len(),
        super::cells::randomness(run)
    );
    if let Some(note) = hidden_convexity(run) {
        let _ = writeln!(o, "{note}\n");
    }
    if let Some([lo, hi]) = run.config.problem.resolve().ok().and_then(|p| p.x_box) {
        let _ = writeln!(
            o,
            "x is constrained to the box [{lo}, {hi}] (`problem.x_box`), projected onto after \
             every step. `hypergrad_norm_sq` is the unconstrained |grad F(x)|^2: where x sits on \
             the box's boundary it does not measure stationarity of the constrained problem, \
             and targets and eps reached there are the unconstrained gradient's.\n"
        );
    }
    nonconvexity(&mut o, run);
    if !s.complete {
        let _ = writeln!(
            o,
            "**This run is incomplete** ({}): it holds what was completed before that.\n",
            s.failure.as_deref().unwrap_or("it stopped early")
        );
    }
    if !s.warnings.is_empty() {
        let _ = writeln!(o, "**Warnings from the run:**\n");
        for x in &s.warnings {
            let _ = writeln!(o, "- {x}");
        }
        o.push('\n');
    }

    let secs = sections(run);
    let metric = cfg.report.stability_metric;

    // The verdicts first, so a reader sees at once where the run disagrees with the theory.
    let stability::Claims {
        growth,
        size,
        ordering: ord,
        exponent_rows,
    } = stability::claims(run, metric);
    if secs.stability {
        let _ = writeln!(o, "## Verdicts\n");
        let exponents = if exponent_rows > 0 {
            format!(
                "half of it for the {exponent_rows} judged exponent row(s) (each on its Student-t \
                 interval over seeds at level 1 - 0.025/{exponent_rows}, Bonferroni)"
            )
        } else {
            "half of it for the exponent rows (none is judged here)".to_string()
        };
        let _ = writeln!(
            o,
            "Corrected together: a wrong \"holds\" or \"does not hold\" anywhere in this section has \
             probability at most 5 % (nominally: the t-intervals assume roughly normal per-seed \
             values), {exponents}, and half for the orderings (paired per-seed t-tests, Holm). \
             The intervals cover {}.\n",
            super::cells::randomness(run)
        );
        for (name, claims) in [
            ("Growth with iterations", &growth),
            ("Effect of the sample sizes", &size),
            (
                "Inner steps, step sizes, replaced side, re-initialisation",
                &ord,
            ),
        ] {
            if claims.is_empty() {
                continue;
            }
            let failed: Vec<String> = claims
                .iter()
                .filter(|c| c.verdict == Verdict::Fails)
                .map(|c| format!("{} ({})", c.subject, c.observed))
                .collect();
            let _ = writeln!(
                o,
                "- {name}: {}{}",
                tally(claims),
                if failed.is_empty() {
                    String::new()
                } else {
                    format!(" Does not hold: {}.", failed.join("; "))
                }
            );
        }
        o.push('\n');
    }

    if !figures.is_empty() {
        let _ = writeln!(o, "## Figures\n");
        for f in figures
            .iter()
            .filter(|f| f.extension().is_some_and(|x| x == "svg"))
        {
            let png = f.with_extension("png");
            let name = f
                .file_stem()
                .map(|x| x.to_string_lossy().to_string())
                .unwrap_or_default();
            let _ = writeln!(
                o,
                "![{name}]({}) ([PNG]({}))\n",
                rel(run, f),
                rel(run, &png)
            );
        }
    }

    if secs.stability {
        sections::stability(&mut o, run, &growth, &size, &ord);
    }
    if secs.convergence {
        sections::convergence(&mut o, run);
    }
    if secs.kappa {
        sections::kappa(&mut o, run);
    }
    if !cfg.report.eps.is_empty() {
        sections::eps(&mut o, run);
    }

    let _ = writeln!(o, "## Configuration\n\n```toml");
    let _ = writeln!(o, "{}", cfg.to_toml().unwrap_or_default().trim_end());
    let _ = writeln!(o, "```");
    o
}
