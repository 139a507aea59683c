//! What `sbo report` and `sbo plot` compute from a finished run: the run directory read back,
//! growth-exponent fits, time to target, step-size selection and the checks of the theory's
//! claims.
//!
//! Owns: the statistics and the verdicts. Must not know: how a run was computed (it reads run
//! directories through `rundir`), how results are drawn or written up (`plot`, `report`).

pub mod claim;
pub mod run_data;

pub use run_data::{ConfigData, RunData, Series};
pub mod eps;
pub mod fit;
pub mod select;
pub mod target;

pub use fit::{fit_curve, fit_seeds, Fit};
pub mod kappa;
pub mod ordering;
pub mod paired;
pub mod stability;
pub mod tuning;
