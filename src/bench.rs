//! Throughput benchmark: lane-steps per second of standard workloads on the CPU and the GPU,
//! with the floating-point work and memory traffic one lane-step needs, so that throughput can
//! be read as achieved GFLOP/s and GB/s and compared between backends.
//!
//! # Workloads
//!
//! | name | algorithm | data | problem |
//! |---|---|---|---|
//! | `ssaid-ijcnn1` | ssaid | ijcnn1 (LIBSVM, d = 22), n_lower 5000, n_upper 1000, n_test 500 | c-c preset, lam_y = 1e-3 |
//! | `tsgd-ijcnn1` | tsgd, T = 4 | as above | as above |
//! | `ssaid-quad256` | ssaid | synthetic quadratic, d = 256, n_lower 5000, n_upper 1000 | sc-sc preset |
//! | `tsgd-quad256` | tsgd, T = 4 | as above | as above |
//!
//! Batch 32 for both levels everywhere, f32 on both backends (the GPU's precision; the CPU's
//! can be changed in [`BenchOptions::cpu_precision`]), `exact = false`. A lane count L is one
//! configuration x L / 8 seeds x (1 base + 7 neighbours); counts that are not a multiple of 8
//! are rounded up.
//!
//! # Timing
//!
//! Each measurement logs only at the first and the last step (`log_every = steps`), so a run
//! computes metrics twice. Even that is taken out: for each (workload, lanes, backend) sbo runs
//! the sweep three times, (1) one step, to compile pipelines and warm caches, (2) one step,
//! timed: t_1, (3) `steps` steps, timed: t_S. The reported throughput is
//! `lanes (S - 1) / (t_S - t_1)`: stepping alone, without data upload, pipeline creation or the
//! two metric evaluations (`overhead_s` = t_1 says what those cost; `wall_lane_steps_per_s`
//! is the end-to-end `lanes S / t_S`). The CPU's throughput is flat in the lane count once
//! every core is busy, so the CPU is measured on at most [`BenchOptions::cpu_max_lanes`]
//! lanes and that rate is reported for larger counts (`measured_lanes` says so).
//!
//! # Work model
//!
//! [`work_per_lane_step`] counts the work of one outer step of one lane as the algorithm is
//! written (the nominal oracle calls of [`OracleCounts::nominal_per_step`](crate::algo::OracleCounts::nominal_per_step)),
//! the same for both backends. Every oracle is made of *data passes* over a batch of B rows of
//! d features (`shaders/pass.wgsl`):
//!
//! - a **dots** pass computes a_k . w for v vectors w: `2 B d v` flops, and reads the B rows
//!   and labels: `B d 4 + B 4` bytes;
//! - an **accumulation** pass forms o per-feature averages (1/B) sum_k c_k a_k: `2 B d o`
//!   flops, and reads the B rows again: `B d 4` bytes;
//! - between them, per-sample scalars (loss derivatives): 4 flops per sample and output
//!   (a transcendental counts as one flop);
//! - per-feature updates (a gradient step on y, v or u, a J v or H v regulariser term, the
//!   step on x): 4 flops per feature and vector operation; they live in registers /
//!   workgroup memory and cost no memory traffic, except tsgd's saved inner iterates
//!   (`(T + 1) d` floats written, `T d` read per outer step).
//!
//! Per algorithm (Bl, Bu the batch sizes, T inner steps, Q terms):
//!
//! | algorithm | passes | flops (data) | vector ops |
//! |---|---|---|---|
//! | ssgd | grad g, grad f: 2 dots(1) + 2 accum(1) | 4 Bl d + 4 Bu d | 3 d |
//! | ssaid | lower dots(2) + accum(2), upper dots(1) + accum(1) | 8 Bl d + 4 Bu d | 4 d + p |
//! | tsgd, ud | T grad g, 1 grad f, T - 1 hvp: dots(2) + accum(1) | (4T + 6(T - 1)) Bl d + 4 Bu d | 3T d + p |
//! | stocbio, aid-cg | T grad g, 1 grad f, n_hvp hvp | (4T + 6 n_hvp) Bl d + 4 Bu d | (T + 2 Q + 2) d + p |
//!
//! With Bl = Bu = 32: ssaid is about 12 B d = 384 d flops and 4 row reads (16 B d = 512 d
//! bytes) per lane-step, 0.75 flop/byte; tsgd with T = 4 about 38 B d = 1216 d flops and 16
//! row reads (2048 d bytes), 0.6 flop/byte. Both are memory-bound as written: the rows a lane
//! reads are its own random batch, so little is shared between lanes except through caches
//! (ijcnn1's 5000 x 22 floats fit in any L2; the d = 256 set, 6.5 MB, in an H100's L2). The
//! byte counts are therefore *logical* traffic (what the kernels ask for), not DRAM traffic:
//! achieved GB/s above the DRAM bandwidth means the caches serve the rows.

