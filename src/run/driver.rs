//! Running one prepared study on an engine: the logging-step loop, with the f64 metrics of
//! step k computed on a worker thread while the engine advances to step k + 1.

use super::engine::{Engine, FinalState};
use super::layout::Layout;
use super::record::{GroupMeter, GroupRecord};
use super::result::{assemble, GroupOut, LaneRecord, LaneStatus, RunFacts, SweepResult};
use super::RunOptions;
use crate::error::{Result, SboError};
use crate::metrics::MetricValues;
use crate::sweep::Study;
use rayon::prelude::*;
use std::sync::mpsc;
use std::time::Instant;

/// Runs `study` on `engine`.
pub fn run_study(engine: &dyn Engine, study: &Study, opts: &RunOptions) -> Result<SweepResult> {
    let start = Instant::now();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(study.config.run.threads)
        .build()
        .map_err(|e| SboError::config("run.threads", e.to_string()))?;
    let layout = Layout::of(study);

    // The engine side: every logging step's advance and records, each handed to the metrics
    // worker; then the final state. Owning `tx`, it closes the channel whenever it returns,
    // even on an error, so the worker finishes.
    let drive =
        |tx: mpsc::SyncSender<(u64, Vec<GroupRecord>)>| -> Result<(FinalState, RunFacts, usize)> {
            let mut run = engine.start(study, &pool)?;
            let mut done = 0;
            for &t in &study.log_steps {
                // A stop is honoured between logging steps, never before the first (t = 0).
                if done > 0 && opts.stopped() {
                    break;
                }
                run.advance_to(t, opts.progress)?;
                let records = run.records()?;
                if records.len() != layout.groups() {
                    return Err(SboError::engine(format!(
                        "the engine measured {} groups, the study has {}",
                        records.len(),
                        layout.groups()
                    )));
                }
                // Blocks only while the worker is still one step behind; fails only if the
                // worker is gone (it panicked), which the join below reports.
                tx.send((t, records))
                    .map_err(|_| SboError::engine("the f64 metrics worker stopped early"))?;
                done += 1;
            }
            let facts = RunFacts {
                backend: engine.backend(),
                precision: run.precision().to_string(),
                threads: run.threads(),
                seconds: 0.0,
            };
            Ok((run.finish()?, facts, done))
        };

    // One record batch may wait in the channel, which bounds how far the engine runs ahead.
    let (engine_side, worker_side) = std::thread::scope(|s| {
        let (tx, rx) = mpsc::sync_channel::<(u64, Vec<GroupRecord>)>(1);
        let pool = &pool;
        let worker = s.spawn(move || measure(study, &layout, pool, rx));
        let engine_side = drive(tx);
        (engine_side, worker.join())
    });
    let (values, meters) = worker_side.map_err(|panic| {
        SboError::engine(format!(
            "the f64 metrics worker panicked: {}",
            panic_message(panic.as_ref())
        ))
    })?;
    let (state, mut facts, done) = engine_side?;
    facts.seconds = start.elapsed().as_secs_f64();
    let outs = group_outs(&layout, state, values, meters)?;
    Ok(assemble(study, outs, facts, &study.log_steps[..done]))
}

/// The metrics worker: every group's metric values from the records in the order they
/// arrive, each step's groups in parallel on the run's pool, keeping every group's warm start
/// of the exact inner solve from one step to the next. Returns when the channel closes.
fn measure(
    study: &Study,
    layout: &Layout,
    pool: &rayon::ThreadPool,
    rx: mpsc::Receiver<(u64, Vec<GroupRecord>)>,
) -> (Vec<Vec<MetricValues>>, Vec<GroupMeter>) {
    let n = layout.groups();
    let mut values: Vec<Vec<MetricValues>> = vec![Vec::with_capacity(study.log_steps.len()); n];
    let mut meters: Vec<GroupMeter> = (0..n).map(|_| GroupMeter::new(study)).collect();
    for (t, records) in rx {
        pool.install(|| {
            values
                .par_iter_mut()
                .zip(meters.par_iter_mut())
                .zip(records.par_iter())
                .enumerate()
                .for_each(|(g, ((vals, meter), r))| {
                    let (config, seed) = layout.group(g);
                    vals.push(meter.values(study, config, seed, t, r));
                })
        });
    }
    (values, meters)
}

fn group_outs(
    layout: &Layout,
    state: FinalState,
    values: Vec<Vec<MetricValues>>,
    meters: Vec<GroupMeter>,
) -> Result<Vec<GroupOut>> {
    if state.lanes.len() != layout.lanes() || state.group_seconds.len() != layout.groups() {
        return Err(SboError::engine(format!(
            "the engine returned {} lanes and {} group times for {} lanes in {} groups",
            state.lanes.len(),
            state.group_seconds.len(),
            layout.lanes(),
            layout.groups()
        )));
    }
    let mut lanes = state.lanes.into_iter().enumerate();
    let outs = values
        .into_iter()
        .zip(meters)
        .zip(state.group_seconds)
        .map(|((values, meter), seconds)| GroupOut {
            values,
            lanes: lanes
                .by_ref()
                .take(layout.group_size)
                .map(|(l, f)| {
                    let (config, seed, neighbour) = layout.lane(l);
                    LaneRecord {
                        config,
                        seed,
                        neighbour,
                        status: if f.diverged_at.is_some() {
                            LaneStatus::Diverged
                        } else {
                            LaneStatus::Ok
                        },
                        diverged_at: f.diverged_at,
                        x: f.x,
                        y: f.y,
                        counts: f.counts,
                    }
                })
                .collect(),
            seconds,
            warnings: meter.warnings,
        })
        .collect();
    Ok(outs)
}

/// The message of a panic payload (a `&str` or `String`, as `panic!` makes them).
fn panic_message(payload: &(dyn std::any::Any + Send)) -> &str {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s
    } else {
        "(no message)"
    }
}
