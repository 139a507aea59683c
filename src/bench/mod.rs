//! Throughput benchmark: lane-steps per second of standard workloads on the CPU and the GPU,
//! with the floating-point work and memory traffic one lane-step needs, so that throughput can
//! be read as achieved GFLOP/s and GB/s and compared between backends.
//!
//! Owns: the workloads ([`workloads`]: typed sweep configurations), the work model
//! ([`model`]), the timing protocol ([`timing`]) and the report ([`report`]). Opens engines
//! through [`crate::backend`], the same choice `sbo run` makes. Must not know: how engines
//! step lanes.
//!
//! # Workloads and timing
//!
//! See [`workloads`] and [`timing`]: four workloads (ssaid and tsgd on ijcnn1 and on a
//! d = 256 quadratic, batch 32, f32), throughput `lanes (S - 1) / (t_S - t_1)` (stepping
//! alone; `overhead_s` = t_1, `wall_lane_steps_per_s` = `lanes S / t_S`). The CPU's
//! throughput is flat in the lane count once every core is busy, so the CPU is measured on
//! at most [`BenchOptions::cpu_max_lanes`] lanes and that rate is reported for larger counts
//! (`measured_lanes` says so).
//!
//! # Work model
//!
//! [`model::work_per_lane_step`] counts the work of one outer step of one lane as the algorithm is
//! written (the nominal oracle calls of [`OracleCounts::nominal_per_step`](crate::algo::OracleCounts::nominal_per_step)),
//! the same for both backends, from each algorithm's descriptor. Every oracle is made of *data passes* over a batch of B rows of
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
//! | stocbio, aid-cg, amigo | T grad g, 1 grad f, n_hvp hvp | (4T + 6 n_hvp) Bl d + 4 Bu d | (T + 2 Q + 2) d + p |
//!
//! With Bl = Bu = 32: ssaid is about 12 B d = 384 d flops and 4 row reads (16 B d = 512 d
//! bytes) per lane-step, 0.75 flop/byte; tsgd with T = 4 about 38 B d = 1216 d flops and 16
//! row reads (2048 d bytes), 0.6 flop/byte. Both are memory-bound as written: the rows a lane
//! reads are its own random batch, so little is shared between lanes except through caches
//! (ijcnn1's 5000 x 22 floats fit in any L2; the d = 256 set, 6.5 MB, in an H100's L2). The
//! byte counts are therefore *logical* traffic (what the kernels ask for), not DRAM traffic:
//! achieved GB/s above the DRAM bandwidth means the caches serve the rows.

pub mod model;
pub mod report;
pub mod timing;
pub mod workloads;

pub use model::{work_per_lane_step, work_per_lane_step_n};
pub use report::{BenchBackend, BenchReport, BenchRow, GpuFacts};
pub use workloads::{named_workloads, standard_workloads, BenchData, Workload, NEIGHBOURS};

use crate::error::{Result, SboError};
use crate::run::EngineChoice;
use crate::sweep::{Backend, Precision, Study};
use std::path::PathBuf;
use timing::{fill, time_runs};
use workloads::round_lanes;

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
    /// CPU: step each group's lanes as packs (`run.lane_packs`); `false` times the one-lane
    /// reference.
    pub cpu_lane_packs: bool,
    /// GPU: step with one thread per lane where a kernel exists (`run.gpu_lane_threads`).
    pub gpu_lane_threads: bool,
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
            cpu_lane_packs: true,
            gpu_lane_threads: false,
            cpu_precision: Precision::F32,
            cpu_threads: 0,
            allow_software_gpu: false,
            data_dir: None,
        }
    }
}

/// Whether the filter `f` selects the workload `name`: a workload's full name selects that
/// workload alone (`ssaid-mnist-cleaning`, not also `ssaid-mnist-cleaning-mlp`), anything else
/// every workload whose name contains it.
fn selects(f: &str, name: &str) -> bool {
    let exact = standard_workloads()
        .iter()
        .chain(&named_workloads())
        .any(|w| w.name == f);
    if exact {
        name == f
    } else {
        name.contains(f)
    }
}

