//! `sbo report`: a Markdown report of a run directory — the configuration, the figures, the
//! fitted exponents next to what the theory predicts with a verdict for each claim, the
//! step-size selection and the time-to-target table. Everything comes from the files of the
//! run directory, so a report can be made again at any time.

use super::sections;
use crate::analysis::kappa;
use crate::analysis::stability::{self, Claim, Verdict};
use crate::analysis::target::{resolve_target, time_to_target, Spread, TargetHit};
use crate::analysis::RunData;
use crate::error::{Result, SboError};
use crate::metrics::Summary;
use crate::sweep::{DataKind, StudyKind};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

pub(super) fn e(v: f64) -> String {
    if v.is_finite() {
        format!("{v:.3e}")
    } else {
        "–".into()
    }
}

pub(super) fn ci(s: &Summary) -> String {
    if s.count == 0 {
        "–".into()
    } else if s.ci_low.is_finite() {
        format!("{} [{}, {}]", e(s.mean), e(s.ci_low), e(s.ci_high))
    } else {
        e(s.mean)
    }
}

/// A table cell: pipes escaped so they do not split the row.
fn cell(s: &str) -> String {
    s.replace('|', "\\|")
}

/// `mean (min–max)` over seeds.
pub(super) fn spread(s: &Spread) -> String {
    if s.count == 0 {
        "–".into()
    } else if s.min == s.max {
        e(s.mean)
    } else {
        format!("{} ({} – {})", e(s.mean), e(s.min), e(s.max))
    }
}

fn verdict(v: Verdict) -> &'static str {
    match v {
        Verdict::Holds => "holds",
        Verdict::Fails => "**does not hold**",
        Verdict::Inconclusive => "inconclusive",
        Verdict::NotJudged => "not judged",
    }
}

pub(super) fn claims_table(out: &mut String, claims: &[Claim]) {
    let _ = writeln!(
        out,
        "| configuration | theory predicts | this run | verdict |"
    );
    let _ = writeln!(out, "|---|---|---|---|");
    for c in claims {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            cell(&c.subject),
            cell(&c.prediction),
            cell(&c.observed),
            verdict(c.verdict)
        );
    }
    let _ = writeln!(out, "\nIn this run {}", tally(claims));
    out.push('\n');
}

/// "holds in 5 of 6 rows, inconclusive in 1": counts of each verdict.
fn tally(claims: &[Claim]) -> String {
    let n = |v: Verdict| claims.iter().filter(|c| c.verdict == v).count();
    let mut parts = vec![format!(
        "the prediction holds in {} of {} rows",
        n(Verdict::Holds),
        claims.len()
    )];
    if n(Verdict::Fails) > 0 {
        parts.push(format!(
            "does not hold in {} (they disagree with the theory as stated)",
            n(Verdict::Fails)
        ));
    }
    if n(Verdict::Inconclusive) > 0 {
        parts.push(format!(
            "is inconclusive in {} (the 95% interval straddles the threshold: more seeds or a longer run would decide)",
            n(Verdict::Inconclusive)
        ));
    }
    if n(Verdict::NotJudged) > 0 {
        parts.push(format!("is not judged in {}", n(Verdict::NotJudged)));
    }
    format!("{}.", parts.join(", "))
}

/// Which sections a run gets.
struct Sections {
    stability: bool,
    convergence: bool,
    kappa: bool,
}

fn sections(run: &RunData) -> Sections {
    let has = |m: &str| run.configs.iter().any(|c| c.per_seed.contains_key(m));
    let neighbours = run.summary["neighbours"].as_u64().unwrap_or(0) > 0;
    let kind = run.config.report.kind;
    let kappa = kappa::is_kappa_study(run);
    Sections {
        stability: neighbours
            && has(&run.config.report.stability_metric)
            && matches!(kind, StudyKind::Auto | StudyKind::Stability),
        convergence: has(&run.config.report.target_metric)
            && matches!(
                kind,
                StudyKind::Auto | StudyKind::Convergence | StudyKind::Kappa
            ),
        kappa: kappa && matches!(kind, StudyKind::Auto | StudyKind::Kappa),
    }
}

