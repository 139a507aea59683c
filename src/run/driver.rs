//! Running one prepared study on an engine: the logging-step loop, with the f64 metrics of
//! step k computed on a worker thread while the engine advances to step k + 1.

use super::checkpoint::{Checkpointing, EngineState, GroupProgress, PieceOut, PieceProgress};
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
    let out = run_piece(engine, study, opts, None, None)?;
    Ok(assemble(
        study,
        out.groups,
        RunFacts {
            backend: out.backend,
            precision: out.precision,
            threads: out.threads,
            seconds: out.seconds,
        },
        &study.log_steps[..out.done],
    ))
}

/// A checkpoint due at one logging step: the lanes' states, sent with the step's records so
/// that the metrics worker saves them together with the values of that step.
type Due = Option<EngineState>;

/// Runs `study` (a whole study or a shard's piece of one) on `engine`, from `resume` when
/// given, saving checkpoints through `checkpoint` as piece number `index`.
pub(super) fn run_piece(
    engine: &dyn Engine,
    study: &Study,
    opts: &RunOptions,
    resume: Option<&PieceProgress>,
    checkpoint: Option<(&Checkpointing, usize)>,
) -> Result<PieceOut> {
    let start = Instant::now();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(study.config.run.threads)
        .build()
        .map_err(|e| SboError::config("run.threads", e.to_string()))?;
    let layout = Layout::of(study);
    let before = resume.map_or(0.0, |r| r.seconds);
    let first = match resume {
        Some(r) => check_resume(engine, study, r)?,
        None => 0,
    };
    let last_saved = std::sync::Mutex::new(Instant::now());
    // The engine's precision, known once it started; checkpoints record it.
    let precision = std::sync::OnceLock::<&'static str>::new();

    // The engine side: every logging step's advance and records, each handed to the metrics
    // worker; then the final state. Owning `tx`, it closes the channel whenever it returns,
    // even on an error, so the worker finishes.
    let drive = |tx: mpsc::SyncSender<(u64, Vec<GroupRecord>, Due)>| -> Result<(FinalState, String, usize, usize)> {
        let mut run = engine.start(study, &pool)?;
        let _ = precision.set(run.precision());
        if let Some(r) = resume {
            if r.precision != run.precision() {
                return Err(SboError::config(
                    "resume",
                    format!(
                        "the checkpoint holds {} lanes, this run would continue in {}",
                        r.precision,
                        run.precision()
                    ),
                ));
            }
            run.restore(study.log_steps[first - 1], &r.engine)?;
        }
        let mut done = first;
        for &t in &study.log_steps[first..] {
            run.advance_to(t, opts.progress)?;
            let records = run.records()?;
            if records.len() != layout.groups() {
                return Err(SboError::engine(format!(
                    "the engine measured {} groups, the study has {}",
                    records.len(),
                    layout.groups()
                )));
            }
            done += 1;
            // A stop is honoured after a logging step (so never before the first, t = 0),
            // and a stopped run saves a checkpoint where it stopped.
            let more = done < study.log_steps.len();
            let stop = more && opts.stopped();
            let due = match checkpoint {
                Some((c, _)) if more => {
                    stop || last_saved.lock().map_or(true, |l| l.elapsed() >= c.every)
                }
                _ => false,
            };
            let snap = if due { Some(run.snapshot()?) } else { None };
            // Blocks only while the worker is still one step behind; fails only if the
            // worker is gone (it panicked), which the join below reports.
            tx.send((t, records, snap))
                .map_err(|_| SboError::engine("the f64 metrics worker stopped early"))?;
            if stop {
                break;
            }
        }
        let (precision, threads) = (run.precision().to_string(), run.threads());
        Ok((run.finish()?, precision, threads, done))
    };

    // The worker side: the metric values, and the checkpoints the engine side asked for.
    let save = |done: usize,
                state: EngineState,
                values: &[Vec<MetricValues>],
                meters: &[GroupMeter]|
     -> Option<String> {
        let (c, index) = checkpoint?;
        let progress = PieceProgress {
            done,
            backend: engine.backend(),
            precision: precision.get().copied().unwrap_or_default().to_string(),
            engine: state,
            groups: values
                .iter()
                .zip(meters)
                .map(|(v, m)| GroupProgress {
                    values: v.clone(),
                    y_star: m.y_star().to_vec(),
                    warnings: m.warnings.clone(),
                })
                .collect(),
            seconds: before + start.elapsed().as_secs_f64(),
        };
        let r = (c.save)(index, &progress);
        if let Ok(mut l) = last_saved.lock() {
            *l = Instant::now();
        }
        r.err().map(|e| {
            format!(
                "the checkpoint at step {} could not be saved ({e}); an interrupted run would \
                 resume from an earlier one",
                study.log_steps[done - 1]
            )
        })
    };

    // One record batch may wait in the channel, which bounds how far the engine runs ahead.
    let (engine_side, worker_side) = std::thread::scope(|s| {
        let (tx, rx) = mpsc::sync_channel::<(u64, Vec<GroupRecord>, Due)>(1);
        let pool = &pool;
        let layout = &layout;
        let save = &save;
        let worker = s.spawn(move || measure(study, layout, pool, resume, rx, save));
        let engine_side = drive(tx);
        (engine_side, worker.join())
    });
    let (values, meters, save_warnings) = worker_side.map_err(|panic| {
        SboError::engine(format!(
            "the f64 metrics worker panicked: {}",
            panic_message(panic.as_ref())
        ))
    })?;
    let (state, precision, threads, done) = engine_side?;
    let groups = group_outs(&layout, state, values, meters)?;
    Ok(PieceOut {
        groups,
        done,
        backend: engine.backend(),
        precision,
        threads,
        seconds: before + start.elapsed().as_secs_f64(),
        warnings: save_warnings,
    })
}

