//! A sweep on the GPU: the datasets uploaded once, every lane's state resident on the device,
//! one fused dispatch per configuration chunk advancing all its lanes by many iterations, and
//! a per-group metrics kernel at each logging step whose small records are all that travels
//! back. The CPU adds what needs f64 (exact hypergradient, population risk) on a worker
//! thread, overlapping the device's next interval, and summarises.

use super::shader::compose;
use super::{shaders, GpuContext};
use crate::algo::{AlgoConfig, BatchSize, OracleCounts, Schedule};
use crate::error::{Result, SboError};
use crate::metrics::{self, names, N_METRICS};
use crate::problem::{Coupling, HyperShape, Loss};
use crate::sweep::runner::{assemble, count_metrics, GroupOut, MeasureCtx};
use crate::sweep::{LaneRecord, LaneStatus, NeighbourChoice, RunOptions, Study, SweepResult};
use bytemuck::{Pod, Zeroable};
use rayon::prelude::*;
use std::sync::{mpsc, Arc};
use std::time::Instant;

/// Tuning of the GPU backend.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GpuRunOptions {
    /// Threads per lane (a power of two). `None`: the next power of two >= d, between 64 and 256, so that every feature has a
    /// thread in the per-feature phases and small batches get several threads per row
    /// (coalesced reads) in the dot-product phase.
    pub workgroup_size: Option<u32>,
    /// Outer steps per dispatch: keeps each dispatch short (desktop drivers kill long ones)
    /// and progress visible; between logging steps several dispatches follow each other.
    pub steps_per_dispatch: u32,
    /// Largest scratch buffer (tsgd/ud keep T + 1 inner iterates per lane) before a
    /// configuration is split into several dispatches.
    pub max_scratch_bytes: u64,
    /// Split every configuration into dispatches of at most this many lanes (tests and
    /// tuning; `None`: as few dispatches as the device allows).
    pub max_lanes_per_dispatch: Option<usize>,
    /// Lower the per-dimension workgroup limit used to lay out dispatch grids (tests of the
    /// two-dimensional layout; `None`: the device's limit).
    pub max_workgroups_per_dimension: Option<u32>,
}

impl Default for GpuRunOptions {
    fn default() -> Self {
        GpuRunOptions {
            workgroup_size: None,
            steps_per_dispatch: 128,
            max_scratch_bytes: 512 << 20,
            max_lanes_per_dispatch: None,
            max_workgroups_per_dimension: None,
        }
    }
}

/// The uniform block of every lane kernel (`Params` in `shaders/common.wgsl`). Public for the
/// GPU tests, which drive test kernels composed after [`shaders::lane_prelude`].
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub struct Params {
    pub t0: u32,
    pub n_steps: u32,
    pub lane_offset: u32,
    pub n_lanes: u32,
    pub n_lower: u32,
    pub n_upper: u32,
    pub row_lower: u32,
    pub row_upper: u32,
    pub row_pool: u32,
    pub groups_x: u32,
    pub scratch_stride: u32,
    pub n_test: u32,
    pub row_test: u32,
    pub n_pool: u32,
    pub group_size: u32,
    pub _pad1: u32,
    pub alpha: [f32; 4],
    pub beta: [f32; 4],
    pub gamma: [f32; 4],
    pub eta: f32,
    pub v_radius: f32,
    pub y0: f32,
    pub _pad2: f32,
}

/// One lane (`Lane` in `shaders/common.wgsl`); `rep_*` is `u32::MAX` when nothing is replaced.
/// Public for the GPU tests.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, Pod, Zeroable)]
pub struct LaneDesc {
    pub seed_lo: u32,
    pub seed_hi: u32,
    pub rep_lower: u32,
    pub pool_lower: u32,
    pub rep_upper: u32,
    pub pool_upper: u32,
    pub base: u32,
    pub _pad: u32,
}

