//! The resources every lane kernel binds: the shared bind group layout, the datasets as one
//! row-major buffer, and the lane descriptors.
//!
//! Owns: binding numbers and buffer layouts of the lane kernels (the WGSL side is
//! `shaders/common.wgsl`). Must not know: when kernels run.

use super::contract::{LaneDesc, Params, NO_REPLACEMENT};
use super::GpuContext;
use crate::error::{Result, SboError};
use crate::run::{Layout, NeighbourChoice};
use crate::sweep::Study;

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
    ctx.bind_buffers(label, &layout.bind, &buffers)
}

/// The datasets as the kernels see them: lower, upper, pool and test rows back to back.
pub struct DeviceData {
    pub feats: wgpu::Buffer,
    pub labels: wgpu::Buffer,
    /// The uniform block's data fields (set sizes and first rows); dispatches add theirs.
    pub base: Params,
}

pub fn upload_data(ctx: &GpuContext, study: &Study) -> Result<DeviceData> {
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
        bound: study.config.run.divergence_bound as f32,
        ..Default::default()
    };
    Ok(DeviceData {
        feats: ctx.storage_buffer("sbo features", &feats)?,
        labels: ctx.storage_buffer("sbo labels", &labels)?,
        base,
    })
}

/// Every lane's descriptor, in lane order ([`Layout`]).
pub fn lane_descs(study: &Study) -> Vec<LaneDesc> {
    let layout = Layout::of(study);
    let replace = study.config.run.replace;
    (0..layout.lanes())
        .map(|l| {
            let (_, seed, i) = layout.lane(l);
            let nc = NeighbourChoice::new(&study.splits, replace, seed, i);
            let (rl, pl) = nc
                .lower
                .map_or((NO_REPLACEMENT, 0), |(a, b)| (a as u32, b as u32));
            let (ru, pu) = nc
                .upper
                .map_or((NO_REPLACEMENT, 0), |(a, b)| (a as u32, b as u32));
            LaneDesc {
                seed_lo: seed as u32,
                seed_hi: (seed >> 32) as u32,
                rep_lower: rl,
                pool_lower: pl,
                rep_upper: ru,
                pool_upper: pu,
                base: (l - i) as u32,
                dead: 0,
            }
        })
        .collect()
}
