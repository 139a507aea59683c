//! The time-to-target table of a run: its rows (one per configuration) and
//! `time_to_target.csv`.

use crate::analysis::target::{resolve_target, time_to_target, TargetHit};
use crate::analysis::RunData;
use crate::error::Result;
use crate::rundir::write::text_csv;

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
    let header = [
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
    ];
    text_csv(
        "time_to_target.csv",
        &header,
        rows.iter().map(|r| {
            let mut rec = vec![
                r.config.clone(),
                r.target.to_string(),
                r.reached.to_string(),
                r.seeds.to_string(),
            ];
            for m in [&r.iterations, &r.oracle_calls, &r.samples, &r.seconds] {
                rec.extend([m.mean, m.min, m.max].map(|v| v.to_string()));
            }
            rec
        }),
    )
}
