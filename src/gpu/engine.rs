//! The GPU engine: the datasets uploaded once, every lane's state resident on the device, one
//! fused dispatch per configuration chunk advancing all its lanes by many iterations, and a
//! per-group metrics kernel at each logging step whose small records are all that travels
//! back. Computes in f32; the run layer adds what needs f64 (exact hypergradient,
//! population risk) and overlaps it with the device's next interval.
//!
//! Owns: device buffers, pipelines and dispatch planning of a run. Must not know: the CPU
//! engine, metric definitions beyond the record, files.

use super::bindings::{bind, lane_descs, lane_layout, upload_data, DeviceData};
use super::contract::{
    activation_code, coupling_code, hyper_code, loss_code, LaneDesc, Overrides, Params, RecordHead,
};
use super::shader::{compose, spill_lane_vectors, spilled_lane_floats};
use super::{shaders, GpuContext};
use crate::algo::{AlgoConfig, BatchSize, Dims, KernelSpec, OracleCounts, Schedule};
use crate::error::{Result, SboError};
use crate::problem::HyperShape;
use crate::rng::LaneRng;
use crate::run::{
    DeviceInfo, Engine, EngineRun, EngineState, FinalLane, FinalState, GroupRecord, LaneSnapshot,
    Layout, StabilitySums,
};
use crate::sweep::Study;
use std::sync::Arc;
use std::time::Instant;

/// Tuning of the GPU engine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GpuRunOptions {
    /// Threads per lane (a power of two). `None`: the next power of two >= d, between 64 and
    /// 256, so that every feature has a thread in the per-feature phases and small batches
    /// get several threads per row (coalesced reads) in the dot-product phase.
    pub workgroup_size: Option<u32>,
    /// Outer steps per dispatch: keeps each dispatch short (desktop drivers kill long ones)
    /// and progress visible; between logging steps several dispatches follow each other.
    pub steps_per_dispatch: u32,
    /// The cap on `steps_per_dispatch` on software adapters: llvmpipe / lavapipe end every
    /// loop of an invocation after 65,535 iterations in all, so the default takes one outer
    /// step per dispatch there; a run the limit still cuts is refused, so tests may raise it
    /// to cover dispatches of several steps.
    pub software_steps_per_dispatch: u32,
    /// Largest scratch buffer (tsgd/ud keep T + 1 inner iterates per lane, the network
    /// 7 (2 BL + BU) h floats) and spill buffer
    /// (spilled lane vectors, 2 p + 9 d floats per workgroup of a dispatch) before a
    /// configuration's steps, or the metrics kernel's groups, are split into several
    /// dispatches.
    pub max_scratch_bytes: u64,
    /// Split every configuration into dispatches of at most this many lanes (tests and
    /// tuning; `None`: as few dispatches as the device allows).
    pub max_lanes_per_dispatch: Option<usize>,
    /// Lower the per-dimension workgroup limit used to lay out dispatch grids (tests of the
    /// two-dimensional layout; `None`: the device's limit).
    pub max_workgroups_per_dimension: Option<u32>,
    /// Where a lane's vectors live: `None` in workgroup memory when they fit there and in a
    /// storage buffer otherwise ([`crate::gpu::shader::spill_lane_vectors`]); `Some(true)`
    /// always in the storage buffer (tests compare both forms), `Some(false)` never.
    pub spill: Option<bool>,
}

/// The largest d of the thread-per-lane kernels (`LT_D` in `shaders/threads.wgsl`:
/// their private arrays have a size fixed at shader creation).
pub const LANE_THREADS_MAX_D: usize = 32;

impl Default for GpuRunOptions {
    fn default() -> Self {
        GpuRunOptions {
            workgroup_size: None,
            steps_per_dispatch: 128,
            software_steps_per_dispatch: 1,
            max_scratch_bytes: 512 << 20,
            max_lanes_per_dispatch: None,
            max_workgroups_per_dimension: None,
            spill: None,
        }
    }
}

/// The GPU engine on a device context (shared: build the context once, run many studies).
pub struct GpuEngine {
    ctx: Arc<GpuContext>,
    opts: GpuRunOptions,
}

impl GpuEngine {
    pub fn new(ctx: Arc<GpuContext>) -> Self {
        GpuEngine {
            ctx,
            opts: GpuRunOptions::default(),
        }
    }

    pub fn with_options(ctx: Arc<GpuContext>, opts: GpuRunOptions) -> Self {
        GpuEngine { ctx, opts }
    }

    pub fn context(&self) -> &Arc<GpuContext> {
        &self.ctx
    }
}

impl Engine for GpuEngine {
    fn backend(&self) -> String {
        format!("gpu ({})", self.ctx.adapter_info().name)
    }

    fn is_gpu(&self) -> bool {
        true
    }

    fn device(&self) -> DeviceInfo {
        let i = self.ctx.adapter_info();
        DeviceInfo {
            name: i.name.clone(),
            backend: format!("{:?}", i.backend),
            device_type: format!("{:?}", i.device_type),
            driver: i.driver.clone(),
            driver_info: i.driver_info.clone(),
            software: self.ctx.is_software(),
        }
    }

