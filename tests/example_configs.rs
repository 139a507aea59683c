//! Every shipped config parses, validates, loads its data and runs (shortened), so the
//! examples in the repository never rot.

use sbo::cpu::CpuEngine;
use sbo::run::{run_study, RunOptions};
use sbo::sweep::{Study, SweepConfig};
use std::path::{Path, PathBuf};

/// The TOML files of an examples folder, with the configs read (every shortened run starts
/// from one of these).
fn configs_in(folder: &str) -> Vec<(PathBuf, SweepConfig)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(folder);
    let mut out = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("toml") {
            continue;
        }
        let c = SweepConfig::from_file(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        out.push((path, c));
    }
    out
}

#[test]
fn every_example_config_prepares_and_runs_a_few_steps() {
    let mut seen = 0;
    for (path, mut c) in configs_in("examples/configs") {
        c.run.steps = 6;
        c.run.log_every = 3;
        c.run.seeds = 2;
        let study =
            Study::prepare(&c, path.parent()).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let r = run_study(&CpuEngine, &study, &RunOptions::default())
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(
            r.diverged(),
            0,
            "{}: lanes diverged in 6 steps",
            path.display()
        );
        assert!(!r.configs.is_empty());
        seen += 1;
    }
    assert!(
        seen >= 10,
        "expected the preset, per-algorithm and default configs, found {seen}"
    );
}

/// The studies under examples/studies: every variant prepares (data, kappa scaling, grids) and
/// a shortened run goes through the report, so `sbo run examples/studies/X.toml` works.
#[test]
fn every_study_prepares_runs_shortened_and_reports() {
    let mut seen = 0;
    for (path, mut c) in configs_in("examples/studies") {
        c.run.steps = 8;
        c.run.log_points = 4;
        c.run.seeds = 2;
        c.run.neighbours = c.run.neighbours.min(1);
        c.run.backend = sbo::sweep::Backend::Cpu;
        let plan = sbo::sweep::Plan::prepare(&c, path.parent())
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let parts = plan
            .variants
            .iter()
            .map(|v| run_study(&CpuEngine, &v.study, &RunOptions::default()))
            .collect::<Result<Vec<_>, _>>()
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let result = sbo::run::merge(&plan, parts);
        assert_eq!(result.diverged(), 0, "{}: diverged", path.display());
        let tmp = tempfile::tempdir().unwrap();
        sbo::rundir::start_run_dir(tmp.path(), &plan).unwrap();
        sbo::rundir::finish_run_dir(tmp.path(), &plan, &result).unwrap();
        let run = sbo::analysis::RunData::load(tmp.path())
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let md = sbo::report::markdown::render(&run, &[]);
        assert!(md.contains("## Configuration"), "{}", path.display());
        seen += 1;
    }
    assert!(
        seen >= 12,
        "expected the stability, convergence and kappa studies, found {seen}"
    );
}
