//! Interrupted runs continue to the same files as uninterrupted ones, and shards merge to the
//! unsharded run: per engine (CPU f64, CPU f32, GPU on any adapter, lavapipe in CI), with
//! variants, diverging lanes and the exact hypergradient's warm start in play. Stops are
//! asked for in process at fixed points; `kill -9` hits the binary at fixed fractions of its
//! running time. Files are compared byte for byte, timings aside (the `seconds` metric).

mod gpu_support;

use sbo::job::{merge_shards, Job};
use sbo::run::{EngineChoice, RunOptions, Shard};
use sbo::sweep::{Plan, SweepConfig};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

/// Two variants; ssgd at a step that diverges part-way, tsgd, ssaid and stocbio; exact
/// hypergradients (warm-started from one logging step to the next). Groups of 5 lanes: f64
/// steps them as lane packs (`run.lane_packs`), f32 one by one, so both restore paths run.
fn config(precision: &str, steps: u64) -> SweepConfig {
    let packs = precision == "f64";
    SweepConfig::from_toml(&format!(
        r#"
name = "resume"
[problem]
preset = "sc-sc"
lam_y = 0.01
[data]
kind = "synthetic"
d = 5
n_lower = 100
n_upper = 40
n_test = 30
n_pool = 60
kappa = 10.0
[vary]
"data.n_upper" = [30, 40]
[run]
steps = {steps}
log_every = 2
seeds = 3
neighbours = 4
replace = "both"
threads = 2
exact = true
lane_packs = {packs}
precision = "{precision}"
[report]
plots = false
[[algo]]
name = "ssgd"
alpha = [0.05, 40.0]
beta = 0.1
batch = 8
[[algo]]
name = "tsgd"
T = 3
alpha = 0.05
beta = 0.1
batch = 8
[[algo]]
name = "ssaid"
alpha = 0.05
beta = 0.1
gamma = 0.1
batch = 8
[[algo]]
name = "stocbio"
D = 2
Q = 3
eta = 0.2
alpha = 0.05
beta = 0.1
batch = 8
# One solver per kind of lane memory a checkpoint must carry: a scalar (f2sa), momentum
# and previous iterates (mrbo), the same with randomly counted oracles (sustain), per-sample
# tables (saba).
[[algo]]
name = "f2sa"
T = 2
alpha = 0.05
beta = 0.02
gamma = 0.1
lambda0 = 2.0
delta_lambda = 0.5
batch = 8
[[algo]]
name = "mrbo"
Q = 3
eta = 0.2
alpha = 0.05
beta = 0.1
rho = 0.4
batch = 8
[[algo]]
name = "sustain"
Q = 4
eta = 0.2
alpha = 0.05
beta = 0.1
rho = 0.4
batch = 8
[[algo]]
name = "saba"
alpha = 0.05
beta = 0.1
gamma = 0.1
batch = 8
"#
    ))
    .unwrap()
}

/// The files that must match, timings left out: `metrics.csv` without its `seconds` rows,
/// `seeds.csv` without its `seconds` column, `lanes.csv` whole.
fn comparable(dir: &Path) -> Vec<(String, String)> {
    let read = |f: &str| {
        std::fs::read_to_string(dir.join(f))
            .unwrap_or_else(|e| panic!("{}/{f}: {e}", dir.display()))
    };
    let m = read("metrics.csv");
    let metrics = m
        .lines()
        .filter(|l| !l.contains(",seconds,"))
        .collect::<Vec<_>>()
        .join("\n");
    let s = read("seeds.csv");
    let header: Vec<&str> = s.lines().next().unwrap_or("").split(',').collect();
    let drop = header.iter().position(|h| *h == "seconds");
    let seeds = s
        .lines()
        .map(|l| {
            // No quoted commas in these labels, so a plain split is exact.
            l.split(',')
                .enumerate()
                .filter(|(i, _)| Some(*i) != drop)
                .map(|(_, c)| c)
                .collect::<Vec<_>>()
                .join(",")
        })
        .collect::<Vec<_>>()
        .join("\n");
    vec![
        ("metrics.csv".into(), metrics),
        ("seeds.csv".into(), seeds),
        ("lanes.csv".into(), read("lanes.csv")),
    ]
}

#[track_caller]
fn assert_same(want: &Path, got: &Path, what: &str) {
    for ((name, a), (_, b)) in comparable(want).iter().zip(comparable(got)) {
        if *a != b {
            let line = a
                .lines()
                .zip(b.lines())
                .position(|(x, y)| x != y)
                .unwrap_or(a.lines().count().min(b.lines().count()));
            panic!(
                "{what}: {name} differs at line {}:\n  uninterrupted: {}\n  resumed:       {}",
                line + 1,
                a.lines().nth(line).unwrap_or("<end>"),
                b.lines().nth(line).unwrap_or("<end>")
            );
        }
    }
}

