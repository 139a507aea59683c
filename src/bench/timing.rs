//! How one measurement is timed: each (workload, lanes, engine) runs three times, (1) one
//! step, to compile pipelines and warm caches, (2) one step, timed: t_1, (3) `steps` steps,
//! timed: t_S. Every run logs only at its first and last step. The throughput is
//! `lanes (S - 1) / (t_S - t_1)`: stepping alone, without data upload, pipeline creation or the
//! two metric evaluations (t_1 says what those cost).

use super::report::BenchRow;
use super::workloads::round_lanes;
use crate::error::Result;
use crate::run::{run_study, Engine, RunOptions};
use crate::sweep::Study;
use std::time::Instant;

/// Timings of one measurement.
pub struct Timing {
    pub lanes: usize,
    pub steps: u64,
    pub t1: f64,
    pub ts: f64,
    pub diverged: usize,
    /// Threads the engine reported.
    pub threads: usize,
}

/// Warm-up (1 step), t_1 (1 step), t_S (`steps` steps) of `study` with `lanes` lanes on
/// `engine`.
pub fn time_runs(
    engine: &dyn Engine,
    study: &mut Study,
    lanes: usize,
    steps: u64,
) -> Result<Timing> {
    let lanes = round_lanes(lanes);
    let set = |study: &mut Study, steps: u64| {
        let r = &mut study.config.run;
        r.seeds = lanes / (r.neighbours + 1);
        r.steps = steps;
        r.log_every = steps;
        study.log_steps = study.config.run.log_steps();
    };
    let run = |s: &Study| run_study(engine, s, &RunOptions::default());
    set(study, 1);
    run(study)?;
    let start = Instant::now();
    run(study)?;
    let t1 = start.elapsed().as_secs_f64();
    set(study, steps);
    let start = Instant::now();
    let res = run(study)?;
    let ts = start.elapsed().as_secs_f64();
    Ok(Timing {
        lanes,
        steps,
        t1,
        ts,
        diverged: res.diverged(),
        threads: res.threads,
    })
}

/// A row's timings and rates from a measurement.
pub fn fill(row: &mut BenchRow, t: &Timing) {
    let lanes = t.lanes as f64;
    let dt = t.ts - t.t1;
    // If noise swallows the difference, fall back to end-to-end.
    let rate = if dt > 0.0 && t.steps > 1 {
        lanes * (t.steps - 1) as f64 / dt
    } else {
        lanes * t.steps as f64 / t.ts
    };
    row.status = if t.diverged == 0 {
        "ok".into()
    } else {
        format!("ok ({} lanes diverged)", t.diverged)
    };
    row.seconds = Some(dt.max(0.0));
    row.overhead_s = Some(t.t1);
    row.lane_steps_per_s = Some(rate);
    row.wall_lane_steps_per_s = Some(lanes * t.steps as f64 / t.ts);
    row.gflops = Some(rate * row.flops_per_lane_step / 1e9);
    row.gbytes_per_s = Some(rate * row.bytes_per_lane_step / 1e9);
    row.diverged = t.diverged;
}
