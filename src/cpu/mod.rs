//! The CPU engine: the reference. Lanes advance from one logging step to the next on the
//! run's thread pool, in f64 or f32 (`run.precision`), in cohorts: lanes of one seed that
//! draw the same batches — a group's base lane and its neighbours, and (with
//! `run.lane_packs`) the groups of every configuration that differs from another only in step
//! sizes — stepped eight at a time as lane packs (`packed`), or one group's lanes one by one
//! (the reference the packs equal bit for bit). Stability is measured within a group, so no
//! trajectory is ever stored: memory is O(lanes (p + d)).
//!
//! Owns: lane states on the host, their cohorts and their stepping. Must not know: the GPU
//! engine, metrics beyond the group record, files.

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

/// Lanes stepped together, sharing one seed's generator: the lanes of one or more
/// (configuration, seed) groups.
struct Cohort<'s, T: Real> {
    rng: LaneRng,
    /// The groups whose lanes these are: lane j G + i is lane i of `members[j]` (G lanes per
    /// group: the base lane and its neighbours).
    members: Vec<Member<'s>>,
    lanes: Lanes<'s, T>,
    diverged_at: Vec<Option<u64>>,
    /// Stepping seconds of each lane (a packed lane's share of its pack's).
    seconds: Vec<f64>,
}

/// One (configuration, seed) group of a cohort: what its record needs.
struct Member<'s> {
    /// Its index in the layout (configuration-major).
    group: usize,
    config: usize,
    /// The base lane's oracles (the seed's sets, nothing replaced): the record's losses.
    base: Oracles<'s>,
    /// The seed's test set.
    test: DataView<'s>,
}

/// How a cohort's lanes are stored and stepped.
enum Lanes<'s, T: Real> {
    /// One group's lanes one by one, each with its own oracles (the reference).
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
    cohorts: Vec<Cohort<'s, T>>,
    groups: usize,
    t: u64,
}

/// Most lanes a cohort gathers from several groups: enough packs to amortise a row read
/// over many lanes, few enough that the cohorts of a sweep keep every thread busy.
const MAX_COHORT_LANES: usize = 8 * PACK;

/// Whether lanes of configuration `config` go into packs: asked for, an algorithm with a
/// packed step, and a model whose oracles packs take (the linear model with a scalar loss).
fn packable<T: StepReal>(study: &Study, config: usize, base: &Oracles) -> bool {
    study.config.run.lane_packs
        && T::packed(study.configs[config].algo.kind.descriptor()).is_some()
        && base.is_linear_binary()
}

/// The configurations of a study in cohorts: those whose lanes can share packs
/// ([`AlgoConfig::same_batches`]) together, at most [`MAX_COHORT_LANES`] lanes (or one
/// group) each; the others alone.
fn cohort_configs<T: StepReal>(study: &Study, base: &Oracles) -> Vec<Vec<usize>> {
    let g = Layout::of(study).group_size;
    let mut cohorts: Vec<Vec<usize>> = Vec::new();
    for c in 0..study.configs.len() {
        let cfg = &study.configs[c].algo;
        let joins = cohorts.iter_mut().find(|m| {
            packable::<T>(study, c, base)
                && packable::<T>(study, m[0], base)
                && (m.len() + 1) * g <= MAX_COHORT_LANES
                && study.configs[m[0]].algo.same_batches(cfg)
        });
        match joins {
            Some(m) => m.push(c),
            None => cohorts.push(vec![c]),
        }
    }
    cohorts
}

/// How many of a study's lanes the CPU engine steps in lane packs (the rest go one by one):
/// what `run.lane_packs` buys for this study, and what the tests check was used.
pub fn lanes_in_packs(study: &Study) -> Result<usize> {
    let layout = Layout::of(study);
    let sets = study.data.sets(layout.seed_base)?;
    let base = Oracles {
        spec: &study.spec,
        lower: sets.lower,
        upper: sets.upper,
    };
    let per_seed: usize = cohort_lists::<f64>(study, &base)
        .iter()
        .filter(|c| packed_cohort::<f64>(study, c, &base))
        .map(|c| c.len() * layout.group_size)
        .sum();
    Ok(per_seed * layout.seeds)
}

/// Whether the cohort of `configs` (from [`cohort_lists`]) is stepped in packs.
fn packed_cohort<T: StepReal>(study: &Study, configs: &[usize], base: &Oracles) -> bool {
    let g = Layout::of(study).group_size;
    packable::<T>(study, configs[0], base) && configs.len() * g >= PACK / 2
}

