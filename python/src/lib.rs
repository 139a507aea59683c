//! `sbo._sbo`: the compiled half of the `sbo` Python package. Thin: configs in (a path, TOML
//! text or a dict), the library's run directory out; the Python half (`sbo/__init__.py`)
//! turns run directories into DataFrames. Long runs release the GIL and poll for Ctrl-C.

use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};
use sbo::job::{failure_text, Job};
use sbo::run::{RunEvent, RunOptions};
use sbo::sweep::{Backend, Plan, SweepConfig};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

create_exception!(_sbo, SboError, PyException, "Any error sbo reports.");
create_exception!(
    _sbo,
    ConfigError,
    SboError,
    "A config field is wrong (the message names it)."
);
create_exception!(
    _sbo,
    DataError,
    SboError,
    "A data file could not be read, or holds too little."
);
create_exception!(
    _sbo,
    OutputError,
    SboError,
    "A run directory could not be written or read."
);
create_exception!(
    _sbo,
    IoError,
    SboError,
    "A file could not be opened, read or written."
);
create_exception!(_sbo, NumericalError, SboError, "A numerical method failed.");
create_exception!(_sbo, GpuError, SboError, "The GPU refused or failed.");
create_exception!(
    _sbo,
    EngineError,
    SboError,
    "An engine failed during a run."
);

/// The Python exception of an sbo error: one class per kind, the same message as the
/// command line prints.
fn err(e: sbo::SboError) -> PyErr {
    let msg = e.to_string();
    err_as(&e, msg)
}

/// The exception of `e`'s kind with `msg`.
fn err_as(e: &sbo::SboError, msg: String) -> PyErr {
    use sbo::SboError as E;
    match e {
        E::Config { .. } | E::ConfigFile { .. } => ConfigError::new_err(msg),
        E::Stopped { .. } => SboError::new_err(msg),
        E::Io { .. } => IoError::new_err(msg),
        E::Parse { .. }
        | E::EmptyData { .. }
        | E::Dimension { .. }
        | E::NotEnoughSamples { .. }
        | E::TooManyClasses { .. } => DataError::new_err(msg),
        E::Output { .. } => OutputError::new_err(msg),
        E::Numerical { .. } => NumericalError::new_err(msg),
        E::Gpu { .. }
        | E::GpuNoAdapter { .. }
        | E::GpuShader { .. }
        | E::GpuOutOfMemory { .. }
        | E::GpuLimit { .. }
        | E::GpuDeviceLost { .. } => GpuError::new_err(msg),
        E::Engine { .. } => EngineError::new_err(msg),
    }
}

/// A config given as a path (str or os.PathLike to a .toml file), TOML text, or a dict with
/// the TOML file's keys; with the directory relative data paths are looked up in.
fn config_of(config: &Bound<'_, PyAny>) -> PyResult<(SweepConfig, Option<PathBuf>)> {
    if let Ok(d) = config.cast::<PyDict>() {
        let value: toml::Value = pythonize::depythonize(d.as_any()).map_err(|e| {
            ConfigError::new_err(format!(
                "the config dict is not a TOML table: {e} (TOML has no None; leave such keys out)"
            ))
        })?;
        let text = toml::to_string(&value)
            .map_err(|e| ConfigError::new_err(format!("the config dict: {e}")))?;
        return Ok((SweepConfig::from_toml(&text).map_err(err)?, None));
    }
    let is_text = config.cast::<PyString>().is_ok();
    let path: Option<PathBuf> = config.extract().ok();
    match (is_text, path) {
        // A string that names an existing file is a path; one line without `=` (no TOML
        // has a table without a key) is a path too, so a typo reads "file not found".
        (true, Some(p)) if p.is_file() => file_config(&p),
        (true, Some(p))
            if {
                let t = p.to_string_lossy();
                !t.contains('\n') && !t.contains('=')
            } =>
        {
            file_config(&p)
        }
        (true, _) => {
            let text: String = config.extract()?;
            Ok((SweepConfig::from_toml(&text).map_err(err)?, None))
        }
        (false, Some(p)) => file_config(&p),
        (false, None) => Err(PyTypeError::new_err(
            "config must be a path, TOML text or a dict",
        )),
    }
}

