//! The sweep description read from TOML: problem, data, run settings and a list of algorithm
//! tables whose list-valued fields expand into a grid of configurations.

use crate::error::{Result, SboError};
use crate::problem::{Coupling, HyperShape, Loss, ProblemSpec};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// A whole sweep. Every field has a default, so a config file only names what it changes;
/// the resolved form (all defaults filled in) is what `sbo run` writes next to its results.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SweepConfig {
    /// Name of the study (used for the default output directory).
    pub name: String,
    pub problem: ProblemConfig,
    pub data: DataConfig,
    pub run: RunConfig,
    /// Algorithm tables (`[[algo]]` in TOML). A list value in a table expands into one
    /// configuration per element (the Cartesian product over all list-valued fields).
    #[serde(rename = "algo")]
    pub algos: Vec<toml::Table>,
}

impl Default for SweepConfig {
    fn default() -> Self {
        SweepConfig {
            name: "sweep".into(),
            problem: ProblemConfig::default(),
            data: DataConfig::default(),
            run: RunConfig::default(),
            algos: Vec::new(),
        }
    }
}

/// The problem: a preset, optionally with fields overridden.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ProblemConfig {
    /// `sc-sc`, `c-c` or `nc-nc`.
    pub preset: String,
    pub loss: Option<Loss>,
    pub coupling: Option<Coupling>,
    pub hyper: Option<HyperShape>,
    pub mu: Option<f64>,
    pub lam_y: Option<f64>,
    pub nu: Option<f64>,
}

impl Default for ProblemConfig {
    fn default() -> Self {
        ProblemConfig {
            preset: "sc-sc".into(),
            loss: None,
            coupling: None,
            hyper: None,
            mu: None,
            lam_y: None,
            nu: None,
        }
    }
}

impl ProblemConfig {
    pub fn resolve(&self) -> Result<ProblemSpec> {
        let mut s = ProblemSpec::preset(&self.preset)?;
        if let Some(v) = self.loss {
            s.loss = v;
        }
        if let Some(v) = self.coupling {
            s.coupling = v;
        }
        if let Some(v) = self.hyper {
            s.hyper = v;
        }
        if let Some(v) = self.mu {
            s.mu = v;
        }
        if let Some(v) = self.lam_y {
            s.lam_y = v;
        }
        if let Some(v) = self.nu {
            s.nu = v;
        }
        s.validate()?;
        Ok(s)
    }

