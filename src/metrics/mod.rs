//! Metrics of DESIGN section 4: per-lane measurements at logging steps, stability between a
//! base lane and its neighbours, and summaries over seeds.

pub mod stats;

pub use stats::{summarize, t975, Summary};

use crate::real::Real;

/// Names of the metrics, in the order of a metric row. Which of them are filled depends on the
/// problem (accuracy for logistic loss) and the run (`exact`); the others stay NaN and are not
/// written out.
pub mod names {
    pub const DIST_X: &str = "dist_x";
    pub const DIST_Y: &str = "dist_y";
    pub const DIST_XY: &str = "dist_xy";
    pub const DIST_X_SQ: &str = "dist_x_sq";
    pub const DIST_Y_SQ: &str = "dist_y_sq";
    pub const DIST_XY_SQ: &str = "dist_xy_sq";
    pub const VAL_LOSS: &str = "val_loss";
    pub const TEST_LOSS: &str = "test_loss";
    pub const GEN_GAP: &str = "gen_gap";
    pub const UPPER_OBJ: &str = "upper_objective";
    pub const LOWER_OBJ: &str = "lower_objective";
    pub const VAL_ACC: &str = "val_accuracy";
    pub const TEST_ACC: &str = "test_accuracy";
    pub const GRAD_F: &str = "hypergrad_norm";
    pub const GRAD_F_SQ: &str = "hypergrad_norm_sq";
    pub const Y_ERR: &str = "y_err";
    pub const GRAD_G: &str = "oracle_grad_g";
    pub const GRAD_FCALLS: &str = "oracle_grad_f";
    pub const HVP: &str = "oracle_hvp";
    pub const JVP: &str = "oracle_jvp";
    pub const SAMPLES: &str = "samples";
    pub const SECONDS: &str = "seconds";

    pub const ALL: [&str; 22] = [
        DIST_X,
        DIST_Y,
        DIST_XY,
        DIST_X_SQ,
        DIST_Y_SQ,
        DIST_XY_SQ,
        VAL_LOSS,
        TEST_LOSS,
        GEN_GAP,
        UPPER_OBJ,
        LOWER_OBJ,
        VAL_ACC,
        TEST_ACC,
        GRAD_F,
        GRAD_F_SQ,
        Y_ERR,
        GRAD_G,
        GRAD_FCALLS,
        HVP,
        JVP,
        SAMPLES,
        SECONDS,
    ];
}

/// Index of a metric in a row.
pub fn index(name: &str) -> usize {
    names::ALL
        .iter()
        .position(|n| *n == name)
        .unwrap_or(usize::MAX)
}

pub const N_METRICS: usize = names::ALL.len();

/// Euclidean distances |a - b|^2 between two lanes' iterates, accumulated in f64.
pub fn sq_dist<T: Real>(a: &[T], b: &[T]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| {
            let d = x.as_f64() - y.as_f64();
            d * d
        })
        .sum()
}
