//! Bad and extreme inputs: each gives a clear error naming the file, line or field (never a
//! panic, an abort or an allocation beyond what the machine has), and earlier results are
//! never overwritten or lost. One test per case found by a hostile-but-realistic user.

mod gpu_support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn sbo() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_sbo"));
    c.env("XDG_RUNTIME_DIR", std::env::temp_dir());
    c
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// `sbo check FILE` fails cleanly, and its message holds every needle.
#[track_caller]
fn check_fails(dir: &Path, text: &str, needles: &[&str]) {
    let cfg = write(dir, "case.toml", text);
    let o = sbo()
        .args(["check", cfg.to_str().unwrap()])
        .output()
        .unwrap();
    let err = stderr(&o);
    assert!(!o.status.success(), "should fail: {text}\n{err}");
    assert!(!err.contains("panicked"), "panicked: {err}");
    for n in needles {
        assert!(err.contains(n), "the error should name `{n}`: {err}");
    }
}

/// A tiny synthetic sweep that runs in well under a second.
const TINY: &str = r#"
name = "tiny"
[data]
kind = "synthetic"
d = 3
n_lower = 40
n_upper = 20
n_test = 10
n_pool = 5
[run]
steps = 4
log_every = 2
seeds = 2
neighbours = 1
backend = "cpu"
[[algo]]
name = "ssgd"
alpha = 0.1
beta = 0.1
batch = 4
"#;

fn libsvm_config(file: &Path, extra: &str) -> String {
    format!(
        "[problem]\npreset = \"c-c\"\n[data]\nkind = \"libsvm\"\ntrain = \"{}\"\nn_lower = 2\n\
         n_upper = 1\nn_pool = 0\n{extra}\n[run]\nneighbours = 0\n[[algo]]\nname = \"ssgd\"\n",
        file.display()
    )
}

#[test]
fn a_huge_feature_index_is_refused_before_allocating() {
    let dir = tempfile::tempdir().unwrap();
    let data = write(
        dir.path(),
        "big.svm",
        "1 1:0.5\n-1 4000000000:0.1\n1 2:0.1\n",
    );
    let data_s = data.display().to_string();
    check_fails(
        dir.path(),
        &libsvm_config(&data, ""),
        &[
            &format!("{data_s}:2"),
            "4000000000",
            "dense matrix",
            "data.dim",
        ],
    );
}

#[test]
fn a_file_of_labels_only_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let data = write(dir.path(), "labels.svm", "1\n-1\n1\n");
    check_fails(
        dir.path(),
        &libsvm_config(&data, "dim = 3"),
        &["labels.svm", "no line holds a feature"],
    );
}

#[test]
fn logistic_loss_on_one_class_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let data = write(dir.path(), "one.svm", "1 1:0.5\n1 2:0.3\n1 1:0.1 2:0.2\n");
    check_fails(
        dir.path(),
        &libsvm_config(&data, ""),
        &["data.train", "same class"],
    );
}

#[test]
fn a_csv_with_a_byte_order_mark_keeps_its_first_row() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "bom.csv",
        "\u{feff}0.5,1.0,1\n0.1,0.2,-1\n0.3,0.4,1\n",
    );
    let d = sbo::data::csv::read_csv(&p, -1).unwrap();
    assert_eq!(d.n, 3, "the first row after the BOM is data");
    assert_eq!(d.row(0), &[0.5, 1.0]);
}

/// data.kappa names the lower condition number only on sc-sc's quadratic family; elsewhere a
/// study labelled with kappa would misstate its constants.
#[test]
fn kappa_is_refused_where_it_sets_no_condition_number() {
    let dir = tempfile::tempdir().unwrap();
    for preset in ["c-c", "nc-nc"] {
        let text = TINY.replace(
            "name = \"tiny\"",
            &format!("name = \"tiny\"\n[problem]\npreset = \"{preset}\""),
        );
        let text = text.replace("d = 3", "d = 3\nkappa = 10.0");
        check_fails(dir.path(), &text, &["data.kappa", "sc-sc", "s_min"]);
    }
    let squared_logweight = TINY
        .replace(
            "name = \"tiny\"",
            "name = \"tiny\"\n[problem]\ncoupling = \"logweight\"",
        )
        .replace("d = 3", "d = 3\nkappa = 10.0");
    check_fails(dir.path(), &squared_logweight, &["data.kappa", "logweight"]);
}