fn file_config(p: &Path) -> PyResult<(SweepConfig, Option<PathBuf>)> {
    Ok((
        SweepConfig::from_file(p).map_err(err)?,
        p.parent().map(Path::to_path_buf),
    ))
}

fn backend_of(name: &str) -> PyResult<Backend> {
    match name {
        "auto" => Ok(Backend::Auto),
        "cpu" => Ok(Backend::Cpu),
        "gpu" => Ok(Backend::Gpu),
        other => Err(ConfigError::new_err(format!(
            "backend `{other}`: expected auto, cpu or gpu"
        ))),
    }
}

/// The TOML tree of `config` as Python objects.
fn tree(py: Python<'_>, text: &str) -> PyResult<Py<PyAny>> {
    let v: toml::Value = toml::from_str(text).map_err(|e| ConfigError::new_err(e.to_string()))?;
    Ok(pythonize::pythonize(py, &v)
        .map_err(|e| ConfigError::new_err(e.to_string()))?
        .unbind())
}

/// `check(config)`: the config resolved (every default filled in) as a dict.
#[pyfunction]
fn check(py: Python<'_>, config: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
    let (c, dir) = config_of(config)?;
    let plan = py
        .detach(|| Plan::prepare(&c, dir.as_deref()))
        .map_err(err)?;
    let text = sbo::rundir::write::config_text(&plan, |_| {}).map_err(err)?;
    tree(py, &text)
}

/// `config_toml(config)`: the config as TOML text, as given (not resolved).
#[pyfunction]
fn config_toml(config: &Bound<'_, PyAny>) -> PyResult<String> {
    let (c, _) = config_of(config)?;
    c.to_toml().map_err(err)
}

/// `(run_dir, complete, interrupted, error)`: where the results are, whether the run
/// completed, whether Ctrl-C stopped it, and the exception of an error that ended it (its
/// completed part is written all the same).
type RunReturn = (String, bool, bool, Option<Py<PyAny>>);

/// Runs a sweep into `out` (which must not hold anything unless `force`). Ctrl-C
/// (KeyboardInterrupt) finishes the current logging interval and writes what is complete;
/// the caller then raises.
#[pyfunction]
#[pyo3(signature = (config, out, backend=None, force=false, threads=None, seeds=None, steps=None, progress=None, checkpoint_every=60.0))]
#[allow(clippy::too_many_arguments)]
fn run(
    py: Python<'_>,
    config: &Bound<'_, PyAny>,
    out: PathBuf,
    backend: Option<&str>,
    force: bool,
    threads: Option<usize>,
    seeds: Option<usize>,
    steps: Option<u64>,
    progress: Option<Py<PyAny>>,
    checkpoint_every: Option<f64>,
) -> PyResult<RunReturn> {
    let (mut c, dir) = config_of(config)?;
    if let Some(b) = backend {
        c.run.backend = backend_of(b)?;
    }
    if let Some(t) = threads {
        c.run.threads = t;
    }
    if let Some(s) = seeds {
        c.run.seeds = s;
    }
    if let Some(s) = steps {
        c.run.steps = s;
    }
    let every = every_of(checkpoint_every)?;
    let (job, choice) = py
        .detach(|| -> sbo::Result<_> {
            let plan = Plan::prepare(&c, dir.as_deref())?;
            let choice = sbo::backend::choose(c.run.backend)?;
            Ok((Job::start(plan, dir.as_deref(), &out, force, None)?, choice))
        })
        .map_err(err)?;
    drive(py, job, &choice, every, progress)
}

/// `checkpoint_every`: seconds (0: every logging step), or None for "only when stopped".
fn every_of(seconds: Option<f64>) -> PyResult<Option<Duration>> {
    match seconds {
        None => Ok(None),
        Some(s) if s.is_finite() && s >= 0.0 => Ok(Some(Duration::from_secs_f64(s))),
        Some(s) => Err(ConfigError::new_err(format!(
            "checkpoint_every = {s}: expected seconds >= 0 (0: every logging step) or None"
        ))),
    }
}

