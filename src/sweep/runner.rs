//! The CPU runner: every (configuration, seed) group — a base lane and its neighbours —
//! advances in lockstep from one logging step to the next, on all cores. Stability is measured
//! within a group, so no trajectory is ever stored: memory is O(lanes (p + d)).

use super::config::{Precision, ReplaceSide};
use super::study::Study;
use crate::algo::{advance, LaneState, OracleCounts, StepReal};
use crate::data::{DataView, Replacement, Splits};
use crate::error::{Result, SboError};
use crate::metrics::{self, names, summarize, Summary, N_METRICS};
use crate::problem::{accuracy, data_loss, exact, Loss, Oracles};
use crate::real::Real;
use crate::rng::{bounded, stream, LaneRng};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::time::Instant;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LaneStatus {
    Ok,
    /// A coordinate became NaN or infinite; the lane stopped there.
    Diverged,
}

/// The final iterate of one lane.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LaneRecord {
    pub config: usize,
    pub seed: u64,
    /// 0 for the base lane, i >= 1 for neighbour i.
    pub neighbour: usize,
    pub status: LaneStatus,
    /// Outer step at which the lane diverged.
    pub diverged_at: Option<u64>,
    pub x: Vec<f64>,
    pub y: Vec<f64>,
    pub counts: OracleCounts,
}

/// One metric of one configuration at one logging step, summarised over seeds.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct MetricRow {
    pub t: u64,
    pub metric: String,
    #[serde(flatten)]
    pub summary: Summary,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ConfigResult {
    pub label: String,
    /// The label within its variant (the `[[algo]]` grid's label).
    pub algo_label: String,
    /// `[vary]` values of the configuration's variant: `(dotted key, value)`.
    #[serde(default)]
    pub variant: Vec<(String, String)>,
    /// The settings the lanes ran with (step sizes after any kappa scaling).
    pub settings: crate::algo::AlgoConfig,
    pub algorithm: String,
    pub rows: Vec<MetricRow>,
    /// Raw values per seed: `per_seed[seed][log point][metric]` (metric order of
    /// [`crate::metrics::names::ALL`], NaN where not measured).
    pub per_seed: Vec<Vec<Vec<f64>>>,
    /// Seconds spent stepping this configuration's lanes (summed over threads).
    pub seconds: f64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SweepResult {
    pub configs: Vec<ConfigResult>,
    pub lanes: Vec<LaneRecord>,
    pub log_steps: Vec<u64>,
    pub backend: String,
    pub precision: String,
    pub threads: usize,
    /// Wall-clock seconds of the whole run.
    pub seconds: f64,
    /// Lane-steps taken (outer steps summed over lanes).
    pub lane_steps: u64,
    /// Things the user should know (diverged lanes, failed exact solves).
    pub warnings: Vec<String>,
}

impl SweepResult {
    pub fn diverged(&self) -> usize {
        self.lanes
            .iter()
            .filter(|l| l.status == LaneStatus::Diverged)
            .count()
    }
}

/// Callbacks of a run: progress in lane-steps.
#[derive(Default)]
pub struct RunOptions<'a> {
    pub progress: Option<&'a (dyn Fn(u64) + Sync)>,
}

/// Which sample neighbour `i` of seed `seed` replaces, and by which pool row: `(index,
/// pool_row)` for the lower and the upper set. A function of (seed, i) only, drawn from the
/// seed's generator on its own stream; the base lane (i = 0) replaces nothing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NeighbourChoice {
    pub lower: Option<(usize, usize)>,
    pub upper: Option<(usize, usize)>,
}

impl NeighbourChoice {
    pub fn new(splits: &Splits, side: ReplaceSide, seed: u64, i: usize) -> Self {
        let np = splits.pool.n;
        if i == 0 || np == 0 {
            return NeighbourChoice::default();
        }
        let w = LaneRng::new(seed).block(stream::NEIGHBOUR, i as u64, 0);
        let pick = |n: usize, wi: u32, wp: u32| {
            (
                bounded(wi, n as u32) as usize,
                bounded(wp, np as u32) as usize,
            )
        };
        NeighbourChoice {
            lower: matches!(side, ReplaceSide::Lower | ReplaceSide::Both)
                .then(|| pick(splits.lower.n, w[2], w[3])),
            upper: matches!(side, ReplaceSide::Upper | ReplaceSide::Both)
                .then(|| pick(splits.upper.n, w[0], w[1])),
        }
    }
}

