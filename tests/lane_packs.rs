//! Lane packs (`run.lane_packs`: a group's lanes stepped eight at a time, `real::Pack`)
//! against the one-lane reference (`lane_packs = false`): every algorithm with a packed step,
//! on the squared, logistic and hyper-cleaning problems, per-feature and scalar x, f64 and f32,
//! with groups of 10 lanes (a full pack and a part-padded one) on sets small enough that the
//! neighbours' replaced samples land in most batches. Packs must change nothing: every lane's
//! x, y, counts and divergence step, and every logged metric but wall-clock time, bit for bit.
//! Also with lanes that diverge part-way, and with a checkpoint resumed into packs.

use sbo::algo::{AlgoKind, Schedule};
use sbo::cpu::{lanes_in_packs, CpuEngine};
use sbo::metrics::Metric;
use sbo::problem::{Coupling, HyperShape, Loss, Preset};
use sbo::run::{run_study, Engine, RunOptions};
use sbo::sweep::{AlgoGrid, DataKind, Precision, ReplaceSide, Study, SweepConfig};
use std::path::PathBuf;

#[derive(Clone, Copy, Debug)]
enum Problem {
    /// sc-sc on synthetic data (squared loss, prior coupling).
    Squared,
    /// c-c or nc-nc on ijcnn1 rows (logistic loss).
    Logistic(Preset),
    /// Hyper-cleaning on ijcnn1 rows (a weight per lower sample).
    Cleaning,
}

fn config(
    kind: AlgoKind,
    problem: Problem,
    hyper: HyperShape,
    precision: Precision,
) -> SweepConfig {
    let mut c = SweepConfig {
        name: format!("packs-{kind}"),
        ..Default::default()
    };
    match problem {
        Problem::Squared => {
            c.data.kind = DataKind::Synthetic;
            c.data.d = 5;
            c.data.n_test = Some(20);
        }
        Problem::Logistic(preset) => {
            c.problem.preset = preset;
            c.data.kind = DataKind::Libsvm;
            c.data.train = Some(PathBuf::from("data/ijcnn1.trn.bz2"));
        }
        Problem::Cleaning => {
            c.problem.preset = Preset::HyperCleaning;
            c.data.kind = DataKind::Libsvm;
            c.data.train = Some(PathBuf::from("data/ijcnn1.trn.bz2"));
            c.data.corrupt = 0.3;
        }
    }
    if !matches!(problem, Problem::Cleaning) {
        c.problem.hyper = Some(hyper);
    }
    (c.data.n_lower, c.data.n_upper, c.data.n_pool) = (24, 12, 6);
    if !matches!(problem, Problem::Squared) {
        c.data.n_test = Some(30);
    }
    c.run.steps = 6;
    c.run.log_every = 2;
    c.run.seeds = 2;
    c.run.neighbours = 9;
    c.run.replace = ReplaceSide::Both;
    c.run.precision = precision;
    c.run.threads = 1;
    c.algos = vec![AlgoGrid::new(kind).batch(8)];
    c
}

fn bits(v: f64) -> u64 {
    if v.is_nan() {
        u64::MAX
    } else {
        v.to_bits()
    }
}

/// The engine's state of every lane (x, y, v, memory, counts, divergence) after the study's
/// steps: what a checkpoint holds.
fn states(study: &Study) -> Vec<sbo::run::LaneSnapshot> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let mut run = CpuEngine.start(study, &pool).unwrap();
    run.advance_to(study.config.run.steps, None).unwrap();
    run.snapshot().unwrap().lanes
}

/// Runs `c` with and without packs and checks every lane, metric and lane state agree bit for
/// bit, and that the packed run did step lanes in packs.
fn same_with_packs(mut c: SweepConfig, what: &str) {
    check(&mut c, what, true);
}

