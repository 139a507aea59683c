//! The command line end to end on tiny configs: files, columns, and clear errors.

use std::path::Path;
use std::process::Command;

fn sbo() -> Command {
    Command::new(env!("CARGO_BIN_EXE_sbo"))
}

const TINY: &str = r#"
name = "tiny"
[problem]
preset = "sc-sc"
hyper = "scalar"
[data]
kind = "synthetic"
d = 4
n_lower = 60
n_upper = 30
n_test = 50
n_pool = 10
kappa = 10.0
[run]
steps = 40
log_every = 10
seeds = 3
neighbours = 2
exact = true
[[algo]]
name = "ssgd"
alpha = [0.1, 0.05]
beta = 0.2
batch = 8
[[algo]]
name = "aid-cg"
batch = 8
D = 2
Q = 3
"#;

/// Runs `sbo ARGS`, asserts that it succeeded (printing its stderr otherwise) and returns
/// its output.
fn sbo_ok(args: &[&str]) -> std::process::Output {
    let o = sbo().args(args).output().unwrap();
    assert!(
        o.status.success(),
        "sbo {} failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

/// `sbo run CONFIG --out OUT -q`, which must succeed.
fn run_ok(cfg: &Path, out: &Path) -> std::process::Output {
    sbo_ok(&[
        "run",
        cfg.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "-q",
    ])
}

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn run_writes_every_output_with_the_documented_columns() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write(dir.path(), "tiny.toml", TINY);
    let out = dir.path().join("out");
    run_ok(&cfg, &out);

    let metrics = std::fs::read_to_string(out.join("metrics.csv")).unwrap();
    let mut lines = metrics.lines();
    assert_eq!(
        lines.next(),
        Some("config,algorithm,t,metric,mean,std,ci_low,ci_high,count")
    );
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert!(
        rows.iter().all(|r| r.len() == 9),
        "every metrics row has 9 fields"
    );
    let labels: std::collections::BTreeSet<&str> = rows.iter().map(|r| r[0]).collect();
    assert_eq!(
        labels.len(),
        3,
        "two ssgd step sizes and aid-cg: {labels:?}"
    );
    for m in [
        "dist_x",
        "dist_xy_sq",
        "val_loss",
        "test_loss",
        "gen_gap",
        "hypergrad_norm",
        "y_err",
        "samples",
    ] {
        assert!(
            rows.iter()
                .any(|r| r[3] == m && r[2] == "40" && r[8] == "3"),
            "missing {m} at t=40 over 3 seeds"
        );
    }
    // At t = 0 every lane starts at the same point: distance exactly zero.
    assert!(rows
        .iter()
        .any(|r| r[3] == "dist_xy" && r[2] == "0" && r[4] == "0"));

    let lanes = std::fs::read_to_string(out.join("lanes.csv")).unwrap();
    let mut lines = lanes.lines();
    assert_eq!(
        lines.next(),
        Some("config,seed,neighbour,status,x_0,y_0,y_1,y_2,y_3")
    );
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 3 * 3 * 3, "configs x seeds x (1 + neighbours)");
    assert!(rows.iter().all(|r| r.split(',').nth(3) == Some("ok")));

    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    // `auto` (the default): the CPU here and in CI, a hardware GPU where there is one.
    let backend = summary["backend"].as_str().unwrap_or_default();
    assert!(
        backend == "cpu" || backend.starts_with("gpu"),
        "backend {backend}"
    );
    assert_eq!(summary["lanes"], 27);
    assert_eq!(summary["configs"].as_array().unwrap().len(), 3);

    // The resolved config runs again and gives the same metrics.
    let out2 = dir.path().join("out2");
    let o = sbo()
        .args([
            "run",
            out.join("config.toml").to_str().unwrap(),
            "--out",
            out2.to_str().unwrap(),
            "-q",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let strip = |s: String| {
        s.lines()
            .filter(|l| !l.contains(",seconds,"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(
        strip(metrics),
        strip(std::fs::read_to_string(out2.join("metrics.csv")).unwrap())
    );
}

#[test]
fn bad_inputs_give_clear_errors_and_a_nonzero_exit() {
    let dir = tempfile::tempdir().unwrap();
    let cases: Vec<(String, &str)> = vec![
        (TINY.replace("seeds = 3", "sedes = 3"), "sedes"),
        (TINY.replace("beta = 0.2", "beta = -0.2"), "algo[0].beta"),
        (TINY.replace("name = \"aid-cg\"", "name = \"adam\""), "adam"),
        (
            TINY.replace(
                "kind = \"synthetic\"",
                "kind = \"libsvm\"\ntrain = \"nope.svm\"",
            ),
            "nope.svm",
        ),
        (
            TINY.replace("alpha = [0.1, 0.05]", "alpha = \"poly(0.1)\""),
            "poly(0.1)",
        ),
        (
            TINY.replace("kappa = 10.0", "kappa = 1e9\ns_max = 1.0"),
            "data.kappa",
        ),
    ];
    for (i, (text, needle)) in cases.iter().enumerate() {
        let cfg = write(dir.path(), &format!("bad{i}.toml"), text);
        let o = sbo()
            .args([
                "run",
                cfg.to_str().unwrap(),
                "--out",
                dir.path().join(format!("o{i}")).to_str().unwrap(),
                "-q",
            ])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success(), "case {i} should fail");
        assert!(
            err.contains(needle),
            "case {i}: error should name `{needle}`: {err}"
        );
        assert!(!err.contains("panicked"), "case {i} panicked: {err}");
    }
    // A malformed data file names its line.
    let data = write(dir.path(), "bad.svm", "1 1:0.5 2:1\n-1 1:0.2 x:3\n");
    let text = TINY.replace(
        "kind = \"synthetic\"",
        &format!("kind = \"libsvm\"\ntrain = \"{}\"\ndim = 2", data.display()),
    );
    let cfg = write(dir.path(), "badline.toml", &text);
    let o = sbo()
        .args([
            "run",
            cfg.to_str().unwrap(),
            "-q",
            "--out",
            dir.path().join("ob").to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(
        err.contains("bad.svm:2"),
        "error should name file and line 2: {err}"
    );
}

#[test]
fn diverging_lanes_are_marked_and_the_rest_kept() {
    let dir = tempfile::tempdir().unwrap();
    let text = TINY
        .replace("alpha = [0.1, 0.05]", "alpha = [0.1, 1e30]")
        .replace("beta = 0.2", "beta = [0.2, 1e30]");
    let cfg = write(dir.path(), "div.toml", &text);
    let out = dir.path().join("out");
    let o = run_ok(&cfg, &out);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("diverged"),
        "the run should say lanes diverged: {err}"
    );
    let lanes = std::fs::read_to_string(out.join("lanes.csv")).unwrap();
    assert!(lanes.lines().any(|l| l.contains(",diverged,")));
    assert!(lanes
        .lines()
        .any(|l| l.starts_with("ssgd[alpha=0.1 beta=0.2],") && l.contains(",ok,")));
}

#[test]
fn help_documents_the_commands() {
    let o = sbo().arg("--help").output().unwrap();
    let s = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success());
    for w in ["run", "check", "default-config", "verify", "info"] {
        assert!(s.contains(w), "--help should list `{w}`: {s}");
    }
    let o = sbo().args(["run", "--help"]).output().unwrap();
    let s = String::from_utf8_lossy(&o.stdout);
    for w in ["--out", "--backend", "--threads"] {
        assert!(s.contains(w), "run --help should list `{w}`");
    }
}

/// `sbo run` ends with figures and a report; `sbo plot` and `sbo report` remake them from the
/// directory alone; a directory that is not a run is a clear error.
#[test]
fn run_plots_and_reports_and_both_can_be_remade() {
    let dir = tempfile::tempdir().unwrap();
    let text = TINY.replace("[run]", "[vary]\n\"data.n_upper\" = [30, 40]\n\n[run]");
    let cfg = write(dir.path(), "tiny.toml", &text);
    let out = dir.path().join("out");
    run_ok(&cfg, &out);
    let expect = [
        "figures/stability.svg",
        "figures/stability.png",
        "figures/convergence.svg",
        "figures/stability-vs-m.svg",
        "figures/stability-vs-m.png",
        "report.md",
        "seeds.csv",
    ];
    for f in expect {
        let p = out.join(f);
        let len = std::fs::metadata(&p).map(|m| m.len()).unwrap_or(0);
        assert!(len > 100, "{} missing or empty", p.display());
    }
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(
        md.contains("![stability-vs-m](figures/stability-vs-m.svg)"),
        "{md}"
    );
    assert!(md.contains("### Effect of the sample sizes"), "{md}");
    // The labels carry the variant.
    assert!(md.contains("n_upper=30 \\| ssgd"), "{md}");

    std::fs::remove_dir_all(out.join("figures")).unwrap();
    std::fs::remove_file(out.join("report.md")).unwrap();
    sbo_ok(&["plot", out.to_str().unwrap()]);
    assert!(out.join("figures/stability.png").exists());
    sbo_ok(&["report", out.to_str().unwrap()]);
    assert!(out.join("report.md").exists());

    let o = sbo()
        .args(["report", dir.path().to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("config.toml"), "{err}");
}

/// Shards from the command line (explicit and from a Slurm array's environment) merge to the
/// unsharded run; `sbo slurm` writes the job scripts; `--resume` and `--shard` misuse are
/// clear errors.
#[test]
fn shards_merge_and_slurm_scripts_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let text = TINY.replace("[run]", "[run]\nbackend = \"cpu\"") + "[report]\nplots = false\n";
    let cfg = write(dir.path(), "tiny.toml", &text);
    let p = |x: &str| dir.path().join(x).to_str().unwrap().to_string();
    run_ok(&cfg, &dir.path().join("whole"));
    let c = cfg.to_str().unwrap();
    sbo_ok(&["run", c, "-q", "--shard", "0/3", "--out", &p("s0")]);
    let o = sbo()
        .args(["run", c, "-q", "--shard", "auto", "--out", &p("s1")])
        .env("SLURM_ARRAY_TASK_ID", "1")
        .env("SLURM_ARRAY_TASK_COUNT", "3")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    sbo_ok(&["run", c, "-q", "--shard", "2/3", "--out", &p("s2")]);
    let o = sbo()
        .args(["merge", "--out", &p("merged"), &p("s2"), &p("s0")])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success() && err.contains("shard(s) 1 of 3 are missing"),
        "{err}"
    );
    sbo_ok(&[
        "merge",
        "-q",
        "--out",
        &p("merged"),
        &p("s2"),
        &p("s0"),
        &p("s1"),
    ]);
    for f in ["metrics.csv", "lanes.csv"] {
        let a = std::fs::read_to_string(dir.path().join("whole").join(f)).unwrap();
        let b = std::fs::read_to_string(dir.path().join("merged").join(f)).unwrap();
        let keep = |s: &str| {
            s.lines()
                .filter(|l| !l.contains(",seconds,"))
                .map(String::from)
                .collect::<Vec<_>>()
        };
        assert_eq!(keep(&a), keep(&b), "{f}");
    }

    for (args, needle) in [
        (vec!["run", c, "--shard", "3/3"], "0..3"),
        (vec!["run", c, "--shard", "auto"], "SLURM_ARRAY_TASK_ID"),
        (vec!["run", "--resume", &p("whole")], "nothing to resume"),
        (vec!["run", "--resume", &p("nope")], "no checkpoint"),
        (
            vec!["run", c, "--resume", &p("whole")],
            "cannot be used with",
        ),
        (
            vec!["run", c, "--checkpoint-every", "soon"],
            "--checkpoint-every",
        ),
    ] {
        let o = sbo()
            .args(&args)
            .env_remove("SLURM_ARRAY_TASK_ID")
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success(), "{args:?} should fail");
        assert!(
            err.contains(needle),
            "{args:?}: should say `{needle}`: {err}"
        );
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }

    sbo_ok(&[
        "slurm",
        c,
        "--shards",
        "3",
        "--out",
        &p("cluster"),
        "--",
        "--partition=x",
    ]);
    let array = std::fs::read_to_string(dir.path().join("cluster.slurm/shards.sbatch")).unwrap();
    assert!(array.contains("#SBATCH --array=0-2"), "{array}");
    assert!(array.contains("--shard \"$i/3\""), "{array}");
    let submit = std::fs::read_to_string(dir.path().join("cluster.slurm/submit.sh")).unwrap();
    assert!(submit.contains("'--partition=x'"), "{submit}");
}

/// `sbo export` writes benchopt's schema: one row per configuration, seed and logging step,
/// the chosen metric as objective_value; Parquet is refused with a pointer to the Python
/// package; an unmeasured metric is a clear error.
#[test]
fn export_writes_a_benchopt_table() {
    let dir = tempfile::tempdir().unwrap();
    let text = TINY.replace("[run]", "[run]\nbackend = \"cpu\"") + "[report]\nplots = false\n";
    let cfg = write(dir.path(), "tiny.toml", &text);
    let run = dir.path().join("run");
    run_ok(&cfg, &run);
    let r = run.to_str().unwrap();
    sbo_ok(&["export", r, "--objective", "val_loss"]);
    let mut table = csv::Reader::from_path(run.join("benchopt.csv")).unwrap();
    let rows: Vec<csv::StringRecord> = table.records().map(Result::unwrap).collect();
    let seeds = std::fs::read_to_string(run.join("seeds.csv")).unwrap();
    assert_eq!(
        rows.len() + 1,
        seeds.lines().count(),
        "one row per seeds.csv row"
    );
    let header: Vec<String> = table.headers().unwrap().iter().map(String::from).collect();
    for col in [
        "objective_name",
        "solver_name",
        "dataset_name",
        "idx_rep",
        "stop_val",
        "time",
        "objective_value",
        "objective_val_loss",
        "p_solver_alpha",
    ] {
        assert!(
            header.iter().any(|h| h == col),
            "{col} missing from {header:?}"
        );
    }
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    for r in &rows {
        assert_eq!(r[col("objective_value")], r[col("objective_val_loss")]);
    }
    for (args, needle) in [
        (vec!["export", r, "--out", "x.parquet"], "Python package"),
        (
            vec!["export", r, "--objective", "val_accuracy"],
            "was not measured",
        ),
        (vec!["export", r, "--objective", "nope"], "nope"),
    ] {
        let o = sbo().args(&args).output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            !o.status.success() && err.contains(needle),
            "{args:?}: {err}"
        );
    }
}
