//! Every registered algorithm is complete: it runs a two-step sweep on every engine (CPU f64,
//! CPU f32, GPU), `sbo --help` lists it, and its descriptor has a kernel, nominal oracle
//! counts and a work model. A new algorithm that misses one of them fails here.

mod gpu_support;

use sbo::algo::{AlgoConfig, AlgoKind, BatchSize, OracleCounts, WorkShape};
use sbo::cpu::CpuEngine;
use sbo::gpu::GpuEngine;
use sbo::metrics::Metric;
use sbo::run::{run_study, Engine, RunOptions};
use sbo::sweep::{AlgoGrid, DataKind, Precision, Study, SweepConfig};

/// A two-step sweep of `kind` with its defaults, one neighbour.
fn tiny(kind: AlgoKind, precision: Precision) -> Study {
    let mut c = SweepConfig {
        name: format!("registry-{kind}"),
        ..Default::default()
    };
    c.data.kind = DataKind::Synthetic;
    (c.data.d, c.data.n_lower, c.data.n_upper) = (4, 60, 30);
    (c.data.n_test, c.data.n_pool) = (Some(20), 5);
    c.run.steps = 2;
    c.run.log_every = 1;
    c.run.seeds = 2;
    c.run.neighbours = 1;
    c.run.exact = true;
    c.run.precision = precision;
    c.algos = vec![AlgoGrid::new(kind).batch(8)];
    Study::prepare(&c, None).unwrap()
}

fn runs_everywhere(kind: AlgoKind, engine: &dyn Engine, precision: Precision) {
    let study = tiny(kind, precision);
    let r = run_study(engine, &study, &RunOptions::default())
        .unwrap_or_else(|e| panic!("{kind} on {}: {e}", engine.backend()));
    assert_eq!(r.lanes.len(), 4, "{kind}");
    assert_eq!(r.diverged(), 0, "{kind} on {}", engine.backend());
    let c = &r.configs[0];
    for m in [
        Metric::DistXy,
        Metric::ValLoss,
        Metric::HypergradNorm,
        Metric::OracleGradF,
    ] {
        let s = c
            .at(2, m)
            .unwrap_or_else(|| panic!("{kind} on {}: no {m} at t = 2", engine.backend()));
        assert!(
            s.mean.is_finite(),
            "{kind} on {}: {m} = {}",
            engine.backend(),
            s.mean
        );
    }
}

#[test]
fn every_algorithm_runs_on_the_cpu_in_f64_and_f32() {
    for &kind in AlgoKind::ALL {
        runs_everywhere(kind, &CpuEngine, Precision::F64);
        runs_everywhere(kind, &CpuEngine, Precision::F32);
    }
}

#[test]
fn every_algorithm_runs_on_the_gpu() {
    let Some(ctx) = gpu_support::context() else {
        return;
    };
    let engine = GpuEngine::new(ctx);
    for &kind in AlgoKind::ALL {
        runs_everywhere(kind, &engine, Precision::F32);
    }
}

#[test]
fn every_algorithm_has_a_kernel_counts_and_a_work_model() {
    for &kind in AlgoKind::ALL {
        let a = kind.descriptor();
        assert!(
            a.kernel
                .source
                .contains("fn step(tid: u32, ln: Lane, ll: u32,"),
            "{kind}: the kernel must define the lane loop's `fn step`"
        );
        let cfg = AlgoConfig {
            batch_lower: BatchSize::Size(16),
            batch_upper: BatchSize::Size(8),
            ..AlgoConfig::defaults_for(kind)
        };
        let c: OracleCounts = (a.nominal_counts)(&cfg, 16, 8);
        assert!(c.grad_f >= 1 && c.samples >= 8, "{kind}: counts {c:?}");
        let w = (a.work)(
            &cfg,
            &WorkShape {
                batch_lower: 16.0,
                batch_upper: 8.0,
                d: 10.0,
                p: 10.0,
            },
        );
        assert!(
            w.flops > 0.0 && w.flops.is_finite() && w.bytes > 0.0 && w.bytes.is_finite(),
            "{kind}: work {w:?}"
        );
        assert!(
            !a.settings.is_empty() && !a.summary.is_empty(),
            "{kind}: settings and summary"
        );
        assert!(a.inner_key == "T" || a.inner_key == "D", "{kind}");
        assert_eq!(AlgoKind::parse(kind.name()).unwrap(), kind);
    }
}

#[test]
fn sbo_help_lists_every_algorithm() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sbo"))
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{help}");
    for &kind in AlgoKind::ALL {
        let a = kind.descriptor();
        assert!(
            help.contains(a.name) && help.contains(a.summary),
            "`sbo --help` should list {} ({}):\n{help}",
            a.name,
            a.summary
        );
    }
}