/// `resume(run_dir)`: continues an interrupted run from its checkpoint.
#[pyfunction]
#[pyo3(signature = (run_dir, threads=None, progress=None, checkpoint_every=60.0))]
fn resume(
    py: Python<'_>,
    run_dir: PathBuf,
    threads: Option<usize>,
    progress: Option<Py<PyAny>>,
    checkpoint_every: Option<f64>,
) -> PyResult<RunReturn> {
    let every = every_of(checkpoint_every)?;
    let (job, choice) = py
        .detach(|| -> sbo::Result<_> {
            let job = Job::resume(&run_dir, threads)?;
            let choice = sbo::backend::choose(job.plan().config.run.backend)?;
            Ok((job, choice))
        })
        .map_err(err)?;
    drive(py, job, &choice, every, progress)
}

/// Runs `job` on a worker thread while this thread, holding the GIL only briefly, reports
/// progress to `progress(done, total)` and watches for Ctrl-C, which asks the run to stop
/// after its current logging interval (a Ctrl-C that comes as the run completes changes
/// nothing: the complete result is returned).
fn drive(
    py: Python<'_>,
    job: Job,
    choice: &sbo::run::EngineChoice,
    every: Option<Duration>,
    progress: Option<Py<PyAny>>,
) -> PyResult<RunReturn> {
    let (total, before) = job.lane_steps();
    let done = AtomicU64::new(before);
    let stop = AtomicBool::new(false);
    let count = |n: u64| {
        done.fetch_add(n, Ordering::Relaxed);
    };
    let events = |_: RunEvent| {};
    let outcome = std::thread::scope(|s| -> PyResult<_> {
        let worker = s.spawn(|| {
            let opts = RunOptions {
                progress: Some(&count),
                events: Some(&events),
                stop: Some(&stop),
            };
            job.run(choice, &opts, every)
        });
        let mut shown = u64::MAX;
        let mut progress = progress;
        // An exception a signal handler raised (other than Ctrl-C's): the run stops after
        // its interval, what is complete is written, then it is raised.
        let mut raised: Option<PyErr> = None;
        let mut watch = |e: PyErr| {
            if !e.is_instance_of::<pyo3::exceptions::PyKeyboardInterrupt>(py) && raised.is_none() {
                raised = Some(e);
            }
            stop.store(true, Ordering::SeqCst);
        };
        loop {
            let finished = py.detach(|| {
                std::thread::sleep(Duration::from_millis(50));
                worker.is_finished()
            });
            if let Some(cb) = &progress {
                let d = done.load(Ordering::Relaxed);
                if d != shown {
                    shown = d;
                    if let Err(e) = cb.call1(py, (d, total)) {
                        if e.is_instance_of::<pyo3::exceptions::PyKeyboardInterrupt>(py) {
                            // Ctrl-C while the display ran.
                            watch(e);
                        } else {
                            // A progress display that fails must not lose the run: said
                            // once, then no more display.
                            e.print(py);
                            progress = None;
                        }
                    }
                }
            }
            // A Ctrl-C that came as the run ended belongs to it too.
            if let Err(e) = py.check_signals() {
                watch(e);
            }
            if finished {
                break;
            }
        }
        if let Some(e) = raised {
            // The run's files are written; the handler's exception wins.
            let _ = worker.join();
            return Err(e);
        }
        worker
            .join()
            .map_err(|_| EngineError::new_err("the run panicked"))
    })?;
    let outcome = outcome.map_err(err)?;
    let dir = outcome.dir.to_string_lossy().into_owned();
    let complete = outcome.failure.is_none();
    // Interrupted: stopped on request before the end (a Ctrl-C as it ended changes nothing).
    let stopped = outcome.stopped();
    let error = match outcome.failure {
        // The kind of the error, with the variant it happened in.
        Some(f) if !stopped => Some(err_as(&f.error, failure_text(&f)).into_value(py).into_any()),
        _ => None,
    };
    Ok((dir, complete, stopped, error))
}

/// `validate(run_dir)`: reads a run directory as sbo does (every file, every line checked)
/// and returns its summary as JSON text.
#[pyfunction]
fn validate(py: Python<'_>, run_dir: PathBuf) -> PyResult<String> {
    let files = py.detach(|| sbo::rundir::read_run(&run_dir)).map_err(err)?;
    serde_json::to_string(&files.summary).map_err(|e| OutputError::new_err(e.to_string()))
}

