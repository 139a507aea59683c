//! The invariants every engine keeps, one test body instantiated per engine (CPU f64, CPU
//! f32, GPU on any adapter, lavapipe in CI): an identical neighbour stays at exactly zero
//! distance, reruns are bit-identical, splitting the work (threads on the CPU, dispatches on
//! the GPU) changes nothing, and tsgd with T = 1 is ssgd.

mod gpu_support;

use sbo::cpu::CpuEngine;
use sbo::gpu::{GpuEngine, GpuRunOptions};
use sbo::metrics::Metric;
use sbo::run::{run_study, Engine, NeighbourChoice, RunOptions, SweepResult};
use sbo::sweep::{Precision, Study, SweepConfig};
use std::collections::HashMap;

/// An engine under test and the precision its studies run in.
struct Under {
    engine: Box<dyn Engine>,
    precision: Precision,
    /// Another way of splitting the same work (more threads, smaller dispatches).
    split: Box<dyn Engine>,
    split_threads: Option<usize>,
}

fn cpu(precision: Precision) -> Option<Under> {
    Some(Under {
        engine: Box::new(CpuEngine),
        precision,
        split: Box::new(CpuEngine),
        split_threads: Some(3),
    })
}

fn gpu() -> Option<Under> {
    let ctx = gpu_support::context()?;
    Some(Under {
        engine: Box::new(GpuEngine::new(ctx.clone())),
        precision: Precision::F32,
        split: Box::new(GpuEngine::with_options(
            ctx,
            GpuRunOptions {
                max_lanes_per_dispatch: Some(3),
                max_workgroups_per_dimension: Some(2),
                max_scratch_bytes: 2048,
                steps_per_dispatch: 3,
                // Several steps per dispatch on lavapipe too (the default takes one there).
                software_steps_per_dispatch: 3,
                ..GpuRunOptions::default()
            },
        )),
        split_threads: None,
    })
}

/// Every algorithm on a small synthetic sc-sc problem, neighbours on both sides.
fn config(u: &Under) -> SweepConfig {
    config_of(u, "sc-sc", "per_feature")
}

/// [`config`] on another preset and hyperparameter shape.
fn config_of(u: &Under, preset: &str, hyper: &str) -> SweepConfig {
    let kappa = if preset == "sc-sc" {
        "kappa = 10.0"
    } else {
        ""
    };
    let mut c = SweepConfig::from_toml(&format!(
        r#"
name = "engines"
[problem]
preset = "{preset}"
hyper = "{hyper}"
lam_y = 0.01
[data]
kind = "synthetic"
d = 5
n_lower = 100
n_upper = 40
n_test = 30
n_pool = 60
{kappa}
sigma = 0.3
[run]
steps = 12
log_every = 4
seeds = 2
neighbours = 2
replace = "both"
threads = 1
[[algo]]
name = "ssgd"
alpha = 0.05
beta = 0.1
batch = 8
[[algo]]
name = "tsgd"
T = [1, 3]
alpha = 0.05
beta = 0.1
batch = 8
[[algo]]
name = "ud"
T = 2
alpha = 0.05
beta = 0.1
batch = 8
[[algo]]
name = "ssaid"
alpha = 0.05
beta = 0.1
gamma = 0.1
batch = 8
[[algo]]
name = "stocbio"
D = 2
Q = 3
eta = 0.2
alpha = 0.05
beta = 0.1
batch = 8
[[algo]]
name = "aid-cg"
D = 2
Q = 3
alpha = 0.05
beta = 0.1
batch = 8
"#
    ))
    .unwrap();
    c.run.precision = u.precision;
    c
}

/// The problems the rerun and splitting invariants are checked on.
const PROBLEMS: [(&str, &str); 2] = [("sc-sc", "per_feature"), ("nc-nc", "scalar")];

fn run(engine: &dyn Engine, study: &Study) -> SweepResult {
    run_study(engine, study, &RunOptions::default()).expect("the sweep runs")
}

fn bits(v: &[f64]) -> Vec<u64> {
    v.iter().map(|x| x.to_bits()).collect()
}

