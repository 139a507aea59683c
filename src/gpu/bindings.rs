//! The resources every lane kernel binds: the shared bind group layout, the study's table of
//! rows as one row-major buffer with every seed's row maps, and the lane descriptors.
//!
//! Owns: binding numbers and buffer layouts of the lane kernels (the WGSL side is
//! `shaders/common.wgsl`). Must not know: when kernels run.

use super::contract::{LaneDesc, Params, NO_REPLACEMENT};
use super::GpuContext;
use crate::error::{Result, SboError};
use crate::run::{Layout, NeighbourChoice};
use crate::sweep::Study;

/// The bind group layout every lane kernel shares: 0 params, 1 features, 2 labels, 3 lanes,
/// 4 state, 5 scratch (or per-lane finite flags), 6 the lanes' memory in step kernels (metric
/// records in the metrics kernel), 7 row maps, 8 the spilled lane vectors of kernels whose
/// lanes do not fit in workgroup memory ([`super::shader::spill_lane_vectors`]). Public for
/// the GPU tests.
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
                    entry(7, ro),
                    entry(8, rw),
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
    buffers: [&wgpu::Buffer; 9],
) -> Result<wgpu::BindGroup> {
    ctx.bind_buffers(label, &layout.bind, &buffers)
}

/// The study's data as the kernels see it: the table's rows, and per seed slot (one when
/// seeds share their data) the row maps of its lower, upper, pool and test sets back to back.
pub struct DeviceData {
    pub feats: wgpu::Buffer,
    pub labels: wgpu::Buffer,
    pub rowmap: wgpu::Buffer,
    /// The uniform block's data fields (set sizes and where each set starts in a seed's
    /// block of row maps); dispatches add theirs.
    pub base: Params,
}

/// u32 entries of one seed slot's row maps.
fn slot_len(study: &Study) -> usize {
    let s = study.data.sizes();
    s.lower + s.upper + s.pool + s.test
}

pub fn upload_data(ctx: &GpuContext, study: &Study) -> Result<DeviceData> {
    let data = &study.data;
    let table = &data.table;
    if table
        .n
        .checked_mul(study.features())
        .is_none_or(|v| v > u32::MAX as usize)
    {
        return Err(SboError::GpuLimit {
            what: "the data table".into(),
            limit: "32-bit row offsets",
            need: (table.n as u64).saturating_mul(study.features() as u64),
            max: u32::MAX as u64,
        });
    }
    let slots = data.slots();
    let stride = slot_len(study);
    if stride
        .checked_mul(slots.len())
        .is_none_or(|v| v > u32::MAX as usize)
    {
        return Err(SboError::GpuLimit {
            what: "the row maps (lower run.seeds or give data.n_test)".into(),
            limit: "32-bit row map offsets",
            need: (stride as u64).saturating_mul(slots.len() as u64),
            max: u32::MAX as u64,
        });
    }
    let mut rowmap: Vec<u32> = Vec::with_capacity(stride * slots.len());
    for m in slots {
        for part in m.parts() {
            rowmap.extend_from_slice(part);
        }
    }
    let s = data.sizes();
    let base = Params {
        n_lower: s.lower as u32,
        n_upper: s.upper as u32,
        row_lower: 0,
        row_upper: s.lower as u32,
        row_pool: (s.lower + s.upper) as u32,
        row_test: (s.lower + s.upper + s.pool) as u32,
        n_test: s.test as u32,
        n_pool: s.pool as u32,
        group_size: (study.config.run.neighbours + 1) as u32,
        y0: study.config.run.y0 as f32,
        bound: study.config.run.divergence_bound as f32,
        ..Default::default()
    };
    // Every study has a lower set, so neither the table nor the maps are empty (a zero-length
    // binding would be invalid).
    Ok(DeviceData {
        feats: ctx.storage_buffer("sbo features", &table.features)?,
        labels: ctx.storage_buffer("sbo labels", &table.labels)?,
        rowmap: ctx.storage_buffer("sbo row maps", &rowmap)?,
        base,
    })
}

/// Every lane's descriptor, in lane order ([`Layout`]).
pub fn lane_descs(study: &Study) -> Result<Vec<LaneDesc>> {
    let layout = Layout::of(study);
    let replace = study.config.run.replace;
    let (sizes, stride) = (study.data.sizes(), slot_len(study));
    (0..layout.lanes())
        .map(|l| {
            let (_, seed, i) = layout.lane(l);
            let map_base = (study.data.slot(seed)? * stride) as u32;
            let nc = NeighbourChoice::new(sizes, replace, seed, i);
            let (rl, pl) = nc
                .lower
                .map_or((NO_REPLACEMENT, 0), |(a, b)| (a as u32, b as u32));
            let (ru, pu) = nc
                .upper
                .map_or((NO_REPLACEMENT, 0), |(a, b)| (a as u32, b as u32));
            Ok(LaneDesc {
                seed_lo: seed as u32,
                seed_hi: (seed >> 32) as u32,
                rep_lower: rl,
                pool_lower: pl,
                rep_upper: ru,
                pool_upper: pu,
                base: (l - i) as u32,
                dead: 0,
                map_base,
            })
        })
        .collect()
}