/// The (lower, upper) replacements of neighbour `i` of seed `seed` (see [`NeighbourChoice`]).
pub fn neighbour_replacements<'a>(
    splits: &'a Splits,
    side: ReplaceSide,
    seed: u64,
    i: usize,
) -> (Option<Replacement<'a>>, Option<Replacement<'a>>) {
    let c = NeighbourChoice::new(splits, side, seed, i);
    let make = |(index, p): (usize, usize)| Replacement {
        index,
        row: splits.pool.row(p),
        label: splits.pool.label(p),
    };
    (c.lower.map(make), c.upper.map(make))
}

/// Runs a prepared study on the CPU.
pub fn run_cpu(study: &Study, opts: &RunOptions) -> Result<SweepResult> {
    let threads = study.config.run.threads;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| SboError::config("run.threads", e.to_string()))?;
    match study.config.run.precision {
        Precision::F64 => pool.install(|| run_typed::<f64>(study, opts)),
        Precision::F32 => pool.install(|| run_typed::<f32>(study, opts)),
    }
}

/// What one (configuration, seed) group produced, on either backend.
pub(crate) struct GroupOut {
    /// `values[log point][metric]`.
    pub values: Vec<Vec<f64>>,
    pub lanes: Vec<LaneRecord>,
    pub seconds: f64,
    pub warnings: Vec<String>,
}

fn run_typed<T: StepReal>(study: &Study, opts: &RunOptions) -> Result<SweepResult> {
    let start = Instant::now();
    let run = &study.config.run;
    let groups: Vec<(usize, u64)> = (0..study.configs.len())
        .flat_map(|c| (0..run.seeds as u64).map(move |s| (c, run.seed_base + s)))
        .collect();
    let outs: Vec<GroupOut> = groups
        .par_iter()
        .map(|&(c, seed)| run_group::<T>(study, c, seed, opts))
        .collect();

    Ok(assemble(
        study,
        &outs,
        "cpu",
        T::NAME,
        rayon::current_num_threads(),
        start.elapsed().as_secs_f64(),
    ))
}

/// Summarises the groups' raw values over seeds into a [`SweepResult`]. `outs` is in group
/// order: configuration-major, then seed.
pub(crate) fn assemble(
    study: &Study,
    outs: &[GroupOut],
    backend: &str,
    precision: &str,
    threads: usize,
    seconds: f64,
) -> SweepResult {
    let run = &study.config.run;
    let n_log = study.log_steps.len();
    let mut configs = Vec::new();
    let mut lanes = Vec::new();
    let mut warnings = Vec::new();
    for (ci, chunk) in outs.chunks(run.seeds).enumerate() {
        let cfg = &study.configs[ci];
        let mut rows = Vec::new();
        for (li, &t) in study.log_steps.iter().enumerate() {
            for (mi, &name) in names::ALL.iter().enumerate() {
                let s = summarize(chunk.iter().map(|g| g.values[li][mi]));
                if s.count > 0 {
                    rows.push(MetricRow {
                        t,
                        metric: name.to_string(),
                        summary: s,
                    });
                }
            }
        }
        debug_assert!(chunk.iter().all(|g| g.values.len() == n_log));
        configs.push(ConfigResult {
            label: cfg.label.clone(),
            algo_label: cfg.label.clone(),
            variant: Vec::new(),
            settings: cfg.algo.clone(),
            algorithm: cfg.algo.kind.name().to_string(),
            rows,
            per_seed: chunk.iter().map(|g| g.values.clone()).collect(),
            seconds: chunk.iter().map(|g| g.seconds).sum(),
        });
        for g in chunk {
            lanes.extend(g.lanes.iter().cloned());
            warnings.extend(g.warnings.iter().cloned());
        }
    }
    let diverged: Vec<String> = lanes
        .iter()
        .filter(|l| l.status == LaneStatus::Diverged)
        .map(|l| {
            format!(
                "{} seed {} neighbour {} at step {}",
                study.configs[l.config].label,
                l.seed,
                l.neighbour,
                l.diverged_at.unwrap_or(0)
            )
        })
        .collect();
    if !diverged.is_empty() {
        warnings.insert(
            0,
            format!(
                "{} lane(s) diverged (NaN/inf) and were stopped; their metrics are left out: {}",
                diverged.len(),
                diverged.join("; ")
            ),
        );
    }
    let lane_steps = lanes.iter().map(|l| l_steps(l, run.steps)).sum();
    SweepResult {
        configs,
        lanes,
        log_steps: study.log_steps.clone(),
        backend: backend.into(),
        precision: precision.into(),
        threads,
        seconds,
        lane_steps,
        warnings,
    }
}

