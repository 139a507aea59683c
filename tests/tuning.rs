//! "Does tuning matter?": the untuned model (alpha = 0) keeps x at x0 on every engine, is never
//! selected, and the comparison of each selected configuration with it finds a planted gain on
//! the held-out seeds, says "inconclusive" without one, and never uses the selection's seeds.

mod gpu_support;

use sbo::analysis::select::select;
use sbo::analysis::stability::Verdict;
use sbo::analysis::tuning::tuning_rows;
use sbo::analysis::{ConfigData, RunData, Series};
use sbo::cpu::CpuEngine;
use sbo::metrics::Metric;
use sbo::run::{run_study, RunOptions};
use sbo::sweep::{Study, SweepConfig};
use std::collections::BTreeMap;

/// Two configurations' final test accuracy per seed, with validation losses that make `b` the
/// winner, and the untuned model.
fn planted(untuned: &[f64], tuned: &[f64], select_seeds: usize, untuned_best: bool) -> RunData {
    let n = untuned.len();
    let mut config = SweepConfig::default();
    config.report.select_metric = Some(Metric::ValLoss);
    config.report.select_seeds = Some(select_seeds);
    let make = |label: &str, alpha: f64, acc: &[f64], val: f64| {
        let mut settings = sbo::algo::AlgoConfig::new(sbo::algo::AlgoKind::SSGD);
        settings.alpha = sbo::algo::Schedule::Constant(alpha);
        let mut per_seed = BTreeMap::new();
        per_seed.insert(
            Metric::TestAccuracy,
            acc.iter().map(|&a| vec![0.5, a]).collect::<Vec<_>>(),
        );
        per_seed.insert(Metric::ValLoss, vec![vec![1.0, val]; n]);
        let mut series = BTreeMap::new();
        series.insert(Metric::ValLoss, Series::default());
        ConfigData {
            label: label.into(),
            algo_label: label.into(),
            algorithm: "ssgd".into(),
            variant: vec![],
            settings,
            series,
            per_seed,
        }
    };
    // The untuned model may score best on validation: it must still never be chosen.
    let (vu, vt) = if untuned_best { (0.1, 0.5) } else { (0.5, 0.1) };
    RunData {
        dir: std::env::temp_dir(),
        config,
        summary: sbo::rundir::RunSummary {
            seeds: n,
            ..Default::default()
        },
        log_steps: vec![0, 100],
        seeds: (0..n as u64).collect(),
        configs: vec![
            make("untuned", 0.0, untuned, vu),
            make("ssgd[alpha=1]", 1.0, tuned, vt),
            make("ssgd[alpha=2]", 2.0, tuned, vt + 0.2),
        ],
    }
}

#[test]
fn a_planted_gain_holds_and_no_gain_is_inconclusive() {
    let untuned = [0.76, 0.77, 0.75, 0.76, 0.78, 0.76, 0.75, 0.77];
    let gain: Vec<f64> = untuned
        .iter()
        .enumerate()
        .map(|(s, u)| u + 0.05 + 0.002 * (s % 3) as f64)
        .collect();
    let run = planted(&untuned, &gain, 4, true);
    let cands = select(&run).expect("selection");
    assert!(
        cands.iter().all(|c| !(c.untuned && c.chosen)),
        "the untuned model was chosen: {cands:?}"
    );
    let rows = tuning_rows(&run, &cands);
    assert_eq!(rows.len(), 1, "{rows:?}");
    let r = &rows[0];
    assert_eq!(
        (r.tuned.as_str(), r.untuned.as_str()),
        ("ssgd[alpha=1]", "untuned")
    );
    assert_eq!(r.metric, Metric::TestAccuracy);
    let d = r.diff.expect("paired");
    assert_eq!(d.n, 4, "only the 4 seeds the selection never saw");
    // Seeds 4..8: gains 0.05 + 0.002 * (s % 3) = 0.052, 0.054, 0.05, 0.052.
    assert!((d.mean - 0.052).abs() < 1e-12, "{d:?}");
    assert_eq!(r.verdict, Verdict::Holds);

    // No gain: noise around zero gives no verdict either way.
    let noise: Vec<f64> = untuned
        .iter()
        .enumerate()
        .map(|(s, u)| u + if s % 2 == 0 { 0.01 } else { -0.01 })
        .collect();
    let run = planted(&untuned, &noise, 0, false);
    let rows = tuning_rows(&run, &select(&run).unwrap());
    assert_eq!(rows[0].diff.unwrap().n, 8);
    assert_eq!(rows[0].verdict, Verdict::Inconclusive, "{rows:?}");

    // A planted loss of accuracy is reported as such.
    let worse: Vec<f64> = untuned.iter().map(|u| u - 0.03).collect();
    let run = planted(&untuned, &worse, 0, false);
    let rows = tuning_rows(&run, &select(&run).unwrap());
    assert_eq!(rows[0].verdict, Verdict::Fails);
}

const TINY: &str = r#"
name = "untuned"
[problem]
preset = "sc-sc"
[data]
kind = "synthetic"
d = 5
n_lower = 200
n_upper = 80
n_test = 50
n_pool = 10
[run]
steps = 60
log_every = 20
seeds = 2
neighbours = 1
x0 = 0.25
[[algo]]
name = "ssgd"
alpha = 0
beta = 0.1
batch = 8
[[algo]]
name = "ssaid"
alpha = 0
beta = 0.1
gamma = 0.1
batch = 8
[[algo]]
name = "ssgd"
alpha = 0.1
beta = 0.1
batch = 8
"#;

/// alpha = 0 leaves x exactly at x0 while y trains; on the CPU and, where there is one, the GPU.
#[test]
fn the_untuned_model_keeps_x_at_x0_on_every_engine() {
    let study = Study::prepare(&SweepConfig::from_toml(TINY).unwrap(), None).unwrap();
    let mut results = vec![(
        "cpu",
        run_study(&CpuEngine, &study, &RunOptions::default()).unwrap(),
    )];
    if let Some(ctx) = gpu_support::context() {
        let engine = sbo::gpu::GpuEngine::with_options(ctx, Default::default());
        results.push((
            "gpu",
            run_study(&engine, &study, &RunOptions::default()).unwrap(),
        ));
    }
    for (engine, r) in &results {
        for lane in &r.lanes {
            let untuned = lane.config < 2;
            let fixed = lane.x.iter().all(|&x| x == 0.25);
            assert_eq!(
                untuned, fixed,
                "{engine}: config {} seed {} neighbour {}: x = {:?}",
                lane.config, lane.seed, lane.neighbour, lane.x
            );
            assert!(
                lane.y.iter().any(|&y| y != 0.0),
                "{engine}: y never trained"
            );
        }
    }
}

#[test]
fn only_alpha_may_be_zero() {
    for key in ["beta", "gamma"] {
        let text = TINY.replacen(
            "gamma = 0.1",
            &format!("gamma = {}", if key == "gamma" { "0" } else { "0.1" }),
            1,
        );
        let text = if key == "beta" {
            text.replacen("beta = 0.1", "beta = 0", 1)
        } else {
            text
        };
        let err = Study::prepare(&SweepConfig::from_toml(&text).unwrap(), None)
            .err()
            .unwrap_or_else(|| panic!("{key} = 0 was accepted"))
            .to_string();
        assert!(
            err.contains(key) && err.contains("only alpha"),
            "{key}: {err}"
        );
    }
    let poly_zero = TINY.replacen("alpha = 0\n", "alpha = \"poly(0, 0.5)\"\n", 1);
    assert!(SweepConfig::from_toml(&poly_zero).is_err());
}