use crate::algo::{AlgoConfig, BatchSize, WorkShape};
use crate::error::{Result, SboError};
use crate::gpu::{run_gpu, GpuContext, GpuOptions, GpuRunOptions};
use crate::sweep::{run_cpu, Precision, RunOptions, Study, SweepConfig, SweepResult};
use serde::Serialize;
use std::fmt;
use std::path::PathBuf;
use std::time::Instant;

/// Neighbour lanes per seed in every workload (lanes = seeds x (1 + NEIGHBOURS)).
pub const NEIGHBOURS: usize = 7;

/// Which backend a row measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BenchBackend {
    Cpu,
    Gpu,
}

impl fmt::Display for BenchBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BenchBackend::Cpu => "cpu",
            BenchBackend::Gpu => "gpu",
        })
    }
}

/// The data of a standard workload.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BenchData {
    /// ijcnn1 from `data/ijcnn1.{trn,tst}.bz2`, d = 22, c-c preset with lam_y = 1e-3.
    Ijcnn1,
    /// Synthetic sc-sc quadratic, d = 256.
    Quad256,
}

/// One standard workload: an algorithm on a dataset.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Workload {
    /// `ssaid-ijcnn1`, `tsgd-ijcnn1`, `ssaid-quad256`, `tsgd-quad256`.
    pub name: String,
    pub algo: String,
    pub data: BenchData,
}

/// The four standard workloads, in report order.
pub fn standard_workloads() -> Vec<Workload> {
    let mut out = Vec::new();
    for data in [BenchData::Ijcnn1, BenchData::Quad256] {
        for algo in ["ssaid", "tsgd"] {
            let d = match data {
                BenchData::Ijcnn1 => "ijcnn1",
                BenchData::Quad256 => "quad256",
            };
            out.push(Workload {
                name: format!("{algo}-{d}"),
                algo: algo.into(),
                data,
            });
        }
    }
    out
}

impl Workload {
    /// The sweep config of this workload with `lanes` lanes (rounded up to a multiple of
    /// 1 + [`NEIGHBOURS`]) and `steps` outer steps, logging at the first and last step only.
    pub fn config(&self, lanes: usize, steps: u64) -> Result<SweepConfig> {
        let seeds = seeds_for(lanes);
        let (problem, data, steps_sizes) = match self.data {
            BenchData::Ijcnn1 => (
                "preset = \"c-c\"\nlam_y = 1e-3",
                "kind = \"libsvm\"\ntrain = \"data/ijcnn1.trn.bz2\"\ntest = \"data/ijcnn1.tst.bz2\"\n\
                 dim = 22\nn_lower = 5000\nn_upper = 1000\nn_test = 500\nn_pool = 100",
                "alpha = 0.1\nbeta = 0.1\ngamma = 0.1",
            ),
            BenchData::Quad256 => (
                "preset = \"sc-sc\"",
                "kind = \"synthetic\"\nd = 256\ns_min = 0.1\ns_max = 1.0\nsigma = 0.1\n\
                 n_lower = 5000\nn_upper = 1000\nn_test = 500\nn_pool = 100",
                "alpha = 0.05\nbeta = 0.05\ngamma = 0.05",
            ),
        };
        let text = format!(
            "name = \"bench-{name}\"\n[problem]\n{problem}\n[data]\n{data}\n\
             [run]\nsteps = {steps}\nlog_every = {steps}\nseeds = {seeds}\nneighbours = {NEIGHBOURS}\n\
             exact = false\nprecision = \"f32\"\n\
             [[algo]]\nname = \"{algo}\"\n{steps_sizes}\nT = 4\nbatch = 32\n",
            name = self.name,
            algo = self.algo,
            steps = steps.max(1),
        );
        SweepConfig::from_toml(&text)
    }
}

