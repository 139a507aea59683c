//! Embedding sbo in a Rust program: describe a sweep in code, run it, read the results as
//! plain data. Run with `cargo run --release --example embed`.

use sbo::algo::AlgoKind;
use sbo::metrics::names;
use sbo::problem::Preset;
use sbo::sweep::{self, AlgoGrid, DataKind, RunOptions, Study, SweepConfig};

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

    let study = Study::prepare(&config, None)?;
    let result = sweep::run_cpu(&study, &RunOptions::default())?;

    let t_end = *result.log_steps.last().unwrap_or(&0);
    println!("{:28} {:>14} {:>14}", "config", "|grad F|", "stability");
    for c in &result.configs {
        let at = |m: &str| {
            c.rows
                .iter()
                .find(|r| r.t == t_end && r.metric == m)
                .map_or(f64::NAN, |r| r.summary.mean)
        };
        println!(
            "{:28} {:14.4e} {:14.4e}",
            c.label,
            at(names::GRAD_F),
            at(names::DIST_XY)
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
