//! Whole sweeps on the GPU (lavapipe in CI) against the CPU reference, limits and `sbo verify`.
//! The invariants every engine keeps (zero distance for identical neighbours, splitting,
//! reruns) are in `tests/engines.rs`.

mod gpu_support;
use gpu_support::{assert_results_close, gpu_run, run_cpu};

use sbo::gpu::{GpuEngine, GpuRunOptions};
use sbo::metrics::Metric;
use sbo::run::{run_study, RunOptions};
use sbo::sweep::{Study, SweepConfig};

/// Every algorithm, small batches, on a synthetic problem of the given preset.
fn config(preset: &str, steps: u64, hyper: &str) -> SweepConfig {
    let (kind, extra) = if preset == "sc-sc" {
        ("synthetic", "kappa = 10.0\nsigma = 0.3")
    } else {
        ("synthetic", "")
    };
    let text = format!(
        r#"
name = "gpu-vs-cpu"
[problem]
preset = "{preset}"
hyper = "{hyper}"
lam_y = 0.01
[data]
kind = "{kind}"
d = 9
n_lower = 300
n_upper = 120
n_test = 200
n_pool = 50
{extra}
[run]
steps = {steps}
log_every = {log}
seeds = 2
neighbours = 2
replace = "both"
[[algo]]
name = "ssgd"
alpha = 0.05
beta = 0.1
batch = 16
[[algo]]
name = "tsgd"
T = 3
alpha = "poly(0.05, 0.6)"
beta = "poly(0.1, 0.4)"
batch = [16, 48]
[[algo]]
name = "ud"
T = 2
alpha = 0.05
beta = 0.1
batch = 16
[[algo]]
name = "ssaid"
alpha = 0.05
beta = 0.1
gamma = 0.1
batch = [16, 100]
independent_hvp_batch = [false, true]
[[algo]]
name = "stocbio"
D = 3
Q = 4
eta = 0.2
alpha = 0.05
beta = 0.1
batch = 16
[[algo]]
name = "aid-cg"
D = 2
Q = 3
alpha = 0.05
beta = 0.1
batch = 16
without_replacement = true
[[algo]]
name = "amigo"
D = 2
Q = 3
alpha = 0.05
beta = 0.1
gamma = 0.1
batch = 16
[[algo]]
name = "ma-soba"
alpha = 0.05
beta = 0.1
gamma = 0.1
rho = ["poly(0.5, 0.3)", 1.0]
batch = 16
[[algo]]
name = "f2sa"
T = 2
alpha = 0.05
beta = 0.02
gamma = 0.1
lambda0 = 2.0
delta_lambda = "poly(0.5, 0.5)"
batch_lower = 16
batch_upper = 24
[[algo]]
name = "mrbo"
Q = 4
eta = 0.2
alpha = 0.05
beta = 0.1
rho = "poly(0.5, 0.3)"
batch = 16
[[algo]]
name = "fsla"
alpha = 0.05
beta = 0.1
gamma = 0.1
rho = 0.3
batch = 16
[[algo]]
name = "sustain"
Q = 5
eta = 0.2
alpha = 0.05
beta = 0.1
rho = 0.4
batch = 16
[[algo]]
name = "bsa"
D = 2
Q = 5
eta = 0.2
alpha = 0.05
beta = 0.1
batch = 16
[[algo]]
name = "ttsa"
Q = 5
eta = 0.2
alpha = "poly(0.05, 0.6)"
beta = "poly(0.1, 0.4)"
batch = 16
[[algo]]
name = "saba"
alpha = 0.05
beta = 0.1
gamma = 0.1
batch = [16, 100]
[[algo]]
name = "bome"
T = 3
eta = 0.5
alpha = 0.05
beta = 0.05
batch = 16
[[algo]]
name = "srba"
alpha = 0.05
beta = 0.1
gamma = 0.1
batch = 16
period = [0, 3]
[[algo]]
name = "vrbo"
T = 2
Q = 3
eta = 0.2
alpha = 0.05
beta = 0.1
batch = 16
period = 4
"#,
        log = steps / 4
    );
    SweepConfig::from_toml(&text).expect("test config")
}

/// GPU (f32) against CPU (f64) over a few hundred steps of every algorithm on sc-sc: the
/// problem is strongly convex, so f32 rounding stays at the 1e-5 level. Tolerance: relative
/// 2e-3 plus absolute 2e-5 on every metric (means over seeds) and every final coordinate.
#[test]
fn every_algorithm_matches_the_cpu_on_sc_sc() {
    let Some(ctx) = gpu_support::context() else {
        return;
    };
    for hyper in ["per_feature", "scalar"] {
        let study = Study::prepare(&config("sc-sc", 200, hyper), None).unwrap();
        let cpu = run_cpu(&study, &RunOptions::default()).unwrap();
        let gpu = gpu_run(&ctx, &study, &GpuRunOptions::default());
        assert_results_close(&format!("sc-sc {hyper}"), &gpu, &cpu, 2e-3, 2e-5);
    }
}