fn l_steps(l: &LaneRecord, steps: u64) -> u64 {
    l.diverged_at.unwrap_or(steps)
}

fn run_group<T: StepReal>(study: &Study, ci: usize, seed: u64, opts: &RunOptions) -> GroupOut {
    let run = &study.config.run;
    let cfg = &study.configs[ci].algo;
    let spec = &study.spec;
    let splits = &study.splits;
    let (p, d) = (study.p(), study.d());
    let rng = LaneRng::new(seed);
    let n_lanes = run.neighbours + 1;

    let oracles: Vec<Oracles> = (0..n_lanes)
        .map(|i| {
            let (lr, ur) = neighbour_replacements(splits, run.replace, seed, i);
            Oracles {
                spec,
                lower: DataView::with_replacement(&splits.lower, lr),
                upper: DataView::with_replacement(&splits.upper, ur),
            }
        })
        .collect();
    let x0 = vec![T::of(run.x0); p];
    let y0 = vec![T::of(run.y0); d];
    let mut lanes: Vec<LaneState<T>> = (0..n_lanes)
        .map(|_| LaneState::new(cfg, &x0, &y0))
        .collect();
    let mut diverged_at: Vec<Option<u64>> = vec![None; n_lanes];
    let mut values = Vec::with_capacity(study.log_steps.len());
    let mut warnings = Vec::new();
    let mut y_star_prev: Vec<f64> = vec![run.y0; d];
    let mut base_seconds = 0.0;
    let mut seconds = 0.0;
    let mut prev_t = 0u64;

    for &t in &study.log_steps {
        let steps = t - prev_t;
        for (i, lane) in lanes.iter_mut().enumerate() {
            if diverged_at[i].is_some() || steps == 0 {
                continue;
            }
            let t0 = Instant::now();
            advance(cfg, &oracles[i], &rng, lane, steps);
            let dt = t0.elapsed().as_secs_f64();
            seconds += dt;
            if i == 0 {
                base_seconds += dt;
            }
            if !lane.is_finite() {
                diverged_at[i] = Some(t);
            }
        }
        if let Some(cb) = opts.progress {
            cb(steps * n_lanes as u64);
        }
        prev_t = t;
        values.push(measure(
            study,
            &lanes,
            &diverged_at,
            &oracles[0],
            base_seconds,
            &mut y_star_prev,
            &mut warnings,
            ci,
            seed,
            t,
        ));
    }

    let records = lanes
        .iter()
        .enumerate()
        .map(|(i, l)| LaneRecord {
            config: ci,
            seed,
            neighbour: i,
            status: if diverged_at[i].is_some() {
                LaneStatus::Diverged
            } else {
                LaneStatus::Ok
            },
            diverged_at: diverged_at[i],
            x: l.x.iter().map(|v| v.as_f64()).collect(),
            y: l.y.iter().map(|v| v.as_f64()).collect(),
            counts: l.counts,
        })
        .collect();
    GroupOut {
        values,
        lanes: records,
        seconds,
        warnings,
    }
}