/// [`same_with_packs`], with `packs_used` saying whether the packed run is to use packs.
fn check(c: &mut SweepConfig, what: &str, packs_used: bool) {
    let study = |packs: bool, c: &mut SweepConfig| {
        c.run.lane_packs = packs;
        Study::prepare(c, None).unwrap_or_else(|e| panic!("{what}: {e}"))
    };
    let run = |study: &Study| {
        run_study(&CpuEngine, study, &RunOptions::default())
            .unwrap_or_else(|e| panic!("{what}: {e}"))
    };
    let (alone, packs) = (study(false, c), study(true, c));
    assert_eq!(lanes_in_packs(&alone).unwrap(), 0, "{what}");
    let used = lanes_in_packs(&packs).unwrap();
    assert_eq!(used > 0, packs_used, "{what}: {used} lanes in packs");
    for (i, (a, b)) in states(&alone).iter().zip(&states(&packs)).enumerate() {
        assert_eq!(a.counts, b.counts, "{what}: lane {i} state counts");
        assert_eq!(a.diverged_at, b.diverged_at, "{what}: lane {i} divergence");
        for (name, u, v) in [
            ("x", &a.x, &b.x),
            ("y", &a.y, &b.y),
            ("v", &a.v, &b.v),
            ("m", &a.m, &b.m),
        ] {
            assert_eq!(u.len(), v.len(), "{what}: lane {i} {name}");
            for (j, (p, q)) in u.iter().zip(v.iter()).enumerate() {
                assert_eq!(
                    bits(*p),
                    bits(*q),
                    "{what}: lane {i} state {name}[{j}]: one by one {p:e}, packed {q:e}"
                );
            }
        }
    }
    let one = run(&alone);
    let packed = run(&packs);
    assert_eq!(one.lanes.len(), packed.lanes.len(), "{what}");
    for (i, (a, b)) in one.lanes.iter().zip(&packed.lanes).enumerate() {
        assert_eq!(a.diverged_at, b.diverged_at, "{what}: lane {i} diverged_at");
        assert_eq!(a.counts, b.counts, "{what}: lane {i} counts");
        for (name, u, v) in [("x", &a.x, &b.x), ("y", &a.y, &b.y)] {
            for (j, (p, q)) in u.iter().zip(v.iter()).enumerate() {
                assert_eq!(
                    bits(*p),
                    bits(*q),
                    "{what}: lane {i} {name}[{j}]: one by one {p:e}, packed {q:e}"
                );
            }
        }
    }
    for (ca, cb) in one.configs.iter().zip(&packed.configs) {
        for (s, (pa, pb)) in ca.per_seed.iter().zip(&cb.per_seed).enumerate() {
            for (t, (va, vb)) in pa.iter().zip(pb).enumerate() {
                for (k, m) in Metric::ALL.iter().enumerate() {
                    if *m == Metric::Seconds {
                        continue;
                    }
                    assert_eq!(
                        bits(va.0[k]),
                        bits(vb.0[k]),
                        "{what}: seed {s} log point {t} {m}: one by one {:e}, packed {:e}",
                        va.0[k],
                        vb.0[k]
                    );
                }
            }
        }
    }
}

fn packed_kinds() -> impl Iterator<Item = AlgoKind> {
    AlgoKind::ALL
        .iter()
        .copied()
        .filter(|k| k.descriptor().pack_f64.is_some())
}

#[test]
fn every_packed_algorithm_matches_its_lanes_stepped_alone() {
    let mut n = 0;
    for kind in packed_kinds() {
        for (problem, hyper, precision) in [
            (Problem::Squared, HyperShape::PerFeature, Precision::F64),
            (Problem::Squared, HyperShape::Scalar, Precision::F32),
            (
                Problem::Logistic(Preset::CC),
                HyperShape::PerFeature,
                Precision::F32,
            ),
            (
                Problem::Logistic(Preset::NcNc),
                HyperShape::Scalar,
                Precision::F64,
            ),
            (Problem::Cleaning, HyperShape::PerFeature, Precision::F64),
            (Problem::Cleaning, HyperShape::PerFeature, Precision::F32),
        ] {
            let what = format!("{kind} {problem:?} {hyper:?} {precision:?}");
            same_with_packs(config(kind, problem, hyper, precision), &what);
            n += 1;
        }
    }
    assert!(n >= 6 * 16, "only {n} cases ran");
    eprintln!("packs ran on {}", sbo::real::simd_name());
}

