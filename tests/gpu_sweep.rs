//! Whole sweeps on the GPU (lavapipe in CI) against the CPU reference, limits and `sbo verify`.
//! The invariants every engine keeps (zero distance for identical neighbours, splitting,
//! reruns) are in `tests/engines.rs`.

mod gpu_support;

use sbo::cpu::CpuEngine;
use sbo::gpu::{GpuContext, GpuEngine, GpuRunOptions};
use sbo::metrics::Metric;
use sbo::run::{run_study, RunOptions, SweepResult};
use sbo::sweep::{Study, SweepConfig};
use std::sync::Arc;

fn run_cpu(study: &Study, opts: &RunOptions) -> sbo::Result<SweepResult> {
    run_study(&CpuEngine, study, opts)
}

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

fn gpu_run(ctx: &Arc<GpuContext>, study: &Study, g: &GpuRunOptions) -> SweepResult {
    let engine = GpuEngine::with_options(ctx.clone(), g.clone());
    run_study(&engine, study, &RunOptions::default()).expect("GPU sweep runs")
}

/// Compares every metric except timings and every final iterate.
fn assert_results_close(what: &str, gpu: &SweepResult, cpu: &SweepResult, rtol: f64, atol: f64) {
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

/// The multinomial pass of the single-loop kernel (ssaid, ma-soba): C scores per batch slot,
/// softmax coefficients, class blocks of y, x per feature shared by the classes or scalar,
/// softmax loss and top-1 accuracy in the metrics. Three classes on five features (workgroup
/// lanes) and MNIST's ten classes on 784 pixels (7,840 weights: spilled lanes), each against
/// the CPU (f64) at the tolerances of the linear problems (relative 2e-3, absolute 2e-5),
/// with nu > 0, an x box, every coupling kind, ssaid's independent Hessian batch, v clipping,
/// draws without replacement and full batches; and spilled lanes in one-lane dispatches equal
/// to workgroup lanes bit for bit. A
/// missing barrier before the class-summed x step (threads still reading x_f) broke these
/// by 3 % in dist_y; with it the iterates agree to f32 rounding (|dy| ~ 5e-8).
#[test]
fn the_multinomial_loss_matches_the_cpu() {
    let Some(ctx) = gpu_support::context() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("three.csv");
    let mut text = String::new();
    let mut g = 0x9e37_79b9_7f4a_7c15u64;
    let mut unif = || {
        g = g
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((g >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
    };
    for _ in 0..400 {
        let a: Vec<f64> = (0..5).map(|_| unif()).collect();
        let scores = [a[0] - a[1], a[1] + 0.5 * a[2], a[3] - a[4] + 0.3 * unif()];
        let class = (0..3).fold(0, |b, c| if scores[c] > scores[b] { c } else { b });
        for v in &a {
            text.push_str(&format!("{v:.6},"));
        }
        text.push_str(&format!("{class}\n"));
    }
    std::fs::write(&csv, text).unwrap();
    let small = |coupling: &str, hyper: &str| {
        format!(
            r#"
name = "multinomial-gpu"
[problem]
preset = "c-c"
loss = "multinomial"
coupling = "{coupling}"
hyper = "{hyper}"
mu = 0.5
lam_y = 0.01
nu = 0.1
x_box = [-3.0, 3.0]
[data]
kind = "csv"
train = "{}"
n_lower = 200
n_upper = 100
n_test = 50
n_pool = 20
[run]
steps = 60
log_every = 20
seeds = 2
neighbours = 1
replace = "both"
x0 = -1.0
[[algo]]
name = "ssaid"
alpha = 0.2
beta = 0.5
gamma = 0.5
batch = [8, 40]
[[algo]]
name = "ssaid"
label = "ssaid-indep-clip-wor"
alpha = 0.2
beta = 0.5
gamma = 0.5
batch = 8
independent_hvp_batch = true
v_radius = 0.5
without_replacement = true
[[algo]]
name = "ssaid"
label = "ssaid-full"
alpha = 0.2
beta = 0.5
gamma = 0.5
batch = "full"
[[algo]]
name = "ma-soba"
alpha = 0.2
beta = 0.5
gamma = 0.5
batch = 8
"#,
            csv.display()
        )
    };
    for (coupling, hyper) in [
        ("logweight", "per_feature"),
        ("logweight", "scalar"),
        ("prior", "per_feature"),
        ("nonconvex", "per_feature"),
    ] {
        let study = Study::prepare(
            &SweepConfig::from_toml(&small(coupling, hyper)).unwrap(),
            None,
        )
        .unwrap();
        let cpu = run_cpu(&study, &RunOptions::default()).unwrap();
        let gpu = gpu_run(&ctx, &study, &GpuRunOptions::default());
        let what = format!("3 classes, {coupling} {hyper}");
        assert_results_close(&what, &gpu, &cpu, 2e-3, 2e-5);
        // The same lanes spilled to the storage buffer, in dispatches of one lane.
        let spilled = gpu_run(
            &ctx,
            &study,
            &GpuRunOptions {
                spill: Some(true),
                max_lanes_per_dispatch: Some(1),
                ..GpuRunOptions::default()
            },
        );
        for (a, b) in gpu.lanes.iter().zip(&spilled.lanes) {
            assert_eq!((&a.x, &a.y), (&b.x, &b.y), "{what}: spilled lane differs");
        }
    }
    let mnist = r#"
name = "multinomial-mnist-gpu"
[problem]
preset = "c-c"
loss = "multinomial"
lam_y = 0.01
nu = 0.1
[data]
kind = "idx"
train = "data/t10k-images-idx3-ubyte.gz"
n_lower = 200
n_upper = 100
n_test = 100
n_pool = 20
[run]
steps = 12
log_every = 6
seeds = 1
neighbours = 1
x0 = -2.0
[[algo]]
name = "ssaid"
alpha = 5.0
beta = 0.1
gamma = 0.1
batch = 8
[[algo]]
name = "ma-soba"
alpha = 5.0
beta = 0.1
gamma = 0.1
batch = 8
"#;
    let study = Study::prepare(&SweepConfig::from_toml(mnist).unwrap(), None).unwrap();
    let cpu = run_cpu(&study, &RunOptions::default()).unwrap();
    let gpu = gpu_run(&ctx, &study, &GpuRunOptions::default());
    assert_results_close("MNIST, 10 classes, spilled", &gpu, &cpu, 2e-3, 2e-5);
    // x must have moved well beyond the tolerance, or the x step would go unchecked.
    let moved = cpu.lanes[0]
        .x
        .iter()
        .map(|v| (v + 2.0).abs())
        .fold(0.0f64, f64::max);
    assert!(moved > 1e-2, "x moved only {moved:e} from x0");
}
