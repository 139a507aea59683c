//! Bilevel problems (DESIGN section 2): losses, couplings, presets, the CPU oracles and the
//! exact (f64) quantities used as ground truth.
//!
//! Owns: the math of g and f. Must not know: algorithms, sweeps, engines.

pub mod coupling;
pub mod exact;
mod gram;
pub mod loss;
pub mod mlp;
pub mod multiclass;
mod oracles;

pub use mlp::{Activation, Model, Net, MAX_HIDDEN};

pub use oracles::{accuracy, data_loss, Batch, Oracles};

use crate::error::{Result, SboError};
use crate::real::Num;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Loss {
    /// l = (z - b)^2 / 2
    Squared,
    /// l = log(1 + exp(-b z)), b in {-1, +1}
    Logistic,
    /// Softmax cross-entropy over C classes: l = logsumexp(z) - z_b with z = (a . y_c)_c in
    /// R^C and b in {0, ..., C - 1}; y holds one weight vector per class.
    Multinomial,
}

impl Loss {
    /// Whether labels are classes (accuracy is measured, `data.corrupt` applies).
    pub fn is_classification(&self) -> bool {
        matches!(self, Loss::Logistic | Loss::Multinomial)
    }
}

/// Most classes a multinomial problem may have: the oracles keep a sample's class scores on
/// the stack, so that they stay allocation-free.
pub const MAX_CLASSES: usize = 256;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Coupling {
    /// r = (mu / 2)(y - x)^2
    Prior,
    /// r = exp(x) y^2 / 2
    Logweight,
    /// r = exp(x) y^2 / (1 + y^2)
    Nonconvex,
    /// r = -mu x y: a cross term whose size does not shrink with the lower level's curvature
    /// (the worst case behind kappa bounds: |grad y*| = mu / mu_g grows like kappa).
    Bilinear,
    /// Data hyper-cleaning: no r; x_i weighs lower sample i's loss by sigmoid(x_i), so
    /// g = (1/n) sum_i sigmoid(x_i) l(a_i . y, b_i) + (lam_y / 2)|y|^2 (needs `per_sample`).
    SampleWeight,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HyperShape {
    /// One hyperparameter per feature, p = d.
    PerFeature,
    /// One hyperparameter shared by all features, p = 1.
    Scalar,
    /// One hyperparameter per class (multinomial loss), p = C: it acts on that class's
    /// weight vector.
    PerClass,
    /// One hyperparameter per lower-level sample, p = n_lower (data hyper-cleaning's weights;
    /// the `sample_weight` coupling).
    PerSample,
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
    /// A box [lo, hi] for every coordinate of x: the upper problem is min over that box, and
    /// every algorithm projects x onto it after each step (benchopt's `prox`, which keeps a
    /// log ridge weight in [-12, 12]). The exact metrics stay the unconstrained grad F.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x_box: Option<[f64; 2]>,
    /// Number of classes C of the multinomial loss (0 for the other losses). Found from the
    /// training labels when the config leaves it out; recorded in the resolved config.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub classes: usize,
    /// The lower model: linear in the data, or a one-hidden-layer network.
    #[serde(default, skip_serializing_if = "is_linear")]
    pub model: Model,
    /// Hidden units of the network (0 for the linear model).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub hidden: usize,
    /// The network's activation (unused by the linear model).
    #[serde(default, skip_serializing_if = "is_tanh")]
    pub activation: Activation,
}

fn is_zero(v: &usize) -> bool {
    *v == 0
}

fn is_linear(m: &Model) -> bool {
    *m == Model::Linear
}

fn is_tanh(a: &Activation) -> bool {
    *a == Activation::Tanh
}

/// The problem families of the stability theory (DESIGN section 2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Preset {
    /// Strongly convex at both levels: squared loss, prior coupling.
    #[serde(rename = "sc-sc")]
    ScSc,
    /// Convex: logistic loss, log-weight coupling.
    #[serde(rename = "c-c")]
    CC,
    /// Nonconvex: logistic loss, nonconvex coupling.
    #[serde(rename = "nc-nc")]
    NcNc,
    /// Data hyper-cleaning: a weight sigmoid(x_i) per training sample, logistic loss
    /// (override `loss = "multinomial"` for multiclass data), a small ridge on y.
    #[serde(rename = "hyper-cleaning")]
    HyperCleaning,
}

impl Preset {
    pub const ALL: [Preset; 4] = [
        Preset::ScSc,
        Preset::CC,
        Preset::NcNc,
        Preset::HyperCleaning,
    ];

