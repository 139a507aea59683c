//! The CPU engine: the reference. Each (configuration, seed) group — a base lane and its
//! neighbours — advances from one logging step to the next on the run's thread pool, in f64
//! or f32 (`run.precision`). Stability is measured within a group, so no trajectory is ever
//! stored: memory is O(lanes (p + d)).
//!
//! Owns: lane states on the host and their stepping. Must not know: the GPU engine, metrics
//! beyond the group record, files.

mod packed;

use crate::algo::{advance, LaneState, StepReal};
use crate::data::DataView;
use crate::error::{Result, SboError};
use crate::metrics::sq_dist;
use crate::problem::{accuracy, data_loss, Oracles};
use crate::real::{Real, PACK};
use crate::rng::LaneRng;
use crate::run::{
    neighbour_replacements, DeviceInfo, Engine, EngineRun, EngineState, FinalLane, FinalState,
    GroupRecord, LaneSnapshot, Layout, StabilitySums,
};
use crate::sweep::{Precision, Study};
use packed::{LaneCopy, Packs};
use rayon::prelude::*;
use std::time::Instant;

/// The CPU engine. Stateless: every run brings its study and uses the run's thread pool.
#[derive(Clone, Copy, Debug, Default)]
pub struct CpuEngine;

impl Engine for CpuEngine {
    fn backend(&self) -> String {
        "cpu".into()
    }

    fn is_gpu(&self) -> bool {
        false
    }

    fn device(&self) -> DeviceInfo {
        DeviceInfo {
            name: model_name(),
            backend: "cpu".into(),
            device_type: "Cpu".into(),
            ..DeviceInfo::default()
        }
    }

    fn start<'s>(
        &'s self,
        study: &'s Study,
        pool: &'s rayon::ThreadPool,
    ) -> Result<Box<dyn EngineRun + 's>> {
        Ok(match study.config.run.precision {
            Precision::F64 => Box::new(CpuRun::<f64>::new(study, pool)?),
            Precision::F32 => Box::new(CpuRun::<f32>::new(study, pool)?),
        })
    }
}

/// The CPU model from /proc/cpuinfo (Linux), else the architecture.
pub fn model_name() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| std::env::consts::ARCH.to_string())
}

/// A base lane and its neighbours, with the oracles of the datasets each one sees.
struct Group<'s, T: Real> {
    config: usize,
    rng: LaneRng,
    /// The base lane's oracles (its sets, nothing replaced): the record's losses.
    base: Oracles<'s>,
    /// The seed's test set.
    test: DataView<'s>,
    lanes: Lanes<'s, T>,
    diverged_at: Vec<Option<u64>>,
    /// Stepping seconds of the base lane (the `seconds` metric; with packs, its share of its
    /// pack's) and of all lanes.
    base_seconds: f64,
    seconds: f64,
}

/// How a group's lanes are stored and stepped.
enum Lanes<'s, T: Real> {
    /// One by one, each with its own oracles (the reference).
    Single {
        oracles: Vec<Oracles<'s>>,
        states: Vec<LaneState<T>>,
        /// x, y, v of the lane being advanced as they were before its interval: what a lane
        /// that diverges in it keeps.
        kept: [Vec<T>; 3],
    },
    /// Eight at a time (`run.lane_packs`).
    Packed(Box<Packs<'s, T>>),
}

struct CpuRun<'s, T: Real> {
    study: &'s Study,
    pool: &'s rayon::ThreadPool,
    groups: Vec<Group<'s, T>>,
    t: u64,
}

/// Whether a study's groups are stepped as packs: asked for, an algorithm with a packed step,
/// a model whose oracles packs take (the linear model with a scalar loss), and groups of at
/// least half a pack (smaller ones would mostly compute padding).
fn packs<T: StepReal>(study: &Study, cfg: &crate::algo::AlgoConfig, base: &Oracles) -> bool {
    study.config.run.lane_packs
        && T::packed(cfg.kind.descriptor()).is_some()
        && base.is_linear_binary()
        && Layout::of(study).group_size >= PACK / 2
}

