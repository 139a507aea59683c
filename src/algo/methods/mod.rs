//! The algorithms themselves, one file per method: its CPU step (f64 and f32, the reference
//! the GPU is checked against), its [`Algorithm`](super::Algorithm) descriptor and the paper
//! it implements. A method's WGSL twin is `shaders/step_*.wgsl`, named in its descriptor.
//!
//! Owns: each method's math. Must not know: engines, sweeps, files; other methods only
//! where one is another's variant (ma-soba of ssaid, sustain of mrbo, amigo, bsa and ttsa of
//! stocbio's kernel).

pub(crate) mod aid_cg;
pub(crate) mod amigo;
pub(crate) mod bome;
pub(crate) mod bsa;
pub(crate) mod f2sa;
pub(crate) mod fsla;
pub(crate) mod ma_soba;
pub(crate) mod mrbo;
pub(crate) mod saba;
pub(crate) mod srba;
pub(crate) mod ssaid;
pub(crate) mod ssgd;
pub(crate) mod stocbio;
pub(crate) mod sustain;
pub(crate) mod tsgd;
pub(crate) mod ttsa;
pub(crate) mod vrbo;