/// One metric row of a group at a logging step.
#[allow(clippy::too_many_arguments)]
fn measure<T: Real>(
    study: &Study,
    lanes: &[LaneState<T>],
    diverged_at: &[Option<u64>],
    base: &Oracles,
    base_seconds: f64,
    y_star_prev: &mut Vec<f64>,
    warnings: &mut Vec<String>,
    ci: usize,
    seed: u64,
    t: u64,
) -> Vec<f64> {
    let mut row = vec![f64::NAN; N_METRICS];
    if diverged_at[0].is_some() {
        return row;
    }
    let set = |row: &mut Vec<f64>, name: &str, v: f64| row[metrics::index(name)] = v;
    let b = &lanes[0];

    // Stability: mean over the neighbours that are still finite.
    let mut acc = [0.0f64; 2];
    let mut count = 0usize;
    for (lane, div) in lanes.iter().zip(diverged_at).skip(1) {
        if div.is_none() {
            acc[0] += metrics::sq_dist(&b.x, &lane.x);
            acc[1] += metrics::sq_dist(&b.y, &lane.y);
            count += 1;
        }
    }
    if count > 0 {
        let per = |f: &dyn Fn(f64, f64) -> f64| -> f64 {
            lanes
                .iter()
                .zip(diverged_at)
                .skip(1)
                .filter(|(_, d)| d.is_none())
                .map(|(l, _)| f(metrics::sq_dist(&b.x, &l.x), metrics::sq_dist(&b.y, &l.y)))
                .sum::<f64>()
                / count as f64
        };
        set(&mut row, names::DIST_X, per(&|x, _| x.sqrt()));
        set(&mut row, names::DIST_Y, per(&|_, y| y.sqrt()));
        set(&mut row, names::DIST_XY, per(&|x, y| (x + y).sqrt()));
        set(&mut row, names::DIST_X_SQ, acc[0] / count as f64);
        set(&mut row, names::DIST_Y_SQ, acc[1] / count as f64);
        set(
            &mut row,
            names::DIST_XY_SQ,
            (acc[0] + acc[1]) / count as f64,
        );
    }

    // Losses of the base lane.
    let spec = &study.spec;
    let val = data_loss(spec, base.upper, &b.y);
    let test = match (&study.population, spec.loss) {
        (Some(pop), Loss::Squared) => {
            let y: Vec<f64> = b.y.iter().map(|v| v.as_f64()).collect();
            pop.squared_risk(&y)
        }
        _ => data_loss(spec, study.splits.test.view(), &b.y),
    };
    set(&mut row, names::VAL_LOSS, val);
    set(&mut row, names::TEST_LOSS, test);
    set(&mut row, names::GEN_GAP, test - val);
    set(&mut row, names::UPPER_OBJ, base.upper_value(&b.x, &b.y));
    set(&mut row, names::LOWER_OBJ, base.lower_value(&b.x, &b.y));
    if spec.loss == Loss::Logistic {
        set(&mut row, names::VAL_ACC, accuracy(base.upper, &b.y));
        set(
            &mut row,
            names::TEST_ACC,
            accuracy(study.splits.test.view(), &b.y),
        );
    }

    let x: Vec<f64> = b.x.iter().map(|v| v.as_f64()).collect();
    let y: Vec<f64> = b.y.iter().map(|v| v.as_f64()).collect();
    let mut ctx = MeasureCtx {
        study,
        y_star_prev,
        warnings,
        ci,
        seed,
        t,
    };
    ctx.exact_metrics(&mut row, &x, &y);
    count_metrics(&mut row, &b.counts, base_seconds);
    row
}

/// What the CPU adds to a metric row on either backend: the exact hypergradient (f64) and
/// the oracle counts.
pub(crate) struct MeasureCtx<'a> {
    pub study: &'a Study,
    /// Warm start of the exact inner solve: the last y*(x) of this group.
    pub y_star_prev: &'a mut Vec<f64>,
    pub warnings: &'a mut Vec<String>,
    pub ci: usize,
    pub seed: u64,
    pub t: u64,
}

impl MeasureCtx<'_> {
    pub fn exact_metrics(&mut self, row: &mut [f64], x: &[f64], y: &[f64]) {
        let study = self.study;
        if !study.config.run.exact {
            return;
        }
        let set = |row: &mut [f64], name: &str, v: f64| row[metrics::index(name)] = v;
        match exact::hypergradient(
            &study.spec,
            study.splits.lower.view(),
            study.splits.upper.view(),
            x,
            self.y_star_prev,
            study.config.run.exact_tol,
        ) {
            Ok(h) => {
                let g2: f64 = h.grad.iter().map(|g| g * g).sum();
                set(row, names::GRAD_F, g2.sqrt());
                set(row, names::GRAD_F_SQ, g2);
                let ye: f64 = y.iter().zip(&h.y_star).map(|(a, s)| (a - s).powi(2)).sum();
                set(row, names::Y_ERR, ye.sqrt());
                *self.y_star_prev = h.y_star;
            }
            Err(e) => self.warnings.push(format!(
                "{} seed {} step {}: exact hypergradient not available: {e}",
                study.configs[self.ci].label, self.seed, self.t
            )),
        }
    }
}

/// Oracle counts and compute time of the base lane.
pub(crate) fn count_metrics(row: &mut [f64], c: &OracleCounts, seconds: f64) {
    let mut set = |name: &str, v: f64| row[metrics::index(name)] = v;
    set(names::GRAD_G, c.grad_g as f64);
    set(names::GRAD_FCALLS, c.grad_f as f64);
    set(names::HVP, c.hvp as f64);
    set(names::JVP, c.jvp as f64);
    set(names::SAMPLES, c.samples as f64);
    set(names::SECONDS, seconds);
}