impl<'s, T: StepReal> CpuRun<'s, T> {
    fn new(study: &'s Study, pool: &'s rayon::ThreadPool) -> Result<Self> {
        let run = &study.config.run;
        let layout = Layout::of(study);
        let (p, d) = (study.p(), study.d());
        let x0 = vec![T::of(run.x0); p];
        let groups = (0..layout.groups())
            .map(|g| {
                let (config, seed) = layout.group(g);
                let cfg = &study.configs[config].algo;
                let sets = study.data.sets(seed)?;
                let y0: Vec<T> = study.initial_y(seed).into_iter().map(T::of).collect();
                let repl: Vec<_> = (0..layout.group_size)
                    .map(|i| neighbour_replacements(&sets, run.replace, seed, i))
                    .collect();
                let base = Oracles {
                    spec: &study.spec,
                    lower: sets.lower,
                    upper: sets.upper,
                };
                let lanes = match T::packed(cfg.kind.descriptor()) {
                    Some(step) if packs::<T>(study, cfg, &base) => {
                        Lanes::Packed(Box::new(Packs::new(cfg, step, base, repl, &x0, &y0)))
                    }
                    _ => {
                        let oracles: Vec<Oracles> = repl
                            .into_iter()
                            .map(|(lr, ur)| Oracles {
                                spec: &study.spec,
                                lower: sets.lower.replacing(lr),
                                upper: sets.upper.replacing(ur),
                            })
                            .collect();
                        Lanes::Single {
                            states: oracles
                                .iter()
                                .map(|o| LaneState::new(cfg, o, &x0, &y0))
                                .collect(),
                            oracles,
                            kept: [vec![T::zero(); p], vec![T::zero(); d], vec![T::zero(); d]],
                        }
                    }
                };
                Ok(Group {
                    config,
                    test: sets.test,
                    rng: LaneRng::new(seed),
                    base,
                    lanes,
                    diverged_at: vec![None; layout.group_size],
                    base_seconds: 0.0,
                    seconds: 0.0,
                })
            })
            .collect::<Result<_>>()?;
        Ok(CpuRun {
            study,
            pool,
            groups,
            t: 0,
        })
    }
}

impl<T: StepReal> Group<'_, T> {
    /// Advances the lanes that have not diverged by `steps`; a lane found beyond
    /// `run.divergence_bound` (or not finite) diverged at step `t` and goes back to its
    /// iterate before this interval.
    fn advance(&mut self, study: &Study, steps: u64, t: u64) {
        let cfg = &study.configs[self.config].algo;
        let bound = study.config.run.divergence_bound;
        match &mut self.lanes {
            Lanes::Packed(packs) => {
                let (all, base) =
                    packs.advance(cfg, &self.rng, steps, t, bound, &mut self.diverged_at);
                self.seconds += all;
                self.base_seconds += base;
            }
            Lanes::Single {
                oracles,
                states,
                kept,
            } => {
                for (i, lane) in states.iter_mut().enumerate() {
                    if self.diverged_at[i].is_some() || steps == 0 {
                        continue;
                    }
                    let [kx, ky, kv] = kept;
                    kx.copy_from_slice(&lane.x);
                    ky.copy_from_slice(&lane.y);
                    kv.copy_from_slice(&lane.v);
                    let t0 = Instant::now();
                    advance(cfg, &oracles[i], &self.rng, lane, steps);
                    let dt = t0.elapsed().as_secs_f64();
                    self.seconds += dt;
                    if i == 0 {
                        self.base_seconds += dt;
                    }
                    if !lane.is_within(bound) {
                        self.diverged_at[i] = Some(t);
                        lane.x.copy_from_slice(kx);
                        lane.y.copy_from_slice(ky);
                        lane.v.copy_from_slice(kv);
                    }
                }
            }
        }
    }

    fn len(&self) -> usize {
        self.diverged_at.len()
    }

    /// Lane i's state, whichever way the lanes are stored.
    fn lane(&self, i: usize) -> LaneCopy<T> {
        match &self.lanes {
            Lanes::Packed(packs) => packs.lane(i),
            Lanes::Single { states, .. } => {
                let l = &states[i];
                LaneCopy {
                    x: l.x.clone(),
                    y: l.y.clone(),
                    v: l.v.clone(),
                    m: l.m.clone(),
                    counts: l.counts,
                }
            }
        }
    }

    /// The group's record (twin of `shaders/metrics.wgsl`): stability over the finite
    /// neighbours, the base lane's losses, accumulated in f64.
    fn record(&self, study: &Study) -> GroupRecord {
        let b = self.lane(0);
        let base = &self.base;
        let mut stability = StabilitySums::default();
        for (i, div) in self.diverged_at.iter().enumerate().skip(1) {
            if div.is_none() {
                let lane = self.lane(i);
                let dx = sq_dist(&b.x, &lane.x);
                let dy = sq_dist(&b.y, &lane.y);
                stability.dist_x += dx.sqrt();
                stability.dist_y += dy.sqrt();
                stability.dist_xy += (dx + dy).sqrt();
                stability.dist_x_sq += dx;
                stability.dist_y_sq += dy;
                stability.n += 1.0;
            }
        }
        let spec = &study.spec;
        let base_diverged = self.diverged_at[0].is_some();
        let measure = !base_diverged;
        let logistic = spec.loss.is_classification();
        let test = self.test;
        GroupRecord {
            base_diverged,
            stability,
            val_loss: if measure {
                data_loss(spec, base.upper, &b.y)
            } else {
                f64::NAN
            },
            test_loss: if measure && !study.test_from_population() {
                data_loss(spec, test, &b.y)
            } else {
                f64::NAN
            },
            upper_objective: if measure {
                base.upper_value(&b.x, &b.y)
            } else {
                f64::NAN
            },
            lower_objective: if measure {
                base.lower_value(&b.x, &b.y)
            } else {
                f64::NAN
            },
            val_accuracy: if measure && logistic {
                accuracy(spec, base.upper, &b.y)
            } else {
                f64::NAN
            },
            test_accuracy: if measure && logistic {
                accuracy(spec, test, &b.y)
            } else {
                f64::NAN
            },
            x: b.x.iter().map(|v| v.as_f64()).collect(),
            y: b.y.iter().map(|v| v.as_f64()).collect(),
            counts: b.counts,
            seconds: self.base_seconds,
        }
    }
}