/// The packs' oracles run compiled for AVX2 where the CPU has it and for the baseline
/// otherwise (`sbo::real::simd`), chosen once per process: the matrix above again in a process
/// that `SBO_CPU_SIMD=baseline` sends down the baseline, so that both versions are checked
/// against the one-lane reference wherever the tests run (on a CPU without AVX2, both runs
/// take the baseline, and this says so).
#[test]
fn the_baseline_build_of_the_packs_matches_too() {
    if std::env::var_os("SBO_LANE_PACKS_CHILD").is_some() {
        eprintln!("this process is the comparison itself");
        return;
    }
    let name = "every_packed_algorithm_matches_its_lanes_stepped_alone";
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", name, "--nocapture", "--test-threads", "1"])
        .env("SBO_CPU_SIMD", "baseline")
        .env("SBO_LANE_PACKS_CHILD", "1")
        .output()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "{name} with SBO_CPU_SIMD=baseline:\n{stdout}\n{stderr}"
    );
    assert!(
        stderr.contains("packs ran on") && !stderr.contains("chosen at run time"),
        "the comparison did not run on the baseline:\n{stderr}"
    );
    if !sbo::real::uses_avx2() {
        eprintln!("this CPU has no AVX2: both runs took the baseline");
    }
}

#[test]
fn packs_cover_the_other_couplings_and_options() {
    // bilinear and log-weight couplings, a box on x, v clipping, draws without replacement
    // and an independent Hessian batch.
    for (coupling, loss) in [
        (Coupling::Bilinear, Loss::Squared),
        (Coupling::Logweight, Loss::Squared),
        (Coupling::Nonconvex, Loss::Squared),
    ] {
        let mut c = config(
            AlgoKind::SSAID,
            Problem::Squared,
            HyperShape::PerFeature,
            Precision::F64,
        );
        c.problem.coupling = Some(coupling);
        c.problem.loss = Some(loss);
        c.problem.x_box = Some(vec![-0.05, 0.05]);
        let mut g = AlgoGrid::new(AlgoKind::SSAID)
            .batch(8)
            .without_replacement(true);
        g.v_radius = Some(0.01.into());
        g.independent_hvp_batch = Some(true.into());
        c.algos = vec![g];
        same_with_packs(c, &format!("ssaid {coupling:?}"));
    }
}

#[test]
fn lanes_that_diverge_in_a_pack_stop_where_they_would_alone() {
    for kind in [AlgoKind::SSAID, AlgoKind::TSGD, AlgoKind::BOME] {
        let mut c = config(
            kind,
            Problem::Squared,
            HyperShape::PerFeature,
            Precision::F64,
        );
        c.run.steps = 40;
        c.run.divergence_bound = 50.0;
        let mut g = AlgoGrid::new(kind).batch(8).alpha(Schedule::Constant(2.5));
        g.beta = Some(Schedule::Constant(1.2).into());
        c.algos = vec![g];
        same_with_packs(c.clone(), &format!("{kind} diverging"));
        c.run.lane_packs = true;
        let study = Study::prepare(&c, None).unwrap();
        let r = run_study(&CpuEngine, &study, &RunOptions::default()).unwrap();
        assert!(
            r.diverged() > 0,
            "{kind}: no lane diverged, the test shows nothing"
        );
    }
}

#[test]
fn a_lane_that_diverges_freezes_while_its_pack_runs_on() {
    // Four step sizes with a neighbour each in one pack: the large ones diverge at different
    // steps, the small ones run to the end beside them.
    for kind in [AlgoKind::SSAID, AlgoKind::MRBO, AlgoKind::F2SA] {
        let mut c = config(
            kind,
            Problem::Squared,
            HyperShape::PerFeature,
            Precision::F64,
        );
        c.run.steps = 40;
        c.run.neighbours = 1;
        c.run.divergence_bound = 50.0;
        c.algos = vec![AlgoGrid::new(kind).batch(8).alpha(vec![
            Schedule::Constant(0.02),
            Schedule::Constant(3.0),
            Schedule::Constant(0.05),
            Schedule::Constant(6.0),
        ])];
        c.algos[0].beta = Some(vec![Schedule::Constant(0.05), Schedule::Constant(1.5)].into());
        same_with_packs(c.clone(), &format!("{kind} part of a pack diverging"));
        let study = Study::prepare(&c, None).unwrap();
        let r = run_study(&CpuEngine, &study, &RunOptions::default()).unwrap();
        let d = r.diverged();
        let n = r.lanes.len();
        assert!(d > 0 && d < n, "{kind}: {d} of {n} lanes diverged");
    }
}