    fn start<'s>(
        &'s self,
        study: &'s Study,
        _pool: &'s rayon::ThreadPool,
    ) -> Result<Box<dyn EngineRun + 's>> {
        unsupported_problem(study)?;
        Ok(Box::new(GpuRun::new(&self.ctx, study, &self.opts)?))
    }

    fn check(&self, study: &Study) -> Result<()> {
        unsupported_problem(study)?;
        let wg = workgroup_size(study, &self.opts);
        check_workgroup(&self.ctx, wg)?;
        check_steps(study)?;
        // The largest buffers: every lane's state (twice: the last logging step's copy) and
        // the datasets.
        let layout = Layout::of(study);
        let s = study.data.sizes();
        let table = study.data.table.n as u64;
        let maps = (study.data.slots().len() * (s.lower + s.upper + s.pool + s.test)) as u64;
        let max = self.ctx.limits().max_storage_buffer_binding_size;
        for (what, need) in [
            (
                "the lane states",
                layout.lanes() as u64 * (study.p() + 2 * study.d()) as u64 * 4,
            ),
            (
                "the lanes' memory (momentum, previous iterates)",
                mem_floats(study) as u64 * 4,
            ),
            ("the data table", table * study.features() as u64 * 4),
            (
                "the row maps (lower run.seeds or give data.n_test)",
                maps * 4,
            ),
        ] {
            if need > max {
                return Err(SboError::GpuLimit {
                    what: format!("{what} (lower run.seeds, run.neighbours or the grid)"),
                    limit: "max_storage_buffer_binding_size",
                    need,
                    max,
                });
            }
        }
        for c in &study.configs {
            check_config(
                study,
                &c.algo,
                wg,
                self.ctx.limits().max_compute_workgroup_storage_size,
                self.opts.spill,
            )
            .map_err(|e| match e {
                SboError::GpuLimit {
                    what,
                    limit,
                    need,
                    max,
                } => SboError::GpuLimit {
                    what: format!("algo ({}): {what}", c.label),
                    limit,
                    need,
                    max,
                },
                other => other,
            })?;
        }
        Ok(())
    }
}

/// Where each configuration's lanes keep their memory in the memory buffer: (first float,
/// floats per lane). Configurations are laid out one after another, each with its own
/// stride, so a study mixing saba's tables with ssaid pays for the tables only in saba's
/// lanes.
fn mem_layout(study: &Study) -> Vec<(usize, usize)> {
    let dims = dims(study);
    let layout = Layout::of(study);
    let cfg_lanes = layout.seeds * layout.group_size;
    let mut at = 0;
    study
        .configs
        .iter()
        .map(|c| {
            let stride = (c.algo.kind.descriptor().memory)(&c.algo, &dims);
            let here = (at, stride);
            at += cfg_lanes * stride;
            here
        })
        .collect()
}

/// Floats of the whole memory buffer.
fn mem_floats(study: &Study) -> usize {
    let layout = Layout::of(study);
    let cfg_lanes = layout.seeds * layout.group_size;
    mem_layout(study).iter().map(|(_, s)| cfg_lanes * s).sum()
}

/// The sizes a lane's memory depends on.
fn dims(study: &Study) -> Dims {
    let sizes = study.data.sizes();
    Dims {
        p: study.p(),
        d: study.d(),
        n_lower: sizes.lower,
        n_upper: sizes.upper,
        weighs_samples: study.spec.weighs_samples(),
        random_start: study.spec.model == crate::problem::Model::Mlp,
    }
}

/// Most hidden units of a network on the GPU (`NET_MAX_HIDDEN` in `shaders/net.wgsl`).
pub const NET_MAX_HIDDEN: usize = 128;

/// Largest batch the kernels keep in workgroup memory.
pub const MAX_BATCH: usize = 1024;

fn sched(s: &Schedule) -> [f32; 4] {
    match *s {
        Schedule::Constant(c) => [0.0, c as f32, 0.0, 0.0],
        Schedule::Poly(c, e) => [1.0, c as f32, e as f32, 0.0],
        Schedule::Inv(c) => [2.0, c as f32, 0.0, 0.0],
    }
}

/// A batch's length on the device. The GPU keeps a batch in workgroup memory, so a larger one
/// is a device limit (which `auto` falls back to the CPU from), not a configuration error.
fn batch_len(b: BatchSize, n: usize, field: &str) -> Result<(usize, bool)> {
    let (len, full) = match b {
        BatchSize::Full => (n, true),
        BatchSize::Size(s) => (s, false),
    };
    if len > MAX_BATCH {
        return Err(SboError::GpuLimit {
            what: format!(
                "{field}: the GPU keeps a batch in workgroup memory (use the CPU backend for \
                 larger batches)"
            ),
            limit: "batch samples in workgroup memory",
            need: len as u64,
            max: MAX_BATCH as u64,
        });
    }
    Ok((len, full))
}

/// The specialisation shared by every kernel of a study, with batch sizes 1 and the
/// algorithm flags at their defaults (what the metrics kernel uses).
fn problem_overrides(study: &Study, wg: u32) -> Overrides {
    let s = &study.spec;
    Overrides {
        loss: loss_code(s.loss),
        coupling: coupling_code(s.coupling),
        hyper: hyper_code(s.hyper),
        d: study.d() as u32,
        features: study.features() as u32,
        classes: study.spec.outputs() as u32,
        hidden: net_hidden(study) as u32,
        activation: activation_code(s.activation),
        p: study.p() as u32,
        batch_lower: 1,
        batch_upper: 1,
        full_lower: false,
        full_upper: false,
        without_replacement: false,
        jv_slots: 1,
        workgroup: wg,
        mu: s.mu,
        lam_y: s.lam_y,
        nu: s.nu,
        inner_steps: 1,
        terms: 1,
        independent_hvp_batch: false,
        reset: false,
        clip: false,
        cg: false,
        v_sgd: false,
        moving_average: false,
        truncated: false,
        x_box: s.x_box.is_some(),
        x_lo: s.x_box.map_or(0.0, |b| b[0]),
        x_hi: s.x_box.map_or(0.0, |b| b[1]),
    }
}

/// The step kernel of a configuration.
struct StepKernel {
    /// Composed WGSL.
    src: String,
    overrides: Overrides,
    /// One thread per lane (`KernelSpec::lane_threads`) rather than one workgroup.
    lane_threads: bool,
}

