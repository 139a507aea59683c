//! Adapter discovery and selection.

use std::fmt;

use crate::error::{Result, SboError};

/// How [`GpuContext::new`](super::GpuContext::new) picks an adapter.
#[derive(Clone, Debug)]
pub struct GpuOptions {
    /// Also accept software adapters (lavapipe/llvmpipe, SwiftShader, WARP): useful for tests
    /// and CI, far too slow for real sweeps. Hardware adapters still win when present.
    pub allow_software: bool,
    /// `HighPerformance` (default): discrete > integrated > virtual; `LowPower`: integrated >
    /// discrete > virtual. Software adapters always come last.
    pub power_preference: wgpu::PowerPreference,
    /// Keep only adapters whose name contains this (case-insensitive), e.g. `"A100"`.
    pub adapter_name_filter: Option<String>,
}

impl Default for GpuOptions {
    fn default() -> Self {
        GpuOptions {
            allow_software: false,
            power_preference: wgpu::PowerPreference::HighPerformance,
            adapter_name_filter: None,
        }
    }
}

/// What `sbo info` shows about one adapter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdapterSummary {
    pub name: String,
    pub backend: wgpu::Backend,
    pub device_type: wgpu::DeviceType,
    pub driver: String,
    pub driver_info: String,
    pub is_software: bool,
    /// Whether the adapter can run compute shaders at all (not every GL adapter can).
    pub compute: bool,
    pub subgroups: bool,
    pub max_compute_workgroups_per_dimension: u32,
    pub max_compute_invocations_per_workgroup: u32,
    pub max_compute_workgroup_storage_size: u32,
    pub max_storage_buffer_binding_size: u64,
    pub max_buffer_size: u64,
}

impl AdapterSummary {
    pub(crate) fn of(adapter: &wgpu::Adapter) -> Self {
        let info = adapter.get_info();
        let l = adapter.limits();
        AdapterSummary {
            is_software: is_software(&info),
            compute: supports_compute(adapter),
            subgroups: adapter.features().contains(wgpu::Features::SUBGROUP),
            name: info.name,
            backend: info.backend,
            device_type: info.device_type,
            driver: info.driver,
            driver_info: info.driver_info,
            max_compute_workgroups_per_dimension: l.max_compute_workgroups_per_dimension,
            max_compute_invocations_per_workgroup: l.max_compute_invocations_per_workgroup,
            max_compute_workgroup_storage_size: l.max_compute_workgroup_storage_size,
            max_storage_buffer_binding_size: l.max_storage_buffer_binding_size,
            max_buffer_size: l.max_buffer_size,
        }
    }
}

fn mib(bytes: u64) -> String {
    if bytes >= 1 << 20 {
        format!("{} MiB", bytes >> 20)
    } else {
        format!("{bytes} B")
    }
}

impl fmt::Display for AdapterSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = if self.is_software {
            "software"
        } else {
            "hardware"
        };
        writeln!(
            f,
            "{} ({:?}, {:?}, {kind}{})",
            self.name,
            self.backend,
            self.device_type,
            if self.compute { "" } else { ", NO compute" }
        )?;
        let driver = match (self.driver.is_empty(), self.driver_info.is_empty()) {
            (true, true) => "unknown".to_string(),
            (false, true) => self.driver.clone(),
            (true, false) => self.driver_info.clone(),
            (false, false) => format!("{} {}", self.driver, self.driver_info),
        };
        writeln!(f, "  driver:                          {driver}")?;
        writeln!(
            f,
            "  subgroups:                       {}",
            if self.subgroups { "yes" } else { "no" }
        )?;
        writeln!(
            f,
            "  max workgroups per dimension:    {}",
            self.max_compute_workgroups_per_dimension
        )?;
        writeln!(
            f,
            "  max invocations per workgroup:   {}",
            self.max_compute_invocations_per_workgroup
        )?;
        writeln!(
            f,
            "  max workgroup storage:           {} B",
            self.max_compute_workgroup_storage_size
        )?;
        writeln!(
            f,
            "  max storage buffer binding:      {}",
            mib(self.max_storage_buffer_binding_size)
        )?;
        write!(
            f,
            "  max buffer size:                 {}",
            mib(self.max_buffer_size)
        )
    }
}

