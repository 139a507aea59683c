//! The problems the GPU kernels do not compute (a network wider than the GPU's limit; every
//! kernel runs every other problem the CPU runs it on)
//! are refused by the GPU engine on the run path and in `sbo check`, as GPU errors (so
//! `backend = "auto"` falls back to the CPU) that name the problem, rather than run as a
//! different problem.

mod gpu_support;

use sbo::gpu::GpuEngine;
use sbo::run::{run_study, Engine, RunOptions};
use sbo::sweep::{Study, SweepConfig};

fn study(problem: &str, algo: &str) -> Study {
    let c = SweepConfig::from_toml(&format!(
        r#"
[problem]
{problem}
[data]
kind = "libsvm"
train = "data/ijcnn1.trn.bz2"
dim = 22
n_lower = 60
n_upper = 30
n_test = 30
n_pool = 0
[run]
steps = 2
log_every = 1
seeds = 1
neighbours = 0
[[algo]]
name = "{algo}"
alpha = 0.1
beta = 0.1
gamma = 0.1
batch = 4
"#
    ))
    .expect("config");
    Study::prepare(&c, None).expect("prepare")
}

#[test]
fn the_gpu_refuses_problems_it_has_no_kernels_for() {
    let Some(ctx) = gpu_support::context() else {
        return;
    };
    let engine = GpuEngine::new(ctx);
    for (problem, algo, names) in [(
        "preset = \"c-c\"\nhyper = \"scalar\"\nmodel = \"mlp\"\nhidden = 200",
        "ssaid",
        "problem.hidden",
    )] {
        let s = study(problem, algo);
        for (what, e) in [
            ("check", engine.check(&s).expect_err("check must refuse")),
            (
                "run",
                run_study(&engine, &s, &RunOptions::default()).expect_err("run must refuse"),
            ),
        ] {
            assert!(
                matches!(
                    e,
                    sbo::SboError::Gpu { .. } | sbo::SboError::GpuLimit { .. }
                ),
                "{problem} {what}: a GPU error lets auto fall back, got {e:?}"
            );
            assert!(e.to_string().contains(names), "{problem} {what}: {e}");
        }
    }
}