/// The step kernel of a configuration: its composed WGSL and specialisation.
fn step_kernel(
    study: &Study,
    cfg: &AlgoConfig,
    wg: u32,
    workgroup_limit: u32,
    gopts: &GpuRunOptions,
) -> Result<StepKernel> {
    let ((bl, full_l), (bu, full_u), spills) =
        check_config(study, cfg, wg, workgroup_limit, gopts.spill)?;
    let kernel = cfg.kind.descriptor().kernel;
    let f = (kernel.specialise)(cfg);
    let o = Overrides {
        batch_lower: bl as u32,
        batch_upper: bu as u32,
        full_lower: full_l,
        full_upper: full_u,
        without_replacement: cfg.without_replacement,
        jv_slots: jv_slots(study, bl, bu) as u32,
        inner_steps: f.inner_steps,
        terms: f.terms,
        independent_hvp_batch: f.independent_hvp_batch,
        reset: f.reset,
        clip: f.clip,
        cg: f.cg,
        v_sgd: f.v_sgd,
        moving_average: f.moving_average,
        truncated: f.truncated,
        ..problem_overrides(study, wg)
    };
    let threads = kernel
        .lane_threads
        .filter(|_| uses_lane_threads(study, cfg));
    if let Some(source) = threads {
        return Ok(StepKernel {
            src: compose(&shaders::lane_threads_kernel(source)),
            overrides: o,
            lane_threads: true,
        });
    }
    let src = compose(&shaders::step_kernel(kernel.source));
    let src = if spills {
        spill_lane_vectors(&src)
    } else {
        src
    };
    Ok(StepKernel {
        src,
        overrides: o,
        lane_threads: false,
    })
}

/// Whether the GPU steps this configuration with one thread per lane: `run.gpu_lane_threads`
/// asks for it, the algorithm has such a kernel (`KernelSpec::lane_threads`), and the problem
/// is one it computes (the linear model with a scalar loss and a per-feature or scalar x,
/// d <= [`LANE_THREADS_MAX_D`], batches drawn with replacement, neither the whole set).
pub fn uses_lane_threads(study: &Study, cfg: &AlgoConfig) -> bool {
    study.config.run.gpu_lane_threads
        && cfg.kind.descriptor().kernel.lane_threads.is_some()
        && !matches!(cfg.batch_lower, BatchSize::Full)
        && !matches!(cfg.batch_upper, BatchSize::Full)
        && study.spec.outputs() == 1
        && net_hidden(study) == 0
        && !study.spec.weighs_samples()
        && matches!(
            study.spec.hyper,
            HyperShape::PerFeature | HyperShape::Scalar
        )
        && study.d() <= LANE_THREADS_MAX_D
        && !cfg.without_replacement
}

/// The batch lengths of a configuration and whether each is the full set, and whether its
/// lane vectors go to the spill buffer.
type ConfigFit = ((usize, bool), (usize, bool), bool);

/// The device limits a configuration must fit: its batches in workgroup memory, and its lane
/// vectors there too unless they spill (`spill`: [`GpuRunOptions::spill`]).
fn check_config(
    study: &Study,
    cfg: &AlgoConfig,
    wg: u32,
    workgroup_limit: u32,
    spill: Option<bool>,
) -> Result<ConfigFit> {
    let (bl, full_l) = batch_len(
        cfg.batch_lower,
        study.data.sizes().lower,
        "algo.batch_lower",
    )?;
    let (bu, full_u) = batch_len(
        cfg.batch_upper,
        study.data.sizes().upper,
        "algo.batch_upper",
    )?;
    // Workgroup memory of `shaders/common.wgsl`: 8 bytes per batch slot and 8 per slot and
    // class, the J v terms of per-sample weights, the reduction buffers, and the lane's
    // vectors unless they spill.
    let c = study.spec.outputs();
    let rest = (8 + 8 * c) * (2 * bl + bu) + 4 * jv_slots(study, bl, bu) + 12 * wg as usize + 16;
    let vectors = 4 * (9 * study.d() + 2 * study.p());
    let spills = spill.unwrap_or(rest + vectors > workgroup_limit as usize);
    let need = rest + if spills { 0 } else { vectors };
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
    Ok(((bl, full_l), (bu, full_u), spills))
}

/// Hidden units of the network lower model, 0 for the linear model.
fn net_hidden(study: &Study) -> usize {
    study.spec.net(study.features()).map_or(0, |n| n.hidden)
}

/// Floats of a lane's scratch: the unrolled inner iterates (tsgd, ud keep T + 1) and, with the
/// network, its 7 per-(slot, unit) arrays (`shaders/net.wgsl`).
fn scratch_per_lane(study: &Study, c: &AlgoConfig) -> usize {
    let sizes = study.data.sizes();
    let slots = 2 * c.batch_lower.len(sizes.lower) + c.batch_upper.len(sizes.upper);
    (c.kind.descriptor().unrolled_iterates)(c) * study.d() + 7 * slots * net_hidden(study)
}

/// Batch slots with a J v term (`zj` in `shaders/common.wgsl`): every slot with per-sample
/// weights, else one unused float.
fn jv_slots(study: &Study, bl: usize, bu: usize) -> usize {
    if study.spec.weighs_samples() {
        2 * bl + bu
    } else {
        1
    }
}

/// Whether the metrics kernel's lane vectors spill (its batches are one slot each).
fn metrics_spill(study: &Study, wg: u32, workgroup_limit: u32, spill: Option<bool>) -> bool {
    let rest = (8 + 8 * study.spec.outputs()) * 3 + 4 + 12 * wg as usize + 16;
    let vectors = 4 * (9 * study.d() + 2 * study.p());
    spill.unwrap_or(rest + vectors > workgroup_limit as usize)
}

/// Threads per lane: the option, or the next power of two >= d between 64 and 256.
fn workgroup_size(study: &Study, gopts: &GpuRunOptions) -> u32 {
    gopts
        .workgroup_size
        .unwrap_or_else(|| (study.d() as u32).next_power_of_two().clamp(64, 256))
}

