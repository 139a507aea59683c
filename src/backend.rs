//! Choosing where a sweep runs, and running it there.

use crate::error::{Result, SboError};
use crate::gpu::{run_gpu, GpuContext, GpuOptions, GpuRunOptions};
use crate::sweep::{run_cpu, Backend, RunOptions, Study, SweepResult};

/// Where lanes run, with the reason for the choice (shown to the user).
pub enum Engine {
    Cpu {
        reason: String,
    },
    Gpu {
        ctx: Box<GpuContext>,
        reason: String,
    },
}

impl Engine {
    /// `auto`: a hardware GPU when wgpu finds one, else the CPU. `gpu`: any adapter, a
    /// software one (lavapipe) included, else an error. `cpu`: the CPU.
    pub fn choose(backend: Backend) -> Result<Engine> {
        match backend {
            Backend::Cpu => Ok(Engine::Cpu {
                reason: "backend cpu".into(),
            }),
            Backend::Auto => match GpuContext::new(&GpuOptions::default()) {
                Ok(ctx) => {
                    let reason = format!(
                        "backend auto: hardware GPU `{}` ({:?})",
                        ctx.adapter_info().name,
                        ctx.adapter_info().backend
                    );
                    Ok(Engine::Gpu {
                        ctx: Box::new(ctx),
                        reason,
                    })
                }
                Err(e) => Ok(Engine::Cpu {
                    reason: format!(
                        "backend auto: running on the CPU because no hardware GPU is usable ({e})"
                    ),
                }),
            },
            Backend::Gpu => {
                let ctx = GpuContext::new(&GpuOptions {
                    allow_software: true,
                    ..GpuOptions::default()
                })?;
                let mut reason = format!(
                    "backend gpu: `{}` ({:?})",
                    ctx.adapter_info().name,
                    ctx.adapter_info().backend
                );
                if ctx.is_software() {
                    reason.push_str(": a software adapter, for verification rather than speed");
                }
                Ok(Engine::Gpu {
                    ctx: Box::new(ctx),
                    reason,
                })
            }
        }
    }

    pub fn reason(&self) -> &str {
        match self {
            Engine::Cpu { reason } | Engine::Gpu { reason, .. } => reason,
        }
    }

    pub fn is_gpu(&self) -> bool {
        matches!(self, Engine::Gpu { .. })
    }

    pub fn run(&self, study: &Study, opts: &RunOptions) -> Result<SweepResult> {
        match self {
            Engine::Cpu { .. } => run_cpu(study, opts),
            Engine::Gpu { ctx, .. } => run_gpu(ctx, study, opts, &GpuRunOptions::default()),
        }
    }
}

/// Runs `study` on the backend its config names (`run.backend`); with `auto`, a GPU failure
/// during the run falls back to the CPU with a warning in the result.
pub fn run(study: &Study, opts: &RunOptions) -> Result<SweepResult> {
    let engine = Engine::choose(study.config.run.backend)?;
    match (engine.run(study, opts), study.config.run.backend) {
        (Err(e @ SboError::Config { .. }), _) => Err(e),
        (Err(e), Backend::Auto) if engine.is_gpu() => {
            let mut r = run_cpu(study, opts)?;
            r.warnings.insert(
                0,
                format!("the GPU run failed ({e}); the sweep ran on the CPU instead"),
            );
            Ok(r)
        }
        (r, _) => r,
    }
}
