//! The sweep description read from TOML: problem, data, run settings and a list of algorithm
//! grids whose list-valued settings expand into configurations.
//!
//! Owns: the typed configuration and its defaults and checks, with errors that name the file,
//! table and field. Must not know: data files' contents, engines, output files.

use super::algo_grid::AlgoGrid;
use crate::error::{Result, SboError};
use crate::metrics::Metric;
use crate::problem::{Activation, Coupling, HyperShape, Loss, Model, Preset, ProblemSpec};
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
    /// Algorithm grids (`[[algo]]` in TOML). A list value expands into one configuration per
    /// element (the Cartesian product over all list-valued settings).
    #[serde(
        rename = "algo",
        deserialize_with = "super::algo_grid::deserialize_tables"
    )]
    pub algos: Vec<AlgoGrid>,
    /// Settings of the problem, data or run that take several values (`[vary]`, e.g.
    /// `"data.n_upper" = [250, 500, 1000]`): the sweep runs once per combination (a *variant*),
    /// all variants with the same algorithm grid, seeds and logging steps, and writes one run
    /// directory. See [`crate::sweep::vary`].
    #[serde(skip_serializing_if = "toml::Table::is_empty")]
    pub vary: toml::Table,
    /// What `sbo report` and `sbo plot` make of the run.
    pub report: ReportConfig,
}

impl Default for SweepConfig {
    fn default() -> Self {
        SweepConfig {
            name: "sweep".into(),
            problem: ProblemConfig::default(),
            data: DataConfig::default(),
            run: RunConfig::default(),
            algos: Vec::new(),
            vary: toml::Table::new(),
            report: ReportConfig::default(),
        }
    }
}

/// The problem: a preset, optionally with fields overridden.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ProblemConfig {
    /// `sc-sc`, `c-c` or `nc-nc`.
    pub preset: Preset,
    pub loss: Option<Loss>,
    pub coupling: Option<Coupling>,
    pub hyper: Option<HyperShape>,
    pub mu: Option<f64>,
    pub lam_y: Option<f64>,
    pub nu: Option<f64>,
    /// Box [lo, hi] on every coordinate of x, projected onto after each step. A list rather
    /// than a pair, so that a third number is an error instead of being dropped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub x_box: Option<Vec<f64>>,
    /// Multinomial loss: the number of classes; default, the distinct labels of the files.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub classes: Option<usize>,
    /// The lower model: `linear` (default) or `mlp` (one hidden layer).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<Model>,
    /// Hidden units of the `mlp` model.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hidden: Option<usize>,
    /// The `mlp` model's activation: `tanh` (default) or `softplus`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub activation: Option<Activation>,
}

impl Default for ProblemConfig {
    fn default() -> Self {
        ProblemConfig {
            preset: Preset::ScSc,
            loss: None,
            coupling: None,
            hyper: None,
            mu: None,
            lam_y: None,
            nu: None,
            x_box: None,
            classes: None,
            model: None,
            hidden: None,
            activation: None,
        }
    }
}

impl ProblemConfig {
    pub fn resolve(&self) -> Result<ProblemSpec> {
        let mut s = self.preset.spec();
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
        if let Some(c) = self.classes {
            s.classes = c;
        }
        if let Some(m) = self.model {
            s.model = m;
        }
        if let Some(h) = self.hidden {
            s.hidden = h;
        }
        if let Some(a) = self.activation {
            if s.model != Model::Mlp {
                return Err(SboError::config(
                    "problem.activation",
                    "an activation needs the network lower model: model = \"mlp\"",
                ));
            }
            s.activation = a;
        }
        s.x_box = match self.x_box.as_deref() {
            None => None,
            Some(&[lo, hi]) => Some([lo, hi]),
            Some(other) => {
                return Err(SboError::config(
                    "problem.x_box",
                    format!("must be [lo, hi], got {} numbers", other.len()),
                ))
            }
        };
        s.validate()?;
        Ok(s)
    }

