//! The thread-per-lane kernels (`run.gpu_lane_threads`, `shaders/threads.wgsl`: ssaid, tsgd and
//! ud) against the CPU reference, on lavapipe in CI: logistic loss on ijcnn1 rows (d = 22) with
//! a per-feature x, the synthetic squared-loss problem with a scalar x, neighbours that replace
//! samples on both sides, ssaid's independent Hessian batch with v clipping, tsgd's unrolled
//! backward pass, ud's restart, a box on x, and dispatches that split a configuration; at the
//! tolerances of the workgroup kernels. Also: the kernels are used exactly where they apply.

mod gpu_support;
use gpu_support::{assert_results_close, gpu_run, run_cpu};

use sbo::gpu::{uses_lane_threads, GpuRunOptions};
use sbo::run::RunOptions;
use sbo::sweep::{Study, SweepConfig};

const ALGOS: &str = r#"
[[algo]]
name = "ssaid"
alpha = 0.5
beta = 0.1
gamma = 0.1
batch = [8, 12]
[[algo]]
name = "ssaid"
label = "ssaid-indep-clip"
alpha = 0.5
beta = 0.1
gamma = 0.1
batch = 8
independent_hvp_batch = true
v_radius = 0.2
[[algo]]
name = "tsgd"
alpha = 0.5
beta = 0.1
batch = [8, 12]
T = 3
[[algo]]
name = "ud"
alpha = 0.5
beta = 0.1
batch = 8
T = 2
"#;

fn study(problem: &str, data: &str) -> Study {
    let text = format!(
        r#"
name = "lane-threads"
[problem]
{problem}
[data]
{data}
n_lower = 200
n_upper = 100
n_test = 50
n_pool = 20
[run]
steps = 40
log_every = 20
seeds = 2
neighbours = 3
replace = "both"
gpu_lane_threads = true
{ALGOS}"#
    );
    Study::prepare(&SweepConfig::from_toml(&text).unwrap(), None).unwrap()
}

#[test]
fn the_thread_per_lane_kernel_matches_the_cpu() {
    let Some(ctx) = gpu_support::context() else {
        return;
    };
    let cases = [
        (
            "ijcnn1, logistic, per-feature x, x box",
            study(
                "preset = \"c-c\"\nlam_y = 0.01\nnu = 0.01\nx_box = [-0.05, 0.05]",
                "kind = \"libsvm\"\ntrain = \"data/ijcnn1.trn.bz2\"\ndim = 22",
            ),
        ),
        (
            "synthetic, squared, scalar x",
            study(
                "preset = \"sc-sc\"\nhyper = \"scalar\"\nlam_y = 0.01",
                "kind = \"synthetic\"\nd = 9\nkappa = 10.0\nsigma = 0.3",
            ),
        ),
    ];
    for (what, study) in &cases {
        for c in &study.configs {
            assert!(uses_lane_threads(study, &c.algo), "{what}: {}", c.label);
        }
        let cpu = run_cpu(study, &RunOptions::default()).unwrap();
        // A diverged lane stops at its first iterate and would be compared there only; every
        // configuration's x must move beyond the tolerance.
        for (c, config) in study.configs.iter().enumerate() {
            let lanes: Vec<_> = cpu.lanes.iter().filter(|l| l.config == c).collect();
            assert!(
                lanes.iter().all(|l| l.diverged_at.is_none()),
                "{what}: a CPU lane of {} diverged",
                config.label
            );
            let moved = lanes
                .iter()
                .flat_map(|l| l.x.iter())
                .fold(0.0f64, |m, x| m.max(x.abs()));
            assert!(
                moved > 1e-3,
                "{what}: {}'s x moved only {moved:e}",
                config.label
            );
        }
        let gpu = gpu_run(&ctx, study, &GpuRunOptions::default());
        assert_results_close(what, &gpu, &cpu, 2e-3, 2e-5);
        // Dispatches of 3 lanes: a workgroup's threads past the dispatch's lanes stay idle,
        // and every dispatch starts at its own lane; same kernel, same bits.
        let split = gpu_run(
            &ctx,
            study,
            &GpuRunOptions {
                max_lanes_per_dispatch: Some(3),
                ..GpuRunOptions::default()
            },
        );
        for (a, b) in gpu.lanes.iter().zip(&split.lanes) {
            assert_eq!(
                (&a.x, &a.y),
                (&b.x, &b.y),
                "{what}: split dispatches differ"
            );
        }
    }
}

/// The kernels apply only where asked and where they compute the problem: not by default,
/// not for another algorithm, not for batches drawn without replacement or full batches.
#[test]
fn the_thread_per_lane_kernel_is_used_only_where_it_applies() {
    let base = study(
        "preset = \"sc-sc\"\nlam_y = 0.01",
        "kind = \"synthetic\"\nd = 9",
    );
    let cfg = &base.configs[0].algo;
    assert!(uses_lane_threads(&base, cfg));
    let mut off = base.config.clone();
    off.run.gpu_lane_threads = false;
    let off = Study::prepare(&off, None).unwrap();
    assert!(!uses_lane_threads(&off, &off.configs[0].algo));
    let mut wr = cfg.clone();
    wr.without_replacement = true;
    assert!(!uses_lane_threads(&base, &wr));
    let mut full = cfg.clone();
    full.batch_lower = sbo::algo::BatchSize::Full;
    assert!(!uses_lane_threads(&base, &full));
    let mut other = cfg.clone();
    other.kind = sbo::algo::AlgoKind::parse("ssgd").unwrap();
    assert!(!uses_lane_threads(&base, &other));
    let wide = study(
        "preset = \"sc-sc\"\nlam_y = 0.01",
        "kind = \"synthetic\"\nd = 33",
    );
    assert!(!uses_lane_threads(&wide, &wide.configs[0].algo));
}