/// Problems the kernels do not compute yet, refused before any kernel is built (a GPU error,
/// so `backend = "auto"` falls back to the CPU). Which kernels compute the multinomial scores,
/// the per-sample weights and the network is a flag of their descriptor
/// (`KernelSpec::classes`, `KernelSpec::sample_weights`, `KernelSpec::network`): the kernels
/// written on the shared oracles of `shaders/pass.wgsl` set them; the error lists them.
fn unsupported_problem(study: &Study) -> Result<()> {
    let refused = |what: &str, computes: fn(&KernelSpec) -> bool| -> Result<()> {
        match study
            .configs
            .iter()
            .find(|c| !computes(&c.algo.kind.descriptor().kernel))
        {
            Some(c) => {
                let with: Vec<&str> = crate::algo::AlgoKind::ALL
                    .iter()
                    .filter(|k| computes(&k.descriptor().kernel))
                    .map(|k| k.name())
                    .collect();
                Err(SboError::gpu(format!(
                    "the GPU backend runs {what} with {} only so far, not {} ({}): use \
                     --backend cpu",
                    with.join(", "),
                    c.algo.kind.name(),
                    c.label
                )))
            }
            None => Ok(()),
        }
    };
    if study.spec.outputs() > 1 {
        refused("the multinomial loss", |k| k.classes)?;
    }
    if study.spec.model == crate::problem::Model::Mlp {
        refused("the network lower model (model = \"mlp\")", |k| k.network)?;
        let h = net_hidden(study);
        if h > NET_MAX_HIDDEN {
            return Err(SboError::GpuLimit {
                what: "problem.hidden: the metrics kernel keeps a row's hidden activations in \
                       registers (use the CPU backend for wider networks)"
                    .into(),
                limit: "hidden units per network on the GPU",
                need: h as u64,
                max: NET_MAX_HIDDEN as u64,
            });
        }
    }
    if study.spec.weighs_samples() {
        refused("data hyper-cleaning (per-sample weights)", |k| {
            k.sample_weights
        })?;
    }
    Ok(())
}

fn check_workgroup(ctx: &GpuContext, wg: u32) -> Result<()> {
    if !wg.is_power_of_two() || wg > ctx.limits().max_compute_invocations_per_workgroup {
        return Err(SboError::config(
            "gpu.workgroup_size",
            format!(
                "must be a power of two up to the device's {} invocations, got {wg}",
                ctx.limits().max_compute_invocations_per_workgroup
            ),
        ));
    }
    Ok(())
}

fn check_steps(study: &Study) -> Result<()> {
    let steps = study.config.run.steps;
    if steps > u32::MAX as u64 {
        return Err(SboError::GpuLimit {
            what: "run.steps (the GPU counts steps in 32 bits)".into(),
            limit: "32-bit step counter",
            need: steps,
            max: u32::MAX as u64,
        });
    }
    Ok(())
}

/// Workgroup grid for `n` workgroups within the per-dimension limit.
fn grid(n: u32, max: u32) -> [u32; 3] {
    let x = n.clamp(1, max);
    [x, n.div_ceil(x).max(1), 1]
}

/// Records one compute pass with `record` and submits it, inside the context's error scopes.
fn submit_pass(
    ctx: &GpuContext,
    label: &str,
    record: impl FnOnce(&mut wgpu::ComputePass<'_>),
) -> Result<()> {
    ctx.scoped(label, 0, || {
        let mut enc = ctx
            .device()
            .create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some(label) });
        {
            let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some(label),
                timestamp_writes: None,
            });
            record(&mut pass);
        }
        ctx.queue().submit(Some(enc.finish()));
    })
}

/// A run of consecutive lanes of one configuration that one dispatch advances.
struct Chunk {
    params: Params,
    params_buf: wgpu::Buffer,
    bind: wgpu::BindGroup,
    groups: [u32; 3],
}

/// One configuration's pipeline and its chunks.
struct ConfigPlan {
    pipeline: Arc<wgpu::ComputePipeline>,
    chunks: Vec<Chunk>,
}

/// A study in progress on the device.
struct GpuRun<'s> {
    ctx: &'s GpuContext,
    study: &'s Study,
    layout: Layout,
    start: Instant,
    /// Outer steps per dispatch.
    spd: u32,
    plans: Vec<ConfigPlan>,
    metrics_pipe: Arc<wgpu::ComputePipeline>,
    /// The metrics kernel's dispatches over the groups (several when its lane vectors spill
    /// and all the groups' would not fit the spill buffer).
    metrics: Vec<Chunk>,
    state: wgpu::Buffer,
    /// The state at the last logging step: what a lane that diverges since goes back to.
    prev_state: wgpu::Buffer,
    lanes_buf: wgpu::Buffer,
    records: wgpu::Buffer,
    finite: wgpu::Buffer,
    record_len: usize,
    /// Nominal oracle counts of one step, per configuration.
    per_step: Vec<OracleCounts>,
    /// Per group: the random counts of its steps (`Algorithm::extra_counts`) replayed up to
    /// a step, so that reporting them costs each step once.
    extra: Vec<(u64, OracleCounts)>,
    diverged_at: Vec<Option<u64>>,
    t: u64,
    /// The lanes' algorithm memory (binding 6 of the step kernels), per configuration at
    /// `mem_layout` (first float, floats per lane).
    memory: wgpu::Buffer,
    mem_layout: Vec<(usize, usize)>,
    // Bound by the bind groups; kept alive with them.
    _data: DeviceData,
    _buffers: Vec<wgpu::Buffer>,
}