/// An engine under test: its name, the precision its lanes run in, how to choose it.
type Under = (&'static str, &'static str, Box<dyn Fn() -> EngineChoice>);

fn engines() -> Vec<Under> {
    let mut v: Vec<Under> = vec![
        (
            "cpu f64",
            "f64",
            Box::new(|| sbo::backend::cpu(String::new())),
        ),
        (
            "cpu f32",
            "f32",
            Box::new(|| sbo::backend::cpu(String::new())),
        ),
    ];
    if let Some(ctx) = gpu_support::context() {
        v.push((
            "gpu",
            "f32",
            Box::new(move || sbo::backend::gpu(ctx.clone())),
        ));
    }
    v
}

/// Runs a fresh job into `dir` and then resumes it until complete; run `i` (0 first) is
/// asked to stop once `stops[i]` lane-steps are done.
fn run_with_stops(cfg: &SweepConfig, choice: &EngineChoice, dir: &Path, stops: &[u64]) -> usize {
    let mut resumed = 0;
    for i in 0.. {
        let job = if i == 0 {
            Job::start(Plan::prepare(cfg, None).unwrap(), None, dir, false, None).unwrap()
        } else {
            resumed += 1;
            Job::resume(dir, None).unwrap()
        };
        let stop = AtomicBool::new(false);
        let count = AtomicU64::new(0);
        let at = stops.get(i).copied();
        let progress = |n: u64| {
            if at.is_some_and(|a| count.fetch_add(n, Ordering::SeqCst) + n >= a) {
                stop.store(true, Ordering::SeqCst);
            }
        };
        let opts = RunOptions {
            progress: Some(&progress),
            stop: Some(&stop),
            ..RunOptions::default()
        };
        let out = job.run(choice, &opts, Some(Duration::MAX)).unwrap();
        if out.failure.is_none() {
            break;
        }
        assert!(
            out.stopped(),
            "{}",
            sbo::job::failure_text(out.failure.as_ref().unwrap())
        );
    }
    resumed
}

#[test]
fn stopped_and_resumed_runs_end_as_uninterrupted_ones() {
    for (name, precision, choice) in engines() {
        let cfg = config(precision, 20);
        let tmp = tempfile::tempdir().unwrap();
        let whole = tmp.path().join("whole");
        let choice = choice();
        run_with_stops(&cfg, &choice, &whole, &[]);
        let summary = std::fs::read_to_string(whole.join("summary.json")).unwrap();
        assert!(
            !summary.contains("\"diverged_lanes\": 0"),
            "{name}: the test needs diverging lanes"
        );
        // Stops within the first variant, at its end, within the second, several in a row.
        for (k, stops) in [
            vec![500],
            vec![2700],
            vec![3400, 1],
            vec![1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1],
        ]
        .into_iter()
        .enumerate()
        {
            let dir = tmp.path().join(format!("stopped-{k}"));
            let resumed = run_with_stops(&cfg, &choice, &dir, &stops);
            assert!(resumed > 0, "{name} {stops:?}: never stopped");
            assert!(
                !dir.join("checkpoint").exists(),
                "{name}: a complete run keeps no checkpoint"
            );
            assert_same(&whole, &dir, &format!("{name}, stops at {stops:?}"));
            assert_clocks_go_on(&dir, &format!("{name}, stops at {stops:?}"));
        }
    }
}

/// The `seconds` metric of every (configuration, seed) never goes back: a resumed run's
/// clocks go on from the checkpoint.
#[track_caller]
fn assert_clocks_go_on(dir: &Path, what: &str) {
    let s = std::fs::read_to_string(dir.join("seeds.csv")).unwrap();
    let header: Vec<&str> = s.lines().next().unwrap().split(',').collect();
    let col = header
        .iter()
        .position(|h| *h == "seconds")
        .expect("a seconds column");
    let mut last: std::collections::HashMap<(String, String), f64> = Default::default();
    for l in s.lines().skip(1) {
        let f: Vec<&str> = l.split(',').collect();
        let v: f64 = f[col].parse().unwrap_or(f64::NAN);
        if v.is_nan() {
            continue;
        }
        let key = (f[0].to_string(), f[1].to_string());
        if let Some(prev) = last.insert(key.clone(), v) {
            assert!(
                v >= prev,
                "{what}: {key:?} seconds went from {prev} back to {v}"
            );
        }
    }
}