/// nc-nc (logistic loss, nonconvex coupling) over a short horizon: trajectories of a
/// nonconvex problem separate slowly, so the horizon is short and the tolerance wider
/// (relative 5e-3, absolute 5e-5).
#[test]
fn every_algorithm_matches_the_cpu_on_nc_nc_over_a_short_horizon() {
    let Some(ctx) = gpu_support::context() else {
        return;
    };
    let study = Study::prepare(&config("nc-nc", 40, "per_feature"), None).unwrap();
    let cpu = run_cpu(&study, &RunOptions::default()).unwrap();
    let gpu = gpu_run(&ctx, &study, &GpuRunOptions::default());
    assert_results_close("nc-nc", &gpu, &cpu, 5e-3, 5e-5);
}

#[test]
fn a_sweep_too_large_for_the_device_is_a_clear_error() {
    let Some(ctx) = gpu_support::context() else {
        return;
    };
    let mut cfg = config("sc-sc", 4, "per_feature");
    cfg.algos.truncate(1);
    cfg.algos[0].batch = Some(sbo::algo::BatchSize::Size(5000).into());
    let study = Study::prepare(&cfg, None).unwrap();
    let e = run_study(&GpuEngine::new(ctx), &study, &RunOptions::default()).unwrap_err();
    assert!(e.to_string().contains("batch"), "{e}");
}

#[test]
fn sbo_verify_reports_every_metric_and_passes_on_a_tiny_sweep() {
    if gpu_support::context().is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config("sc-sc", 20, "scalar");
    cfg.algos.truncate(2);
    let path = dir.path().join("v.toml");
    std::fs::write(&path, cfg.to_toml().unwrap()).unwrap();
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_sbo"))
        .args(["verify", path.to_str().unwrap()])
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{out}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    for m in ["dist_xy", "val_loss", "final_x", "final_y"] {
        assert!(
            out.lines().any(|l| l.starts_with(m) && l.contains(" ok ")),
            "{m} missing: {out}"
        );
    }
    // An impossible tolerance fails with status 2.
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_sbo"))
        .args([
            "verify",
            path.to_str().unwrap(),
            "--rtol",
            "0",
            "--atol",
            "0",
        ])
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
}

/// `run.resample = "data"`: every seed's lanes read their own rows through the row maps, on
/// the test set too (nc-nc is logistic, so its test loss comes from the test rows rather than
/// the population). A GPU that read another seed's rows would miss by far more than the
/// tolerances above.
#[test]
fn resampled_data_matches_the_cpu() {
    let Some(ctx) = gpu_support::context() else {
        return;
    };
    for (preset, steps, rtol, atol) in [("sc-sc", 200, 2e-3, 2e-5), ("nc-nc", 40, 5e-3, 5e-5)] {
        let mut cfg = config(preset, steps, "per_feature");
        cfg.run.resample = sbo::sweep::Resample::Data;
        cfg.run.seeds = 3;
        let study = Study::prepare(&cfg, None).unwrap();
        assert!(study.data.resampled());
        let cpu = run_cpu(&study, &RunOptions::default()).unwrap();
        let gpu = gpu_run(&ctx, &study, &GpuRunOptions::default());
        assert_results_close(&format!("{preset} resampled"), &gpu, &cpu, rtol, atol);
    }
}

/// A wide problem (d = 200, so 256 threads per lane) with small and large batches, which
/// take the two dot-product paths of `shaders/pass.wgsl`.
#[test]
fn wide_problems_match_the_cpu() {
    let Some(ctx) = gpu_support::context() else {
        return;
    };
    let text = r#"
name = "wide"
[problem]
preset = "sc-sc"
[data]
kind = "synthetic"
d = 200
n_lower = 400
n_upper = 200
n_test = 50
n_pool = 20
kappa = 5.0
[run]
steps = 24
log_every = 8
seeds = 1
neighbours = 1
[[algo]]
name = "ssaid"
alpha = 0.02
beta = 0.02
gamma = 0.02
batch = [8, 300]
[[algo]]
name = "tsgd"
T = 2
alpha = 0.02
beta = 0.02
batch = 8
"#;
    let study = Study::prepare(&SweepConfig::from_toml(text).unwrap(), None).unwrap();
    let cpu = run_cpu(&study, &RunOptions::default()).unwrap();
    let gpu = gpu_run(&ctx, &study, &GpuRunOptions::default());
    assert_results_close("d = 200", &gpu, &cpu, 2e-3, 2e-5);
}