impl<'s> GpuRun<'s> {
    fn new(ctx: &'s GpuContext, study: &'s Study, gopts: &GpuRunOptions) -> Result<Self> {
        let start = Instant::now();
        let run = &study.config.run;
        let wg = workgroup_size(study, gopts);
        // llvmpipe / lavapipe end every loop of an invocation after 65,535 iterations in all
        // (`limit_probe` in shaders/memory.wgsl), so a dispatch of many outer steps would stop
        // its lanes part-way: software adapters take `software_steps_per_dispatch` (1) outer
        // steps per dispatch, and a run whose kernel still hits the limit is refused
        // (`check_loop_limit`). Real GPUs have no such limit and keep long dispatches.
        let spd = if ctx.is_software() {
            gopts
                .steps_per_dispatch
                .min(gopts.software_steps_per_dispatch)
        } else {
            gopts.steps_per_dispatch
        }
        .max(1);
        check_workgroup(ctx, wg)?;
        check_steps(study)?;
        let layout = Layout::of(study);
        let (p, d) = (study.p(), study.d());
        let (n_groups, n_lanes) = (layout.groups(), layout.lanes());
        let cfg_lanes = layout.seeds * layout.group_size;
        let stride = p + 2 * d;
        let max_dim = ctx
            .limits()
            .max_compute_workgroups_per_dimension
            .min(gopts.max_workgroups_per_dimension.unwrap_or(u32::MAX))
            .max(1);

        // x0, and each seed's initial y (y0, or the network's seeded weights), shared by its
        // lanes under every configuration.
        let mut init = vec![0f32; n_lanes * stride];
        let mut y_init: std::collections::HashMap<u64, Vec<f32>> = Default::default();
        for (l, s) in init.chunks_mut(stride).enumerate() {
            let (_, seed) = layout.group(l / layout.group_size);
            let y = y_init
                .entry(seed)
                .or_insert_with(|| study.initial_y(seed).iter().map(|v| *v as f32).collect());
            s[..p].fill(run.x0 as f32);
            s[p..p + d].copy_from_slice(y);
        }
        let data = upload_data(ctx, study)?;
        let lane_layout = lane_layout(ctx)?;
        let lanes_buf = ctx.storage_buffer("sbo lanes", &lane_descs(study)?)?;
        let state = ctx.create_buffer(
            "sbo lane state",
            (init.len() * 4) as u64,
            wgpu::BufferUsages::STORAGE
                | wgpu::BufferUsages::COPY_SRC
                | wgpu::BufferUsages::COPY_DST,
        )?;
        ctx.write_buffer(&state, 0, &init)?;
        let prev_state = ctx.create_buffer(
            "sbo lane state at the last logging step",
            (init.len() * 4) as u64,
            wgpu::BufferUsages::STORAGE
                | wgpu::BufferUsages::COPY_SRC
                | wgpu::BufferUsages::COPY_DST,
        )?;
        let record_len = RecordHead::FLOATS + p + d;
        let records = ctx.create_buffer(
            "sbo metric records",
            (n_groups * record_len * 4) as u64,
            wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC,
        )?;
        // One u32 per lane, then the metrics kernel's loop-limit flag (`limit_flag`).
        let finite = ctx.create_buffer(
            "sbo finite flags",
            ((n_lanes + 1) * 4) as u64,
            wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC,
        )?;
        // The lanes' memory (`Algorithm::memory`), zero at the start as every new buffer is.
        let mem_layout = mem_layout(study);
        // Every lane's memory, then the step kernels' loop-limit flag (`limit_flag`).
        let memory = ctx.create_buffer(
            "sbo lane memory",
            ((mem_floats(study) + 1) * 4).max(16) as u64,
            wgpu::BufferUsages::STORAGE
                | wgpu::BufferUsages::COPY_SRC
                | wgpu::BufferUsages::COPY_DST,
        )?;

        // Scratch: the unrolled inner iterates (tsgd/ud keep T + 1 per lane) and the network's
        // per-(slot, unit) values; chunks are sized so that it fits.
        let cap_bytes = gopts
            .max_scratch_bytes
            .min(ctx.limits().max_storage_buffer_binding_size);
        // The spill buffer keeps to the scratch budget too, so that a large sweep is cut into
        // more dispatches rather than running out of device memory.
        let spill_cap = cap_bytes as usize;
        let wg_limit = ctx.limits().max_compute_workgroup_storage_size;
        // Spilled lane vectors: one slice per workgroup of a dispatch, one buffer shared by
        // every dispatch (they run one after the other).
        let lv_stride = spilled_lane_floats(p, d);
        let mut chunk_lanes = Vec::with_capacity(layout.configs);
        let mut scratch_floats = 0usize;
        let mut lv_floats = 0usize;
        for c in &study.configs {
            let per = scratch_per_lane(study, &c.algo);
            let (_, _, spills) = check_config(study, &c.algo, wg, wg_limit, gopts.spill)?;
            let max_lanes = (cap_bytes as usize / 4)
                .checked_div(per)
                .map_or(cfg_lanes, |l| l.max(1));
            let max_spilled = if spills {
                (spill_cap / 4 / lv_stride.max(1)).max(1)
            } else {
                usize::MAX
            };
            let max_lanes = max_lanes
                .min(max_spilled)
                .min(max_dim as usize * max_dim as usize)
                .min(gopts.max_lanes_per_dispatch.unwrap_or(usize::MAX))
                .max(1);
            let chunk = cfg_lanes.min(max_lanes);
            scratch_floats = scratch_floats.max(chunk * per);
            if spills {
                lv_floats = lv_floats.max(chunk * lv_stride);
            }
            chunk_lanes.push(chunk);
        }
        // The metrics kernel's dispatches: as many groups as the spill buffer holds.
        let metrics_spills = metrics_spill(study, wg, wg_limit, gopts.spill);
        let metrics_chunk = if metrics_spills {
            (spill_cap / 4 / lv_stride.max(1)).max(1)
        } else {
            usize::MAX
        }
        .min(max_dim as usize * max_dim as usize)
        .min(n_groups);
        if metrics_spills {
            lv_floats = lv_floats.max(metrics_chunk * lv_stride);
        }
        let spilled = ctx.create_buffer(
            "sbo spilled lane vectors",
            (lv_floats * 4).max(16) as u64,
            wgpu::BufferUsages::STORAGE,
        )?;
        let scratch = ctx.create_buffer(
            "sbo lane scratch",
            if scratch_floats > 0 {
                (scratch_floats * 4) as u64
            } else {
                16
            },
            wgpu::BufferUsages::STORAGE,
        )?;

        let mut plans = Vec::with_capacity(layout.configs);
        for (ci, c) in study.configs.iter().enumerate() {
            let kernel = step_kernel(study, &c.algo, wg, wg_limit, gopts)?;
            let pipeline = ctx.pipeline_with_layout(
                &format!("sbo step {}", c.algo.kind.name()),
                &kernel.src,
                "main",
                &kernel.overrides.constants(),
                Some(&lane_layout.pipeline),
            )?;
            let cfg_first = ci * cfg_lanes;
            let mut chunks = Vec::new();
            let mut first = 0;
            while first < cfg_lanes {
                let n = chunk_lanes[ci].min(cfg_lanes - first);
                // A workgroup per lane, or per WG lanes with a thread each.
                let workgroups = if kernel.lane_threads {
                    (n as u32).div_ceil(wg)
                } else {
                    n as u32
                };
                let groups = grid(workgroups, max_dim);
                let params = Params {
                    lane_offset: (cfg_first + first) as u32,
                    n_lanes: n as u32,
                    groups_x: groups[0],
                    scratch_stride: scratch_per_lane(study, &c.algo) as u32,
                    alpha: sched(&c.algo.alpha),
                    beta: sched(&c.algo.beta),
                    gamma: sched(&c.algo.gamma),
                    eta: c.algo.eta as f32,
                    v_radius: c.algo.v_radius.unwrap_or(0.0) as f32,
                    mem_offset: (mem_layout[ci].0 + first * mem_layout[ci].1) as u32,
                    limit_flag: mem_floats(study) as u32,
                    mem_stride: mem_layout[ci].1 as u32,
                    rho: sched(&c.algo.rho),
                    delta_lambda: sched(&c.algo.delta_lambda),
                    lambda0: c.algo.lambda0 as f32,
                    period: c.algo.kind.descriptor().refresh_period.map_or(0, |f| {
                        f(&c.algo, study.data.sizes().lower, study.data.sizes().upper)
                            .min(u32::MAX as u64) as u32
                    }),
                    ..data.base
                };
                let params_buf = ctx.uniform_buffer("sbo step params", &params)?;
                let bind = bind(
                    ctx,
                    &lane_layout,
                    "sbo step bindings",
                    [
                        &params_buf,
                        &data.feats,
                        &data.labels,
                        &lanes_buf,
                        &state,
                        &scratch,
                        &memory,
                        &data.rowmap,
                        &spilled,
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
            plans.push(ConfigPlan { pipeline, chunks });
        }

        // The metrics kernel: one workgroup per group, batch sizes irrelevant.
        let mut parts = shaders::lane_prelude();
        parts.push(shaders::METRICS);
        let metrics_src = compose(&parts);
        let metrics_src = if metrics_spills {
            spill_lane_vectors(&metrics_src)
        } else {
            metrics_src
        };
        let metrics_pipe = ctx.pipeline_with_layout(
            "sbo metrics",
            &metrics_src,
            "main",
            &problem_overrides(study, wg).constants(),
            Some(&lane_layout.pipeline),
        )?;
        let mut metrics = Vec::new();
        let mut first = 0;
        while first < n_groups {
            let n = metrics_chunk.min(n_groups - first);
            let groups = grid(n as u32, max_dim);
            let params = Params {
                lane_offset: first as u32,
                n_lanes: n as u32,
                groups_x: groups[0],
                limit_flag: n_lanes as u32,
                ..data.base
            };
            let params_buf = ctx.uniform_buffer("sbo metrics params", &params)?;
            let bind = bind(
                ctx,
                &lane_layout,
                "sbo metrics bindings",
                [
                    &params_buf,
                    &data.feats,
                    &data.labels,
                    &lanes_buf,
                    &state,
                    &finite,
                    &records,
                    &data.rowmap,
                    &spilled,
                ],
            )?;
            metrics.push(Chunk {
                params,
                params_buf,
                bind,
                groups,
            });
            first += n;
        }
        let sizes = study.data.sizes();
        let per_step = study
            .configs
            .iter()
            .map(|c| OracleCounts::nominal_per_step(&c.algo, sizes.lower, sizes.upper))
            .collect();
        Ok(GpuRun {
            ctx,
            study,
            layout,
            start,
            spd,
            plans,
            metrics_pipe,
            metrics,
            state,
            prev_state,
            lanes_buf,
            records,
            finite,
            record_len,
            per_step,
            extra: vec![(0, OracleCounts::default()); n_groups],
            diverged_at: vec![None; n_lanes],
            t: 0,
            _data: data,
            memory,
            mem_layout,
            _buffers: vec![scratch, spilled],
        })
    }

    /// Brings every group's replayed random counts up to the current step.
    fn replay_extra_counts(&mut self) {
        let sizes = self.study.data.sizes();
        for (g, (t, c)) in self.extra.iter_mut().enumerate() {
            let (config, seed) = self.layout.group(g);
            let cfg = &self.study.configs[config].algo;
            c.add(&OracleCounts::extra_between(
                cfg,
                &LaneRng::new(seed),
                sizes.lower,
                sizes.upper,
                *t,
                self.t,
            ));
            *t = self.t;
        }
    }

    /// Lane `l`'s counts after `t` steps (its divergence step, or the current one).
    fn lane_counts(&self, l: usize, t: u64) -> OracleCounts {
        let (config, seed, _) = self.layout.lane(l);
        let g = l / self.layout.group_size;
        let mut c = self.per_step[config].times(t);
        if self.extra[g].0 == t {
            c.add(&self.extra[g].1);
        } else {
            let cfg = &self.study.configs[config].algo;
            let sizes = self.study.data.sizes();
            c.add(&OracleCounts::extra_between(
                cfg,
                &LaneRng::new(seed),
                sizes.lower,
                sizes.upper,
                0,
                t,
            ));
        }
        c
    }

    /// The whole memory buffer (empty when no configuration has any).
    fn read_memory(&self) -> Result<Vec<f32>> {
        let floats: usize = self.mem_floats();
        if floats == 0 {
            return Ok(Vec::new());
        }
        self.ctx.read_back(&self.memory, 0, floats)
    }

    /// Refuses the run when a kernel was cut short by a software adapter's loop limit
    /// (`limit_probe` in `shaders/memory.wgsl`): its lanes stopped part-way, silently, so no
    /// result of it may be reported. A GPU error, so `backend = "auto"` falls back to the CPU.
    fn check_loop_limit(&self, metrics_cut: bool) -> Result<()> {
        if !self.ctx.is_software() {
            return Ok(());
        }
        let flag: Vec<f32> = self
            .ctx
            .read_back(&self.memory, (self.mem_floats() * 4) as u64, 1)?;
        let steps_cut = flag.first().is_some_and(|f| *f != 0.0);
        if steps_cut || metrics_cut {
            return Err(SboError::gpu(format!(
                "the {} kernel ran past the software adapter's loop limit (llvmpipe/lavapipe end \
                 every loop of an invocation after 65,535 iterations in all, so its lanes \
                 stopped part-way): this study is too large to run on a software adapter; use \
                 --backend cpu or a real GPU",
                if steps_cut { "step" } else { "metrics" }
            )));
        }
        Ok(())
    }

    fn mem_floats(&self) -> usize {
        let cfg_lanes = self.layout.seeds * self.layout.group_size;
        self.mem_layout.iter().map(|(_, s)| cfg_lanes * s).sum()
    }

    /// Lane `l`'s memory in the buffer: (first float, floats).
    fn lane_memory(&self, l: usize) -> (usize, usize) {
        let cfg_lanes = self.layout.seeds * self.layout.group_size;
        let (at, stride) = self.mem_layout[l / cfg_lanes];
        (at + (l % cfg_lanes) * stride, stride)
    }

    /// Copies `bytes` at `offset` of one lane-state buffer to the other, on the device.
    fn copy_state(
        &self,
        from: &wgpu::Buffer,
        to: &wgpu::Buffer,
        offset: u64,
        bytes: u64,
    ) -> Result<()> {
        let ctx = self.ctx;
        ctx.scoped("sbo state copy", bytes, || {
            let mut enc = ctx
                .device()
                .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                    label: Some("sbo state copy"),
                });
            enc.copy_buffer_to_buffer(from, offset, to, offset, bytes);
            ctx.queue().submit(Some(enc.finish()));
        })
    }

    /// Submits one dispatch per chunk, advancing every lane by `n` steps from `self.t`.
    fn dispatch_steps(&mut self, n: u32) -> Result<()> {
        let ctx = self.ctx;
        for plan in &mut self.plans {
            for ch in &mut plan.chunks {
                ch.params.t0 = self.t as u32;
                ch.params.n_steps = n;
                ctx.write_buffer(&ch.params_buf, 0, std::slice::from_ref(&ch.params))?;
            }
        }
        let plans = &self.plans;
        submit_pass(ctx, "sbo steps", |pass| {
            for plan in plans {
                pass.set_pipeline(&plan.pipeline);
                for ch in &plan.chunks {
                    pass.set_bind_group(0, &ch.bind, &[]);
                    pass.dispatch_workgroups(ch.groups[0], ch.groups[1], ch.groups[2]);
                }
            }
        })
    }

    /// The record of group `g` from its words in the readback, taken `seconds` into the run.
    fn record(&self, g: usize, words: &[f32], seconds: f64) -> GroupRecord {
        let (p, d) = (self.study.p(), self.study.d());
        let base = g * self.layout.group_size;
        let w = &words[g * self.record_len..(g + 1) * self.record_len];
        let h: RecordHead =
            bytemuck::pod_read_unaligned(bytemuck::cast_slice(&w[..RecordHead::FLOATS]));
        let f = |v: f32| v as f64;
        let val_loss = f(h.val_loss);
        GroupRecord {
            base_diverged: self.diverged_at[g * self.layout.group_size].is_some(),
            stability: StabilitySums {
                dist_x: f(h.dist_x),
                dist_y: f(h.dist_y),
                dist_xy: f(h.dist_xy),
                dist_x_sq: f(h.dist_x_sq),
                dist_y_sq: f(h.dist_y_sq),
                n: f(h.n_finite),
            },
            val_loss,
            test_loss: f(h.test_loss),
            upper_objective: val_loss + 0.5 * self.study.spec.nu * f(h.x_sq),
            lower_objective: f(h.lower_data_loss) + f(h.lower_reg),
            val_accuracy: f(h.val_acc),
            test_accuracy: f(h.test_acc),
            x: w[RecordHead::FLOATS..RecordHead::FLOATS + p]
                .iter()
                .map(|v| f(*v))
                .collect(),
            y: w[RecordHead::FLOATS + p..RecordHead::FLOATS + p + d]
                .iter()
                .map(|v| f(*v))
                .collect(),
            // The base lane's, frozen where it diverged (as the CPU's).
            counts: self.lane_counts(base, self.diverged_at[base].unwrap_or(self.t)),
            seconds,
        }
    }
}

impl EngineRun for GpuRun<'_> {
    fn precision(&self) -> &'static str {
        "f32"
    }

    fn threads(&self) -> usize {
        1
    }

    fn advance_to(&mut self, t: u64, progress: Option<&(dyn Fn(u64) + Sync)>) -> Result<()> {
        let lanes = self.layout.lanes() as u64;
        if self.t < t {
            self.copy_state(&self.state, &self.prev_state, 0, self.state.size())?;
        }
        while self.t < t {
            let n = (t - self.t).min(self.spd as u64) as u32;
            self.dispatch_steps(n)?;
            self.t += n as u64;
            // Waiting costs the overlap of submission and work, so only when shown.
            if let Some(cb) = progress {
                self.ctx.wait()?;
                cb(n as u64 * lanes);
            }
        }
        Ok(())
    }

    fn records(&mut self) -> Result<Vec<GroupRecord>> {
        self.replay_extra_counts();
        let ctx = self.ctx;
        let (pipe, chunks) = (&self.metrics_pipe, &self.metrics);
        submit_pass(ctx, "sbo metrics", |pass| {
            pass.set_pipeline(pipe);
            for c in chunks {
                pass.set_bind_group(0, &c.bind, &[]);
                pass.dispatch_workgroups(c.groups[0], c.groups[1], c.groups[2]);
            }
        })?;
        let words: Vec<f32> =
            ctx.read_back(&self.records, 0, self.layout.groups() * self.record_len)?;
        let mut fin: Vec<u32> = ctx.read_back(&self.finite, 0, self.layout.lanes() + 1)?;
        let metrics_cut = fin.pop() == Some(2);
        self.check_loop_limit(metrics_cut)?;
        let mut newly: Vec<usize> = Vec::new();
        for (l, f) in fin.iter().enumerate() {
            if *f == 0 && self.diverged_at[l].is_none() {
                self.diverged_at[l] = Some(self.t);
                newly.push(l);
            }
        }
        if !newly.is_empty() {
            // Back to their iterates at the last logging step, and never stepped again.
            let stride = ((self.study.p() + 2 * self.study.d()) * 4) as u64;
            let (prev, state) = (&self.prev_state, &self.state);
            ctx.scoped("sbo diverged lanes", 0, || {
                let mut enc =
                    ctx.device()
                        .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                            label: Some("sbo diverged lanes"),
                        });
                for &l in &newly {
                    let at = l as u64 * stride;
                    enc.copy_buffer_to_buffer(prev, at, state, at, stride);
                }
                ctx.queue().submit(Some(enc.finish()));
            })?;
            for &l in &newly {
                let dead_at = (l * std::mem::size_of::<LaneDesc>()
                    + std::mem::offset_of!(LaneDesc, dead)) as u64;
                ctx.write_buffer(&self.lanes_buf, dead_at, &[1u32])?;
            }
        }
        let seconds = self.start.elapsed().as_secs_f64();
        Ok((0..self.layout.groups())
            .map(|g| self.record(g, &words, seconds))
            .collect())
    }

    fn snapshot(&mut self) -> Result<EngineState> {
        self.replay_extra_counts();
        let (p, d) = (self.study.p(), self.study.d());
        let stride = p + 2 * d;
        let state: Vec<f32> = self
            .ctx
            .read_back(&self.state, 0, self.layout.lanes() * stride)?;
        let memory = self.read_memory()?;
        let wide = |v: &[f32]| v.iter().map(|x| *x as f64).collect();
        let lanes = state
            .chunks(stride)
            .enumerate()
            .map(|(l, s)| {
                let (at, m) = self.lane_memory(l);
                LaneSnapshot {
                    x: wide(&s[..p]),
                    y: wide(&s[p..p + d]),
                    v: wide(&s[p + d..]),
                    m: wide(&memory[at..at + m]),
                    counts: self.lane_counts(l, self.diverged_at[l].unwrap_or(self.t)),
                    diverged_at: self.diverged_at[l],
                }
            })
            .collect();
        // One clock for the device: every group's `seconds` is the run's time so far.
        let now = self.start.elapsed().as_secs_f64();
        let groups = self.layout.groups();
        Ok(EngineState {
            lanes,
            clocks: vec![(now, now / groups as f64); groups],
        })
    }

    fn restore(&mut self, t: u64, state: &EngineState) -> Result<()> {
        let (p, d) = (self.study.p(), self.study.d());
        let lanes = &state.lanes;
        if lanes.len() != self.layout.lanes() {
            return Err(SboError::config(
                "resume",
                format!(
                    "the checkpoint holds {} lanes, the study has {}",
                    lanes.len(),
                    self.layout.lanes()
                ),
            ));
        }
        let mut words = Vec::with_capacity(lanes.len() * (p + 2 * d));
        for l in lanes {
            if l.x.len() != p || l.y.len() != d || l.v.len() != d {
                return Err(SboError::config(
                    "resume",
                    "a checkpointed lane's dimensions differ from the study's",
                ));
            }
            // Exact: the values were widened from f32.
            words.extend(l.x.iter().chain(&l.y).chain(&l.v).map(|v| *v as f32));
        }
        self.ctx.write_buffer(&self.state, 0, &words)?;
        let floats = self.mem_floats();
        if floats > 0 {
            let mut memory = vec![0f32; floats];
            for (i, l) in lanes.iter().enumerate() {
                let (at, m) = self.lane_memory(i);
                if l.m.len() != m {
                    return Err(SboError::config(
                        "resume",
                        "a checkpointed lane's memory differs from its algorithm's",
                    ));
                }
                for (to, from) in memory[at..at + m].iter_mut().zip(&l.m) {
                    *to = *from as f32;
                }
            }
            self.ctx.write_buffer(&self.memory, 0, &memory)?;
        }
        // The replayed counts start over from the restored step.
        self.extra = vec![(0, OracleCounts::default()); self.layout.groups()];
        for (i, l) in lanes.iter().enumerate() {
            self.diverged_at[i] = l.diverged_at;
            if l.diverged_at.is_some() {
                let dead_at = (i * std::mem::size_of::<LaneDesc>()
                    + std::mem::offset_of!(LaneDesc, dead)) as u64;
                self.ctx.write_buffer(&self.lanes_buf, dead_at, &[1u32])?;
            }
        }
        // The run's clock goes on from where the checkpoint left it.
        let before = state.clocks.first().map_or(0.0, |c| c.0);
        let now = Instant::now();
        self.start = now
            .checked_sub(std::time::Duration::from_secs_f64(before.max(0.0)))
            .unwrap_or(now);
        self.t = t;
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> Result<FinalState> {
        self.replay_extra_counts();
        let (p, d) = (self.study.p(), self.study.d());
        let stride = p + 2 * d;
        let state: Vec<f32> = self
            .ctx
            .read_back(&self.state, 0, self.layout.lanes() * stride)?;
        let steps = self.t;
        let lanes = state
            .chunks(stride)
            .enumerate()
            .map(|(l, s)| FinalLane {
                x: s[..p].iter().map(|v| *v as f64).collect(),
                y: s[p..p + d].iter().map(|v| *v as f64).collect(),
                diverged_at: self.diverged_at[l],
                counts: self.lane_counts(l, self.diverged_at[l].unwrap_or(steps)),
            })
            .collect();
        let seconds = self.start.elapsed().as_secs_f64();
        let groups = self.layout.groups();
        Ok(FinalState {
            lanes,
            group_seconds: vec![seconds / groups as f64; groups],
        })
    }
}