/// The configurations of one seed's cohorts: [`cohort_configs`], with a class too small to
/// fill half a pack split into one cohort per configuration (packs of fewer than half their
/// lanes would mostly compute padding).
fn cohort_lists<T: StepReal>(study: &Study, base: &Oracles) -> Vec<Vec<usize>> {
    let mut lists = Vec::new();
    for class in cohort_configs::<T>(study, base) {
        if packed_cohort::<T>(study, &class, base) {
            lists.push(class);
        } else {
            lists.extend(class.into_iter().map(|c| vec![c]));
        }
    }
    lists
}

impl<'s, T: StepReal> CpuRun<'s, T> {
    fn new(study: &'s Study, pool: &'s rayon::ThreadPool) -> Result<Self> {
        let run = &study.config.run;
        let layout = Layout::of(study);
        let g_size = layout.group_size;
        let (p, d) = (study.p(), study.d());
        let x0 = vec![T::of(run.x0); p];
        let mut cohorts = Vec::new();
        for s in 0..layout.seeds {
            let seed = layout.seed_base + s as u64;
            let sets = study.data.sets(seed)?;
            let y0: Vec<T> = study.initial_y(seed).into_iter().map(T::of).collect();
            let repl: Vec<_> = (0..g_size)
                .map(|i| neighbour_replacements(&sets, run.replace, seed, i))
                .collect();
            let base = Oracles {
                spec: &study.spec,
                lower: sets.lower,
                upper: sets.upper,
            };
            for configs in cohort_lists::<T>(study, &base) {
                let members: Vec<Member> = configs
                    .iter()
                    .map(|&config| Member {
                        group: config * layout.seeds + s,
                        config,
                        base,
                        test: sets.test,
                    })
                    .collect();
                let first = &study.configs[configs[0]].algo;
                let n = configs.len() * g_size;
                let packed = T::packed(first.kind.descriptor())
                    .filter(|_| packed_cohort::<T>(study, &configs, &base));
                debug_assert!(packed.is_some() || configs.len() == 1);
                let lanes = match packed {
                    Some(step) => {
                        let lane_cfgs: Vec<&crate::algo::AlgoConfig> = configs
                            .iter()
                            .flat_map(|&c| std::iter::repeat_n(&study.configs[c].algo, g_size))
                            .collect();
                        let all_repl = repl.iter().cycle().take(n).copied().collect();
                        Lanes::Packed(Box::new(Packs::new(
                            &lane_cfgs, step, base, all_repl, &x0, &y0,
                        )))
                    }
                    None => {
                        let oracles: Vec<Oracles> = repl
                            .iter()
                            .map(|&(lr, ur)| Oracles {
                                spec: &study.spec,
                                lower: sets.lower.replacing(lr),
                                upper: sets.upper.replacing(ur),
                            })
                            .collect();
                        Lanes::Single {
                            states: oracles
                                .iter()
                                .map(|o| LaneState::new(first, o, &x0, &y0))
                                .collect(),
                            oracles,
                            kept: [vec![T::zero(); p], vec![T::zero(); d], vec![T::zero(); d]],
                        }
                    }
                };
                cohorts.push(Cohort {
                    rng: LaneRng::new(seed),
                    members,
                    lanes,
                    diverged_at: vec![None; n],
                    seconds: vec![0.0; n],
                });
            }
        }
        Ok(CpuRun {
            study,
            pool,
            cohorts,
            groups: layout.groups(),
            t: 0,
        })
    }
}