const NO_REPLACEMENT: u32 = u32::MAX;
/// Floats before x and y in a metrics record (`RECORD_HEAD` in `shaders/metrics.wgsl`).
const RECORD_HEAD: usize = 16;

fn sched(s: &Schedule) -> [f32; 4] {
    match *s {
        Schedule::Constant(c) => [0.0, c as f32, 0.0, 0.0],
        Schedule::Poly(c, e) => [1.0, c as f32, e as f32, 0.0],
        Schedule::Inv(c) => [2.0, c as f32, 0.0, 0.0],
    }
}

/// The datasets as the kernels see them: lower, upper, pool and test rows back to back.
pub(crate) struct DeviceData {
    pub feats: wgpu::Buffer,
    pub labels: wgpu::Buffer,
    pub base: Params,
}

pub(crate) fn upload_data(ctx: &GpuContext, study: &Study) -> Result<DeviceData> {
    let s = &study.splits;
    let sets = [&s.lower, &s.upper, &s.pool, &s.test];
    let rows: usize = sets.iter().map(|d| d.n).sum();
    if rows
        .checked_mul(study.d())
        .is_none_or(|v| v > u32::MAX as usize)
    {
        return Err(SboError::GpuLimit {
            what: "datasets".into(),
            limit: "32-bit row offsets",
            need: (rows * study.d()) as u64,
            max: u32::MAX as u64,
        });
    }
    let mut feats = Vec::with_capacity(rows * study.d());
    let mut labels = Vec::with_capacity(rows);
    for d in sets {
        feats.extend_from_slice(&d.features);
        labels.extend_from_slice(&d.labels);
    }
    let base = Params {
        n_lower: s.lower.n as u32,
        n_upper: s.upper.n as u32,
        row_lower: 0,
        row_upper: s.lower.n as u32,
        row_pool: (s.lower.n + s.upper.n) as u32,
        row_test: (s.lower.n + s.upper.n + s.pool.n) as u32,
        n_test: s.test.n as u32,
        n_pool: s.pool.n as u32,
        group_size: (study.config.run.neighbours + 1) as u32,
        y0: study.config.run.y0 as f32,
        ..Default::default()
    };
    Ok(DeviceData {
        feats: ctx.storage_buffer("sbo features", &feats)?,
        labels: ctx.storage_buffer("sbo labels", &labels)?,
        base,
    })
}

/// The pipeline-creation constants shared by every kernel of a study.
fn problem_constants(study: &Study, wg: u32) -> Vec<(&'static str, f64)> {
    let s = &study.spec;
    vec![
        ("LOSS", if s.loss == Loss::Squared { 0.0 } else { 1.0 }),
        (
            "COUPLING",
            match s.coupling {
                Coupling::Prior => 0.0,
                Coupling::Logweight => 1.0,
                Coupling::Nonconvex => 2.0,
            },
        ),
        (
            "HYPER",
            if s.hyper == HyperShape::PerFeature {
                0.0
            } else {
                1.0
            },
        ),
        ("D", study.d() as f64),
        ("P", study.p() as f64),
        ("WG", wg as f64),
        ("MU", s.mu),
        ("LAM_Y", s.lam_y),
        ("NU", s.nu),
    ]
}

/// Outer steps per dispatch on software adapters (see `run_gpu`).
const SOFTWARE_STEPS_PER_DISPATCH: u32 = 8;

/// Largest batch the kernels keep in workgroup memory.
pub const MAX_BATCH: usize = 1024;

fn batch_len(b: BatchSize, n: usize, field: &str) -> Result<(usize, bool)> {
    let (len, full) = match b {
        BatchSize::Full => (n, true),
        BatchSize::Size(s) => (s, false),
    };
    if len > MAX_BATCH {
        return Err(SboError::config(
            field,
            format!(
                "the GPU keeps a batch in workgroup memory, at most {MAX_BATCH} samples, got {len} \
                 (use the CPU backend for larger batches)"
            ),
        ));
    }
    Ok((len, full))
}

