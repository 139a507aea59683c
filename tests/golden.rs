//! Golden runs: short studies whose `metrics.csv`, `lanes.csv` and `seeds.csv` must stay byte
//! for byte what they were when the files in `tests/golden/NAME/` were made (timings aside:
//! the `seconds` rows and column are left out on both sides). They pin what sbo computes
//! through any change of how it is organised. Three run on the CPU (f64 and f32, `[vary]`,
//! kappa scaling, every algorithm) and one on the GPU (lavapipe in CI).
//!
//! The GPU's f32 results depend on the device's compiler, so the GPU golden files are compared
//! bit for bit only on the device they were made on (`tests/golden/gpu/device.txt`); elsewhere
//! with a relative tolerance of 1e-4, and the test says so.
//!
//! To make the files again after a change that is meant to change results:
//! `SBO_BLESS=1 cargo test --release --test golden` (and say why in the commit).

mod gpu_support;

use sbo::gpu::GpuEngine;
use sbo::run::{run_plan, EngineChoice};
use sbo::sweep::{Plan, SweepConfig};
use std::path::{Path, PathBuf};

const FILES: [&str; 3] = ["metrics.csv", "lanes.csv", "seeds.csv"];

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

/// A result file without wall-clock timings: `metrics.csv` without its `seconds` rows,
/// `seeds.csv` without its `seconds` column.
fn without_timings(name: &str, text: &str) -> String {
    match name {
        "metrics.csv" => text
            .lines()
            .filter(|l| !l.contains(",seconds,"))
            .map(|l| format!("{l}\n"))
            .collect(),
        "seeds.csv" => {
            let mut rd = csv::ReaderBuilder::new()
                .has_headers(false)
                .from_reader(text.as_bytes());
            let rows: Vec<csv::StringRecord> = rd.records().map(|r| r.unwrap()).collect();
            let keep: Vec<usize> = (0..rows.first().map_or(0, |r| r.len()))
                .filter(|&i| &rows[0][i] != "seconds")
                .collect();
            let mut w = csv::WriterBuilder::new()
                .terminator(csv::Terminator::Any(b'\n'))
                .from_writer(Vec::new());
            for r in &rows {
                w.write_record(keep.iter().map(|&i| &r[i])).unwrap();
            }
            String::from_utf8(w.into_inner().unwrap()).unwrap()
        }
        _ => text.to_string(),
    }
}

/// Runs `NAME.toml` on `choice` into a temporary run directory and returns it.
fn run(name: &str, choice: &EngineChoice) -> tempfile::TempDir {
    let path = golden_dir().join(format!("{name}.toml"));
    let config = SweepConfig::from_file(&path).unwrap();
    let plan = Plan::prepare(&config, Some(&golden_dir())).unwrap();
    let out = tempfile::tempdir().unwrap();
    sbo::rundir::start_run_dir(out.path(), &plan).unwrap();
    let r = run_plan(&plan, choice, &Default::default());
    if let Some(f) = r.failure {
        panic!("{name}: variant `{}` failed: {}", f.variant, f.error);
    }
    sbo::rundir::finish_run_dir(out.path(), &plan, &r.result).unwrap();
    out
}

/// The first differing line of two texts, for the failure message.
fn first_difference(a: &str, b: &str) -> String {
    let (la, lb): (Vec<&str>, Vec<&str>) = (a.lines().collect(), b.lines().collect());
    let i = la
        .iter()
        .zip(&lb)
        .position(|(x, y)| x != y)
        .unwrap_or(la.len().min(lb.len()));
    format!(
        "line {}:\n  golden: {}\n  now:    {}\n({} lines golden, {} now)",
        i + 1,
        la.get(i).unwrap_or(&"<end>"),
        lb.get(i).unwrap_or(&"<end>"),
        la.len(),
        lb.len()
    )
}

fn bless() -> bool {
    std::env::var("SBO_BLESS").is_ok_and(|v| v == "1")
}