    /// The same problem with every field written out.
    pub fn resolved(&self) -> Result<ProblemConfig> {
        let s = self.resolve()?;
        Ok(ProblemConfig {
            preset: self.preset.clone(),
            loss: Some(s.loss),
            coupling: Some(s.coupling),
            hyper: Some(s.hyper),
            mu: Some(s.mu),
            lam_y: Some(s.lam_y),
            nu: Some(s.nu),
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DataKind {
    /// LIBSVM/SVMlight files (plain, .bz2, .gz).
    Libsvm,
    /// Numeric CSV files.
    Csv,
    /// The `quadratic` generator (DESIGN section 2).
    Synthetic,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DataConfig {
    pub kind: DataKind,
    /// Training file: lower, upper and pool rows are drawn from it.
    pub train: Option<PathBuf>,
    /// Test file; without one the test rows come from the training file.
    pub test: Option<PathBuf>,
    /// Number of features; required when files may not show the largest index (adult: 123).
    pub dim: Option<usize>,
    /// LIBSVM: whether feature indices start at 1 (the format's definition), 0 (the shipped
    /// adult files), or `auto` (0-based when index 0 occurs in the file).
    pub index_base: crate::data::libsvm::IndexBase,
    /// CSV: column of the label (negative counts from the end).
    pub label_column: i64,
    pub n_lower: usize,
    pub n_upper: usize,
    /// Test rows (all of the test file when absent).
    pub n_test: Option<usize>,
    /// Replacement pool: the fresh samples neighbours swap in.
    pub n_pool: usize,
    /// Seed of the split (or of the synthetic generator).
    pub seed: u64,
    /// Synthetic: dimension.
    pub d: usize,
    /// Synthetic: covariance spectrum [s_min, s_max]; give s_min or kappa.
    pub s_min: Option<f64>,
    /// Default: 1, or kappa (mu + lam_y) when kappa is given with a regularised lower level,
    /// so that any kappa >= 1 is reachable.
    pub s_max: Option<f64>,
    /// Synthetic: lower-level condition number (s_max + mu + lam_y) / (s_min + mu + lam_y);
    /// sets s_min when given.
    pub kappa: Option<f64>,
    /// Synthetic: label noise.
    pub sigma: f64,
}

impl Default for DataConfig {
    fn default() -> Self {
        DataConfig {
            kind: DataKind::Synthetic,
            train: None,
            test: None,
            dim: None,
            index_base: crate::data::libsvm::IndexBase::One,
            label_column: -1,
            n_lower: 1000,
            n_upper: 500,
            n_test: None,
            n_pool: 200,
            seed: 0,
            d: 20,
            s_min: None,
            s_max: None,
            kappa: None,
            sigma: 0.1,
        }
    }
}

/// Which set a neighbour's replaced sample comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplaceSide {
    Upper,
    Lower,
    Both,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Precision {
    F32,
    F64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Backend {
    /// A GPU when one is available, else the CPU.
    Auto,
    Cpu,
    Gpu,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogScale {
    /// Every `log_every` steps.
    Linear,
    /// `log_points` geometrically spaced steps (for log-log growth plots).
    Log,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RunConfig {
    /// Outer iterations per lane.
    pub steps: u64,
    pub log_scale: LogScale,
    pub log_every: u64,
    pub log_points: usize,
    /// Number of seeds; seeds are seed_base, seed_base + 1, ...
    pub seeds: usize,
    pub seed_base: u64,
    /// Neighbour lanes per seed (besides the base lane).
    pub neighbours: usize,
    pub replace: ReplaceSide,
    pub precision: Precision,
    pub backend: Backend,
    /// Track |grad F(x_t)| with the inner problem solved exactly (f64) at every logging step.
    pub exact: bool,
    /// Tolerance of the exact inner solve (gradient norm).
    pub exact_tol: f64,
    /// Worker threads (0: all cores).
    pub threads: usize,
    /// Initial x (every coordinate).
    pub x0: f64,
    /// Initial y (every coordinate).
    pub y0: f64,
}

impl Default for RunConfig {
    fn default() -> Self {
        RunConfig {
            steps: 1000,
            log_scale: LogScale::Linear,
            log_every: 50,
            log_points: 30,
            seeds: 5,
            seed_base: 0,
            neighbours: 4,
            replace: ReplaceSide::Upper,
            precision: Precision::F64,
            backend: Backend::Auto,
            exact: false,
            exact_tol: 1e-9,
            threads: 0,
            x0: 0.0,
            y0: 0.0,
        }
    }
}

impl RunConfig {
    pub fn validate(&self) -> Result<()> {
        if self.steps == 0 {
            return Err(SboError::config("run.steps", "must be >= 1"));
        }
        if self.log_scale == LogScale::Linear && self.log_every == 0 {
            return Err(SboError::config("run.log_every", "must be >= 1"));
        }
        if self.log_scale == LogScale::Log && self.log_points < 2 {
            return Err(SboError::config("run.log_points", "must be >= 2"));
        }
        if self.seeds == 0 {
            return Err(SboError::config("run.seeds", "must be >= 1"));
        }
        if !(self.exact_tol.is_finite() && self.exact_tol > 0.0) {
            return Err(SboError::config("run.exact_tol", "must be > 0"));
        }
        for (f, v) in [("run.x0", self.x0), ("run.y0", self.y0)] {
            if !v.is_finite() {
                return Err(SboError::config(f, "must be finite"));
            }
        }
        Ok(())
    }

    /// The logging steps: 0, then every `log_every` (or geometrically spaced), ending at `steps`.
    pub fn log_steps(&self) -> Vec<u64> {
        let mut out = vec![0u64];
        match self.log_scale {
            LogScale::Linear => {
                let mut t = self.log_every;
                while t < self.steps {
                    out.push(t);
                    t += self.log_every;
                }
            }
            LogScale::Log => {
                let k = self.log_points.max(2) as f64;
                let top = (self.steps as f64).ln();
                for i in 0..self.log_points {
                    let t = (top * i as f64 / (k - 1.0)).exp().round() as u64;
                    if t > *out.last().unwrap_or(&0) && t < self.steps {
                        out.push(t);
                    }
                }
            }
        }
        out.push(self.steps);
        out
    }
}

impl SweepConfig {
    /// Reads a TOML file; unknown keys and bad values are errors naming the file and key.
    pub fn from_file(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| SboError::io(path, e))?;
        Self::from_toml(&text).map_err(|e| match e {
            SboError::ConfigFile { msg, .. } => SboError::ConfigFile {
                path: path.to_path_buf(),
                msg,
            },
            other => other,
        })
    }

    pub fn from_toml(text: &str) -> Result<Self> {
        toml::from_str(text).map_err(|e| SboError::ConfigFile {
            path: PathBuf::from("<string>"),
            msg: e.to_string(),
        })
    }

    pub fn to_toml(&self) -> Result<String> {
        toml::to_string_pretty(self).map_err(|e| SboError::config("config", e.to_string()))
    }
}