/// The step kernel of a configuration: its WGSL entry file and specialisation constants.
fn step_kernel(
    study: &Study,
    cfg: &AlgoConfig,
    wg: u32,
    workgroup_limit: u32,
) -> Result<(String, Vec<(&'static str, f64)>)> {
    let (bl, full_l) = batch_len(cfg.batch_lower, study.splits.lower.n, "algo.batch_lower")?;
    let (bu, full_u) = batch_len(cfg.batch_upper, study.splits.upper.n, "algo.batch_upper")?;
    // Workgroup memory of `shaders/common.wgsl`: 16 bytes per batch slot, the lane's vectors,
    // the reduction buffers.
    let need = 16 * (2 * bl + bu) + 4 * (9 * study.d() + 2 * study.p()) + 12 * wg as usize + 16;
    if need > workgroup_limit as usize {
        return Err(SboError::GpuLimit {
            what: format!(
                "workgroup memory of a {} lane (batches {bl}/{bu}, d = {}): use smaller batches or the CPU backend",
                cfg.kind.name(),
                study.d()
            ),
            limit: "max_compute_workgroup_storage_size",
            need: need as u64,
            max: workgroup_limit as u64,
        });
    }
    let b = |v: bool| if v { 1.0 } else { 0.0 };
    let kernel = cfg.kind.descriptor().kernel;
    let f = (kernel.specialise)(cfg);
    let mut c = problem_constants(study, wg);
    c.extend([
        ("BL", bl as f64),
        ("BU", bu as f64),
        ("FULL_L", b(full_l)),
        ("FULL_U", b(full_u)),
        ("WR", b(cfg.without_replacement)),
        ("T_INNER", f.inner_steps as f64),
        ("Q_TERMS", f.terms as f64),
        ("INDEP_H", b(f.independent_hvp_batch)),
        ("RESET", b(f.reset)),
        ("CLIP", b(f.clip)),
        ("ALGO_CG", b(f.cg)),
    ]);
    Ok((compose(&shaders::step_kernel(kernel.source)), c))
}

/// The bind group layout every lane kernel shares: 0 params, 1 features, 2 labels, 3 lanes,
/// 4 state, 5 scratch (or per-lane finite flags), 6 metric records. Public for the GPU tests.
pub struct LaneLayout {
    pub bind: wgpu::BindGroupLayout,
    pub pipeline: wgpu::PipelineLayout,
}

/// Creates the shared lane layout ([`LaneLayout`]) on `ctx`'s device.
pub fn lane_layout(ctx: &GpuContext) -> Result<LaneLayout> {
    ctx.scoped("lane bind group layout", 0, || {
        let entry = |binding: u32, ty: wgpu::BufferBindingType| wgpu::BindGroupLayoutEntry {
            binding,
            visibility: wgpu::ShaderStages::COMPUTE,
            ty: wgpu::BindingType::Buffer {
                ty,
                has_dynamic_offset: false,
                min_binding_size: None,
            },
            count: None,
        };
        let ro = wgpu::BufferBindingType::Storage { read_only: true };
        let rw = wgpu::BufferBindingType::Storage { read_only: false };
        let bind = ctx
            .device()
            .create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
                label: Some("sbo lane layout"),
                entries: &[
                    entry(0, wgpu::BufferBindingType::Uniform),
                    entry(1, ro),
                    entry(2, ro),
                    entry(3, ro),
                    entry(4, rw),
                    entry(5, rw),
                    entry(6, rw),
                ],
            });
        let pipeline = ctx
            .device()
            .create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
                label: Some("sbo lane pipeline layout"),
                bind_group_layouts: &[Some(&bind)],
                immediate_size: 0,
            });
        LaneLayout { bind, pipeline }
    })
}