/// Compares (or, with `SBO_BLESS=1`, writes) the golden files of `name`.
fn check_exact(name: &str, out: &Path) {
    for f in FILES {
        let now = without_timings(f, &std::fs::read_to_string(out.join(f)).unwrap());
        let path = golden_dir().join(name).join(f);
        if bless() {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &now).unwrap();
            continue;
        }
        let golden = std::fs::read_to_string(&path).unwrap();
        assert!(
            golden == now,
            "{name}/{f} differs from the golden file at {}",
            first_difference(&golden, &now)
        );
    }
}

#[test]
fn every_algorithm_on_the_cpu_in_f64_is_unchanged() {
    let out = run("every-algorithm", &sbo::backend::cpu("cpu".into()));
    check_exact("every-algorithm", out.path());
}

#[test]
fn a_vary_sweep_in_f32_on_ijcnn1_is_unchanged() {
    let out = run("vary-f32", &sbo::backend::cpu("cpu".into()));
    check_exact("vary-f32", out.path());
}

#[test]
fn kappa_scaled_steps_are_unchanged() {
    let out = run("kappa-scaled", &sbo::backend::cpu("cpu".into()));
    check_exact("kappa-scaled", out.path());
}

/// The device the GPU golden files were made on: adapter, driver and CPU (lavapipe compiles
/// kernels for the CPU it runs on).
fn device_key(engine: &dyn sbo::run::Engine) -> String {
    let d = engine.device();
    format!(
        "adapter: {}\ndriver: {} {}\ncpu: {}\n",
        d.name,
        d.driver,
        d.driver_info,
        sbo::cpu::model_name()
    )
}

/// Fields of two CSV texts equal, or numbers within `rtol` (NaN only matches NaN).
fn assert_close_csv(what: &str, golden: &str, now: &str, rtol: f64) {
    let (a, b): (Vec<&str>, Vec<&str>) = (golden.lines().collect(), now.lines().collect());
    assert_eq!(a.len(), b.len(), "{what}: line counts differ");
    for (i, (la, lb)) in a.iter().zip(&b).enumerate() {
        let (fa, fb): (Vec<&str>, Vec<&str>) = (la.split(',').collect(), lb.split(',').collect());
        assert_eq!(
            fa.len(),
            fb.len(),
            "{what} line {}: field counts differ",
            i + 1
        );
        for (x, y) in fa.iter().zip(&fb) {
            if x == y {
                continue;
            }
            let (Ok(u), Ok(v)) = (x.parse::<f64>(), y.parse::<f64>()) else {
                panic!("{what} line {}: `{x}` against `{y}`", i + 1);
            };
            assert!(
                (u - v).abs() <= rtol * u.abs().max(v.abs()) + 1e-7,
                "{what} line {}: golden {u:e}, now {v:e} beyond relative {rtol:e}",
                i + 1
            );
        }
    }
}

#[test]
fn every_kernel_on_the_gpu_is_unchanged() {
    let Some(ctx) = gpu_support::context() else {
        return;
    };
    let engine = GpuEngine::new(ctx);
    let key = device_key(&engine);
    let choice = EngineChoice {
        engine: Box::new(engine),
        fallback: None,
        reason: String::new(),
    };
    let out = run("gpu", &choice);
    let key_path = golden_dir().join("gpu/device.txt");
    if bless() {
        std::fs::write(&key_path, &key).unwrap();
        check_exact("gpu", out.path());
        return;
    }
    let golden_key = std::fs::read_to_string(&key_path).unwrap();
    if golden_key == key {
        check_exact("gpu", out.path());
        return;
    }
    eprintln!(
        "NOTE: the GPU golden files were made on\n{golden_key}this device is\n{key}so they are \
         compared with a relative tolerance of 1e-4, not bit for bit"
    );
    for f in FILES {
        let now = without_timings(f, &std::fs::read_to_string(out.path().join(f)).unwrap());
        let golden = std::fs::read_to_string(golden_dir().join("gpu").join(f)).unwrap();
        assert_close_csv(&format!("gpu/{f}"), &golden, &now, 1e-4);
    }
}