/// Every shard of `cfg` for `count` shards, merged.
fn sharded(cfg: &SweepConfig, choice: &EngineChoice, root: &Path, count: usize) -> PathBuf {
    let dirs: Vec<PathBuf> = (0..count)
        .map(|index| {
            let d = root.join(format!("n{count}-{index}"));
            let plan = Plan::prepare(cfg, None).unwrap();
            let job = Job::start(plan, None, &d, false, Some(Shard { index, count })).unwrap();
            let out = job.run(choice, &RunOptions::default(), None).unwrap();
            assert!(out.failure.is_none() && out.shard.is_some());
            d
        })
        .rev()
        .collect();
    let merged = root.join(format!("merged-{count}"));
    merge_shards(&dirs, &merged, false).unwrap();
    merged
}

#[test]
fn shards_merge_to_the_unsharded_run() {
    for (name, precision, choice) in engines() {
        let cfg = config(precision, 8);
        let tmp = tempfile::tempdir().unwrap();
        let choice = choice();
        let whole = tmp.path().join("whole");
        run_with_stops(&cfg, &choice, &whole, &[]);
        // 2 variants x 5 configurations x 3 seeds = 30 groups: shards that cut
        // configurations, whole variants, one group each, and more shards than groups.
        for count in [1, 2, 4, 7, 30, 33] {
            let merged = sharded(&cfg, &choice, tmp.path(), count);
            assert_same(&whole, &merged, &format!("{name}, {count} shards"));
        }
    }
}

#[test]
fn merge_refuses_what_does_not_make_one_run() {
    let cfg = config("f64", 4);
    let choice = sbo::backend::cpu(String::new());
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    sharded(&cfg, &choice, root, 3);
    let shard = |i: usize| root.join(format!("n3-{i}"));
    let err = |dirs: &[PathBuf]| {
        merge_shards(dirs, &root.join("out"), false)
            .err()
            .expect("must refuse")
            .to_string()
    };
    let e = err(&[shard(0), shard(2)]);
    assert!(e.contains("shard(s) 1 of 3 are missing"), "{e}");
    let e = err(&[shard(0), shard(1), shard(1), shard(2)]);
    assert!(e.contains("again"), "{e}");
    // Another sweep's shard.
    let other = config("f64", 6);
    let d = root.join("other");
    Job::start(
        Plan::prepare(&other, None).unwrap(),
        None,
        &d,
        false,
        Some(Shard { index: 1, count: 3 }),
    )
    .unwrap()
    .run(&choice, &RunOptions::default(), None)
    .unwrap();
    let e = err(&[shard(0), d, shard(2)]);
    assert!(e.contains("another sweep"), "{e}");
    // A shard that stopped: not complete.
    let d = root.join("stopped");
    let job = Job::start(
        Plan::prepare(&cfg, None).unwrap(),
        None,
        &d,
        false,
        Some(Shard { index: 1, count: 3 }),
    )
    .unwrap();
    let stop = AtomicBool::new(true);
    let opts = RunOptions {
        stop: Some(&stop),
        ..RunOptions::default()
    };
    assert!(job.run(&choice, &opts, None).unwrap().stopped());
    let e = err(&[shard(0), d.clone(), shard(2)]);
    assert!(e.contains("--resume"), "{e}");
    // Resumed, it completes and merges.
    Job::resume(&d, None)
        .unwrap()
        .run(&choice, &RunOptions::default(), None)
        .unwrap();
    merge_shards(&[shard(0), d, shard(2)], &root.join("out"), false).unwrap();
    // A directory that is no shard, and resuming a complete run.
    let e = err(&[shard(0), root.join("out"), shard(2)]);
    assert!(e.contains("not a shard directory"), "{e}");
    let e = Job::resume(&root.join("out"), None)
        .err()
        .expect("complete")
        .to_string();
    assert!(e.contains("nothing to resume"), "{e}");
}