    /// The same problem with every field written out.
    pub fn resolved(&self) -> Result<ProblemConfig> {
        let s = self.resolve()?;
        Ok(ProblemConfig {
            preset: self.preset,
            loss: Some(s.loss),
            coupling: Some(s.coupling),
            hyper: Some(s.hyper),
            mu: Some(s.mu),
            lam_y: Some(s.lam_y),
            nu: Some(s.nu),
            x_box: s.x_box.map(Vec::from),
            classes: (s.classes > 0).then_some(s.classes),
            model: (s.model == Model::Mlp).then_some(s.model),
            hidden: (s.model == Model::Mlp).then_some(s.hidden),
            activation: (s.model == Model::Mlp).then_some(s.activation),
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
    /// IDX files (MNIST): `train` (and `test`, ...) name the images file; its labels file is
    /// beside it (`images-idx3` read as `labels-idx1`). Pixels scaled to [0, 1].
    Idx,
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
    /// Validation file: the upper set comes from it (`n_upper` rows of it, or `"all"`) instead
    /// of the training file, as in benchopt's ijcnn1 problem (training file lower, test file
    /// validation).
    pub validation: Option<PathBuf>,
    /// Replacement-pool file: neighbours swap in samples from it (`n_pool` rows, or `"all"`).
    pub pool: Option<PathBuf>,
    /// Number of features; required when files may not show the largest index (adult: 123).
    pub dim: Option<usize>,
    /// LIBSVM: whether feature indices start at 1 (the format's definition), 0 (the shipped
    /// adult files), or `auto` (0-based when index 0 occurs in the file).
    pub index_base: crate::data::libsvm::IndexBase,
    /// CSV: column of the label (negative counts from the end).
    pub label_column: i64,
    /// CSV with named labels (`cat`, `dog`): the classes in class order, class c being the
    /// c-th name (logistic: the first is -1, the second +1). Default: the distinct names of
    /// all of the files, sorted in byte order; `sbo run` writes them into the resolved config.
    /// Every name a file holds must be listed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub class_names: Option<Vec<String>>,
    /// Lower-level rows; `"all"`: every training row the other parts leave.
    #[serde(with = "count")]
    pub n_lower: usize,
    /// Upper-level rows; `"all"` only with `validation` (all of that file).
    #[serde(with = "count")]
    pub n_upper: usize,
    /// Test rows; absent or `"all"`: all of the test file (or every training row the other
    /// sets leave).
    #[serde(deserialize_with = "count::optional")]
    pub n_test: Option<usize>,
    /// Replacement pool: the fresh samples neighbours swap in; `"all"` only with `pool`.
    #[serde(with = "count")]
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
    /// Fraction of the lower (training) set whose labels are flipped, per seed's lower set
    /// (data hyper-cleaning's corrupted training set); the other sets stay clean, and the
    /// flipped positions are written to `corrupted.csv` in the run directory.
    #[serde(skip_serializing_if = "is_zero")]
    pub corrupt: f64,
}

fn is_zero(v: &f64) -> bool {
    *v == 0.0
}

impl Default for DataConfig {
    fn default() -> Self {
        DataConfig {
            kind: DataKind::Synthetic,
            train: None,
            test: None,
            validation: None,
            pool: None,
            dim: None,
            index_base: crate::data::libsvm::IndexBase::One,
            label_column: -1,
            class_names: None,
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
            corrupt: 0.0,
        }
    }
}

/// A set size in a config: a number, or `"all"` ([`crate::data::ALL`]) for every row its
/// source has; written back the same way.
mod count {
    use crate::data::ALL;
    use serde::{de, Deserializer, Serializer};
    use std::fmt;

    pub fn serialize<S: Serializer>(n: &usize, s: S) -> Result<S::Ok, S::Error> {
        if *n == ALL {
            s.serialize_str("all")
        } else {
            s.serialize_u64(*n as u64)
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<usize, D::Error> {
        struct Count;
        impl de::Visitor<'_> for Count {
            type Value = usize;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number of rows or \"all\"")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<usize, E> {
                usize::try_from(v)
                    .ok()
                    .filter(|&n| n != ALL)
                    .ok_or_else(|| E::custom("too many rows"))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<usize, E> {
                u64::try_from(v)
                    .map_err(|_| E::custom("a number of rows cannot be negative"))
                    .and_then(|v| self.visit_u64(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<usize, E> {
                if v == "all" {
                    Ok(ALL)
                } else {
                    Err(E::custom(format!(
                        "expected a number of rows or \"all\", got \"{v}\""
                    )))
                }
            }
        }
        d.deserialize_any(Count)
    }

    /// `n_test`: a number, or `"all"`, which means the same as leaving it out.
    pub fn optional<'de, D: Deserializer<'de>>(d: D) -> Result<Option<usize>, D::Error> {
        deserialize(d).map(|n| (n != ALL).then_some(n))
    }
}

/// Which set a neighbour's replaced sample comes from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplaceSide {
    #[default]
    Upper,
    Lower,
    Both,
}

impl ReplaceSide {
    /// The config spelling.
    pub fn name(&self) -> &'static str {
        match self {
            ReplaceSide::Upper => "upper",
            ReplaceSide::Lower => "lower",
            ReplaceSide::Both => "both",
        }
    }
}

/// What each seed draws besides the algorithm's randomness (batches, neighbour choice).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Resample {
    /// Every seed runs on the same data (`data.seed`'s split or synthetic sample): intervals
    /// over seeds cover the algorithm's randomness only.
    #[default]
    None,
    /// Every seed draws its own lower / upper / pool / test split of a real dataset (a set that
    /// is a whole file of its own stays the same), or its
    /// own synthetic sample of the same population, from `data.seed` and the run seed: seed
    /// averages estimate expectations over the dataset too.
    Data,
}

impl Resample {
    pub fn is_none(&self) -> bool {
        *self == Resample::None
    }
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
    #[serde(skip_serializing_if = "Resample::is_none")]
    pub resample: Resample,
    pub precision: Precision,
    pub backend: Backend,
    /// Track |grad F(x_t)| with the inner problem solved exactly (f64) at every logging step.
    pub exact: bool,
    /// Tolerance of the exact inner solve (gradient norm).
    pub exact_tol: f64,
    /// Worker threads (0: all cores).
    pub threads: usize,
    /// CPU: step lanes that draw the same batches (a seed's base lane and its neighbours,
    /// under every configuration that differs only in step sizes) eight at a time as packs
    /// whose arithmetic runs across lanes; results are bit for bit those of stepping each lane
    /// alone (`false`, the reference). Applies to the linear model with a scalar loss, every
    /// algorithm but aid-cg, and cohorts of at least four lanes; the rest runs lane by lane.
    #[serde(skip_serializing_if = "is_true")]
    pub lane_packs: bool,
    /// GPU: step with one thread per lane where the algorithm has such a kernel (ssaid, tsgd,
    /// ud) and
    /// the problem fits it (the linear model with a scalar loss, a per-feature or scalar x,
    /// d <= 32, batches drawn with replacement, neither the whole set); else one workgroup per
    /// lane, the default.
    /// Which is faster is for a GPU to measure (`sbo bench --gpu-lane-threads`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub gpu_lane_threads: bool,
    /// Initial x (every coordinate).
    pub x0: f64,
    /// Initial y (every coordinate).
    pub y0: f64,
    /// A lane is diverged once a coordinate of its x, y or v leaves [-bound, bound] (or is
    /// not finite): it stops there, keeping its last iterate within the bound, and its
    /// metrics are left out from then on.
    pub divergence_bound: f64,
    /// Step sizes scaled with the condition number of synthetic data (kappa studies).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step_scaling: Option<super::scaling::StepScaling>,
}

/// Which figures and analyses `sbo plot` / `sbo report` make. `auto` picks from the run:
/// a `data.kappa` variant axis means a kappa study, neighbours mean a stability study,
/// otherwise a convergence study.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StudyKind {
    Auto,
    Stability,
    Convergence,
    Kappa,
}

/// The `[report]` table: what to plot, which fits to make, the target of time-to-target
/// tables and the selection rule of a step-size grid search. Every field has a default.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReportConfig {
    pub title: Option<String>,
    pub kind: StudyKind,
    /// Stability metric of the figures and growth fits.
    pub stability_metric: Metric,
    /// Late-growth fits of stability ~ t^a use logging steps t >= fit_from * steps.
    pub fit_from: f64,
    /// Stationarity metric of convergence plots and targets.
    pub target_metric: Metric,
    /// Target value of `target_metric` (time-to-target tables, kappa costs).
    pub target: Option<f64>,
    /// Or a target relative to the metric's value at t = 0 (mean over seeds).
    pub relative_target: Option<f64>,
    /// Grid search: per algorithm within each variant, keep the configuration with the
    /// smallest geometric mean of `select_metric` over seeds and the last `select_window`
    /// fraction of logging points; configurations with diverged lanes lose.
    pub select_metric: Option<Metric>,
    pub select_window: f64,
    /// Seeds the selection picks on (the first ones); the winner's score, the comparison with
    /// the untuned model and the tuned kappa curves are then reported on the other seeds,
    /// which the choice never saw. 0: pick and report on every seed (the report says that the
    /// winner's score is then optimistic). Absent: half the seeds when something is selected
    /// and there are at least 4 ([`ReportConfig::selection_seeds`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub select_seeds: Option<usize>,
    /// Write figures at the end of `sbo run` (`sbo plot` makes them later otherwise).
    pub plots: bool,
    /// eps values of an eps study: the report gives each configuration's cost until the
    /// average over iterates of the seed-mean `target_metric` reaches each, and the exponent
    /// of cost ~ eps^-b beside the analyses' 2.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub eps: Vec<f64>,
}

impl Default for ReportConfig {
    fn default() -> Self {
        ReportConfig {
            title: None,
            kind: StudyKind::Auto,
            stability_metric: Metric::DistXy,
            fit_from: 0.1,
            target_metric: Metric::HypergradNormSq,
            target: None,
            relative_target: None,
            select_metric: None,
            select_window: 0.2,
            select_seeds: None,
            eps: Vec::new(),
            plots: true,
        }
    }
}

impl ReportConfig {
    /// How many of `seeds` seeds the selection picks on: `select_seeds` when given, else half
    /// of them when something is selected (a `select_metric`, or the curves a kappa or eps
    /// study tunes per kappa or per eps) and there are at least 4 (a selection and its report on the same seeds is
    /// optimistic), else 0.
    pub fn selection_seeds(&self, seeds: usize) -> usize {
        match self.select_seeds {
            Some(k) => k,
            None if (self.select_metric.is_some()
                || self.kind == StudyKind::Kappa
                || !self.eps.is_empty())
                && seeds >= 4 =>
            {
                seeds / 2
            }
            None => 0,
        }
    }

    pub fn validate(&self) -> Result<()> {
        if !(self.fit_from >= 0.0 && self.fit_from < 1.0) {
            return Err(SboError::config("report.fit_from", "must be in [0, 1)"));
        }
        if !(self.select_window > 0.0 && self.select_window <= 1.0) {
            return Err(SboError::config(
                "report.select_window",
                "must be in (0, 1]",
            ));
        }
        for (f, v) in [
            ("report.target", self.target),
            ("report.relative_target", self.relative_target),
        ] {
            if let Some(v) = v {
                if !(v.is_finite() && v > 0.0) {
                    return Err(SboError::config(f, format!("must be > 0, got {v}")));
                }
            }
        }
        if let Some(v) = self.eps.iter().find(|v| !(v.is_finite() && **v > 0.0)) {
            return Err(SboError::config(
                "report.eps",
                format!("every eps must be > 0, got {v}"),
            ));
        }
        if self.target.is_some() && self.relative_target.is_some() {
            return Err(SboError::config(
                "report.target",
                "give target or relative_target, not both",
            ));
        }
        Ok(())
    }
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
            resample: Resample::None,
            precision: Precision::F64,
            backend: Backend::Auto,
            exact: false,
            exact_tol: 1e-9,
            threads: 0,
            lane_packs: true,
            gpu_lane_threads: false,
            x0: 0.0,
            y0: 0.0,
            divergence_bound: DIVERGENCE_BOUND,
            step_scaling: None,
        }
    }
}