/// Every final iterate and every metric except timings, bit for bit.
fn assert_identical(what: &str, a: &SweepResult, b: &SweepResult) {
    assert_eq!(a.lanes.len(), b.lanes.len(), "{what}: lane counts");
    for (la, lb) in a.lanes.iter().zip(&b.lanes) {
        let at = format!(
            "{what}: config {} seed {} neighbour {}",
            la.config, la.seed, la.neighbour
        );
        assert_eq!(bits(&la.x), bits(&lb.x), "{at}: x");
        assert_eq!(bits(&la.y), bits(&lb.y), "{at}: y");
        assert_eq!(la.counts, lb.counts, "{at}: oracle counts");
    }
    for (ca, cb) in a.configs.iter().zip(&b.configs) {
        assert_eq!(ca.rows.len(), cb.rows.len(), "{what}: {} rows", ca.label);
        for (ra, rb) in ca.rows.iter().zip(&cb.rows) {
            if ra.metric != Metric::Seconds {
                assert_eq!(
                    ra.summary.mean.to_bits(),
                    rb.summary.mean.to_bits(),
                    "{what}: {} t={} {}: {} against {}",
                    ca.label,
                    ra.t,
                    ra.metric,
                    ra.summary.mean,
                    rb.summary.mean
                );
            }
        }
    }
}

fn identical_neighbour_stays_at_exactly_zero_distance(u: Under) {
    let mut study = Study::prepare(&config(&u), None).unwrap();
    let real = run(u.engine.as_ref(), &study);
    // Make each neighbour's pool rows copies of the rows they replace.
    let r = study.config.run.clone();
    let mut used = HashMap::new();
    for s in 0..r.seeds as u64 {
        let seed = r.seed_base + s;
        let sets = study.data.sets(seed).unwrap();
        let pool_rows = &study.data.slots()[study.data.slot(seed).unwrap()].pool;
        for i in 1..=r.neighbours {
            let c = NeighbourChoice::new(study.data.sizes(), r.replace, seed, i);
            for (set, choice) in [(sets.lower, c.lower), (sets.upper, c.upper)] {
                let (idx, p) = choice.expect("replace = both");
                let (row, label) = set.original(idx);
                let row = (row.to_vec(), label);
                // The pool row's place in the study's table.
                let t = pool_rows[p] as usize;
                if let Some(prev) = used.insert(t, row.clone()) {
                    assert_eq!(prev, row, "test setup: two neighbours share pool row {p}");
                }
            }
        }
    }
    let data = std::sync::Arc::make_mut(&mut study.data);
    let d = data.table.d;
    for (t, (row, label)) in used {
        data.table.features[t * d..(t + 1) * d].copy_from_slice(&row);
        data.table.labels[t] = label;
    }
    let same = run(u.engine.as_ref(), &study);
    for (cs, cr) in same.configs.iter().zip(&real.configs) {
        for m in [Metric::DistX, Metric::DistY, Metric::DistXySq] {
            for row in cs.rows.iter().filter(|row| row.metric == m) {
                assert_eq!(
                    row.summary.mean, 0.0,
                    "{} t={} {m}: identical neighbours moved apart",
                    cs.label, row.t
                );
            }
            let last = cr.rows.iter().rev().find(|row| row.metric == m).unwrap();
            assert!(
                last.summary.mean > 0.0,
                "{}: a real neighbour gave zero {m}",
                cr.label
            );
        }
    }
}

fn reruns_are_bit_identical(u: Under) {
    for (preset, hyper) in PROBLEMS {
        let study = Study::prepare(&config_of(&u, preset, hyper), None).unwrap();
        let a = run(u.engine.as_ref(), &study);
        let b = run(u.engine.as_ref(), &study);
        assert_identical(&format!("rerun {preset} {hyper}"), &a, &b);
    }
}

fn splitting_the_work_changes_nothing(u: Under) {
    for (preset, hyper) in PROBLEMS {
        let cfg = config_of(&u, preset, hyper);
        let whole = run(u.engine.as_ref(), &Study::prepare(&cfg, None).unwrap());
        let mut split_cfg = cfg.clone();
        if let Some(t) = u.split_threads {
            split_cfg.run.threads = t;
        }
        let split = run(u.split.as_ref(), &Study::prepare(&split_cfg, None).unwrap());
        assert_identical(&format!("split {preset} {hyper}"), &whole, &split);
    }
}

fn tsgd_with_one_inner_step_is_ssgd(u: Under) {
    let study = Study::prepare(&config(&u), None).unwrap();
    let r = run(u.engine.as_ref(), &study);
    let lanes = |label: &str| -> Vec<&sbo::run::LaneRecord> {
        let ci = r.configs.iter().position(|c| c.label == label).unwrap();
        r.lanes.iter().filter(|l| l.config == ci).collect()
    };
    let (ssgd, tsgd) = (lanes("ssgd"), lanes("tsgd[T=1]"));
    assert_eq!(ssgd.len(), tsgd.len());
    for (a, b) in ssgd.iter().zip(&tsgd) {
        let at = format!("seed {} neighbour {}", a.seed, a.neighbour);
        assert_eq!(bits(&a.x), bits(&b.x), "{at}: x");
        assert_eq!(bits(&a.y), bits(&b.y), "{at}: y");
    }
}

