//! Metrics of DESIGN section 4: per-lane measurements at logging steps, stability between a
//! base lane and its neighbours, and summaries over seeds.
//!
//! Owns: the names of the metrics ([`Metric`]) and the statistics over seeds. Must not know:
//! how metrics are computed from lanes (the run layer) or stored (`rundir`).

pub mod stats;

pub use stats::{summarize, t975, Summary};

use crate::error::SboError;
use crate::real::Real;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Declares [`Metric`]: variant, stable name (as written in files and configs), in the order
/// of a metric row.
macro_rules! metrics {
    ($($(#[doc = $doc:literal])* $v:ident => $name:literal),+ $(,)?) => {
        /// A measured quantity. Which metrics are filled depends on the problem (accuracy for
        /// logistic loss) and the run (`exact`); the others stay NaN and are not written out.
        /// Names are stable: they are the column and row names of every run directory.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum Metric {
            $($(#[doc = $doc])* #[serde(rename = $name)] $v,)+
        }

        impl Metric {
            /// Every metric, in row order.
            pub const ALL: [Metric; [$($name),+].len()] = [$(Metric::$v),+];

            /// The stable name.
            pub fn name(self) -> &'static str {
                match self {
                    $(Metric::$v => $name,)+
                }
            }
        }
    };
}

metrics! {
    /// Mean over neighbours of |x - x'|.
    DistX => "dist_x",
    /// Mean over neighbours of |y - y'|.
    DistY => "dist_y",
    /// Mean over neighbours of |(x, y) - (x', y')|: the default stability metric.
    DistXy => "dist_xy",
    DistXSq => "dist_x_sq",
    DistYSq => "dist_y_sq",
    DistXySq => "dist_xy_sq",
    /// Upper-level data loss on the validation set.
    ValLoss => "val_loss",
    /// Test loss (exact population risk on synthetic squared-loss data).
    TestLoss => "test_loss",
    /// Test minus validation loss.
    GenGap => "gen_gap",
    UpperObjective => "upper_objective",
    LowerObjective => "lower_objective",
    ValAccuracy => "val_accuracy",
    TestAccuracy => "test_accuracy",
    /// |grad F(x_t)| with the inner problem solved exactly (f64).
    HypergradNorm => "hypergrad_norm",
    HypergradNormSq => "hypergrad_norm_sq",
    /// |y_t - y*(x_t)|.
    YErr => "y_err",
    /// Nonconvex coupling only: the share of coordinates j of y at which the lower level's
    /// curvature from the coupling and the ridge, exp(x_k(j)) phi''(y_j) + lam_y, is negative
    /// at the base lane's (x_t, y_t): where along the run the problem is nonconvex in y (the
    /// data term adds nonnegative curvature, so a negative entry is necessary, not
    /// sufficient, for an indefinite Hessian).
    NegCurvatureShare => "neg_curvature_share",
    /// Data hyper-cleaning with `data.corrupt`: of the lower samples the base lane's weights
    /// down-weight (sigmoid(x_i) < 1/2), the share that were corrupted.
    CleaningPrecision => "cleaning_precision",
    /// Data hyper-cleaning with `data.corrupt`: the share of corrupted lower samples whose
    /// weight sigmoid(x_i) is below 1/2.
    CleaningRecall => "cleaning_recall",
    OracleGradG => "oracle_grad_g",
    OracleGradF => "oracle_grad_f",
    OracleHvp => "oracle_hvp",
    OracleJvp => "oracle_jvp",
    Samples => "samples",
    /// Compute seconds (CPU: the base lane's stepping; GPU: the run's wall clock).
    Seconds => "seconds",
}

impl Metric {
    /// Position in a metric row.
    pub fn index(self) -> usize {
        self as usize
    }

    /// The metric called `name`.
    pub fn from_name(name: &str) -> Option<Metric> {
        Metric::ALL.into_iter().find(|m| m.name() == name)
    }
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Metric {
    type Err = SboError;
    fn from_str(s: &str) -> Result<Metric, SboError> {
        Metric::from_name(s).ok_or_else(|| {
            SboError::config(
                "metric",
                format!(
                    "unknown metric `{s}` (expected one of {})",
                    Metric::ALL.map(Metric::name).join(", ")
                ),
            )
        })
    }
}

/// Metrics per row.
pub const N_METRICS: usize = Metric::ALL.len();

/// One value per metric, indexed by [`Metric`] (NaN where not measured).
#[derive(Clone, Debug, PartialEq)]
pub struct MetricValues(pub [f64; N_METRICS]);

impl Default for MetricValues {
    fn default() -> Self {
        MetricValues([f64::NAN; N_METRICS])
    }
}

/// A list in [`Metric::ALL`] order, `null` where not measured (JSON has no NaN).
impl Serialize for MetricValues {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let v: Vec<Option<f64>> = self.0.iter().map(|x| (!x.is_nan()).then_some(*x)).collect();
        v.serialize(s)
    }
}

impl<'de> Deserialize<'de> for MetricValues {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Vec::<Option<f64>>::deserialize(d)?;
        if v.len() != N_METRICS {
            return Err(serde::de::Error::invalid_length(
                v.len(),
                &"one value per metric",
            ));
        }
        let mut out = MetricValues::default();
        for (o, x) in out.0.iter_mut().zip(v) {
            *o = x.unwrap_or(f64::NAN);
        }
        Ok(out)
    }
}

impl std::ops::Index<Metric> for MetricValues {
    type Output = f64;
    fn index(&self, m: Metric) -> &f64 {
        &self.0[m.index()]
    }
}

impl std::ops::IndexMut<Metric> for MetricValues {
    fn index_mut(&mut self, m: Metric) -> &mut f64 {
        &mut self.0[m.index()]
    }
}

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