fn is_true(b: &bool) -> bool {
    *b
}

/// The default `run.divergence_bound`: far beyond any iterate a converging run reaches on
/// normalised data, and far below where f32 overflows.
pub const DIVERGENCE_BOUND: f64 = 1e10;

/// The most logging points a run may have.
pub const MAX_LOG_POINTS: u64 = 1_000_000;

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
        // The logging steps are a list (and every group keeps a row per logging step): bound
        // them before they are built.
        let points = match self.log_scale {
            LogScale::Linear => (self.steps / self.log_every).saturating_add(2),
            LogScale::Log => (self.log_points as u64).saturating_add(2),
        };
        if points > MAX_LOG_POINTS {
            let (field, what) = match self.log_scale {
                LogScale::Linear => (
                    "run.log_every",
                    format!(
                        "{} steps logged every {} are {points} logging points",
                        self.steps, self.log_every
                    ),
                ),
                LogScale::Log => ("run.log_points", format!("{points} logging points")),
            };
            return Err(SboError::config(
                field,
                format!(
                    "{what}, more than {MAX_LOG_POINTS}: log less often (a larger log_every, or \
                     log_scale = \"log\" with fewer log_points)"
                ),
            ));
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
        let b = self.divergence_bound;
        if !(b.is_finite() && b > 0.0 && b < f32::MAX as f64) {
            return Err(SboError::config(
                "run.divergence_bound",
                format!(
                    "must be a number > 0 below {:e} (f32's largest), got {b}",
                    f32::MAX
                ),
            ));
        }
        if self.x0.abs() > b || self.y0.abs() > b {
            return Err(SboError::config(
                "run.divergence_bound",
                format!(
                    "the initial point (x0 = {}, y0 = {}) is already beyond {b}",
                    self.x0, self.y0
                ),
            ));
        }
        if let Some(s) = &self.step_scaling {
            s.validate()?;
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
        toml::from_str(text).map_err(|e: toml::de::Error| SboError::ConfigFile {
            path: PathBuf::from("<string>"),
            // An `[[algo]]` table's error names its table and key; TOML would point it at the
            // first table's line, so the excerpt is left out. Other errors keep TOML's line,
            // column and excerpt.
            msg: if e.message().starts_with(super::algo_grid::ERROR_PREFIX) {
                e.message().to_string()
            } else {
                e.to_string()
            },
        })
    }

    pub fn to_toml(&self) -> Result<String> {
        toml::to_string_pretty(self).map_err(|e| SboError::config("config", e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selection_holds_half_the_seeds_out_by_default() {
        let mut r = ReportConfig::default();
        assert_eq!(
            r.selection_seeds(10),
            0,
            "nothing selected, nothing held out"
        );
        r.select_metric = Some(Metric::ValLoss);
        assert_eq!(r.selection_seeds(10), 5);
        assert_eq!(r.selection_seeds(7), 3);
        assert_eq!(r.selection_seeds(3), 0, "too few seeds to split");
        r.select_seeds = Some(0);
        assert_eq!(
            r.selection_seeds(10),
            0,
            "an explicit 0 picks on every seed"
        );
        let kappa = ReportConfig {
            kind: StudyKind::Kappa,
            ..ReportConfig::default()
        };
        assert_eq!(kappa.selection_seeds(8), 4, "curves tuned per kappa");
        let eps = ReportConfig {
            eps: vec![1e-3, 1e-4],
            ..ReportConfig::default()
        };
        assert_eq!(eps.selection_seeds(10), 5, "curves tuned per eps");
    }

    #[test]
    fn an_x_box_is_exactly_two_numbers() {
        let resolve = |text: &str| {
            SweepConfig::from_toml(&format!("[problem]\npreset = \"c-c\"\nx_box = {text}"))
                .and_then(|c| c.problem.resolve())
        };
        assert_eq!(resolve("[-1.0, 2.0]").unwrap().x_box, Some([-1.0, 2.0]));
        for bad in ["[0.0, 1.0, 2.0]", "[1.0]", "[2.0, 1.0]"] {
            match resolve(bad) {
                Err(SboError::Config { field, .. }) => assert_eq!(field, "problem.x_box", "{bad}"),
                other => panic!("{bad}: expected a problem.x_box error, got {other:?}"),
            }
        }
    }

    #[test]
    fn n_test_takes_a_number_or_all() {
        let n_test = |line: &str| {
            SweepConfig::from_toml(&format!("[data]\n{line}"))
                .map(|c| c.data.n_test)
                .map_err(|e| e.to_string())
        };
        assert_eq!(n_test("n_test = 5"), Ok(Some(5)));
        assert_eq!(n_test("n_test = \"all\""), Ok(None));
        assert_eq!(n_test(""), Ok(None));
        assert!(n_test("n_test = \"most\"").is_err());
    }
}