impl<T: StepReal> Cohort<'_, T> {
    /// Advances the lanes that have not diverged by `steps`; a lane found beyond
    /// `run.divergence_bound` (or not finite) diverged at step `t` and goes back to its
    /// iterate before this interval.
    fn advance(&mut self, study: &Study, steps: u64, t: u64) {
        let bound = study.config.run.divergence_bound;
        match &mut self.lanes {
            Lanes::Packed(packs) => packs.advance(
                &self.rng,
                steps,
                t,
                bound,
                &mut self.diverged_at,
                &mut self.seconds,
            ),
            Lanes::Single {
                oracles,
                states,
                kept,
            } => {
                let cfg = &study.configs[self.members[0].config].algo;
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
                    self.seconds[i] += t0.elapsed().as_secs_f64();
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

    /// Member j's clocks: its base lane's stepping seconds and all its lanes'.
    fn clocks(&self, j: usize) -> (f64, f64) {
        let g = self.len() / self.members.len();
        let lanes = &self.seconds[j * g..(j + 1) * g];
        (lanes[0], lanes.iter().sum())
    }

    /// The group's record (twin of `shaders/metrics.wgsl`): stability over the finite
    /// neighbours, the base lane's losses, accumulated in f64.
    fn record(&self, study: &Study, j: usize) -> GroupRecord {
        let g = self.len() / self.members.len();
        let first = j * g;
        let b = self.lane(first);
        let base = &self.members[j].base;
        let mut stability = StabilitySums::default();
        for i in first + 1..first + g {
            if self.diverged_at[i].is_none() {
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
        let base_diverged = self.diverged_at[first].is_some();
        let measure = !base_diverged;
        let logistic = spec.loss.is_classification();
        let test = self.members[j].test;
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
            seconds: self.clocks(j).0,
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
            self.cohorts.par_iter_mut().for_each(|c| {
                c.advance(study, steps, t_now);
                if let Some(cb) = progress {
                    cb(steps * c.len() as u64);
                }
            })
        });
        self.t = t_now;
        Ok(())
    }

    fn records(&mut self) -> Result<Vec<GroupRecord>> {
        let study = self.study;
        let mut records: Vec<(usize, GroupRecord)> = self.pool.install(|| {
            self.cohorts
                .par_iter()
                .flat_map_iter(|c| {
                    (0..c.members.len()).map(move |j| (c.members[j].group, c.record(study, j)))
                })
                .collect()
        });
        records.sort_by_key(|(g, _)| *g);
        Ok(records.into_iter().map(|(_, r)| r).collect())
    }

    fn snapshot(&mut self) -> Result<EngineState> {
        let wide = |v: &[T]| v.iter().map(|x| x.as_f64()).collect();
        let g = Layout::of(self.study).group_size;
        let mut lanes: Vec<Option<LaneSnapshot>> = (0..self.groups * g).map(|_| None).collect();
        let mut clocks = vec![(0.0, 0.0); self.groups];
        for c in &self.cohorts {
            for (j, m) in c.members.iter().enumerate() {
                clocks[m.group] = c.clocks(j);
                for i in 0..g {
                    let l = c.lane(j * g + i);
                    lanes[m.group * g + i] = Some(LaneSnapshot {
                        x: wide(&l.x),
                        y: wide(&l.y),
                        v: wide(&l.v),
                        m: wide(&l.m),
                        counts: l.counts,
                        diverged_at: c.diverged_at[j * g + i],
                    });
                }
            }
        }
        let lanes = lanes.into_iter().flatten().collect();
        Ok(EngineState { lanes, clocks })
    }

    fn restore(&mut self, t: u64, state: &EngineState) -> Result<()> {
        let g = Layout::of(self.study).group_size;
        let n = self.groups * g;
        if state.lanes.len() != n || state.clocks.len() != self.groups {
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
        for c in self.cohorts.iter_mut() {
            for j in 0..c.members.len() {
                let group = c.members[j].group;
                // The group's clocks: its base lane's seconds, the rest on its second lane.
                let (base, all) = state.clocks[group];
                let seconds = &mut c.seconds[j * g..(j + 1) * g];
                seconds.fill(0.0);
                seconds[0] = base;
                if let Some(rest) = seconds.get_mut(1) {
                    *rest = all - base;
                }
                for i in 0..g {
                    let s = &state.lanes[group * g + i];
                    let lane = LaneCopy {
                        x: narrow(&s.x),
                        y: narrow(&s.y),
                        v: narrow(&s.v),
                        m: narrow(&s.m),
                        counts: s.counts,
                    };
                    let dims = [lane.x.len(), lane.y.len(), lane.v.len(), lane.m.len()];
                    let k = j * g + i;
                    c.diverged_at[k] = s.diverged_at;
                    match &mut c.lanes {
                        Lanes::Packed(packs) => {
                            if packs.dims() != dims {
                                return Err(mismatch());
                            }
                            packs.set_lane(k, lane, t, s.diverged_at.is_some());
                        }
                        Lanes::Single { states, .. } => {
                            let to = &mut states[k];
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
        }
        self.t = t;
        Ok(())
    }

    fn finish(self: Box<Self>) -> Result<FinalState> {
        let g = Layout::of(self.study).group_size;
        let mut lanes: Vec<Option<FinalLane>> = (0..self.groups * g).map(|_| None).collect();
        let mut group_seconds = vec![0.0; self.groups];
        for c in &self.cohorts {
            for (j, m) in c.members.iter().enumerate() {
                group_seconds[m.group] = c.clocks(j).1;
                for i in 0..g {
                    let l = c.lane(j * g + i);
                    lanes[m.group * g + i] = Some(FinalLane {
                        x: l.x.iter().map(|v| v.as_f64()).collect(),
                        y: l.y.iter().map(|v| v.as_f64()).collect(),
                        diverged_at: c.diverged_at[j * g + i],
                        counts: l.counts,
                    });
                }
            }
        }
        Ok(FinalState {
            lanes: lanes.into_iter().flatten().collect(),
            group_seconds,
        })
    }
}