/// The bilinear coupling adds no curvature: without lam_y the lower level needs n_lower >= d.
#[test]
fn an_unbounded_bilinear_lower_level_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let text = TINY
        .replace(
            "name = \"tiny\"",
            "name = \"tiny\"\n[problem]\ncoupling = \"bilinear\"\nlam_y = 0.0",
        )
        .replace("d = 3", "d = 50");
    check_fails(dir.path(), &text, &["problem.lam_y", "n_lower >= d"]);
}

#[test]
fn too_many_logging_points_are_refused_by_check() {
    let dir = tempfile::tempdir().unwrap();
    let text = TINY.replace(
        "steps = 4\nlog_every = 2",
        "steps = 10000000000\nlog_every = 1",
    );
    check_fails(dir.path(), &text, &["run.log_every", "logging points"]);
}

#[test]
fn a_sweep_beyond_the_memory_is_refused_by_check() {
    let dir = tempfile::tempdir().unwrap();
    for (from, to, needle) in [
        (
            "neighbours = 1",
            "neighbours = 1000000000",
            "run.neighbours",
        ),
        ("seeds = 2", "seeds = 10000000", "run.seeds"),
        ("d = 3", "d = 1000000", "data.d"),
    ] {
        check_fails(dir.path(), &TINY.replace(from, to), &[needle, "more than"]);
    }
    // The budget is the machine's unless SBO_MEMORY_LIMIT says otherwise.
    let cfg = write(dir.path(), "tiny.toml", TINY);
    let o = sbo()
        .env("SBO_MEMORY_LIMIT", "1000")
        .args(["check", cfg.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!o.status.success() && stderr(&o).contains("SBO_MEMORY_LIMIT"));
}

#[test]
fn report_on_a_run_without_results_fails() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write(dir.path(), "tiny.toml", TINY);
    let out = dir.path().join("run");
    let o = sbo()
        .args([
            "run",
            cfg.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "-q",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    // Empty the results as a failed first variant would have left them.
    let m = out.join("metrics.csv");
    let header = std::fs::read_to_string(&m).unwrap();
    std::fs::write(&m, header.lines().next().unwrap()).unwrap();
    std::fs::remove_file(out.join("seeds.csv")).unwrap();
    let o = sbo()
        .args(["report", out.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!o.status.success(), "report on an empty run should fail");
    assert!(stderr(&o).contains("no results"), "{}", stderr(&o));
}

#[test]
fn bench_on_the_gpu_alone_without_a_gpu_fails() {
    if sbo::gpu::GpuContext::new(&sbo::gpu::GpuOptions::default()).is_ok() {
        eprintln!("SKIP: this machine has a hardware GPU");
        return;
    }
    let o = sbo()
        .args(["bench", "--backend", "gpu", "--lanes", "8", "--steps", "2"])
        .output()
        .unwrap();
    assert!(
        !o.status.success(),
        "bench --backend gpu without a GPU must fail"
    );
    assert!(stderr(&o).contains("GPU"), "{}", stderr(&o));
}

#[test]
fn an_existing_run_is_never_overwritten_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write(dir.path(), "tiny.toml", TINY);
    let out = dir.path().join("run");
    let run = |extra: &[&str]| {
        let mut args = vec![
            "run",
            cfg.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "-q",
        ];
        args.extend_from_slice(extra);
        sbo().args(&args).output().unwrap()
    };
    assert!(run(&[]).status.success());
    let stale = write(&out, "stale.txt", "from an earlier run");
    let before = std::fs::read_to_string(out.join("metrics.csv")).unwrap();
    let o = run(&[]);
    assert!(
        !o.status.success(),
        "a second run into the same --out must be refused"
    );
    assert!(stderr(&o).contains("--force"), "{}", stderr(&o));
    assert!(stale.exists());
    assert_eq!(
        before,
        std::fs::read_to_string(out.join("metrics.csv")).unwrap()
    );
    // --force replaces it whole once the new run completes: nothing stale is left.
    let o = run(&["--force"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!stale.exists(), "files of the replaced run remain");
    assert!(out.join("report.md").exists() && out.join("summary.json").exists());
    let s: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(s["complete"], true);
}

#[test]
fn a_run_that_fails_leaves_the_earlier_results_untouched() {
    // A batch beyond the GPU's workgroup memory fails only once the GPU engine starts.
    if gpu_support::context().is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let cfg = write(dir.path(), "tiny.toml", TINY);
    let out = dir.path().join("run");
    let o = sbo()
        .args([
            "run",
            cfg.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "-q",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let before = std::fs::read_to_string(out.join("metrics.csv")).unwrap();
    let failing = write(
        dir.path(),
        "fail.toml",
        &TINY
            .replace("backend = \"cpu\"", "backend = \"gpu\"")
            .replace("n_lower = 40", "n_lower = 3000")
            .replace("batch = 4", "batch = 2000"),
    );
    let o = sbo()
        .args([
            "run",
            failing.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--force",
            "-q",
        ])
        .output()
        .unwrap();
    let err = stderr(&o);
    assert!(!o.status.success(), "the GPU run should fail: {err}");
    assert!(
        err.contains("unchanged") && err.contains("incomplete"),
        "{err}"
    );
    assert_eq!(
        before,
        std::fs::read_to_string(out.join("metrics.csv")).unwrap(),
        "the earlier results changed"
    );
    let mut staged = out.clone().into_os_string();
    staged.push(".incomplete");
    let s: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(PathBuf::from(staged).join("summary.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(s["complete"], false);
    assert!(s["failure"].as_str().unwrap().contains("batch"));
}

#[test]
fn a_label_with_a_newline_still_gives_a_readable_run() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write(
        dir.path(),
        "label.toml",
        &TINY.replace(
            "name = \"ssgd\"",
            "name = \"ssgd\"\nlabel = \"two\\nlines, \\\"q\\\"\"",
        ),
    );
    let out = dir.path().join("run");
    let o = sbo()
        .args([
            "run",
            cfg.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "-q",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let o = sbo()
        .args(["report", out.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn ctrl_c_writes_what_is_complete_and_marks_the_run_incomplete() {
    let dir = tempfile::tempdir().unwrap();
    // Long enough never to finish on its own within the test.
    let cfg = write(
        dir.path(),
        "long.toml",
        &TINY
            .replace(
                "steps = 4\nlog_every = 2",
                "steps = 100000000\nlog_every = 2000",
            )
            .replace("seeds = 2", "seeds = 4"),
    );
    let out = dir.path().join("run");
    let child = sbo()
        .args([
            "run",
            cfg.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "-q",
        ])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The handler is in place once the run directory is started.
    let t0 = std::time::Instant::now();
    while !out.join("config.toml").exists() && t0.elapsed().as_secs() < 60 {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    std::thread::sleep(std::time::Duration::from_millis(800));
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let o = child.wait_with_output().unwrap();
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(130), "{err}");
    assert!(err.contains("stopped on request"), "{err}");
    let s: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(s["complete"], false);
    let steps = s["log_steps"].as_array().unwrap();
    assert!(
        steps.len() >= 2,
        "at least one interval completed: {steps:?}"
    );
    let o = sbo()
        .args(["report", out.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(report.contains("This run is incomplete"));
}

#[test]
fn check_catches_what_the_gpu_would_refuse() {
    if gpu_support::context().is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let text = TINY
        .replace("backend = \"cpu\"", "backend = \"gpu\"")
        .replace("n_lower = 40", "n_lower = 3000")
        .replace("batch = 4", "batch = 2000");
    check_fails(dir.path(), &text, &["algo (ssgd)", "batch", "1024"]);
}

#[test]
fn force_works_with_a_trailing_slash_and_never_deletes_a_leftover() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write(dir.path(), "tiny.toml", TINY);
    let out = dir.path().join("run");
    let slashed = format!("{}/", out.display());
    let run = |force: bool| {
        let mut args = vec!["run", cfg.to_str().unwrap(), "--out", &slashed, "-q"];
        if force {
            args.push("--force");
        }
        sbo().args(&args).output().unwrap()
    };
    assert!(run(false).status.success());
    let o = run(true);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(out.join("summary.json").exists());
    let leftovers: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("run") && n != "run")
        .collect();
    assert!(leftovers.is_empty(), "left behind: {leftovers:?}");
    // A staging directory from an earlier failed run is the user's to look at: refused.
    std::fs::create_dir(dir.path().join("run.incomplete")).unwrap();
    std::fs::write(dir.path().join("run.incomplete/keep.txt"), "mine").unwrap();
    let o = run(true);
    assert!(!o.status.success() && stderr(&o).contains("run.incomplete"));
    assert!(dir.path().join("run.incomplete/keep.txt").exists());
}

#[test]
fn a_stop_between_variants_does_not_start_the_next_one() {
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    let text = TINY.replace("[run]", "[vary]\n\"data.n_upper\" = [10, 20]\n[run]");
    let plan = sbo::sweep::Plan::prepare(&sbo::sweep::SweepConfig::from_toml(&text).unwrap(), None)
        .unwrap();
    // Ask to stop during the first variant's last interval.
    let first_variant = plan.variants[0].study.configs.len() as u64 * 2 * 2 * 4;
    let stop = AtomicBool::new(false);
    let done = AtomicU64::new(0);
    let progress = |n: u64| {
        if done.fetch_add(n, Ordering::SeqCst) + n > first_variant / 2 {
            stop.store(true, Ordering::SeqCst);
        }
    };
    let opts = sbo::run::RunOptions {
        progress: Some(&progress),
        stop: Some(&stop),
        ..Default::default()
    };
    let r = sbo::run::run_plan(&plan, &sbo::backend::cpu(String::new()), &opts);
    let f = r.failure.expect("stopped");
    assert_eq!(f.variant, "n_upper=20");
    assert!(
        matches!(f.error, sbo::SboError::Stopped { step: None }),
        "{}",
        f.error
    );
    assert_eq!(f.completed, 1);
    assert!(r
        .result
        .configs
        .iter()
        .all(|c| c.label.starts_with("n_upper=10")));
}

/// Values that grow to about 1e280 (the bound raised to f32's largest, alpha = 1e6, every step
/// logged): the figures and the report are made, in bounded time, with what can be drawn.
#[test]
fn figures_of_exploding_values_are_made() {
    let dir = tempfile::tempdir().unwrap();
    let text = TINY
        .replace(
            "steps = 4\nlog_every = 2",
            "steps = 30\nlog_every = 1\ndivergence_bound = 3e38",
        )
        .replace("alpha = 0.1\nbeta = 0.1", "alpha = 1e6\nbeta = 1e6");
    let cfg = write(dir.path(), "huge.toml", &text);
    let out = dir.path().join("out");
    let o = sbo()
        .args([
            "run",
            cfg.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "-q",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(out.join("report.md").exists(), "{}", stderr(&o));
    let metrics = std::fs::read_to_string(out.join("metrics.csv")).unwrap();
    let biggest = metrics
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').nth(4)?.parse::<f64>().ok())
        .filter(|v| v.is_finite())
        .fold(0f64, |a, v| a.max(v.abs()));
    assert!(
        biggest > 1e30,
        "the case needs exploding values, the largest is {biggest:e}"
    );
}
