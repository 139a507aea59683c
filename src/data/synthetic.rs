//! The synthetic `quadratic` generator. STUB: filled in by the data work.
use crate::data::Splits;
use crate::error::Result;

#[derive(Clone, Debug, PartialEq)]
pub struct SyntheticSpec {
    pub d: usize,
    pub n_lower: usize,
    pub n_upper: usize,
    pub n_test: usize,
    pub n_pool: usize,
    /// Spectrum of the feature covariance S, log-spaced in [s_min, s_max].
    pub s_min: f64,
    pub s_max: f64,
    /// Label noise standard deviation.
    pub sigma: f64,
    pub seed: u64,
}

/// The distribution the synthetic samples come from, for exact population risk.
#[derive(Clone, Debug)]
pub struct Population {
    pub d: usize,
    /// Covariance S, row-major d x d.
    pub cov: Vec<f64>,
    pub w_star: Vec<f64>,
    pub sigma: f64,
}

impl Population {
    /// E l(a.y, b) for squared loss: (y - w*)^T S (y - w*) / 2 + sigma^2 / 2.
    pub fn squared_risk(&self, y: &[f64]) -> f64 {
        let _ = y;
        todo!()
    }
}

pub fn generate_quadratic(spec: &SyntheticSpec) -> Result<(Splits, Population)> {
    let _ = spec;
    todo!()
}