    pub fn name(&self) -> &'static str {
        match self {
            Preset::ScSc => "sc-sc",
            Preset::CC => "c-c",
            Preset::NcNc => "nc-nc",
            Preset::HyperCleaning => "hyper-cleaning",
        }
    }

    /// The preset's problem. Constants are documented in the README.
    pub fn spec(&self) -> ProblemSpec {
        match self {
            Preset::ScSc => ProblemSpec {
                loss: Loss::Squared,
                coupling: Coupling::Prior,
                hyper: HyperShape::PerFeature,
                mu: 1.0,
                lam_y: 0.0,
                nu: 0.1,
                x_box: None,
                classes: 0,
                model: Model::Linear,
                hidden: 0,
                activation: Activation::Tanh,
            },
            Preset::CC => ProblemSpec {
                loss: Loss::Logistic,
                coupling: Coupling::Logweight,
                hyper: HyperShape::PerFeature,
                mu: 0.0,
                lam_y: 0.0,
                nu: 0.0,
                x_box: None,
                classes: 0,
                model: Model::Linear,
                hidden: 0,
                activation: Activation::Tanh,
            },
            Preset::NcNc => ProblemSpec {
                loss: Loss::Logistic,
                coupling: Coupling::Nonconvex,
                hyper: HyperShape::PerFeature,
                mu: 0.0,
                lam_y: 0.0,
                nu: 0.0,
                x_box: None,
                classes: 0,
                model: Model::Linear,
                hidden: 0,
                activation: Activation::Tanh,
            },
            Preset::HyperCleaning => ProblemSpec {
                loss: Loss::Logistic,
                coupling: Coupling::SampleWeight,
                hyper: HyperShape::PerSample,
                mu: 0.0,
                lam_y: 1e-3,
                nu: 0.0,
                x_box: None,
                classes: 0,
                model: Model::Linear,
                hidden: 0,
                activation: Activation::Tanh,
            },
        }
    }
}

impl Default for ProblemSpec {
    fn default() -> Self {
        Preset::ScSc.spec()
    }
}

impl ProblemSpec {
    /// The preset called `name` (`sc-sc`, `c-c` or `nc-nc`).
    pub fn preset(name: &str) -> Result<Self> {
        Preset::ALL
            .iter()
            .find(|p| p.name() == name)
            .map(Preset::spec)
            .ok_or_else(|| {
                SboError::config(
                    "problem.preset",
                    format!(
                        "unknown preset `{name}` (expected sc-sc, c-c, nc-nc or hyper-cleaning)"
                    ),
                )
            })
    }

    /// Whether both levels are quadratic in y (squared loss with the prior or bilinear
    /// coupling): y*(x) is affine and the bilevel optimum has a closed form.
    pub fn is_quadratic(&self) -> bool {
        self.model == Model::Linear
            && self.loss == Loss::Squared
            && matches!(self.coupling, Coupling::Prior | Coupling::Bilinear)
    }

    /// The network of the lower model on data with `features` columns, or `None` for the
    /// linear model.
    #[inline(always)]
    pub fn net(&self, features: usize) -> Option<Net> {
        (self.model == Model::Mlp).then_some(Net {
            features,
            hidden: self.hidden,
            outputs: self.outputs(),
            activation: self.activation,
        })
    }

    /// A lane's initial y for seed `seed`: every coordinate `y0` for the linear model; the
    /// network's seeded random weights ([`Net::init`]) for the MLP.
    pub fn initial_y(&self, features: usize, seed: u64, y0: f64) -> Vec<f64> {
        match self.net(features) {
            Some(net) => net.init(seed),
            None => vec![y0; self.y_len(features)],
        }
    }

    /// The curvature the coupling adds to every coordinate of the lower Hessian where it is
    /// constant: mu (prior), 0 (bilinear); `None` where it depends on x or y.
    pub fn coupling_curvature(&self) -> Option<f64> {
        match self.coupling {
            Coupling::Prior => Some(self.mu),
            Coupling::Bilinear => Some(0.0),
            Coupling::Logweight | Coupling::Nonconvex | Coupling::SampleWeight => None,
        }
    }

    /// Outputs of the model per sample: C for the multinomial loss, else 1.
    #[inline(always)]
    pub fn outputs(&self) -> usize {
        if self.loss == Loss::Multinomial {
            self.classes.max(1)
        } else {
            1
        }
    }

    /// Length of y for data with `features` columns. Linear model: one weight vector per
    /// output, stored class after class (y_c = y[c F .. (c + 1) F]), so a class score is one
    /// contiguous dot product with a row. Network: every weight ([`Net`] gives the layout).
    pub fn y_len(&self, features: usize) -> usize {
        match self.net(features) {
            Some(net) => net.len(),
            None => features * self.outputs(),
        }
    }

    /// Dimension of x for data with `features` columns and `n_lower` lower samples.
    pub fn p(&self, features: usize, n_lower: usize) -> usize {
        match self.hyper {
            HyperShape::PerFeature => features,
            HyperShape::Scalar => 1,
            HyperShape::PerClass => self.outputs(),
            HyperShape::PerSample => n_lower,
        }
    }

    /// Whether x weighs the lower samples (data hyper-cleaning): then the data terms read x
    /// and J v and grad_x g need a data pass.
    #[inline(always)]
    pub fn weighs_samples(&self) -> bool {
        self.coupling == Coupling::SampleWeight
    }