fn a_stopped_run_holds_the_full_runs_first_steps(u: Under) {
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    let study = Study::prepare(&config(&u), None).unwrap();
    let full = run(u.engine.as_ref(), &study);
    // Ask to stop once the first interval's lane-steps are done.
    let lanes = full.lanes.len() as u64;
    let first = study.log_steps[1];
    let stop = AtomicBool::new(false);
    let done = AtomicU64::new(0);
    let progress = |n: u64| {
        if done.fetch_add(n, Ordering::SeqCst) + n >= lanes * first {
            stop.store(true, Ordering::SeqCst);
        }
    };
    let opts = RunOptions {
        progress: Some(&progress),
        stop: Some(&stop),
        ..RunOptions::default()
    };
    let part = run_study(u.engine.as_ref(), &study, &opts).unwrap();
    assert_eq!(part.stopped_at, Some(first));
    assert_eq!(part.log_steps, study.log_steps[..2]);
    for (cp, cf) in part.configs.iter().zip(&full.configs) {
        for rp in cp.rows.iter().filter(|r| r.metric != Metric::Seconds) {
            let rf = cf
                .rows
                .iter()
                .find(|r| r.t == rp.t && r.metric == rp.metric)
                .unwrap();
            assert_eq!(
                rp.summary.mean.to_bits(),
                rf.summary.mean.to_bits(),
                "{} t={} {}",
                cp.label,
                rp.t,
                rp.metric
            );
        }
    }
}

fn an_exploding_configuration_diverges_within_the_bound(u: Under) {
    let mut c = config(&u);
    // ssgd with a step a million times too large explodes in a few steps; tsgd stays.
    c.algos.truncate(2);
    c.algos[0].alpha = Some(1e6.into());
    c.run.steps = 40;
    c.run.log_every = 4;
    let study = Study::prepare(&c, None).unwrap();
    let r = run(u.engine.as_ref(), &study);
    let bound = study.config.run.divergence_bound;
    for l in &r.lanes {
        let within =
            l.x.iter()
                .chain(&l.y)
                .all(|v| v.is_finite() && v.abs() <= bound);
        assert!(within, "lane {l:?} keeps an iterate beyond the bound");
        assert_eq!(
            l.diverged_at.is_some(),
            l.config == 0,
            "config {} seed {} neighbour {}",
            l.config,
            l.seed,
            l.neighbour
        );
    }
    let exploded = &r.configs[0];
    let last = *study.log_steps.last().unwrap();
    assert!(
        exploded.at(last, Metric::DistXy).is_none(),
        "an exploded configuration reports a stability"
    );
    assert!(r.configs[1].at(last, Metric::DistXy).is_some());
    assert!(
        r.warnings[0].contains(&exploded.label) && r.warnings[0].contains("all of them"),
        "{}",
        r.warnings[0]
    );
}

/// One module per engine, each with every invariant as a test.
macro_rules! per_engine {
    ($($engine:ident => $make:expr),+ $(,)?) => {$(
        mod $engine {
            use super::*;

            fn under() -> Option<Under> {
                $make
            }

            #[test]
            fn identical_neighbour_stays_at_exactly_zero_distance() {
                if let Some(u) = under() {
                    super::identical_neighbour_stays_at_exactly_zero_distance(u);
                }
            }

            #[test]
            fn reruns_are_bit_identical() {
                if let Some(u) = under() {
                    super::reruns_are_bit_identical(u);
                }
            }

            #[test]
            fn splitting_the_work_changes_nothing() {
                if let Some(u) = under() {
                    super::splitting_the_work_changes_nothing(u);
                }
            }

            #[test]
            fn a_stopped_run_holds_the_full_runs_first_steps() {
                if let Some(u) = under() {
                    super::a_stopped_run_holds_the_full_runs_first_steps(u);
                }
            }

            #[test]
            fn an_exploding_configuration_diverges_within_the_bound() {
                if let Some(u) = under() {
                    super::an_exploding_configuration_diverges_within_the_bound(u);
                }
            }

            #[test]
            fn tsgd_with_one_inner_step_is_ssgd() {
                if let Some(u) = under() {
                    super::tsgd_with_one_inner_step_is_ssgd(u);
                }
            }
        }
    )+};
}

per_engine! {
    cpu_f64 => cpu(Precision::F64),
    cpu_f32 => cpu(Precision::F32),
    gpu => gpu(),
}
