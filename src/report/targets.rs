//! The time-to-target table of a run: its rows (one per configuration) and
//! `time_to_target.csv`.

use crate::analysis::target::{resolve_target, time_to_target, TargetHit};
use crate::analysis::RunData;

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

/// Quotes a CSV field when it needs it (labels may hold commas, quotes or newlines).
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

pub fn target_csv(rows: &[TargetHit]) -> String {
    use std::fmt::Write as _;
    let mut s = String::from(
        "config,target,reached,seeds,iterations_mean,iterations_min,iterations_max,\
         oracle_calls_mean,oracle_calls_min,oracle_calls_max,samples_mean,samples_min,\
         samples_max,seconds_mean,seconds_min,seconds_max\n",
    );
    for r in rows {
        let _ = write!(
            s,
            "{},{},{},{}",
            csv_field(&r.config),
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