/// Seeds for at least `lanes` lanes.
fn seeds_for(lanes: usize) -> usize {
    lanes.div_ceil(NEIGHBOURS + 1).max(1)
}

/// What [`run_bench`] measures.
#[derive(Clone, Debug)]
pub struct BenchOptions {
    /// Workload filter: a workload runs when its name contains one of these (`"ijcnn1"`,
    /// `"tsgd"`, `"ssaid-quad256"`); empty: all of [`standard_workloads`].
    pub workloads: Vec<String>,
    /// Lane counts (each rounded up to a multiple of 8).
    pub lanes: Vec<usize>,
    /// Outer steps of a timed GPU run.
    pub gpu_steps: u64,
    /// Outer steps of a timed CPU run.
    pub cpu_steps: u64,
    /// Backends to measure.
    pub backends: Vec<BenchBackend>,
    /// The CPU is timed on at most this many lanes; its rate stands for larger counts.
    pub cpu_max_lanes: usize,
    /// CPU arithmetic (the GPU always runs f32).
    pub cpu_precision: Precision,
    /// CPU threads (0: all cores).
    pub cpu_threads: usize,
    /// Measure a software adapter (lavapipe) when no hardware GPU exists; its rows are marked
    /// `software`.
    pub allow_software_gpu: bool,
    /// Where `data/ijcnn1.*` is looked up besides the working directory and the source tree.
    pub data_dir: Option<PathBuf>,
}

impl Default for BenchOptions {
    fn default() -> Self {
        BenchOptions {
            workloads: Vec::new(),
            lanes: vec![1024, 4096, 16384, 65536],
            gpu_steps: 64,
            cpu_steps: 16,
            backends: vec![BenchBackend::Cpu, BenchBackend::Gpu],
            cpu_max_lanes: 1024,
            cpu_precision: Precision::F32,
            cpu_threads: 0,
            allow_software_gpu: false,
            data_dir: None,
        }
    }
}

/// One measurement: a workload at a lane count on a backend.
#[derive(Clone, Debug, Serialize)]
pub struct BenchRow {
    pub workload: String,
    pub algo: String,
    pub data: BenchData,
    pub d: usize,
    pub p: usize,
    pub batch: usize,
    pub backend: BenchBackend,
    /// The adapter name (GPU) or the CPU model.
    pub device: String,
    /// A software adapter (lavapipe): CPU emulation, not a GPU.
    pub software: bool,
    pub precision: String,
    /// Lanes asked for (rounded up to a multiple of 8).
    pub lanes: usize,
    /// Lanes actually timed (the CPU: at most `cpu_max_lanes`).
    pub measured_lanes: usize,
    pub steps: u64,
    /// `ok`, or why there is no number (`skipped: ...`, `error: ...`).
    pub status: String,
    /// Seconds of the timed stepping (t_S - t_1).
    pub seconds: Option<f64>,
    /// Seconds of the one-step run: upload, setup and two metric evaluations.
    pub overhead_s: Option<f64>,
    /// Stepping throughput, setup and metrics excluded.
    pub lane_steps_per_s: Option<f64>,
    /// End to end: lanes x steps / t_S.
    pub wall_lane_steps_per_s: Option<f64>,
    pub flops_per_lane_step: f64,
    pub bytes_per_lane_step: f64,
    pub gflops: Option<f64>,
    pub gbytes_per_s: Option<f64>,
    /// GPU rows: this throughput over the CPU's for the same workload.
    pub gpu_over_cpu: Option<f64>,
    /// Lanes that diverged in the timed run (they stop stepping; should be 0).
    pub diverged: usize,
}

/// The GPU an [`BenchReport`] measured.
#[derive(Clone, Debug, Serialize)]
pub struct GpuFacts {
    pub name: String,
    pub backend: String,
    pub device_type: String,
    pub driver: String,
    pub driver_info: String,
    pub software: bool,
}

