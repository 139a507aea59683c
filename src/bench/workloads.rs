//! The standard workloads of `sbo bench`, as typed sweep configurations.
//!
//! | name | algorithm | data | problem |
//! |---|---|---|---|
//! | `ssaid-ijcnn1` | ssaid | ijcnn1 (LIBSVM, d = 22), n_lower 5000, n_upper 1000, n_test 500 | c-c preset, lam_y = 1e-3 |
//! | `tsgd-ijcnn1` | tsgd, T = 4 | as above | as above |
//! | `ssaid-quad256` | ssaid | synthetic quadratic, d = 256, n_lower 5000, n_upper 1000 | sc-sc preset |
//! | `tsgd-quad256` | tsgd, T = 4 | as above | as above |
//!
//!
//! Run only when named (`sbo bench --workloads saba`), for the other kinds of solver:
//!
//! | name | algorithm | data |
//! |---|---|---|
//! | `saba-ijcnn1` | saba (variance reduced: per-sample tables, 2 n + m + 3 d floats per lane) | ijcnn1 as above |
//! | `f2sa-ijcnn1` | f2sa, T = 4 (Hessian-free), fixed penalty 1 | ijcnn1 as above |
//!
//! Batch 32 for both levels everywhere, f32, `exact = false`. A lane count L is one
//! configuration x L / 8 seeds x (1 base + 7 neighbours); counts that are not a multiple of 8
//! are rounded up.

use crate::algo::{AlgoKind, BatchSize, Schedule, Setting};
use crate::problem::Preset;
use crate::sweep::{AlgoGrid, DataKind, Precision, SweepConfig};
use serde::Serialize;
use std::path::PathBuf;

/// Neighbour lanes per seed in every workload (lanes = seeds x (1 + NEIGHBOURS)).
pub const NEIGHBOURS: usize = 7;

/// The data of a standard workload.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BenchData {
    /// ijcnn1 from `data/ijcnn1.{trn,tst}.bz2`, d = 22, c-c preset with lam_y = 1e-3.
    Ijcnn1,
    /// Synthetic sc-sc quadratic, d = 256.
    Quad256,
    /// MNIST hyper-cleaning: 5,000 training samples (half corrupted), one weight each,
    /// multinomial lower level (10 x 784 weights; spilled lanes on the GPU).
    MnistCleaning,
    /// The same with a network lower level: 32 tanh units, 25,450 weights.
    MnistCleaningMlp,
}

impl BenchData {
    pub fn name(&self) -> &'static str {
        match self {
            BenchData::Ijcnn1 => "ijcnn1",
            BenchData::Quad256 => "quad256",
            BenchData::MnistCleaning => "mnist-cleaning",
            BenchData::MnistCleaningMlp => "mnist-cleaning-mlp",
        }
    }
}

/// One standard workload: an algorithm on a dataset.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Workload {
    /// `ssaid-ijcnn1`, `tsgd-ijcnn1`, `ssaid-quad256`, `tsgd-quad256`.
    pub name: String,
    pub algo: AlgoKind,
    pub data: BenchData,
}

/// The four standard workloads, in report order.
pub fn standard_workloads() -> Vec<Workload> {
    let mut out = Vec::new();
    for data in [BenchData::Ijcnn1, BenchData::Quad256] {
        for algo in [AlgoKind::SSAID, AlgoKind::TSGD] {
            out.push(Workload {
                name: format!("{algo}-{}", data.name()),
                algo,
                data,
            });
        }
    }
    out
}

/// Workloads run only when named: a variance-reduced and a Hessian-free solver (ssaid is the
/// single-loop one of the standard set), and ssaid on MNIST hyper-cleaning (x of 5,000
/// weights per lane) with the linear and the network lower level. saba's tables make its lanes large, so it is kept out of the default
/// lane sweep up to 10^6 lanes.
pub fn named_workloads() -> Vec<Workload> {
    let mut out: Vec<Workload> = [AlgoKind::parse("saba"), AlgoKind::parse("f2sa")]
        .into_iter()
        .flatten()
        .map(|algo| Workload {
            name: format!("{algo}-{}", BenchData::Ijcnn1.name()),
            algo,
            data: BenchData::Ijcnn1,
        })
        .collect();
    for data in [BenchData::MnistCleaning, BenchData::MnistCleaningMlp] {
        out.push(Workload {
            name: format!("{}-{}", AlgoKind::SSAID, data.name()),
            algo: AlgoKind::SSAID,
            data,
        });
    }
    out
}

impl Workload {
    /// The sweep of this workload with `lanes` lanes (rounded up to a multiple of
    /// 1 + [`NEIGHBOURS`]) and `steps` outer steps, logging at the first and last step only.
    pub fn config(&self, lanes: usize, steps: u64) -> SweepConfig {
        let mut c = SweepConfig {
            name: format!("bench-{}", self.name),
            ..Default::default()
        };
        let d = &mut c.data;
        (d.n_lower, d.n_upper, d.n_test, d.n_pool) = (5000, 1000, Some(500), 100);
        let step = match self.data {
            BenchData::Ijcnn1 => {
                c.problem.preset = Preset::CC;
                c.problem.lam_y = Some(1e-3);
                d.kind = DataKind::Libsvm;
                d.train = Some(PathBuf::from("data/ijcnn1.trn.bz2"));
                d.test = Some(PathBuf::from("data/ijcnn1.tst.bz2"));
                d.dim = Some(22);
                0.1
            }
            BenchData::MnistCleaning | BenchData::MnistCleaningMlp => {
                if self.data == BenchData::MnistCleaningMlp {
                    c.problem.model = Some(crate::problem::Model::Mlp);
                    c.problem.hidden = Some(32);
                }
                c.problem.preset = Preset::HyperCleaning;
                c.problem.loss = Some(crate::problem::Loss::Multinomial);
                d.kind = DataKind::Idx;
                d.train = Some(PathBuf::from("data/t10k-images-idx3-ubyte.gz"));
                (d.n_upper, d.n_test, d.corrupt) = (2500, Some(500), 0.5);
                0.1
            }
            BenchData::Quad256 => {
                c.problem.preset = Preset::ScSc;
                d.kind = DataKind::Synthetic;
                d.d = 256;
                (d.s_min, d.s_max, d.sigma) = (Some(0.1), Some(1.0), 0.1);
                0.05
            }
        };
        let r = &mut c.run;
        r.steps = steps.max(1);
        r.log_every = r.steps;
        r.seeds = seeds_for(lanes);
        r.neighbours = NEIGHBOURS;
        r.exact = false;
        r.precision = Precision::F32;
        let mut grid = AlgoGrid::new(self.algo)
            .alpha(step)
            .beta(step)
            .gamma(step)
            .inner_steps(4)
            .batch(BatchSize::Size(32));
        if self
            .algo
            .descriptor()
            .settings
            .contains(&Setting::DeltaLambda)
        {
            grid = grid.delta_lambda(Schedule::Constant(0.0));
        }
        c.algos = vec![grid];
        c
    }
}

/// Seeds for at least `lanes` lanes.
pub fn seeds_for(lanes: usize) -> usize {
    lanes.div_ceil(NEIGHBOURS + 1).max(1)
}

/// Lanes actually run for a request of `lanes` (a whole number of groups).
pub fn round_lanes(lanes: usize) -> usize {
    seeds_for(lanes) * (NEIGHBOURS + 1)
}