/// Whether `r` can continue `study` on `engine`; the number of logging steps it measured.
fn check_resume(engine: &dyn Engine, study: &Study, r: &PieceProgress) -> Result<usize> {
    if r.backend != engine.backend() {
        return Err(SboError::config(
            "resume",
            format!(
                "the checkpoint was made on {}, this run would continue on {}: only the same \
                 engine continues a run bit for bit",
                r.backend,
                engine.backend(),
            ),
        ));
    }
    r.fits(study).map_err(|why| {
        SboError::config(
            "resume",
            format!("the checkpoint does not fit the run: {why}"),
        )
    })?;
    Ok(r.done)
}

/// The metrics worker: every group's metric values from the records in the order they
/// arrive, each step's groups in parallel on the run's pool, keeping every group's warm start
/// of the exact inner solve from one step to the next, and saving the checkpoints that come
/// with a step. Returns when the channel closes, with what saving checkpoints warned.
#[allow(clippy::type_complexity)]
fn measure(
    study: &Study,
    layout: &Layout,
    pool: &rayon::ThreadPool,
    resume: Option<&PieceProgress>,
    rx: mpsc::Receiver<(u64, Vec<GroupRecord>, Due)>,
    save: &(dyn Fn(usize, EngineState, &[Vec<MetricValues>], &[GroupMeter]) -> Option<String>
          + Sync),
) -> (Vec<Vec<MetricValues>>, Vec<GroupMeter>, Vec<String>) {
    let n = layout.groups();
    let (mut values, mut meters): (Vec<Vec<MetricValues>>, Vec<GroupMeter>) = match resume {
        Some(r) => r
            .groups
            .iter()
            .map(|g| {
                let mut v = Vec::with_capacity(study.log_steps.len());
                v.extend(g.values.iter().cloned());
                (v, GroupMeter::resumed(g.y_star.clone(), g.warnings.clone()))
            })
            .unzip(),
        None => (0..n)
            .map(|g| {
                (
                    Vec::with_capacity(study.log_steps.len()),
                    GroupMeter::new(study, layout.group(g).1),
                )
            })
            .unzip(),
    };
    // Only the last save's failure matters: a later checkpoint replaces an earlier one.
    let mut last_failure = None;
    let mut done = resume.map_or(0, |r| r.done);
    for (t, records, due) in rx {
        done += 1;
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
        if let Some(state) = due {
            last_failure = save(done, state, &values, &meters);
        }
    }
    (values, meters, last_failure.into_iter().collect())
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