/// Everything [`run_bench`] measured, as plain data (serde: `serde_json::to_string_pretty`).
#[derive(Clone, Debug, Serialize)]
pub struct BenchReport {
    pub sbo_version: String,
    /// UTC, `YYYY-MM-DD HH:MM:SS`.
    pub date: String,
    pub cpu_model: String,
    /// Logical CPUs the machine has.
    pub cpu_logical: usize,
    /// Threads the CPU runs used.
    pub cpu_threads: usize,
    pub gpu: Option<GpuFacts>,
    /// Why there are no GPU numbers, when there are none.
    pub gpu_unavailable: Option<String>,
    pub gpu_steps: u64,
    pub cpu_steps: u64,
    pub notes: Vec<String>,
    pub rows: Vec<BenchRow>,
}

/// (flops, bytes) of one outer step of one lane, per the model in the module docs. Full
/// batches (`batch = "full"`) have no size here: their terms are NaN; use
/// [`work_per_lane_step_n`] with the set sizes.
pub fn work_per_lane_step(cfg: &AlgoConfig, d: usize, p: usize) -> (f64, f64) {
    work_per_lane_step_n(cfg, d, p, 0, 0)
}

/// [`work_per_lane_step`] with full batches sized by the lower and upper set sizes.
pub fn work_per_lane_step_n(
    cfg: &AlgoConfig,
    d: usize,
    p: usize,
    n_lower: usize,
    n_upper: usize,
) -> (f64, f64) {
    let len = |b: BatchSize, n: usize| match b {
        BatchSize::Size(s) => s as f64,
        BatchSize::Full if n == 0 => f64::NAN,
        BatchSize::Full => n as f64,
    };
    let shape = WorkShape {
        batch_lower: len(cfg.batch_lower, n_lower),
        batch_upper: len(cfg.batch_upper, n_upper),
        d: d as f64,
        p: p as f64,
    };
    let w = (cfg.kind.descriptor().work)(cfg, &shape);
    (w.flops, w.bytes)
}

