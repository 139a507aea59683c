//! The time-to-target table of a run: its rows (one per configuration) and
//! `time_to_target.csv`.

use crate::analysis::target::{resolve_target, time_to_target, TargetHit};
use crate::analysis::RunData;
use crate::error::{Result, SboError};

/// Time to target of every configuration (the rows of `time_to_target.csv`).
pub fn target_rows(run: &RunData) -> Vec<TargetHit> {
    let metric = run.config.report.target_metric;
    run.configs
        .iter()
        .filter_map(|c| {
            let target = resolve_target(run, c, metric)?;
            Some(time_to_target(run, c, metric, target))
        })
        .collect()
}

/// `time_to_target.csv`: one row per configuration, numbers as Rust prints an f64.
pub fn target_csv(rows: &[TargetHit]) -> Result<String> {
    let err = |e: &dyn std::fmt::Display| SboError::Output {
        path: "time_to_target.csv".into(),
        msg: e.to_string(),
    };
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    w.write_record([
        "config",
        "target",
        "reached",
        "seeds",
        "iterations_mean",
        "iterations_min",
        "iterations_max",
        "oracle_calls_mean",
        "oracle_calls_min",
        "oracle_calls_max",
        "samples_mean",
        "samples_min",
        "samples_max",
        "seconds_mean",
        "seconds_min",
        "seconds_max",
    ])
    .map_err(|e| err(&e))?;
    for r in rows {
        let mut rec = vec![
            r.config.clone(),
            r.target.to_string(),
            r.reached.to_string(),
            r.seeds.to_string(),
        ];
        for m in [&r.iterations, &r.oracle_calls, &r.samples, &r.seconds] {
            rec.extend([m.mean, m.min, m.max].map(|v| v.to_string()));
        }
        w.write_record(&rec).map_err(|e| err(&e))?;
    }
    let bytes = w.into_inner().map_err(|e| err(&e))?;
    String::from_utf8(bytes).map_err(|e| err(&e))
}
