//! Bilevel problems (DESIGN section 2): losses, couplings, presets, the CPU oracles and the
//! exact (f64) quantities used as ground truth.

pub mod coupling;
pub mod exact;
pub mod loss;
mod oracles;

pub use oracles::{accuracy, data_loss, Batch, Oracles};

use crate::error::{Result, SboError};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Loss {
    /// l = (z - b)^2 / 2
    Squared,
    /// l = log(1 + exp(-b z)), b in {-1, +1}
    Logistic,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Coupling {
    /// r = (mu / 2)(y - x)^2
    Prior,
    /// r = exp(x) y^2 / 2
    Logweight,
    /// r = exp(x) y^2 / (1 + y^2)
    Nonconvex,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HyperShape {
    /// One hyperparameter per feature, p = d.
    PerFeature,
    /// One hyperparameter shared by all features, p = 1.
    Scalar,
}

/// A problem configuration: what g and f are, independent of the data.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProblemSpec {
    pub loss: Loss,
    pub coupling: Coupling,
    pub hyper: HyperShape,
    /// Weight of the `prior` coupling (unused by the others).
    pub mu: f64,
    pub lam_y: f64,
    pub nu: f64,
}

impl Default for ProblemSpec {
    fn default() -> Self {
        ProblemSpec::preset("sc-sc").expect("built-in preset")
    }
}

impl ProblemSpec {
    /// The settings of the stability theory. Constants are documented in the README.
    pub fn preset(name: &str) -> Result<Self> {
        let spec = match name {
            "sc-sc" => ProblemSpec {
                loss: Loss::Squared,
                coupling: Coupling::Prior,
                hyper: HyperShape::PerFeature,
                mu: 1.0,
                lam_y: 0.0,
                nu: 0.1,
            },
            "c-c" => ProblemSpec {
                loss: Loss::Logistic,
                coupling: Coupling::Logweight,
                hyper: HyperShape::PerFeature,
                mu: 0.0,
                lam_y: 0.0,
                nu: 0.0,
            },
            "nc-nc" => ProblemSpec {
                loss: Loss::Logistic,
                coupling: Coupling::Nonconvex,
                hyper: HyperShape::PerFeature,
                mu: 0.0,
                lam_y: 0.0,
                nu: 0.0,
            },
            other => {
                return Err(SboError::config(
                    "problem.preset",
                    format!("unknown preset `{other}` (expected sc-sc, c-c or nc-nc)"),
                ))
            }
        };
        Ok(spec)
    }

    /// Dimension of x for a d-dimensional y.
    pub fn p(&self, d: usize) -> usize {
        match self.hyper {
            HyperShape::PerFeature => d,
            HyperShape::Scalar => 1,
        }
    }

    /// Index of the hyperparameter coupled to coordinate j of y.
    #[inline(always)]
    pub fn k(&self, j: usize) -> usize {
        match self.hyper {
            HyperShape::PerFeature => j,
            HyperShape::Scalar => 0,
        }
    }

    pub fn validate(&self) -> Result<()> {
        for (field, v) in [("mu", self.mu), ("lam_y", self.lam_y), ("nu", self.nu)] {
            if !v.is_finite() || v < 0.0 {
                return Err(SboError::config(
                    format!("problem.{field}"),
                    format!("must be a finite number >= 0, got {v}"),
                ));
            }
        }
        if self.coupling == Coupling::Prior && self.mu <= 0.0 && self.lam_y <= 0.0 {
            return Err(SboError::config(
                "problem.mu",
                "the prior coupling needs mu > 0 (or lam_y > 0) for a well-posed lower level",
            ));
        }
        Ok(())
    }
}