/// Runs the benchmark. `progress` receives a line before each measurement.
pub fn run_bench(opts: &BenchOptions, progress: &dyn Fn(&str)) -> Result<BenchReport> {
    let workloads: Vec<Workload> = standard_workloads()
        .into_iter()
        .filter(|w| opts.workloads.is_empty() || opts.workloads.iter().any(|f| w.name.contains(f)))
        .collect();
    if workloads.is_empty() {
        return Err(SboError::config(
            "bench.workloads",
            format!(
                "no workload matches {:?} (known: {})",
                opts.workloads,
                standard_workloads()
                    .iter()
                    .map(|w| w.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    if opts.lanes.is_empty() || opts.lanes.contains(&0) {
        return Err(SboError::config(
            "bench.lanes",
            "give at least one lane count, each >= 1",
        ));
    }
    let want_cpu = opts.backends.contains(&BenchBackend::Cpu);
    let want_gpu = opts.backends.contains(&BenchBackend::Gpu);
    let cpu_model = cpu_model();
    let cpu_logical = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut cpu_threads = if opts.cpu_threads == 0 {
        cpu_logical
    } else {
        opts.cpu_threads
    };

    let mut notes = vec![
        "throughput = lanes (S - 1) / (t_S - t_1): stepping only; upload, pipeline creation and \
         the two metric evaluations (first and last step, the only logging) are excluded and \
         shown as overhead_s"
            .to_string(),
        "flops and bytes per lane-step are the analytic model of sbo::bench (logical traffic, \
         not DRAM traffic)"
            .to_string(),
    ];
    let (ctx, gpu, gpu_unavailable) = if want_gpu {
        progress("opening the GPU");
        match GpuContext::new(&GpuOptions {
            allow_software: opts.allow_software_gpu,
            ..GpuOptions::default()
        }) {
            Ok(ctx) => {
                let i = ctx.adapter_info();
                let facts = GpuFacts {
                    name: i.name.clone(),
                    backend: format!("{:?}", i.backend),
                    device_type: format!("{:?}", i.device_type),
                    driver: i.driver.clone(),
                    driver_info: i.driver_info.clone(),
                    software: ctx.is_software(),
                };
                if facts.software {
                    notes.push(format!(
                        "the GPU rows ran on `{}`, a software adapter: a CPU emulation of a GPU, \
                         not a GPU",
                        facts.name
                    ));
                }
                (Some(ctx), Some(facts), None)
            }
            Err(e) => {
                let why = if opts.allow_software_gpu {
                    format!("no GPU adapter: {e}")
                } else {
                    format!("no hardware GPU adapter (software adapters not allowed): {e}")
                };
                (None, None, Some(why))
            }
        }
    } else {
        (None, None, None)
    };

    let mut rows = Vec::new();
    for w in &workloads {
        progress(&format!("{}: preparing data", w.name));
        let base_cfg = w.config(8, 1)?;
        let mut study = Study::prepare(&base_cfg, opts.data_dir.as_deref())?;
        study.config.run.threads = opts.cpu_threads;
        let (d, p) = (study.d(), study.p());
        let algo = study.configs[0].algo.clone();
        let (flops, bytes) =
            work_per_lane_step_n(&algo, d, p, study.splits.lower.n, study.splits.upper.n);
        let batch = algo.batch_lower.len(study.splits.lower.n);
        let row0 = |backend: BenchBackend, lanes: usize| BenchRow {
            workload: w.name.clone(),
            algo: w.algo.clone(),
            data: w.data,
            d,
            p,
            batch,
            backend,
            device: String::new(),
            software: false,
            precision: String::new(),
            lanes,
            measured_lanes: 0,
            steps: 0,
            status: String::new(),
            seconds: None,
            overhead_s: None,
            lane_steps_per_s: None,
            wall_lane_steps_per_s: None,
            flops_per_lane_step: flops,
            bytes_per_lane_step: bytes,
            gflops: None,
            gbytes_per_s: None,
            gpu_over_cpu: None,
            diverged: 0,
        };

        // CPU: measured once per distinct timed lane count.
        let mut cpu_cache: Vec<(usize, BenchRow)> = Vec::new();
        for &lanes_req in &opts.lanes {
            let lanes = seeds_for(lanes_req) * (NEIGHBOURS + 1);
            let mut cpu_rate = None;
            if want_cpu {
                let measured = lanes.min(seeds_for(opts.cpu_max_lanes) * (NEIGHBOURS + 1));
                let mut row = match cpu_cache.iter().find(|(m, _)| *m == measured) {
                    Some((_, r)) => r.clone(),
                    None => {
                        progress(&format!(
                            "{}: cpu, {measured} lanes, {} steps",
                            w.name, opts.cpu_steps
                        ));
                        let mut row = row0(BenchBackend::Cpu, lanes);
                        row.device = cpu_model.clone();
                        row.precision = match opts.cpu_precision {
                            Precision::F32 => "f32".into(),
                            Precision::F64 => "f64".into(),
                        };
                        study.config.run.precision = opts.cpu_precision;
                        row.measured_lanes = measured;
                        row.steps = opts.cpu_steps.max(2);
                        let run = |s: &Study| run_cpu(s, &RunOptions::default());
                        match time_runs(&mut study, measured, row.steps, run) {
                            Ok((t, threads)) => {
                                cpu_threads = threads;
                                fill(&mut row, &t);
                            }
                            Err(e) => row.status = format!("error: {e}"),
                        }
                        cpu_cache.push((measured, row.clone()));
                        row
                    }
                };
                row.lanes = lanes;
                cpu_rate = row.lane_steps_per_s;
                rows.push(row);
            }
            if want_gpu {
                let mut row = row0(BenchBackend::Gpu, lanes);
                row.precision = "f32".into();
                row.steps = opts.gpu_steps.max(2);
                row.measured_lanes = lanes;
                match &ctx {
                    None => {
                        row.measured_lanes = 0;
                        row.device = "none".into();
                        row.status = format!(
                            "skipped: {}",
                            gpu_unavailable.as_deref().unwrap_or("no GPU")
                        );
                    }
                    Some(ctx) => {
                        row.device = ctx.adapter_info().name.clone();
                        row.software = ctx.is_software();
                        progress(&format!(
                            "{}: gpu, {lanes} lanes, {} steps",
                            w.name, row.steps
                        ));
                        let run = |s: &Study| {
                            run_gpu(ctx, s, &RunOptions::default(), &GpuRunOptions::default())
                        };
                        match time_runs(&mut study, lanes, row.steps, run) {
                            Ok((t, _)) => {
                                fill(&mut row, &t);
                                row.gpu_over_cpu = match (row.lane_steps_per_s, cpu_rate) {
                                    (Some(g), Some(c)) if c > 0.0 => Some(g / c),
                                    _ => None,
                                };
                            }
                            Err(e) => row.status = format!("error: {e}"),
                        }
                    }
                }
                rows.push(row);
            }
        }
    }
    if want_cpu && opts.lanes.iter().any(|&l| l > opts.cpu_max_lanes) {
        notes.push(format!(
            "CPU rows above {} lanes repeat the rate measured on {} lanes (CPU throughput is flat \
             in the lane count once every core is busy)",
            opts.cpu_max_lanes,
            seeds_for(opts.cpu_max_lanes) * (NEIGHBOURS + 1)
        ));
    }
    Ok(BenchReport {
        sbo_version: env!("CARGO_PKG_VERSION").into(),
        date: utc_now(),
        cpu_model,
        cpu_logical,
        cpu_threads,
        gpu,
        gpu_unavailable,
        gpu_steps: opts.gpu_steps.max(2),
        cpu_steps: opts.cpu_steps.max(2),
        notes,
        rows,
    })
}

/// Timings of one measurement.
struct Timing {
    lanes: usize,
    steps: u64,
    t1: f64,
    ts: f64,
    diverged: usize,
}

/// Warm-up (1 step), t_1 (1 step), t_S (`steps` steps) on `lanes` lanes. Returns the
/// timings and the thread count the runs reported.
fn time_runs(
    study: &mut Study,
    lanes: usize,
    steps: u64,
    run: impl Fn(&Study) -> Result<SweepResult>,
) -> Result<(Timing, usize)> {
    let seeds = seeds_for(lanes);
    let set = |study: &mut Study, steps: u64| {
        let r = &mut study.config.run;
        r.seeds = seeds;
        r.steps = steps;
        r.log_every = steps;
        study.log_steps = study.config.run.log_steps();
    };
    set(study, 1);
    run(study)?;
    let start = Instant::now();
    run(study)?;
    let t1 = start.elapsed().as_secs_f64();
    set(study, steps);
    let start = Instant::now();
    let res = run(study)?;
    let ts = start.elapsed().as_secs_f64();
    Ok((
        Timing {
            lanes: seeds * (NEIGHBOURS + 1),
            steps,
            t1,
            ts,
            diverged: res.diverged(),
        },
        res.threads,
    ))
}

fn fill(row: &mut BenchRow, t: &Timing) {
    let lanes = t.lanes as f64;
    let dt = t.ts - t.t1;
    // If noise swallows the difference, fall back to end-to-end.
    let rate = if dt > 0.0 && t.steps > 1 {
        lanes * (t.steps - 1) as f64 / dt
    } else {
        lanes * t.steps as f64 / t.ts
    };
    row.status = if t.diverged == 0 {
        "ok".into()
    } else {
        format!("ok ({} lanes diverged)", t.diverged)
    };
    row.seconds = Some(dt.max(0.0));
    row.overhead_s = Some(t.t1);
    row.lane_steps_per_s = Some(rate);
    row.wall_lane_steps_per_s = Some(lanes * t.steps as f64 / t.ts);
    row.gflops = Some(rate * row.flops_per_lane_step / 1e9);
    row.gbytes_per_s = Some(rate * row.bytes_per_lane_step / 1e9);
    row.diverged = t.diverged;
}

/// The CPU model from /proc/cpuinfo (Linux), else the architecture.
pub fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| std::env::consts::ARCH.to_string())
}

/// The current UTC time as `YYYY-MM-DD HH:MM:SS`.
fn utc_now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs()) as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil from days (H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// 1234567.8 -> "1.23e6"-style short numbers for the table.
fn short(v: Option<f64>) -> String {
    match v {
        None => "-".into(),
        Some(v) if v.abs() >= 1e5 => format!("{v:.3e}"),
        Some(v) if v.abs() >= 100.0 => format!("{v:.0}"),
        Some(v) if v.abs() >= 1.0 => format!("{v:.2}"),
        Some(v) => format!("{v:.3}"),
    }
}

impl fmt::Display for BenchReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "sbo {} bench, {} UTC", self.sbo_version, self.date)?;
        writeln!(
            f,
            "cpu: {} ({} logical CPUs, {} threads used)",
            self.cpu_model, self.cpu_logical, self.cpu_threads
        )?;
        match (&self.gpu, &self.gpu_unavailable) {
            (Some(g), _) => writeln!(
                f,
                "gpu: {} ({}, {}, driver {} {}){}",
                g.name,
                g.backend,
                g.device_type,
                g.driver,
                g.driver_info,
                if g.software {
                    " -- SOFTWARE adapter: a CPU emulation, not a GPU"
                } else {
                    ""
                }
            )?,
            (None, Some(why)) => writeln!(f, "gpu: {why}")?,
            (None, None) => writeln!(f, "gpu: not measured")?,
        }
        writeln!(
            f,
            "steps: gpu {}, cpu {}; lanes = seeds x (1 + {NEIGHBOURS} neighbours)",
            self.gpu_steps, self.cpu_steps
        )?;
        writeln!(f)?;
        let header = [
            "workload",
            "backend",
            "lanes",
            "timed",
            "steps",
            "lane-steps/s",
            "GFLOP/s",
            "GB/s",
            "gpu/cpu",
            "overhead_s",
            "flop/step",
            "byte/step",
            "status",
        ];
        let mut table: Vec<Vec<String>> = vec![header.iter().map(|s| s.to_string()).collect()];
        for r in &self.rows {
            let backend = if r.software {
                format!("{}(sw)", r.backend)
            } else {
                r.backend.to_string()
            };
            table.push(vec![
                r.workload.clone(),
                backend,
                r.lanes.to_string(),
                r.measured_lanes.to_string(),
                r.steps.to_string(),
                short(r.lane_steps_per_s),
                short(r.gflops),
                short(r.gbytes_per_s),
                r.gpu_over_cpu.map_or("-".into(), |v| format!("{v:.2}")),
                r.overhead_s.map_or("-".into(), |v| format!("{v:.3}")),
                short(Some(r.flops_per_lane_step)),
                short(Some(r.bytes_per_lane_step)),
                r.status.clone(),
            ]);
        }
        let ncol = header.len();
        let widths: Vec<usize> = (0..ncol)
            .map(|c| table.iter().map(|r| r[c].len()).max().unwrap_or(0))
            .collect();
        for row in &table {
            let mut line = String::new();
            for (c, cell) in row.iter().enumerate() {
                if c > 0 {
                    line.push_str("  ");
                }
                // Text columns left, numbers right; the last column unpadded.
                if c + 1 == ncol {
                    line.push_str(cell);
                } else if c < 2 {
                    line.push_str(&format!("{cell:<w$}", w = widths[c]));
                } else {
                    line.push_str(&format!("{cell:>w$}", w = widths[c]));
                }
            }
            writeln!(f, "{}", line.trim_end())?;
        }
        if !self.notes.is_empty() {
            writeln!(f)?;
            for n in &self.notes {
                writeln!(f, "note: {n}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn work_model_matches_the_documented_counts() {
        let mut cfg = AlgoConfig::new(crate::algo::AlgoKind::SSAID);
        cfg.batch_lower = BatchSize::Size(32);
        cfg.batch_upper = BatchSize::Size(32);
        let (d, p) = (22usize, 22usize);
        let (fl, by) = work_per_lane_step(&cfg, d, p);
        // lower dots(2)+accum(2), upper dots(1)+accum(1): 12 B d + scalars + vector ops.
        let bd = 32.0 * d as f64;
        assert_eq!(
            fl,
            12.0 * bd + 4.0 * 32.0 * 3.0 + 4.0 * (4.0 * d as f64 + p as f64)
        );
        assert_eq!(by, 4.0 * bd * 4.0 + 2.0 * 32.0 * 4.0);
        cfg.kind = crate::algo::AlgoKind::TSGD;
        cfg.inner_steps = 4;
        let (fl, _) = work_per_lane_step(&cfg, d, p);
        assert!(fl > 38.0 * bd && fl < 42.0 * bd, "{fl}");
        cfg.batch_lower = BatchSize::Full;
        assert!(work_per_lane_step(&cfg, d, p).0.is_nan());
        assert!(work_per_lane_step_n(&cfg, d, p, 100, 50).0.is_finite());
    }

    #[test]
    fn workload_configs_parse_and_round_lanes() {
        for w in standard_workloads() {
            let c = w.config(1000, 4).unwrap();
            assert_eq!(c.run.seeds * (c.run.neighbours + 1), 1000);
            assert_eq!(c.run.log_steps(), vec![0, 4]);
        }
        assert_eq!(seeds_for(1001), 126);
        assert!(utc_now().starts_with("20"));
    }
}
