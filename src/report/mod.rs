//! Writers for a run directory: `config.toml` (the resolved config), `metrics.csv` (long
//! format), `lanes.csv` (final iterates) and `summary.json`.

use crate::error::{Result, SboError};
use crate::sweep::{Study, SweepResult};
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

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
pub fn start_run_dir(dir: &Path, study: &Study) -> Result<()> {
    fs::create_dir_all(dir).map_err(|e| SboError::io(dir, e))?;
    let text = study.config.to_toml()?;
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

pub fn lanes_csv(result: &SweepResult, p: usize, d: usize) -> String {
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
        for v in l.x.iter().chain(&l.y) {
            let _ = write!(s, ",{}", num(*v));
        }
        s.push('\n');
    }
    s
}

pub fn summary_json(study: &Study, result: &SweepResult) -> Result<String> {
    let configs: Vec<serde_json::Value> = study
        .configs
        .iter()
        .zip(&result.configs)
        .map(|(c, r)| {
            serde_json::json!({
                "label": c.label,
                "algorithm": c.algo.kind.name(),
                "settings": c.algo,
                "seconds": r.seconds,
            })
        })
        .collect();
    let v = serde_json::json!({
        "name": study.config.name,
        "backend": result.backend,
        "precision": result.precision,
        "threads": result.threads,
        "problem": study.spec,
        "data": {
            "d": study.d(),
            "p": study.p(),
            "n_lower": study.splits.lower.n,
            "n_upper": study.splits.upper.n,
            "n_test": study.splits.test.n,
            "n_pool": study.splits.pool.n,
        },
        "seeds": study.config.run.seeds,
        "neighbours": study.config.run.neighbours,
        "lanes": result.lanes.len(),
        "diverged_lanes": result.diverged(),
        "steps": study.config.run.steps,
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

/// Writes the result files into a directory made by [`start_run_dir`].
pub fn finish_run_dir(dir: &Path, study: &Study, result: &SweepResult) -> Result<()> {
    write(dir.join("metrics.csv"), &metrics_csv(result))?;
    write(
        dir.join("lanes.csv"),
        &lanes_csv(result, study.p(), study.d()),
    )?;
    write(dir.join("summary.json"), &summary_json(study, result)?)
}