impl<T: StepReal> EngineRun for CpuRun<'_, T> {
    fn precision(&self) -> &'static str {
        T::NAME
    }

    fn threads(&self) -> usize {
        self.pool.current_num_threads()
    }

    fn advance_to(&mut self, t: u64, progress: Option<&(dyn Fn(u64) + Sync)>) -> Result<()> {
        let steps = t.saturating_sub(self.t);
        let study = self.study;
        let t_now = t.max(self.t);
        self.pool.install(|| {
            self.groups.par_iter_mut().for_each(|g| {
                g.advance(study, steps, t_now);
                if let Some(cb) = progress {
                    cb(steps * g.len() as u64);
                }
            })
        });
        self.t = t_now;
        Ok(())
    }

    fn records(&mut self) -> Result<Vec<GroupRecord>> {
        let study = self.study;
        Ok(self
            .pool
            .install(|| self.groups.par_iter().map(|g| g.record(study)).collect()))
    }

    fn snapshot(&mut self) -> Result<EngineState> {
        let wide = |v: &[T]| v.iter().map(|x| x.as_f64()).collect();
        let lanes = self
            .groups
            .iter()
            .flat_map(|g| {
                (0..g.len()).map(|i| {
                    let l = g.lane(i);
                    LaneSnapshot {
                        x: wide(&l.x),
                        y: wide(&l.y),
                        v: wide(&l.v),
                        m: wide(&l.m),
                        counts: l.counts,
                        diverged_at: g.diverged_at[i],
                    }
                })
            })
            .collect();
        let clocks = self
            .groups
            .iter()
            .map(|g| (g.base_seconds, g.seconds))
            .collect();
        Ok(EngineState { lanes, clocks })
    }

    fn restore(&mut self, t: u64, state: &EngineState) -> Result<()> {
        let n: usize = self.groups.iter().map(|g| g.len()).sum();
        if state.lanes.len() != n || state.clocks.len() != self.groups.len() {
            return Err(SboError::config(
                "resume",
                format!(
                    "the checkpoint holds {} lanes, the study has {n}",
                    state.lanes.len()
                ),
            ));
        }
        let mismatch = || {
            SboError::config(
                "resume",
                "a checkpointed lane's dimensions differ from the study's",
            )
        };
        // Exact: the values were widened from T.
        let narrow = |v: &[f64]| v.iter().map(|a| T::of(*a)).collect::<Vec<T>>();
        let mut saved = state.lanes.iter();
        for (g, &(base, all)) in self.groups.iter_mut().zip(&state.clocks) {
            g.base_seconds = base;
            g.seconds = all;
            for i in 0..g.len() {
                let Some(s) = saved.next() else { break };
                let lane = LaneCopy {
                    x: narrow(&s.x),
                    y: narrow(&s.y),
                    v: narrow(&s.v),
                    m: narrow(&s.m),
                    counts: s.counts,
                };
                let dims = [lane.x.len(), lane.y.len(), lane.v.len(), lane.m.len()];
                g.diverged_at[i] = s.diverged_at;
                match &mut g.lanes {
                    Lanes::Packed(packs) => {
                        if packs.dims() != dims {
                            return Err(mismatch());
                        }
                        packs.set_lane(i, lane, t, s.diverged_at.is_some());
                    }
                    Lanes::Single { states, .. } => {
                        let to = &mut states[i];
                        if [to.x.len(), to.y.len(), to.v.len(), to.m.len()] != dims {
                            return Err(mismatch());
                        }
                        to.x = lane.x;
                        to.y = lane.y;
                        to.v = lane.v;
                        to.m = lane.m;
                        to.counts = lane.counts;
                        to.t = t;
                    }
                }
            }
        }
        self.t = t;
        Ok(())
    }

    fn finish(self: Box<Self>) -> Result<FinalState> {
        let group_seconds = self.groups.iter().map(|g| g.seconds).collect();
        let lanes = self
            .groups
            .iter()
            .flat_map(|g| {
                (0..g.len())
                    .map(|i| {
                        let l = g.lane(i);
                        FinalLane {
                            x: l.x.iter().map(|v| v.as_f64()).collect(),
                            y: l.y.iter().map(|v| v.as_f64()).collect(),
                            diverged_at: g.diverged_at[i],
                            counts: l.counts,
                        }
                    })
                    .collect::<Vec<_>>()
            })
            .collect();
        Ok(FinalState {
            lanes,
            group_seconds,
        })
    }
}
