//! The WGSL sources under `shaders/`, embedded at compile time.
//!
//! Kernels are built by [`compose`](super::shader::compose)-ing these parts in dependency order,
//! e.g. `compose(&[shaders::RNG, my_kernel])`.

/// Philox4x32-10, `mulhilo`, `bounded`, word and Floyd helpers: the twin of [`crate::rng`].
pub const RNG: &str = include_str!("../../shaders/rng.wgsl");