/// A bind group of the lane layout with `buffers[i]` (whole) at binding `i`.
pub fn bind(
    ctx: &GpuContext,
    layout: &LaneLayout,
    label: &str,
    buffers: [&wgpu::Buffer; 7],
) -> Result<wgpu::BindGroup> {
    ctx.scoped(label, 0, || {
        let entries: Vec<wgpu::BindGroupEntry> = buffers
            .iter()
            .enumerate()
            .map(|(i, b)| wgpu::BindGroupEntry {
                binding: i as u32,
                resource: b.as_entire_binding(),
            })
            .collect();
        ctx.device().create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some(label),
            layout: &layout.bind,
            entries: &entries,
        })
    })
}

/// A run of consecutive lanes of one configuration that one dispatch advances.
struct Chunk {
    params: Params,
    params_buf: wgpu::Buffer,
    bind: wgpu::BindGroup,
    groups: [u32; 3],
}

struct Plan {
    pipeline: Arc<wgpu::ComputePipeline>,
    chunks: Vec<Chunk>,
}

/// Workgroup grid for `n` workgroups within the per-dimension limit.
fn grid(n: u32, max: u32) -> [u32; 3] {
    let x = n.clamp(1, max);
    [x, n.div_ceil(x).max(1), 1]
}

/// Runs a prepared study on `ctx`'s device. Results follow the same definitions as
/// [`crate::sweep::run_cpu`], computed in f32 on the device.
pub fn run_gpu(
    ctx: &GpuContext,
    study: &Study,
    opts: &RunOptions,
    gopts: &GpuRunOptions,
) -> Result<SweepResult> {
    let start = Instant::now();
    let run = &study.config.run;
    let wg = gopts
        .workgroup_size
        .unwrap_or_else(|| (study.d() as u32).next_power_of_two().clamp(64, 256));
    // lavapipe (Mesa 22.3) was seen to stop advancing lanes part-way through dispatches of
    // several dozen iterations with large batches; short dispatches on software adapters
    // keep it exact (checked against the CPU in the tests), at no cost on real GPUs.
    let spd = if ctx.is_software() {
        gopts.steps_per_dispatch.min(SOFTWARE_STEPS_PER_DISPATCH)
    } else {
        gopts.steps_per_dispatch
    }
    .max(1);
    if !wg.is_power_of_two() || wg > ctx.limits().max_compute_invocations_per_workgroup {
        return Err(SboError::config(
            "gpu.workgroup_size",
            format!(
                "must be a power of two up to the device's {} invocations, got {wg}",
                ctx.limits().max_compute_invocations_per_workgroup
            ),
        ));
    }
    if run.steps > u32::MAX as u64 {
        return Err(SboError::config(
            "run.steps",
            "the GPU counts steps in 32 bits",
        ));
    }
    let (p, d) = (study.p(), study.d());
    let n_cfg = study.configs.len();
    let gsize = run.neighbours + 1;
    let n_groups = n_cfg * run.seeds;
    let n_lanes = n_groups * gsize;
    let stride = p + 2 * d;
    let max_dim = ctx
        .limits()
        .max_compute_workgroups_per_dimension
        .min(gopts.max_workgroups_per_dimension.unwrap_or(u32::MAX))
        .max(1);

    // Lanes in group order: configuration, seed, then base followed by its neighbours.
    let mut descs = Vec::with_capacity(n_lanes);
    for _c in 0..n_cfg {
        for s in 0..run.seeds {
            let seed = run.seed_base + s as u64;
            let base = descs.len() as u32;
            for i in 0..gsize {
                let nc = NeighbourChoice::new(&study.splits, run.replace, seed, i);
                let (rl, pl) = nc
                    .lower
                    .map_or((NO_REPLACEMENT, 0), |(a, b)| (a as u32, b as u32));
                let (ru, pu) = nc
                    .upper
                    .map_or((NO_REPLACEMENT, 0), |(a, b)| (a as u32, b as u32));
                descs.push(LaneDesc {
                    seed_lo: seed as u32,
                    seed_hi: (seed >> 32) as u32,
                    rep_lower: rl,
                    pool_lower: pl,
                    rep_upper: ru,
                    pool_upper: pu,
                    base,
                    _pad: 0,
                });
            }
        }
    }
    let mut init = vec![0f32; n_lanes * stride];
    for l in 0..n_lanes {
        let s = &mut init[l * stride..(l + 1) * stride];
        s[..p].fill(run.x0 as f32);
        s[p..p + d].fill(run.y0 as f32);
    }

    let data = upload_data(ctx, study)?;
    let layout = lane_layout(ctx)?;
    let lanes_buf = ctx.storage_buffer("sbo lanes", &descs)?;
    let state = ctx.create_buffer(
        "sbo lane state",
        (init.len() * 4) as u64,
        wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST,
    )?;
    ctx.write_buffer(&state, 0, &init)?;
    let record_len = RECORD_HEAD + p + d;
    let records = ctx.create_buffer(
        "sbo metric records",
        (n_groups * record_len * 4) as u64,
        wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC,
    )?;
    let finite = ctx.create_buffer(
        "sbo finite flags",
        (n_lanes * 4) as u64,
        wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC,
    )?;
    let dummy = ctx.create_buffer("sbo unused binding", 16, wgpu::BufferUsages::STORAGE)?;

    // Scratch: tsgd/ud keep T + 1 iterates per lane; chunks are sized so it fits.
    let scratch_per_lane = |c: &AlgoConfig| (c.kind.descriptor().unrolled_iterates)(c) * d;
    let cap_bytes = gopts
        .max_scratch_bytes
        .min(ctx.limits().max_storage_buffer_binding_size);
    let mut chunk_lanes = Vec::with_capacity(n_cfg);
    let mut scratch_floats = 0usize;
    for c in &study.configs {
        let per = scratch_per_lane(&c.algo);
        let cfg_lanes = run.seeds * gsize;
        let max_lanes = (cap_bytes as usize / 4)
            .checked_div(per)
            .map_or(cfg_lanes, |l| l.max(1));
        let max_lanes = max_lanes
            .min(max_dim as usize * max_dim as usize)
            .min(gopts.max_lanes_per_dispatch.unwrap_or(usize::MAX))
            .max(1);
        let chunk = cfg_lanes.min(max_lanes);
        scratch_floats = scratch_floats.max(chunk * per);
        chunk_lanes.push(chunk);
    }
    let scratch = if scratch_floats > 0 {
        ctx.create_buffer(
            "sbo unrolled iterates",
            (scratch_floats * 4) as u64,
            wgpu::BufferUsages::STORAGE,
        )?
    } else {
        ctx.create_buffer("sbo unrolled iterates", 16, wgpu::BufferUsages::STORAGE)?
    };

    let mut plans = Vec::with_capacity(n_cfg);
    for (ci, c) in study.configs.iter().enumerate() {
        let (src, consts) = step_kernel(
            study,
            &c.algo,
            wg,
            ctx.limits().max_compute_workgroup_storage_size,
        )?;
        let pipeline = ctx.pipeline_with_layout(
            &format!("sbo step {}", c.algo.kind.name()),
            &src,
            "main",
            &consts,
            Some(&layout.pipeline),
        )?;
        let cfg_first = ci * run.seeds * gsize;
        let cfg_lanes = run.seeds * gsize;
        let mut chunks = Vec::new();
        let mut first = 0;
        while first < cfg_lanes {
            let n = chunk_lanes[ci].min(cfg_lanes - first);
            let groups = grid(n as u32, max_dim);
            let params = Params {
                lane_offset: (cfg_first + first) as u32,
                n_lanes: n as u32,
                groups_x: groups[0],
                scratch_stride: scratch_per_lane(&c.algo) as u32,
                alpha: sched(&c.algo.alpha),
                beta: sched(&c.algo.beta),
                gamma: sched(&c.algo.gamma),
                eta: c.algo.eta as f32,
                v_radius: c.algo.v_radius.unwrap_or(0.0) as f32,
                ..data.base
            };
            let params_buf = ctx.uniform_buffer("sbo step params", &params)?;
            let bind = bind(
                ctx,
                &layout,
                "sbo step bindings",
                [
                    &params_buf,
                    &data.feats,
                    &data.labels,
                    &lanes_buf,
                    &state,
                    &scratch,
                    &dummy,
                ],
            )?;
            chunks.push(Chunk {
                params,
                params_buf,
                bind,
                groups,
            });
            first += n;
        }
        plans.push(Plan { pipeline, chunks });
    }

    // The metrics kernel: one workgroup per group, batch sizes irrelevant.
    let mut mconsts = problem_constants(study, wg);
    mconsts.extend([("BL", 1.0), ("BU", 1.0)]);
    let mut parts = shaders::lane_prelude();
    parts.push(shaders::METRICS);
    let metrics_pipe = ctx.pipeline_with_layout(
        "sbo metrics",
        &compose(&parts),
        "main",
        &mconsts,
        Some(&layout.pipeline),
    )?;
    let mgroups = grid(n_groups as u32, max_dim);
    let mparams = Params {
        lane_offset: 0,
        n_lanes: n_groups as u32,
        groups_x: mgroups[0],
        ..data.base
    };
    let mparams_buf = ctx.uniform_buffer("sbo metrics params", &mparams)?;
    let mbind = bind(
        ctx,
        &layout,
        "sbo metrics bindings",
        [
            &mparams_buf,
            &data.feats,
            &data.labels,
            &lanes_buf,
            &state,
            &finite,
            &records,
        ],
    )?;

    let per_step: Vec<OracleCounts> = study
        .configs
        .iter()
        .map(|c| {
            OracleCounts::nominal_per_step(&c.algo, study.splits.lower.n, study.splits.upper.n)
        })
        .collect();

    // The device side: every interval's step dispatches, the metrics kernel and its readback,
    // each readback handed to the metrics worker; at the end the lanes' divergence steps and
    // final state. Owning `tx`, it closes the channel whenever it returns, even on an error,
    // so the worker finishes.
    let mut drive = |tx: mpsc::SyncSender<Readback>| -> Result<(Vec<Option<u64>>, Vec<f32>)> {
        let mut diverged_at: Vec<Option<u64>> = vec![None; n_lanes];
        let mut t = 0u64;
        for &t_log in &study.log_steps {
            while t < t_log {
                let n = (t_log - t).min(spd as u64) as u32;
                for plan in &mut plans {
                    for ch in &mut plan.chunks {
                        ch.params.t0 = t as u32;
                        ch.params.n_steps = n;
                        ctx.write_buffer(&ch.params_buf, 0, std::slice::from_ref(&ch.params))?;
                    }
                }
                ctx.scoped("sbo step dispatch", 0, || {
                    let mut enc =
                        ctx.device()
                            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                                label: Some("sbo steps"),
                            });
                    {
                        let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor {
                            label: Some("sbo steps"),
                            timestamp_writes: None,
                        });
                        for plan in &plans {
                            pass.set_pipeline(&plan.pipeline);
                            for ch in &plan.chunks {
                                pass.set_bind_group(0, &ch.bind, &[]);
                                pass.dispatch_workgroups(ch.groups[0], ch.groups[1], ch.groups[2]);
                            }
                        }
                    }
                    ctx.queue().submit(Some(enc.finish()));
                })?;
                t += n as u64;
                if let Some(cb) = opts.progress {
                    ctx.wait()?;
                    cb(n as u64 * n_lanes as u64);
                }
            }
            ctx.scoped("sbo metrics dispatch", 0, || {
                let mut enc =
                    ctx.device()
                        .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                            label: Some("sbo metrics"),
                        });
                {
                    let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor {
                        label: Some("sbo metrics"),
                        timestamp_writes: None,
                    });
                    pass.set_pipeline(&metrics_pipe);
                    pass.set_bind_group(0, &mbind, &[]);
                    pass.dispatch_workgroups(mgroups[0], mgroups[1], mgroups[2]);
                }
                ctx.queue().submit(Some(enc.finish()));
            })?;
            let rec: Vec<f32> = ctx.read_back(&records, 0, n_groups * record_len)?;
            let fin: Vec<u32> = ctx.read_back(&finite, 0, n_lanes)?;
            for (l, f) in fin.iter().enumerate() {
                if *f == 0 && diverged_at[l].is_none() {
                    diverged_at[l] = Some(t_log);
                }
            }
            let seconds = start.elapsed().as_secs_f64();
            let base_diverged = (0..n_groups)
                .map(|g| diverged_at[g * gsize].is_some())
                .collect();
            // Blocks only while the worker is still one interval behind; fails only if the
            // worker is gone (it panicked), which the join below reports.
            tx.send(Readback {
                t: t_log,
                records: rec,
                base_diverged,
                seconds,
            })
            .map_err(|_| SboError::gpu("the f64 metrics worker stopped early"))?;
        }
        let fin_state: Vec<f32> = ctx.read_back(&state, 0, n_lanes * stride)?;
        Ok((diverged_at, fin_state))
    };

    // The f64 metrics of logging step k are computed on a worker thread while this thread
    // already submits the step dispatches of interval k + 1, so the exact inner solves overlap
    // the device's work instead of leaving it idle between intervals. One readback may wait
    // in the channel, which bounds how far the device runs ahead.
    let (device_side, worker_side) = std::thread::scope(|s| {
        let (tx, rx) = mpsc::sync_channel::<Readback>(1);
        let per_step = &per_step;
        let worker = s.spawn(move || metric_rows(study, per_step, record_len, rx));
        let device_side = drive(tx);
        (device_side, worker.join())
    });
    let (mut values, mut warnings) = worker_side.map_err(|panic| {
        SboError::gpu(format!(
            "the f64 metrics worker panicked: {}",
            panic_message(panic.as_ref())
        ))
    })?;
    let (diverged_at, fin_state) = device_side?;
    let seconds = start.elapsed().as_secs_f64();
    let outs: Vec<GroupOut> = (0..n_groups)
        .map(|g| {
            let ci = g / run.seeds;
            let seed = run.seed_base + (g % run.seeds) as u64;
            let lanes = (0..gsize)
                .map(|i| {
                    let l = g * gsize + i;
                    let s = &fin_state[l * stride..(l + 1) * stride];
                    LaneRecord {
                        config: ci,
                        seed,
                        neighbour: i,
                        status: if diverged_at[l].is_some() {
                            LaneStatus::Diverged
                        } else {
                            LaneStatus::Ok
                        },
                        diverged_at: diverged_at[l],
                        x: s[..p].iter().map(|v| *v as f64).collect(),
                        y: s[p..p + d].iter().map(|v| *v as f64).collect(),
                        counts: per_step[ci].times(diverged_at[l].unwrap_or(run.steps)),
                    }
                })
                .collect();
            GroupOut {
                values: std::mem::take(&mut values[g]),
                lanes,
                seconds: seconds / n_groups as f64,
                warnings: std::mem::take(&mut warnings[g]),
            }
        })
        .collect();
    let name = ctx.adapter_info().name.clone();
    let mut result = assemble(study, &outs, "gpu", "f32", 1, seconds);
    result.backend = format!("gpu ({name})");
    Ok(result)
}

