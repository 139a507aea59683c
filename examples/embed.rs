//! Embedding sbo in a Rust program: describe a sweep in code, run it, read the results as
//! plain data. Run with `cargo run --release --example embed`.

use sbo::algo::AlgoKind;
use sbo::cpu::CpuEngine;
use sbo::metrics::Metric;
use sbo::problem::Preset;
use sbo::run::{run_study, RunOptions};
use sbo::sweep::{AlgoGrid, DataKind, Study, SweepConfig};

fn main() -> Result<(), sbo::SboError> {
    // Start from the defaults and change what this study needs.
    let mut config = SweepConfig {
        name: "embedded".into(),
        ..Default::default()
    };
    config.problem.preset = Preset::ScSc;
    config.data.kind = DataKind::Synthetic;
    config.data.d = 10;
    // kappa = (s_max + mu) / (s_min + mu) with mu = 1: the lower Hessian's largest eigenvalue
    // is about 21, so the y step must stay below 2 / 21.
    config.data.kappa = Some(20.0);
    config.run.steps = 500;
    config.run.log_every = 100;
    config.run.seeds = 4;
    config.run.neighbours = 3;
    config.run.exact = true;
    // Algorithm grids: a list (here stocbio's alpha) expands into one configuration per value.
    config.algos = vec![
        AlgoGrid::new(AlgoKind::SSAID)
            .alpha(0.1)
            .beta(0.05)
            .gamma(0.05)
            .batch(16),
        AlgoGrid::new(AlgoKind::STOCBIO)
            .alpha([0.1, 0.05])
            .beta(0.05)
            .inner_steps(5)
            .terms(10)
            .eta(0.04)
            .batch(16),
    ];

    // A study is the config with its data loaded and grid expanded; any engine runs it (the
    // CPU here; `sbo::backend::choose` picks one as `sbo run` does).
    let study = Study::prepare(&config, None)?;
    let result = run_study(&CpuEngine, &study, &RunOptions::default())?;

    let t_end = *result.log_steps.last().unwrap_or(&0);
    println!("{:28} {:>14} {:>14}", "config", "|grad F|", "stability");
    for c in &result.configs {
        let at = |m: Metric| c.at(t_end, m).map_or(f64::NAN, |s| s.mean);
        println!(
            "{:28} {:14.4e} {:14.4e}",
            c.label,
            at(Metric::HypergradNorm),
            at(Metric::DistXy)
        );
    }
    println!(
        "{} lane-steps in {:.2} s",
        result.lane_steps, result.seconds
    );
    for w in &result.warnings {
        println!("warning: {w}");
    }
    Ok(())
}