    /// Index of the hyperparameter coupled to coordinate j of y (class j / F, feature j % F).
    #[inline(always)]
    pub fn k(&self, j: usize, features: usize) -> usize {
        match self.hyper {
            HyperShape::PerFeature => {
                if j < features {
                    j
                } else {
                    j % features
                }
            }
            // Per sample: no coupling term reads x through k (r = 0).
            HyperShape::Scalar | HyperShape::PerSample => 0,
            HyperShape::PerClass => j / features.max(1),
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
        if self.coupling == Coupling::Bilinear && self.mu <= 0.0 {
            return Err(SboError::config(
                "problem.mu",
                "the bilinear coupling needs mu > 0: with mu = 0 x never reaches the lower level",
            ));
        }
        if self.coupling == Coupling::Prior && self.mu <= 0.0 && self.lam_y <= 0.0 {
            return Err(SboError::config(
                "problem.mu",
                "the prior coupling needs mu > 0 (or lam_y > 0) for a well-posed lower level",
            ));
        }
        if self.loss == Loss::Multinomial && (self.classes == 1 || self.classes > MAX_CLASSES) {
            return Err(SboError::config(
                "problem.classes",
                format!(
                    "the multinomial loss needs 2 to {MAX_CLASSES} classes, got {}",
                    self.classes
                ),
            ));
        }
        if self.loss != Loss::Multinomial && self.classes != 0 {
            return Err(SboError::config(
                "problem.classes",
                "only the multinomial loss has classes (logistic labels are two classes, -1/+1)",
            ));
        }
        if (self.hyper == HyperShape::PerSample) != (self.coupling == Coupling::SampleWeight) {
            return Err(SboError::config(
                "problem.hyper",
                "per-sample hyperparameters and the sample_weight coupling go together (data \
                 hyper-cleaning: preset = \"hyper-cleaning\")",
            ));
        }
        if self.coupling == Coupling::SampleWeight && self.loss == Loss::Squared {
            return Err(SboError::config(
                "problem.loss",
                "data hyper-cleaning weighs a classification loss: logistic or multinomial",
            ));
        }
        if self.hyper == HyperShape::PerClass && self.loss != Loss::Multinomial {
            return Err(SboError::config(
                "problem.hyper",
                "per_class hyperparameters need the multinomial loss",
            ));
        }
        match self.model {
            Model::Linear if self.hidden != 0 => {
                return Err(SboError::config(
                    "problem.hidden",
                    "hidden units need the network lower model: model = \"mlp\"",
                ))
            }
            Model::Mlp if self.hidden == 0 || self.hidden > MAX_HIDDEN => {
                return Err(SboError::config(
                    "problem.hidden",
                    format!(
                        "the network needs 1 to {MAX_HIDDEN} hidden units, got {}",
                        self.hidden
                    ),
                ))
            }
            Model::Mlp if matches!(self.hyper, HyperShape::PerFeature | HyperShape::PerClass) => {
                return Err(SboError::config(
                    "problem.hyper",
                    "a network's weights are not one per feature or class: with model = \"mlp\" \
                     use hyper = \"scalar\" (one coupling weight for every weight) or data \
                     hyper-cleaning's per_sample weights",
                ))
            }
            _ => {}
        }
        if let Some([lo, hi]) = self.x_box {
            // f32-representable, so the GPU projects onto the same box.
            if !(lo.is_finite() && hi.is_finite() && lo < hi && lo.abs() < 1e30 && hi.abs() < 1e30)
            {
                return Err(SboError::config(
                    "problem.x_box",
                    format!("must be [lo, hi] with finite lo < hi, got [{lo}, {hi}]"),
                ));
            }
        }
        Ok(())
    }

    /// `x` projected onto [`ProblemSpec::x_box`] (unchanged without one).
    pub fn project_x<T: Num>(&self, x: &mut [T]) {
        if let Some([lo, hi]) = self.x_box {
            let (lo, hi) = (T::of(lo), T::of(hi));
            // Comparisons, not min/max: a NaN stays NaN, so divergence is still detected (an
            // infinite coordinate is projected, but then y or v diverge with it).
            for xi in x {
                *xi = lo.gt_select(*xi, lo, xi.gt_select(hi, hi, *xi));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_x_box_projects_without_hiding_a_nan() {
        let spec = ProblemSpec {
            x_box: Some([-1.0, 2.0]),
            ..ProblemSpec::default()
        };
        let mut x = [-3.0f64, -1.0, 0.5, 2.0, 7.0, f64::NAN];
        spec.project_x(&mut x);
        assert_eq!(x[..5], [-1.0, -1.0, 0.5, 2.0, 2.0]);
        assert!(x[5].is_nan(), "a diverged coordinate must stay visible");
        let mut free = [-3.0f32, 7.0];
        ProblemSpec::default().project_x(&mut free);
        assert_eq!(free, [-3.0, 7.0]);
        for bad in [[1.0, 1.0], [2.0, 1.0], [f64::NAN, 1.0], [0.0, 1e31]] {
            let s = ProblemSpec {
                x_box: Some(bad),
                ..ProblemSpec::default()
            };
            assert!(s.validate().is_err(), "{bad:?}");
        }
    }
}