/// One logging step's readback, handed from the device side to the metrics worker.
struct Readback {
    t: u64,
    /// The metrics kernel's records, `record_len` floats per group.
    records: Vec<f32>,
    /// Per group: whether its base lane had diverged by step `t`.
    base_diverged: Vec<bool>,
    /// Wall clock of the run at the readback.
    seconds: f64,
}

/// The metrics worker of `run_gpu`: the metric rows of every group (and its warnings) from
/// the readbacks in the order they arrive, each logging step's groups in parallel, keeping
/// every group's warm start of the exact inner solve from one step to the next. Returns when
/// the channel closes. It runs on its own thread so that these f64 exact solves overlap the
/// GPU steps of the next interval rather than stalling the device.
fn metric_rows(
    study: &Study,
    per_step: &[OracleCounts],
    record_len: usize,
    rx: mpsc::Receiver<Readback>,
) -> (Vec<Vec<Vec<f64>>>, Vec<Vec<String>>) {
    let run = &study.config.run;
    let n_groups = study.configs.len() * run.seeds;
    let mut values: Vec<Vec<Vec<f64>>> = vec![Vec::with_capacity(study.log_steps.len()); n_groups];
    let mut y_star_prev: Vec<Vec<f64>> = vec![vec![run.y0; study.d()]; n_groups];
    let mut warnings: Vec<Vec<String>> = vec![Vec::new(); n_groups];
    for rb in rx {
        values
            .par_iter_mut()
            .zip(y_star_prev.par_iter_mut())
            .zip(warnings.par_iter_mut())
            .enumerate()
            .for_each(|(g, ((vals, ystar), warns))| {
                let ci = g / run.seeds;
                let r = &rb.records[g * record_len..(g + 1) * record_len];
                let row = group_row(
                    study,
                    r,
                    rb.base_diverged[g],
                    &per_step[ci].times(rb.t),
                    rb.seconds,
                    &mut MeasureCtx {
                        study,
                        y_star_prev: ystar,
                        warnings: warns,
                        ci,
                        seed: run.seed_base + (g % run.seeds) as u64,
                        t: rb.t,
                    },
                );
                vals.push(row);
            });
    }
    (values, warnings)
}