/// Time to target of every configuration (the rows of `time_to_target.csv`).
pub fn target_rows(run: &RunData) -> Vec<TargetHit> {
    let metric = &run.config.report.target_metric;
    run.configs
        .iter()
        .filter_map(|c| {
            let target = resolve_target(run, c, metric)?;
            Some(time_to_target(run, c, metric, target))
        })
        .collect()
}

pub fn target_csv(rows: &[TargetHit]) -> String {
    let mut s = String::from(
        "config,target,reached,seeds,iterations_mean,iterations_min,iterations_max,\
         oracle_calls_mean,oracle_calls_min,oracle_calls_max,samples_mean,samples_min,\
         samples_max,seconds_mean,seconds_min,seconds_max\n",
    );
    for r in rows {
        let _ = write!(
            s,
            "{},{},{},{}",
            super::csv_field(&r.config),
            r.target,
            r.reached,
            r.seeds
        );
        for m in [&r.iterations, &r.oracle_calls, &r.samples, &r.seconds] {
            let _ = write!(s, ",{},{},{}", m.mean, m.min, m.max);
        }
        s.push('\n');
    }
    s
}

/// Writes `report.md` (and `time_to_target.csv` where a target is set) into the run
/// directory; `figures` are the files `sbo plot` wrote, linked from the report.
pub fn write_report(run: &RunData, figures: &[PathBuf]) -> Result<PathBuf> {
    let text = render(run, figures);
    let path = run.dir.join("report.md");
    std::fs::write(&path, text).map_err(|err| SboError::io(&path, err))?;
    let rows = target_rows(run);
    if !rows.is_empty() {
        let p = run.dir.join("time_to_target.csv");
        std::fs::write(&p, target_csv(&rows)).map_err(|err| SboError::io(&p, err))?;
    }
    Ok(path)
}

fn rel(run: &RunData, p: &Path) -> String {
    p.strip_prefix(&run.dir)
        .unwrap_or(p)
        .to_string_lossy()
        .replace('\\', "/")
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
        s["versions"]["sbo"].as_str().unwrap_or("?"),
        s["backend"].as_str().unwrap_or("?"),
        s["precision"].as_str().unwrap_or("?"),
        run.configs.len(),
        run.seeds.len(),
        s["neighbours"].as_u64().unwrap_or(0) + 1,
        run.steps(),
        s["lane_steps"].as_u64().unwrap_or(0),
        s["seconds"].as_f64().unwrap_or(f64::NAN),
    );
    let _ = writeln!(
        o,
        "Problem `{}`; data `{:?}`{}{}. Intervals are Student-t 95% over the {} seeds.\n",
        if run.vary_keys().iter().any(|k| k == "problem.preset") {
            "varies (see the labels)".to_string()
        } else {
            cfg.problem.preset.name().to_string()
        },
        cfg.data.kind,
        if cfg.data.kind == DataKind::Synthetic {
            " (test loss = exact population risk)"
        } else {
            ""
        },
        if s["neighbours"].as_u64().unwrap_or(0) > 0 {
            if run.vary_keys().iter().any(|k| k == "run.replace") {
                "; the set whose samples neighbours replace varies (see the labels)".to_string()
            } else {
                format!(
                    "; neighbours replace {} samples",
                    s["replace"].as_str().unwrap_or("upper")
                )
            }
        } else {
            String::new()
        },
        run.seeds.len()
    );
    if let Some(w) = s["warnings"].as_array().filter(|w| !w.is_empty()) {
        let _ = writeln!(o, "**Warnings from the run:**\n");
        for x in w {
            let _ = writeln!(o, "- {}", x.as_str().unwrap_or_default());
        }
        o.push('\n');
    }

    let secs = sections(run);
    let metric = cfg.report.stability_metric.as_str();

    // The verdicts first, so a reader sees at once where the run disagrees with the theory.
    let growth = stability::growth_claims(run, metric);
    let size = stability::size_claims(run, metric);
    let ord = stability::ordering_claims(run, metric);
    if secs.stability {
        let _ = writeln!(o, "## Verdicts\n");
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

    let _ = writeln!(o, "## Configuration\n\n```toml");
    let _ = writeln!(o, "{}", cfg.to_toml().unwrap_or_default().trim_end());
    let _ = writeln!(o, "```");
    o
}