/// Runs the benchmark. `progress` receives a line before each measurement.
pub fn run_bench(opts: &BenchOptions, progress: &dyn Fn(&str)) -> Result<BenchReport> {
    // No filter: the standard set; a filter also reaches the workloads run only when named.
    let workloads: Vec<Workload> = if opts.workloads.is_empty() {
        standard_workloads()
    } else {
        standard_workloads()
            .into_iter()
            .chain(named_workloads())
            .filter(|w| opts.workloads.iter().any(|f| selects(f, &w.name)))
            .collect()
    };
    if workloads.is_empty() {
        return Err(SboError::config(
            "bench.workloads",
            format!(
                "no workload matches {:?} (known: {})",
                opts.workloads,
                standard_workloads()
                    .iter()
                    .chain(&named_workloads())
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
    let cpu_model = crate::cpu::model_name();
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
    // Engines come from the same choice as `sbo run`: `auto` (a hardware GPU), or `gpu`
    // (software adapters too) with `--software`.
    let cpu = crate::backend::cpu("bench: cpu".into());
    let (gpu_choice, gpu, gpu_unavailable): (Option<EngineChoice>, _, _) = if want_gpu {
        progress("opening the GPU");
        let backend = if opts.allow_software_gpu {
            Backend::Gpu
        } else {
            Backend::Auto
        };
        match crate::backend::choose(backend) {
            Ok(c) if c.engine.is_gpu() => {
                let facts: GpuFacts = c.engine.device();
                if facts.software {
                    notes.push(format!(
                        "the GPU rows ran on `{}`, a software adapter: a CPU emulation of a GPU, \
                         not a GPU",
                        facts.name
                    ));
                }
                (Some(c), Some(facts), None)
            }
            Ok(c) => (
                None,
                None,
                Some(format!(
                    "no hardware GPU adapter (software adapters not allowed): {}",
                    c.reason
                )),
            ),
            Err(e) => (None, None, Some(format!("no GPU adapter: {e}"))),
        }
    } else {
        (None, None, None)
    };
    // Asked for the GPU alone: without one there is nothing to measure, and that is an error.
    if want_gpu && !want_cpu && gpu_choice.is_none() {
        return Err(SboError::GpuNoAdapter {
            msg: gpu_unavailable.unwrap_or_else(|| "no GPU".into()),
        });
    }

    let mut rows = Vec::new();
    for w in &workloads {
        progress(&format!("{}: preparing data", w.name));
        let base_cfg = w.config(8, 1);
        let mut study = Study::prepare(&base_cfg, opts.data_dir.as_deref())?;
        study.config.run.threads = opts.cpu_threads;
        let (d, p, sizes) = (study.d(), study.p(), study.data.sizes());
        let algo = study.configs[0].algo.clone();
        let (flops, bytes) = work_per_lane_step_n(&algo, d, p, sizes.lower, sizes.upper);
        let batch = algo.batch_lower.len(sizes.lower);
        let row0 = |backend: BenchBackend, lanes: usize| BenchRow {
            workload: w.name.clone(),
            algo: w.algo.name().to_string(),
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
            let lanes = round_lanes(lanes_req);
            let mut cpu_rate = None;
            if want_cpu {
                let measured = lanes.min(round_lanes(opts.cpu_max_lanes));
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
                        study.config.run.lane_packs = opts.cpu_lane_packs;
                        row.measured_lanes = measured;
                        row.steps = opts.cpu_steps.max(2);
                        match time_runs(cpu.engine.as_ref(), &mut study, measured, row.steps) {
                            Ok(t) => {
                                cpu_threads = t.threads;
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
                match &gpu_choice {
                    None => {
                        row.measured_lanes = 0;
                        row.device = "none".into();
                        row.status = format!(
                            "skipped: {}",
                            gpu_unavailable.as_deref().unwrap_or("no GPU")
                        );
                    }
                    Some(c) => {
                        let dev = c.engine.device();
                        row.device = dev.name;
                        row.software = dev.software;
                        progress(&format!(
                            "{}: gpu, {lanes} lanes, {} steps",
                            w.name, row.steps
                        ));
                        study.config.run.gpu_lane_threads = opts.gpu_lane_threads;
                        match time_runs(c.engine.as_ref(), &mut study, lanes, row.steps) {
                            Ok(t) => {
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
    if want_cpu {
        notes.push(if opts.cpu_lane_packs {
            "CPU rows step each seed's lanes in lane packs of 8 (run.lane_packs, the default)"
                .to_string()
        } else {
            "CPU rows step every lane alone (--no-lane-packs: the reference packs equal bit for bit)"
                .to_string()
        });
    }
    if want_gpu && opts.gpu_lane_threads {
        notes.push(
            "GPU rows step one thread per lane where a kernel exists (ssaid, tsgd, ud on d <= 32: \
             run.gpu_lane_threads), else one workgroup per lane"
                .to_string(),
        );
    }
    if want_cpu && opts.lanes.iter().any(|&l| l > opts.cpu_max_lanes) {
        notes.push(format!(
            "CPU rows above {} lanes repeat the rate measured on {} lanes (CPU throughput is flat \
             in the lane count once every core is busy)",
            opts.cpu_max_lanes,
            round_lanes(opts.cpu_max_lanes)
        ));
    }
    Ok(BenchReport {
        sbo_version: env!("CARGO_PKG_VERSION").into(),
        date: report::utc_now(),
        cpu_model,
        cpu_logical,
        cpu_threads,
        cpu_simd: crate::real::simd_name().into(),
        gpu,
        gpu_unavailable,
        gpu_steps: opts.gpu_steps.max(2),
        cpu_steps: opts.cpu_steps.max(2),
        notes,
        rows,
    })
}

#[cfg(test)]
mod tests {
    use super::selects;

    #[test]
    fn a_full_name_selects_that_workload_alone() {
        assert!(selects("ssaid-mnist-cleaning", "ssaid-mnist-cleaning"));
        assert!(!selects("ssaid-mnist-cleaning", "ssaid-mnist-cleaning-mlp"));
        assert!(selects("mnist-cleaning", "ssaid-mnist-cleaning-mlp"));
        assert!(selects("ijcnn1", "tsgd-ijcnn1"));
        assert!(!selects("ijcnn1", "ssaid-quad256"));
    }
}
