//! sbo: batched stochastic bilevel optimization.
//!
//! A *lane* is one run of one algorithm with one configuration, one seed, on one dataset (the
//! base dataset or a neighbour of it with one sample replaced). A *sweep* is a set of lanes.
//! The crate runs every lane of a sweep in parallel and reports per-configuration curves:
//! losses, hypergradient norms, stability (distance between base and neighbour lanes) and
//! generalization gap. `DESIGN.md` in `docs/` is the mathematical contract.
//!
//! Layout, from the bottom up (a module imports only from those above it in this list):
//! `error`, `real`, `rng`, `machine` · `data` · `problem` · `algo` (the algorithms and their registry) ·
//! `metrics` · `sweep` (configs, grids, studies) · `run` (the backend-neutral run layer) ·
//! `cpu`, `gpu` (the engines) · `backend` (choosing one) · `rundir` (the run directory) ·
//! `job`, `cluster` (a run directory over a run's life: resume, shards, merge, Slurm) ·
//! `analysis` · `plot` · `report` · `verify`, `bench`. `bin/sbo/` parses arguments and
//! prints.

pub mod algo;
pub mod analysis;
pub mod backend;
pub mod bench;
pub mod cluster;
pub mod cpu;
pub mod data;
pub mod error;
pub mod export;
pub mod gpu;
pub mod job;
pub mod machine;
pub mod metrics;
pub mod plot;
pub mod problem;
pub mod real;
pub mod report;
pub mod rng;
pub mod run;
pub mod rundir;
pub mod sweep;
pub mod verify;

pub use error::{Result, SboError};
pub use real::Real;
