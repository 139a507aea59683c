//! Shared helpers for GPU integration tests: `mod gpu_support;` in a test file.
//!
//! Tests run on any adapter, software included (lavapipe in CI). Without one they print a
//! visible SKIP line and pass, unless `SBO_REQUIRE_GPU=1`, which turns a missing adapter into
//! a failure (use it wherever a GPU or lavapipe is supposed to be present).

#![allow(dead_code)]

use std::io::Write;

use sbo::cpu::CpuEngine;
use sbo::gpu::{GpuContext, GpuEngine, GpuOptions, GpuRunOptions};
use sbo::metrics::Metric;
use sbo::run::{run_study, RunOptions, SweepResult};
use sbo::sweep::Study;
use sbo::SboError;
use std::sync::Arc;

/// The test's name as the harness names its thread.
fn test_name() -> String {
    std::thread::current()
        .name()
        .unwrap_or("<unnamed test>")
        .to_string()
}

fn require_gpu() -> bool {
    std::env::var("SBO_REQUIRE_GPU").is_ok_and(|v| v == "1")
}

/// A context on the best adapter, software allowed; `None` (after a SKIP line on stderr) if
/// there is no adapter and `SBO_REQUIRE_GPU` is not `1`. Any other failure to open a device is
/// a test failure.
pub fn context() -> Option<Arc<GpuContext>> {
    let opts = GpuOptions {
        allow_software: true,
        ..GpuOptions::default()
    };
    match GpuContext::new(&opts) {
        Ok(ctx) => Some(Arc::new(ctx)),
        Err(e @ SboError::GpuNoAdapter { .. }) => {
            if require_gpu() {
                panic!("SBO_REQUIRE_GPU=1 but no GPU adapter: install mesa-vulkan-drivers ({e})");
            }
            // Straight to the stderr handle: the harness captures `eprintln!` of passing tests,
            // and a skip must stay visible.
            let _ = writeln!(
                std::io::stderr(),
                "SKIP: {}: no GPU adapter ({e})",
                test_name()
            );
            None
        }
        Err(e) => panic!("{}: opening the GPU device failed: {e}", test_name()),
    }
}

/// Asserts |gpu[i] - cpu[i]| <= atol + rtol |cpu[i]| for every i (NaN matches only NaN),
/// reporting the first mismatches with both values and the tolerances, and how many there are.
#[track_caller]
pub fn assert_close(what: &str, gpu: &[f32], cpu: &[f64], rtol: f64, atol: f64) {
    assert_eq!(
        gpu.len(),
        cpu.len(),
        "{what}: GPU gave {} values, CPU {}",
        gpu.len(),
        cpu.len()
    );
    let mut bad = Vec::new();
    for (i, (&g, &c)) in gpu.iter().zip(cpu).enumerate() {
        let g = g as f64;
        let ok = if g.is_nan() || c.is_nan() {
            g.is_nan() && c.is_nan()
        } else if g.is_infinite() || c.is_infinite() {
            g == c
        } else {
            (g - c).abs() <= atol + rtol * c.abs()
        };
        if !ok {
            bad.push(i);
        }
    }
    if !bad.is_empty() {
        let mut msg = format!(
            "{what}: {} of {} values differ beyond rtol {rtol:e}, atol {atol:e}:\n",
            bad.len(),
            gpu.len()
        );
        for &i in bad.iter().take(10) {
            let (g, c) = (gpu[i] as f64, cpu[i]);
            msg.push_str(&format!(
                "  [{i}] gpu {g:e}  cpu {c:e}  |diff| {:e}  allowed {:e}\n",
                (g - c).abs(),
                atol + rtol * c.abs()
            ));
        }
        if bad.len() > 10 {
            msg.push_str(&format!("  ... and {} more\n", bad.len() - 10));
        }
        panic!("{msg}");
    }
}

/// The sweep on the CPU engine (the reference the GPU is checked against).
pub fn run_cpu(study: &Study, opts: &RunOptions) -> sbo::Result<SweepResult> {
    run_study(&CpuEngine, study, opts)
}

/// The sweep on a GPU engine with these options.
pub fn gpu_run(ctx: &Arc<GpuContext>, study: &Study, g: &GpuRunOptions) -> SweepResult {
    let engine = GpuEngine::with_options(ctx.clone(), g.clone());
    run_study(&engine, study, &RunOptions::default()).expect("GPU sweep runs")
}

/// Compares every metric except timings and every final iterate.
pub fn assert_results_close(
    what: &str,
    gpu: &SweepResult,
    cpu: &SweepResult,
    rtol: f64,
    atol: f64,
) {
    let mut worst = (0.0f64, String::new());
    for (g, c) in gpu.configs.iter().zip(&cpu.configs) {
        assert_eq!(g.label, c.label);
        assert_eq!(
            g.rows.len(),
            c.rows.len(),
            "{what} {}: metric rows",
            g.label
        );
        for (rg, rc) in g.rows.iter().zip(&c.rows) {
            assert_eq!((rg.t, &rg.metric), (rc.t, &rc.metric));
            if rg.metric == Metric::Seconds {
                continue;
            }
            let (a, b) = (rg.summary.mean, rc.summary.mean);
            let err = (a - b).abs();
            let tol = atol + rtol * b.abs();
            assert!(
                err <= tol,
                "{what} {} t={} {}: GPU {a} vs CPU {b} (|diff| {err:e} > tol {tol:e} = {atol:e} + {rtol:e} |cpu|)",
                g.label, rg.t, rg.metric
            );
            if err / tol > worst.0 {
                worst = (err / tol, format!("{} t={} {}", g.label, rg.t, rg.metric));
            }
        }
    }
    for (i, (lg, lc)) in gpu.lanes.iter().zip(&cpu.lanes).enumerate() {
        assert_eq!(lg.status, lc.status, "{what} lane {i}");
        for (k, (a, b)) in
            lg.x.iter()
                .chain(&lg.y)
                .zip(lc.x.iter().chain(&lc.y))
                .enumerate()
        {
            let tol = atol + rtol * b.abs();
            assert!(
                (a - b).abs() <= tol,
                "{what} lane {i} (config {} seed {} neighbour {}) coordinate {k}: GPU {a} vs CPU {b}, tol {tol:e}",
                lc.config, lc.seed, lc.neighbour
            );
        }
    }
    eprintln!("{what}: worst |diff| / tol = {:.3} at {}", worst.0, worst.1);
}
