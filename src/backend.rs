//! Choosing where a sweep runs: the engine for `run.backend` (`--backend`), the engine to
//! fall back to, and a sentence saying why (the first line of a run).
//!
//! Owns: the choice. Must not know: how engines run (the run layer drives them, and holds the
//! one fallback rule).

use crate::cpu::CpuEngine;
use crate::error::Result;
use crate::gpu::{GpuContext, GpuEngine, GpuOptions};
use crate::run::EngineChoice;
use crate::sweep::Backend;
use std::sync::Arc;

/// `auto`: a hardware GPU when wgpu finds one (the CPU as its fallback), else the CPU. `gpu`:
/// any adapter, a software one (lavapipe) included, else an error. `cpu`: the CPU.
pub fn choose(backend: Backend) -> Result<EngineChoice> {
    match backend {
        Backend::Cpu => Ok(cpu("backend cpu".into())),
        Backend::Auto => match GpuContext::new(&GpuOptions::default()) {
            Ok(ctx) => {
                let reason = format!(
                    "backend auto: hardware GPU `{}` ({:?})",
                    ctx.adapter_info().name,
                    ctx.adapter_info().backend
                );
                Ok(EngineChoice {
                    engine: Box::new(GpuEngine::new(Arc::new(ctx))),
                    fallback: Some(Box::new(CpuEngine)),
                    reason,
                })
            }
            Err(e) => Ok(cpu(format!(
                "backend auto: running on the CPU because no hardware GPU is usable ({e})"
            ))),
        },
        Backend::Gpu => {
            let ctx = GpuContext::new(&GpuOptions {
                allow_software: true,
                ..GpuOptions::default()
            })?;
            Ok(gpu(Arc::new(ctx)))
        }
    }
}

/// The CPU engine, with `reason`.
pub fn cpu(reason: String) -> EngineChoice {
    EngineChoice {
        engine: Box::new(CpuEngine),
        fallback: None,
        reason,
    }
}

/// The GPU engine on a context the caller opened (an embedding program's device), no
/// fallback.
pub fn gpu(ctx: Arc<GpuContext>) -> EngineChoice {
    let mut reason = format!(
        "backend gpu: `{}` ({:?})",
        ctx.adapter_info().name,
        ctx.adapter_info().backend
    );
    if ctx.is_software() {
        reason.push_str(": a software adapter, for verification rather than speed");
    }
    EngineChoice {
        engine: Box::new(GpuEngine::new(ctx)),
        fallback: None,
        reason,
    }
}