/// The message of a panic payload (a `&str` or `String`, as `panic!` makes them).
fn panic_message(payload: &(dyn std::any::Any + Send)) -> &str {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s
    } else {
        "(no message)"
    }
}

/// One metric row of a group from its device record (layout in `shaders/metrics.wgsl`).
fn group_row(
    study: &Study,
    r: &[f32],
    base_diverged: bool,
    counts: &OracleCounts,
    seconds: f64,
    mctx: &mut MeasureCtx,
) -> Vec<f64> {
    let mut row = vec![f64::NAN; N_METRICS];
    if base_diverged {
        return row;
    }
    let set = |row: &mut Vec<f64>, name: &str, v: f64| row[metrics::index(name)] = v;
    let r: Vec<f64> = r.iter().map(|v| *v as f64).collect();
    let (p, d) = (study.p(), study.d());
    let n_ok = r[5];
    if n_ok > 0.0 {
        set(&mut row, names::DIST_X, r[0] / n_ok);
        set(&mut row, names::DIST_Y, r[1] / n_ok);
        set(&mut row, names::DIST_XY, r[2] / n_ok);
        set(&mut row, names::DIST_X_SQ, r[3] / n_ok);
        set(&mut row, names::DIST_Y_SQ, r[4] / n_ok);
        set(&mut row, names::DIST_XY_SQ, (r[3] + r[4]) / n_ok);
    }
    let x = &r[RECORD_HEAD..RECORD_HEAD + p];
    let y = &r[RECORD_HEAD + p..RECORD_HEAD + p + d];
    let val = r[6];
    let test = match (&study.population, study.spec.loss) {
        (Some(pop), Loss::Squared) => pop.squared_risk(y),
        _ => r[7],
    };
    set(&mut row, names::VAL_LOSS, val);
    set(&mut row, names::TEST_LOSS, test);
    set(&mut row, names::GEN_GAP, test - val);
    set(
        &mut row,
        names::UPPER_OBJ,
        val + 0.5 * study.spec.nu * r[13],
    );
    set(&mut row, names::LOWER_OBJ, r[8] + r[9]);
    if study.spec.loss == Loss::Logistic {
        set(&mut row, names::VAL_ACC, r[10]);
        set(&mut row, names::TEST_ACC, r[11]);
    }
    mctx.exact_metrics(&mut row, x, y);
    count_metrics(&mut row, counts, seconds);
    row
}