/// The binary killed with SIGKILL at fixed fractions of an uninterrupted run's time, then
/// resumed (and killed again) until it completes: the same files.
#[test]
fn killed_runs_resume_to_the_same_files() {
    let sbo = env!("CARGO_BIN_EXE_sbo");
    let tmp = tempfile::tempdir().unwrap();
    let mut backends = vec!["cpu"];
    if gpu_support::context().is_some() {
        backends.push("gpu");
    }
    for backend in backends {
        let cfg = tmp.path().join(format!("{backend}.toml"));
        // About a second or more, so that two kills land in it.
        let (precision, steps) = if backend == "cpu" {
            ("f64", 20_000)
        } else {
            ("f32", 3000)
        };
        let mut c = config(precision, steps);
        c.run.log_every = steps / 100;
        std::fs::write(&cfg, c.to_toml().unwrap()).unwrap();
        let run = |out: &Path| {
            std::process::Command::new(sbo)
                .args([
                    "run",
                    "--quiet",
                    "--backend",
                    backend,
                    "--checkpoint-every",
                    "0",
                    "--out",
                ])
                .arg(out)
                .arg(&cfg)
                .spawn()
                .unwrap()
        };
        let whole = tmp.path().join(format!("{backend}-whole"));
        let t0 = std::time::Instant::now();
        assert!(run(&whole).wait().unwrap().success());
        let full = t0.elapsed();
        eprintln!("{backend}: the uninterrupted run took {full:?}");
        // Where the kills land, as fractions of the run's time (fixed: reproducible).
        for (k, fractions) in [[0.3, 0.3], [0.6, 0.2], [0.1, 0.5]].iter().enumerate() {
            let dir = tmp.path().join(format!("{backend}-killed-{k}"));
            let mut child = run(&dir);
            // The clock starts once the run directory says what the run is (a kill before
            // that leaves nothing to resume, and `--force` starts over).
            let started = std::time::Instant::now();
            while !dir.join("checkpoint/run.json").exists() {
                assert!(
                    started.elapsed() < Duration::from_secs(60),
                    "{backend}: no checkpoint/run.json"
                );
                std::thread::sleep(Duration::from_millis(5));
            }
            let mut kills = 0;
            // Killed after its results were complete (while it exited): nothing to resume.
            let mut done_before_kill = false;
            for f in fractions {
                std::thread::sleep(full.mul_f64(*f));
                if child.try_wait().unwrap().is_some() {
                    break;
                }
                child.kill().unwrap();
                child.wait().unwrap();
                kills += 1;
                if !dir.join("checkpoint").exists() {
                    done_before_kill = true;
                    break;
                }
                child = std::process::Command::new(sbo)
                    .args(["run", "--quiet", "--resume"])
                    .arg(&dir)
                    .spawn()
                    .unwrap();
            }
            let status = child.wait().unwrap();
            assert!(
                done_before_kill || status.success(),
                "{backend} kill set {k}: {status}"
            );
            eprintln!("{backend} kill set {k}: {kills} kill(s)");
            assert!(
                kills > 0,
                "{backend} kill set {k}: the run ended before the first kill"
            );
            assert_same(&whole, &dir, &format!("{backend}, killed at {fractions:?}"));
        }
    }
}

/// A checkpoint continues on the engine that made it, also when that is the fallback of the
/// engine now chosen (a GPU run that had fallen back to the CPU); on another engine its part
/// starts over, and the results say so.
#[test]
fn a_checkpoint_continues_on_its_own_engine_or_starts_over() {
    let Some(ctx) = gpu_support::context() else {
        return;
    };
    let cfg = config("f64", 12);
    let tmp = tempfile::tempdir().unwrap();
    let cpu = sbo::backend::cpu(String::new());
    let whole = tmp.path().join("whole");
    run_with_stops(&cfg, &cpu, &whole, &[]);

    let stop_early = |dir: &Path| {
        let job = Job::start(Plan::prepare(&cfg, None).unwrap(), None, dir, false, None).unwrap();
        // Into the second (last) variant: 135 lanes x 12 steps make the first.
        let stop = AtomicBool::new(false);
        let count = AtomicU64::new(0);
        let progress = |n: u64| {
            if count.fetch_add(n, Ordering::SeqCst) + n > 2000 {
                stop.store(true, Ordering::SeqCst);
            }
        };
        let opts = RunOptions {
            progress: Some(&progress),
            stop: Some(&stop),
            ..RunOptions::default()
        };
        assert!(job.run(&cpu, &opts, None).unwrap().stopped());
    };
    // GPU chosen, CPU as its fallback: the CPU checkpoint continues on the CPU, exactly.
    let dir = tmp.path().join("fell-back");
    stop_early(&dir);
    let gpu_with_fallback = EngineChoice {
        engine: Box::new(sbo::gpu::GpuEngine::new(ctx.clone())),
        fallback: Some(Box::new(sbo::cpu::CpuEngine)),
        reason: String::new(),
    };
    let out = Job::resume(&dir, None)
        .unwrap()
        .run(&gpu_with_fallback, &RunOptions::default(), None)
        .unwrap();
    assert!(out.failure.is_none());
    assert_same(
        &whole,
        &dir,
        "a CPU checkpoint resumed with the CPU as fallback",
    );

    // GPU only: the part starts over on the GPU, with a warning.
    let dir = tmp.path().join("other-engine");
    stop_early(&dir);
    let out = Job::resume(&dir, None)
        .unwrap()
        .run(&sbo::backend::gpu(ctx), &RunOptions::default(), None)
        .unwrap();
    assert!(out.failure.is_none());
    let warnings = out.result.expect("a result").warnings.join("\n");
    assert!(warnings.contains("started over"), "{warnings}");
}