#[test]
fn configurations_that_differ_in_step_sizes_share_packs() {
    // Eight one-lane configurations per seed (or four with a neighbour each) fill a pack
    // together; every per-lane setting (alpha, beta, gamma, rho, eta, lambda0, delta_lambda)
    // takes both of its values within the pack, each in its own pattern, so a step that read
    // one of them from the pack's first lane would be caught. A different batch size and a
    // different algorithm keep to themselves.
    for (kind, neighbours) in [
        (AlgoKind::SSAID, 0),
        (AlgoKind::MA_SOBA, 1),
        (AlgoKind::STOCBIO, 0),
        (AlgoKind::F2SA, 1),
        (AlgoKind::MRBO, 0),
        (AlgoKind::TSGD, 0),
        (AlgoKind::FSLA, 0),
        (AlgoKind::SABA, 0),
        (AlgoKind::SRBA, 0),
        (AlgoKind::AMIGO, 0),
        (AlgoKind::VRBO, 0),
        (AlgoKind::BOME, 0),
        (AlgoKind::SUSTAIN, 0),
    ] {
        for problem in [Problem::Squared, Problem::Logistic(Preset::CC)] {
            let mut c = config(kind, problem, HyperShape::PerFeature, Precision::F64);
            c.run.neighbours = neighbours;
            c.run.seeds = 2;
            // Setting s of configuration i: the parity of i & (s + 1). The seven nonzero
            // masks give seven different patterns, each taking both values within the pack.
            let pick = |i: usize, s: usize, a: f64, b: f64| {
                if (i & (s + 1)).count_ones().is_multiple_of(2) {
                    a
                } else {
                    b
                }
            };
            let mut algos: Vec<AlgoGrid> = (0..8)
                .map(|i| {
                    let mut g = AlgoGrid::new(kind)
                        .batch(8)
                        .alpha(Schedule::Constant(pick(i, 0, 0.02, 0.04)))
                        .label(format!("c{i}"));
                    g.beta = Some(Schedule::Constant(pick(i, 1, 0.05, 0.1)).into());
                    g.gamma = Some(Schedule::Inv(pick(i, 2, 0.05, 0.2)).into());
                    g.rho = Some(Schedule::Constant(pick(i, 3, 0.5, 0.9)).into());
                    g.eta = Some(pick(i, 4, 0.1, 0.3).into());
                    g.lambda0 = Some(pick(i, 5, 1.0, 3.0).into());
                    g.delta_lambda = Some(Schedule::Constant(pick(i, 6, 0.0, 0.01)).into());
                    g
                })
                .collect();
            algos.push(AlgoGrid::new(kind).batch(4).label("other-batch"));
            algos.push(AlgoGrid::new(AlgoKind::SSGD).batch(8));
            c.algos = algos;
            same_with_packs(
                c,
                &format!("{kind} grid {problem:?} with {neighbours} neighbours"),
            );
        }
    }
}

#[test]
fn a_grid_too_small_to_pack_runs_lane_by_lane() {
    // Two configurations of one lane each: fewer than half a pack, so no packs at all.
    let mut c = config(
        AlgoKind::SSAID,
        Problem::Squared,
        HyperShape::Scalar,
        Precision::F32,
    );
    c.run.neighbours = 0;
    c.algos = vec![AlgoGrid::new(AlgoKind::SSAID)
        .batch(8)
        .alpha(vec![Schedule::Constant(0.02), Schedule::Constant(0.05)])];
    check(&mut c, "two one-lane configurations", false);
}
