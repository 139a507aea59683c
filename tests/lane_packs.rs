//! Lane packs (`run.lane_packs`: a group's lanes stepped eight at a time, `real::Pack`)
//! against the one-lane reference (`lane_packs = false`): every algorithm with a packed step,
//! on the squared, logistic and hyper-cleaning problems, per-feature and scalar x, f64 and f32,
//! with groups of 10 lanes (a full pack and a part-padded one) on sets small enough that the
//! neighbours' replaced samples land in most batches. Packs must change nothing: every lane's
//! x, y, counts and divergence step, and every logged metric but wall-clock time, bit for bit.
//! Also with lanes that diverge part-way, and with a checkpoint resumed into packs.

use sbo::algo::{AlgoKind, Schedule};
use sbo::cpu::CpuEngine;
use sbo::metrics::Metric;
use sbo::problem::{Coupling, HyperShape, Loss, Preset};
use sbo::run::{run_study, RunOptions};
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

/// Runs `c` with and without packs and checks every lane and metric agree bit for bit.
fn same_with_packs(mut c: SweepConfig, what: &str) {
    let run = |packs: bool, c: &mut SweepConfig| {
        c.run.lane_packs = packs;
        let study = Study::prepare(c, None).unwrap_or_else(|e| panic!("{what}: {e}"));
        run_study(&CpuEngine, &study, &RunOptions::default())
            .unwrap_or_else(|e| panic!("{what}: {e}"))
    };
    let one = run(false, &mut c);
    let packed = run(true, &mut c);
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
fn configurations_that_differ_in_step_sizes_share_packs() {
    // A step-size grid without neighbours (one lane per configuration and seed): the
    // configurations of one seed fill packs together, each lane with its own alpha, beta,
    // gamma, rho, eta or lambda0; a different batch size or algorithm keeps to itself.
    for (kind, neighbours) in [
        (AlgoKind::SSAID, 0),
        (AlgoKind::MA_SOBA, 1),
        (AlgoKind::STOCBIO, 0),
        (AlgoKind::F2SA, 2),
        (AlgoKind::MRBO, 0),
        (AlgoKind::TSGD, 0),
    ] {
        for problem in [Problem::Squared, Problem::Logistic(Preset::CC)] {
            let mut c = config(kind, problem, HyperShape::PerFeature, Precision::F64);
            c.run.neighbours = neighbours;
            c.run.seeds = 3;
            let mut grid = AlgoGrid::new(kind)
                .batch(8)
                .alpha(vec![Schedule::Constant(0.02), Schedule::Inv(0.05)]);
            grid.beta = Some(vec![Schedule::Constant(0.05), Schedule::Constant(0.1)].into());
            grid.gamma = Some(vec![Schedule::Constant(0.05), Schedule::Constant(0.2)].into());
            grid.eta = Some(vec![0.1, 0.3].into());
            grid.rho = Some(vec![Schedule::Constant(0.5), Schedule::Constant(0.9)].into());
            grid.lambda0 = Some(vec![1.0, 3.0].into());
            let other_batch = AlgoGrid::new(kind).batch(4);
            c.algos = vec![grid, other_batch, AlgoGrid::new(AlgoKind::SSGD).batch(8)];
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
    same_with_packs(c, "two one-lane configurations");
}