/// `read_toml(path)`: a TOML file (a run's `config.toml`) as a dict.
#[pyfunction]
fn read_toml(py: Python<'_>, path: PathBuf) -> PyResult<Py<PyAny>> {
    let text = std::fs::read_to_string(&path).map_err(|e| err(sbo::SboError::io(&path, e)))?;
    tree(py, &text)
}

/// `plot(run_dir)`: the figures of a run; returns their paths.
#[pyfunction]
fn plot(py: Python<'_>, run_dir: PathBuf) -> PyResult<Vec<String>> {
    let files = py
        .detach(|| sbo::report::plot(&sbo::analysis::RunData::load(&run_dir)?))
        .map_err(err)?;
    Ok(files
        .into_iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect())
}

/// `report(run_dir)`: writes report.md (and the figures); returns its path.
#[pyfunction]
fn report(py: Python<'_>, run_dir: PathBuf) -> PyResult<String> {
    let (path, _) = py
        .detach(|| sbo::report::make_report(&run_dir))
        .map_err(err)?;
    Ok(path.to_string_lossy().into_owned())
}

/// `benchopt_csv(run_dir, objective)`: the run's benchopt results table as CSV text.
#[pyfunction]
#[pyo3(signature = (run_dir, objective="upper_objective"))]
fn benchopt_csv(py: Python<'_>, run_dir: PathBuf, objective: &str) -> PyResult<String> {
    let metric: sbo::metrics::Metric = objective.parse().map_err(err)?;
    py.detach(|| {
        let files = sbo::rundir::read_run(&run_dir)?;
        sbo::export::benchopt_csv(&files, metric)
    })
    .map_err(err)
}

/// `info()`: the GPU adapters wgpu finds, and what backend auto would choose.
#[pyfunction]
fn info(py: Python<'_>) -> PyResult<(Vec<Py<PyDict>>, String)> {
    let (adapters, auto) = py.detach(|| {
        let a = sbo::gpu::list_adapters();
        let auto = match sbo::backend::choose(Backend::Auto) {
            Ok(e) => e.reason,
            Err(e) => format!("backend auto: {e}"),
        };
        (a, auto)
    });
    let mut out = Vec::new();
    for a in adapters {
        let d = PyDict::new(py);
        d.set_item("name", &a.name)?;
        d.set_item("backend", format!("{:?}", a.backend))?;
        d.set_item("device_type", format!("{:?}", a.device_type))?;
        d.set_item("driver", &a.driver)?;
        d.set_item("driver_info", &a.driver_info)?;
        d.set_item("software", a.is_software)?;
        d.set_item("compute", a.compute)?;
        d.set_item(
            "max_storage_buffer_binding_size",
            a.max_storage_buffer_binding_size,
        )?;
        d.set_item("max_buffer_size", a.max_buffer_size)?;
        out.push(d.unbind());
    }
    Ok((out, auto))
}

/// The built-in default study's TOML.
#[pyfunction]
fn default_config() -> &'static str {
    include_str!("../../examples/configs/default.toml")
}

#[pymodule]
fn _sbo(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("SboError", py.get_type::<SboError>())?;
    m.add("ConfigError", py.get_type::<ConfigError>())?;
    m.add("DataError", py.get_type::<DataError>())?;
    m.add("OutputError", py.get_type::<OutputError>())?;
    m.add("IoError", py.get_type::<IoError>())?;
    m.add("NumericalError", py.get_type::<NumericalError>())?;
    m.add("GpuError", py.get_type::<GpuError>())?;
    m.add("EngineError", py.get_type::<EngineError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(check, m)?)?;
    m.add_function(wrap_pyfunction!(config_toml, m)?)?;
    m.add_function(wrap_pyfunction!(run, m)?)?;
    m.add_function(wrap_pyfunction!(resume, m)?)?;
    m.add_function(wrap_pyfunction!(validate, m)?)?;
    m.add_function(wrap_pyfunction!(read_toml, m)?)?;
    m.add_function(wrap_pyfunction!(plot, m)?)?;
    m.add_function(wrap_pyfunction!(report, m)?)?;
    m.add_function(wrap_pyfunction!(benchopt_csv, m)?)?;
    m.add_function(wrap_pyfunction!(info, m)?)?;
    m.add_function(wrap_pyfunction!(default_config, m)?)?;
    Ok(())
}
