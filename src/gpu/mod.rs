//! The GPU backend's foundation: adapter selection, a shared device context with a pipeline
//! cache and buffer helpers, and WGSL composition.
//!
//! Everything here reports failures as [`SboError`](crate::SboError) values (no adapter, a
//! shader that does not compile, out of memory, a lost device), never as panics, so the
//! command line can fall back to the CPU or tell the user what to fix.
//!
//! Owns: the device, the Rust <-> WGSL contract ([`contract`]), the lane bindings and the GPU
//! engine ([`engine`]). Must not know: the CPU engine (both implement `run::Engine`).

pub mod adapter;
pub mod bindings;
pub mod context;
pub mod contract;
pub mod engine;
pub mod shader;
pub mod shaders;

pub use adapter::{list_adapters, AdapterSummary, GpuOptions};
pub use context::GpuContext;
pub use engine::{uses_lane_threads, GpuEngine, GpuRunOptions, LANE_THREADS_MAX_D};