/// Software rasterisers/compute: `DeviceType::Cpu`, or a name that gives one away (some GL
/// drivers report llvmpipe as `Other`).
pub fn is_software(info: &wgpu::AdapterInfo) -> bool {
    if info.device_type == wgpu::DeviceType::Cpu {
        return true;
    }
    let name = info.name.to_ascii_lowercase();
    [
        "llvmpipe",
        "lavapipe",
        "softpipe",
        "swiftshader",
        "basic render driver",
    ]
    .iter()
    .any(|s| name.contains(s))
}

fn supports_compute(adapter: &wgpu::Adapter) -> bool {
    adapter
        .get_downlevel_capabilities()
        .flags
        .contains(wgpu::DownlevelFlags::COMPUTE_SHADERS)
        && adapter.limits().max_compute_invocations_per_workgroup > 0
}

pub(crate) fn instance() -> wgpu::Instance {
    // `_from_env` honours WGPU_BACKEND, WGPU_DEBUG, ... so a user can steer selection.
    wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env())
}

pub(crate) fn enumerate(instance: &wgpu::Instance) -> Vec<wgpu::Adapter> {
    pollster::block_on(instance.enumerate_adapters(wgpu::Backends::all()))
}

/// Every adapter wgpu can see (all backends, software included), for `sbo info`.
pub fn list_adapters() -> Vec<AdapterSummary> {
    enumerate(&instance())
        .iter()
        .map(AdapterSummary::of)
        .collect()
}

/// Lower is better. `None`: rejected, with the reason.
fn rank(s: &AdapterSummary, opts: &GpuOptions) -> std::result::Result<(u32, u32), &'static str> {
    use wgpu::DeviceType as T;
    if !s.compute {
        return Err("no compute shader support");
    }
    if s.is_software && !opts.allow_software {
        return Err("software adapter (allow_software is off)");
    }
    if let Some(filter) = &opts.adapter_name_filter {
        if !s
            .name
            .to_ascii_lowercase()
            .contains(&filter.to_ascii_lowercase())
        {
            return Err("name does not match the filter");
        }
    }
    let low_power = opts.power_preference == wgpu::PowerPreference::LowPower;
    let kind = if s.is_software {
        10
    } else {
        match s.device_type {
            T::DiscreteGpu if low_power => 1,
            T::DiscreteGpu => 0,
            T::IntegratedGpu if low_power => 0,
            T::IntegratedGpu => 1,
            T::VirtualGpu => 2,
            T::Other => 3,
            T::Cpu => 10,
        }
    };
    // Native compute APIs before GL.
    let backend = match s.backend {
        wgpu::Backend::Vulkan | wgpu::Backend::Metal | wgpu::Backend::Dx12 => 0,
        _ => 1,
    };
    Ok((kind, backend))
}

/// Picks the best adapter for `opts`, or explains why there is none.
pub(crate) fn select(adapters: Vec<wgpu::Adapter>, opts: &GpuOptions) -> Result<wgpu::Adapter> {
    let mut best: Option<((u32, u32), wgpu::Adapter)> = None;
    let mut seen = Vec::new();
    for adapter in adapters {
        let s = AdapterSummary::of(&adapter);
        match rank(&s, opts) {
            Ok(r) => {
                if best.as_ref().is_none_or(|(b, _)| r < *b) {
                    best = Some((r, adapter));
                }
            }
            Err(why) => seen.push(format!("{} ({:?}): {why}", s.name, s.backend)),
        }
    }
    match best {
        Some((_, a)) => Ok(a),
        None => Err(SboError::GpuNoAdapter {
            msg: if seen.is_empty() {
                "wgpu found no adapter at all (no Vulkan/Metal/DX12/GL driver; for a software \
                 adapter install mesa-vulkan-drivers)"
                    .to_string()
            } else {
                format!("rejected: {}", seen.join("; "))
            },
        }),
    }
}