/// `problem.x_box` (benchopt's prox): a box tight enough that the large step keeps hitting
/// it; the GPU projects as the CPU does, and every final x lies in the box.
#[test]
fn a_box_on_x_binds_the_same_on_both() {
    let mut cfg = config("c-c", 40, "per_feature");
    cfg.problem.x_box = Some(vec![-0.3, 0.2]);
    for a in &mut cfg.algos {
        a.alpha = Some(5.0.into());
    }
    let mut outside = cfg.clone();
    outside.run.x0 = 1.0;
    match Study::prepare(&outside, None) {
        Err(sbo::SboError::Config { field, .. }) => assert_eq!(field, "run.x0"),
        Err(e) => panic!("expected a config error on run.x0, got {e}"),
        Ok(_) => panic!("x0 outside the box was accepted"),
    }
    let study = Study::prepare(&cfg, None).unwrap();
    let cpu = run_cpu(&study, &RunOptions::default()).unwrap();
    let at_bound = cpu
        .lanes
        .iter()
        .flat_map(|l| &l.x)
        .filter(|&&x| x == -0.3 || x == 0.2)
        .count();
    assert!(
        at_bound > 0,
        "the box never binds: the test cannot see a projection"
    );
    for l in &cpu.lanes {
        assert!(l.x.iter().all(|&x| (-0.3..=0.2).contains(&x)), "{:?}", l.x);
    }
    let Some(ctx) = gpu_support::context() else {
        return;
    };
    let gpu = gpu_run(&ctx, &study, &GpuRunOptions::default());
    assert_results_close("c-c with an x box", &gpu, &cpu, 5e-3, 5e-5);
}

/// Lane vectors in the spill buffer run the same kernels with the same arithmetic in the same
/// order as in workgroup memory: every algorithm, both presets, bit for bit.
#[test]
fn spilled_lanes_equal_workgroup_lanes_bit_for_bit() {
    let Some(ctx) = gpu_support::context() else {
        return;
    };
    for (preset, hyper) in [("sc-sc", "per_feature"), ("nc-nc", "scalar")] {
        let study = Study::prepare(&config(preset, 16, hyper), None).unwrap();
        let plain = gpu_run(&ctx, &study, &GpuRunOptions::default());
        let spilled = gpu_run(
            &ctx,
            &study,
            &GpuRunOptions {
                spill: Some(true),
                ..GpuRunOptions::default()
            },
        );
        for (a, b) in plain.lanes.iter().zip(&spilled.lanes) {
            assert_eq!(a.status, b.status);
            assert_eq!(
                (&a.x, &a.y),
                (&b.x, &b.y),
                "{preset}: config {} seed {} neighbour {}",
                a.config,
                a.seed,
                a.neighbour
            );
        }
        for (ca, cb) in plain.configs.iter().zip(&spilled.configs) {
            for (ra, rb) in ca.rows.iter().zip(&cb.rows) {
                if ra.metric != Metric::Seconds {
                    assert_eq!(
                        ra.summary.mean.to_bits(),
                        rb.summary.mean.to_bits(),
                        "{preset} {} t={} {}",
                        ca.label,
                        ra.t,
                        ra.metric
                    );
                }
            }
        }
    }
}

/// A lane whose vectors overflow workgroup memory (d = 3,000: 108 KB of vectors) spills by
/// itself and matches the CPU; refusing to spill is the clear workgroup-memory error.
#[test]
fn lanes_beyond_workgroup_memory_spill_and_match_the_cpu() {
    let Some(ctx) = gpu_support::context() else {
        return;
    };
    let text = r#"
name = "spilled"
[problem]
preset = "sc-sc"
[data]
kind = "synthetic"
d = 3000
n_lower = 300
n_upper = 100
n_test = 50
n_pool = 20
kappa = 5.0
[run]
steps = 12
log_every = 6
seeds = 1
neighbours = 1
[[algo]]
name = "ssaid"
alpha = 0.02
beta = 0.02
gamma = 0.02
batch = 8
[[algo]]
name = "tsgd"
T = 2
alpha = 0.02
beta = 0.02
batch = 8
"#;
    let study = Study::prepare(&SweepConfig::from_toml(text).unwrap(), None).unwrap();
    let never = GpuEngine::with_options(
        ctx.clone(),
        GpuRunOptions {
            spill: Some(false),
            ..GpuRunOptions::default()
        },
    );
    let e = sbo::run::Engine::check(&never, &study).unwrap_err();
    assert!(e.to_string().contains("workgroup memory"), "{e}");
    let cpu = run_cpu(&study, &RunOptions::default()).unwrap();
    let gpu = gpu_run(&ctx, &study, &GpuRunOptions::default());
    assert_results_close("d = 3000, spilled", &gpu, &cpu, 2e-3, 2e-5);
}
