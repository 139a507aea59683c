//! Writers for a run directory: `config.toml` (the resolved config), `metrics.csv` (long
//! format, summaries over seeds), `seeds.csv` (the per-seed values the summaries and the fits
//! of `sbo report` come from), `lanes.csv` (final iterates) and `summary.json`.

use crate::error::{Result, SboError};
use crate::metrics::names;
use crate::sweep::{Plan, SweepResult};
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

pub mod figures;
pub mod markdown;
mod sections;

pub const METRICS_HEADER: &str = "config,algorithm,t,metric,mean,std,ci_low,ci_high,count";

fn write(path: PathBuf, text: &str) -> Result<()> {
    fs::write(&path, text).map_err(|e| SboError::io(path, e))
}

/// Quotes a CSV field when it needs it (labels may hold commas or quotes).
pub fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// Shortest text that reads back as the same f64 (`nan` for missing values).
fn num(v: f64) -> String {
    if v.is_nan() {
        "nan".into()
    } else {
        format!("{v}")
    }
}

/// Creates `dir` and writes the resolved configuration first, so that a run that fails later
/// still leaves a record of what was asked.
pub fn start_run_dir(dir: &Path, plan: &Plan) -> Result<()> {
    fs::create_dir_all(dir).map_err(|e| SboError::io(dir, e))?;
    // Without [vary] the study's resolved form (grid written out); with it, the sweep as
    // given with defaults filled in, since each variant resolves differently.
    let text = if plan.variants.len() == 1 && plan.config.vary.is_empty() {
        plan.first().config.to_toml()?
    } else {
        plan.config.to_toml()?
    };
    write(
        dir.join("config.toml"),
        &format!("# Resolved configuration (every default filled in); `sbo run` on this file repeats the run.\n{text}"),
    )
}

pub fn metrics_csv(result: &SweepResult) -> String {
    let mut s = String::with_capacity(1 << 16);
    s.push_str(METRICS_HEADER);
    s.push('\n');
    for c in &result.configs {
        let label = csv_field(&c.label);
        for r in &c.rows {
            let m = &r.summary;
            let _ = writeln!(
                s,
                "{label},{},{},{},{},{},{},{},{}",
                c.algorithm,
                r.t,
                r.metric,
                num(m.mean),
                num(m.std),
                num(m.ci_low),
                num(m.ci_high),
                m.count
            );
        }
    }
    s
}

/// Per-seed values: one row per (configuration, seed, logging step), one column per metric
/// that any configuration measured.
pub fn seeds_csv(result: &SweepResult, seed_base: u64) -> String {
    let present: Vec<usize> = (0..names::ALL.len())
        .filter(|&m| {
            result.configs.iter().any(|c| {
                c.per_seed
                    .iter()
                    .any(|s| s.iter().any(|row| row.get(m).is_some_and(|v| !v.is_nan())))
            })
        })
        .collect();
    let mut s = String::with_capacity(1 << 16);
    s.push_str("config,seed,t");
    for &m in &present {
        let _ = write!(s, ",{}", names::ALL[m]);
    }
    s.push('\n');
    for c in &result.configs {
        let label = csv_field(&c.label);
        for (si, rows) in c.per_seed.iter().enumerate() {
            for (li, row) in rows.iter().enumerate() {
                let t = result.log_steps.get(li).copied().unwrap_or(0);
                let _ = write!(s, "{label},{},{t}", seed_base + si as u64);
                for &m in &present {
                    let _ = write!(s, ",{}", num(row.get(m).copied().unwrap_or(f64::NAN)));
                }
                s.push('\n');
            }
        }
    }
    s
}

/// Final iterates; variants with smaller p or d leave their extra columns empty.
pub fn lanes_csv(result: &SweepResult) -> String {
    let p = result.lanes.iter().map(|l| l.x.len()).max().unwrap_or(0);
    let d = result.lanes.iter().map(|l| l.y.len()).max().unwrap_or(0);
    let mut s = String::from("config,seed,neighbour,status");
    for i in 0..p {
        let _ = write!(s, ",x_{i}");
    }
    for i in 0..d {
        let _ = write!(s, ",y_{i}");
    }
    s.push('\n');
    for l in &result.lanes {
        let label = csv_field(&result.configs[l.config].label);
        let status = match l.status {
            crate::sweep::LaneStatus::Ok => "ok",
            crate::sweep::LaneStatus::Diverged => "diverged",
        };
        let _ = write!(s, "{label},{},{},{status}", l.seed, l.neighbour);
        for (v, n) in [(&l.x, p), (&l.y, d)] {
            for i in 0..n {
                match v.get(i) {
                    Some(x) => {
                        let _ = write!(s, ",{}", num(*x));
                    }
                    None => s.push(','),
                }
            }
        }
        s.push('\n');
    }
    s
}

pub fn summary_json(plan: &Plan, result: &SweepResult) -> Result<String> {
    let study = plan.first();
    let configs: Vec<serde_json::Value> = result
        .configs
        .iter()
        .map(|r| {
            serde_json::json!({
                "label": r.label,
                "algo_label": r.algo_label,
                "variant": r.variant,
                "algorithm": r.algorithm,
                "settings": r.settings,
                "seconds": r.seconds,
            })
        })
        .collect();
    let variants: Vec<serde_json::Value> = plan
        .variants
        .iter()
        .map(|v| {
            let s = &v.study;
            serde_json::json!({
                "label": v.variant.label,
                "values": v.variant.values,
                "problem": s.spec,
                "data": data_json(s),
            })
        })
        .collect();
    let run = &study.config.run;
    let v = serde_json::json!({
        "name": plan.config.name,
        "backend": result.backend,
        "precision": result.precision,
        "threads": result.threads,
        "problem": study.spec,
        "data": data_json(study),
        "variants": variants,
        "seeds": run.seeds,
        "seed_base": run.seed_base,
        "neighbours": run.neighbours,
        "replace": run.replace,
        "lanes": result.lanes.len(),
        "diverged_lanes": result.diverged(),
        "steps": run.steps,
        "log_steps": result.log_steps,
        "lane_steps": result.lane_steps,
        "seconds": result.seconds,
        "lane_steps_per_second": result.lane_steps as f64 / result.seconds.max(1e-9),
        "configs": configs,
        "warnings": result.warnings,
        "versions": {
            "sbo": env!("CARGO_PKG_VERSION"),
        },
    });
    serde_json::to_string_pretty(&v).map_err(|e| SboError::Output {
        path: "summary.json".into(),
        msg: e.to_string(),
    })
}

fn data_json(study: &crate::sweep::Study) -> serde_json::Value {
    serde_json::json!({
        "d": study.d(),
        "p": study.p(),
        "n_lower": study.splits.lower.n,
        "n_upper": study.splits.upper.n,
        "n_test": study.splits.test.n,
        "n_pool": study.splits.pool.n,
        "kappa": study.config.data.kappa,
    })
}

/// Writes the result files into a directory made by [`start_run_dir`].
pub fn finish_run_dir(dir: &Path, plan: &Plan, result: &SweepResult) -> Result<()> {
    write(dir.join("metrics.csv"), &metrics_csv(result))?;
    write(
        dir.join("seeds.csv"),
        &seeds_csv(result, plan.first().config.run.seed_base),
    )?;
    write(dir.join("lanes.csv"), &lanes_csv(result))?;
    write(dir.join("summary.json"), &summary_json(plan, result)?)
}
