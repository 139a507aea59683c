//! The run directory round-trips: what the writer puts in `metrics.csv`, `seeds.csv`,
//! `lanes.csv` and `summary.json` reads back through the same schema as exactly the values
//! the run produced (every f64 bit), labels with commas, quotes and newlines included.

use sbo::analysis::RunData;
use sbo::cpu::CpuEngine;
use sbo::metrics::Metric;
use sbo::run::{run_plan, EngineChoice, SweepResult};
use sbo::rundir::{self, read_run, read_run_lanes};
use sbo::sweep::{Plan, SweepConfig};

const CONFIG: &str = r#"
name = "round-trip"
[problem]
preset = "c-c"
lam_y = 0.01
[data]
kind = "synthetic"
d = 4
n_lower = 80
n_upper = 30
n_test = 20
n_pool = 10
[vary]
"data.n_upper" = [20, 30]
[run]
steps = 6
log_every = 3
seeds = 2
neighbours = 1
exact = true
[[algo]]
name = "ssaid"
label = "odd, \"quoted\"\nlabel | x"
alpha = [0.1, 0.2]
beta = 0.1
gamma = 0.1
batch = 8
[[algo]]
name = "tsgd"
T = 2
alpha = 0.1
beta = 0.1
batch = 8
"#;

/// `CONFIG` run on the CPU into a fresh run directory.
fn written_run() -> (tempfile::TempDir, Plan, SweepResult) {
    written_run_of(CONFIG)
}

/// The config `text` run on the CPU into a fresh run directory.
fn written_run_of(text: &str) -> (tempfile::TempDir, Plan, SweepResult) {
    let dir = tempfile::tempdir().unwrap();
    let plan = Plan::prepare(&SweepConfig::from_toml(text).unwrap(), None).unwrap();
    rundir::start_run_dir(dir.path(), &plan).unwrap();
    let choice = EngineChoice {
        engine: Box::new(CpuEngine),
        fallback: None,
        reason: String::new(),
    };
    let run = run_plan(&plan, &choice, &Default::default());
    assert!(run.failure.is_none());
    rundir::finish_run_dir(dir.path(), &plan, &run.result).unwrap();
    (dir, plan, run.result)
}

#[test]
fn every_file_reads_back_as_written() {
    let (dir, plan, result) = written_run();

    let files = read_run(dir.path()).unwrap();
    assert_eq!(files.summary, rundir::write::summary(&plan, &result));
    assert_eq!(files.metrics, rundir::write::metrics_rows(&result));
    let (metrics, rows) = files.seeds.clone().expect("seeds.csv");
    let (want_metrics, want_rows) = rundir::write::seeds_rows(&result, 0);
    assert_eq!(metrics, want_metrics);
    assert_eq!(rows.len(), want_rows.len());
    for (a, b) in rows.iter().zip(&want_rows) {
        assert_eq!((&a.config, a.seed, a.t), (&b.config, b.seed, b.t));
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(
            bits(&a.values),
            bits(&b.values),
            "{} seed {} t {}",
            a.config,
            a.seed,
            a.t
        );
    }
    assert_eq!(
        read_run_lanes(dir.path()).unwrap(),
        rundir::write::lanes_rows(&result)
    );
    assert!(
        result.configs[0].label.contains('\n') && result.configs[0].label.contains(','),
        "the awkward label is in the run: {}",
        result.configs[0].label
    );

    // The analysis view: every configuration with its series and per-seed values.
    let data = RunData::from_files(files).unwrap();
    assert_eq!(data.configs.len(), result.configs.len());
    for (d, r) in data.configs.iter().zip(&result.configs) {
        assert_eq!(d.label, r.label);
        let s = d.series(Metric::ValLoss).unwrap();
        let want: Vec<f64> = r
            .rows
            .iter()
            .filter(|row| row.metric == Metric::ValLoss)
            .map(|row| row.summary.mean)
            .collect();
        assert_eq!(s.mean, want, "{}", d.label);
        assert_eq!(d.per_seed[&Metric::ValLoss].len(), 2);
    }
}

#[test]
fn a_damaged_file_names_its_line() {
    let (dir, _, _) = written_run();
    let p = dir.path().join("metrics.csv");
    let text = std::fs::read_to_string(&p).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines[3] = "tsgd,tsgd,0,not_a_metric,1,0,1,1,2";
    std::fs::write(&p, lines.join("\n")).unwrap();
    let e = read_run(dir.path()).unwrap_err().to_string();
    assert!(
        e.contains("metrics.csv:4") && e.contains("not_a_metric"),
        "the error should name the file and the value: {e}"
    );
}

#[test]
fn a_run_directory_from_an_earlier_version_still_loads() {
    let (dir, _, result) = written_run();
    // Earlier versions wrote neither `seed_base`, `replace` nor `variants`.
    let p = dir.path().join("summary.json");
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
    for k in ["seed_base", "replace", "variants"] {
        v.as_object_mut().unwrap().remove(k);
    }
    std::fs::write(&p, serde_json::to_string(&v).unwrap()).unwrap();
    let data = RunData::load(dir.path()).unwrap();
    assert_eq!(data.seeds, vec![0, 1]);
    assert_eq!(data.configs.len(), result.configs.len());
}

/// `data.corrupt` leaves the flipped positions in `corrupted.csv`: per variant and seed, as
/// the study's data holds them; a run without corruption has no such file.
#[test]
fn corrupted_positions_are_recorded() {
    let (clean, _, _) = written_run();
    assert!(!clean.path().join("corrupted.csv").exists());

    let text = CONFIG.replace("n_pool = 10\n", "n_pool = 10\ncorrupt = 0.25\n");
    let (dir, plan, _) = written_run_of(&text);
    let csv = std::fs::read_to_string(dir.path().join("corrupted.csv")).unwrap();
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("variant,seed,position"));
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    // 2 variants x 2 seeds x round(0.25 x 80).
    assert_eq!(rows.len(), 2 * 2 * 20);
    for v in &plan.variants {
        for seed in 0..2u64 {
            let want: Vec<String> = v
                .study
                .data
                .corrupted(seed)
                .unwrap()
                .iter()
                .map(|p| p.to_string())
                .collect();
            let got: Vec<String> = rows
                .iter()
                .filter(|r| r[0] == v.variant.label && r[1] == seed.to_string())
                .map(|r| r[2].to_string())
                .collect();
            assert_eq!(got, want, "{} seed {seed}", v.variant.label);
        }
    }
}
