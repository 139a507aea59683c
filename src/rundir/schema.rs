//! The files of a run directory as types: one description of the format, used by the writer
//! and by the reader (`analysis` reads runs through it).
//!
//! - `config.toml`: the resolved configuration ([`crate::sweep::SweepConfig`]).
//! - `metrics.csv`: one [`MetricsRow`] per configuration, logging step and metric (long
//!   format, summaries over seeds).
//! - `seeds.csv`: one [`SeedsRow`] per configuration, seed and logging step, one column per
//!   metric that any configuration measured (what the summaries and fits come from).
//! - `lanes.csv`: one [`LaneRow`] per lane: its status and final x and y (columns `x_i`,
//!   `y_i`; variants with smaller p or d leave theirs empty).
//! - `summary.json`: [`RunSummary`].
//! - `corrupted.csv` (only with `data.corrupt`): one [`CorruptedRow`] per flipped label: the
//!   variant, the seed and the sample's position in that seed's lower set (the index of its
//!   weight in hyper-cleaning).
//!
//! Numbers are written as Rust prints an f64 (the shortest text that reads back as the same
//! value; `nan` for missing values), so files round-trip exactly.

use crate::algo::AlgoConfig;
use crate::metrics::Metric;
use crate::problem::ProblemSpec;
use crate::run::LaneStatus;
use crate::sweep::ReplaceSide;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

pub const CONFIG: &str = "config.toml";
pub const METRICS: &str = "metrics.csv";
pub const SEEDS: &str = "seeds.csv";
pub const LANES: &str = "lanes.csv";
pub const SUMMARY: &str = "summary.json";
pub const CORRUPTED: &str = "corrupted.csv";

/// One flipped label of `data.corrupt`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CorruptedRow {
    /// The `[vary]` variant's label (empty without `[vary]`).
    pub variant: String,
    pub seed: u64,
    /// Position in the seed's lower set.
    pub position: u32,
}

/// An f64 as a CSV field: Rust's shortest round-trip text, `nan` for NaN, empty reads as NaN.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Num(pub f64);

impl Num {
    pub fn text(&self) -> String {
        if self.0.is_nan() {
            "nan".into()
        } else {
            format!("{}", self.0)
        }
    }

    pub fn parse(s: &str) -> Option<f64> {
        if s.is_empty() || s == "nan" {
            Some(f64::NAN)
        } else {
            s.parse().ok()
        }
    }
}

impl Serialize for Num {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text())
    }
}

impl<'de> Deserialize<'de> for Num {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Num::parse(&s)
            .map(Num)
            .ok_or_else(|| serde::de::Error::custom(format!("`{s}` is not a number")))
    }
}

/// One row of `metrics.csv`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MetricsRow {
    pub config: String,
    pub algorithm: String,
    pub t: u64,
    pub metric: Metric,
    pub mean: Num,
    pub std: Num,
    pub ci_low: Num,
    pub ci_high: Num,
    pub count: usize,
}

/// One row of `seeds.csv`; `values` follow the file's metric columns.
#[derive(Clone, Debug, PartialEq)]
pub struct SeedsRow {
    pub config: String,
    pub seed: u64,
    pub t: u64,
    pub values: Vec<f64>,
}

/// One row of `lanes.csv`; `None` for the columns a lane does not have.
#[derive(Clone, Debug, PartialEq)]
pub struct LaneRow {
    pub config: String,
    pub seed: u64,
    pub neighbour: usize,
    pub status: LaneStatus,
    pub x: Vec<Option<f64>>,
    pub y: Vec<Option<f64>>,
}

impl LaneStatus {
    pub fn name(&self) -> &'static str {
        match self {
            LaneStatus::Ok => "ok",
            LaneStatus::Diverged => "diverged",
        }
    }

    pub fn from_name(s: &str) -> Option<LaneStatus> {
        match s {
            "ok" => Some(LaneStatus::Ok),
            "diverged" => Some(LaneStatus::Diverged),
            _ => None,
        }
    }
}

/// Sizes of a study's data.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DataFacts {
    pub d: usize,
    pub p: usize,
    pub n_lower: usize,
    pub n_upper: usize,
    pub n_test: usize,
    pub n_pool: usize,
    pub kappa: Option<f64>,
    /// The constants of a quadratic problem on its first seed's sets (the kappa bounds'
    /// L_g, mu_g, |grad y*|, L_F, |v*|); absent for other problems.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub constants: Option<crate::problem::exact::QuadraticConstants>,
    /// Multinomial problems: the label each class has in the data files (class c was written
    /// `classes[c]`); a linear model's d is then the features times the number of classes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub classes: Vec<f32>,
    /// Named labels (a CSV label column of names): the name of each class, class c being
    /// `class_names[c]` (multinomial: `classes` is then 0..C-1; logistic: the first name is
    /// label -1 and the second +1).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub class_names: Vec<String>,
}

/// One `[vary]` variant.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VariantFacts {
    pub label: String,
    /// `(dotted key, value as written)`.
    pub values: Vec<(String, String)>,
    pub problem: ProblemSpec,
    pub data: DataFacts,
}

/// One configuration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConfigFacts {
    /// Full label (`n_upper=500 | ssgd[alpha=0.1]`): the key of every CSV row.
    pub label: String,
    /// Label within the variant.
    #[serde(default)]
    pub algo_label: Option<String>,
    #[serde(default)]
    pub variant: Vec<(String, String)>,
    #[serde(default)]
    pub algorithm: String,
    /// The settings the lanes ran with (after any kappa scaling).
    pub settings: AlgoConfig,
    #[serde(default)]
    pub seconds: f64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Versions {
    pub sbo: String,
}

fn yes() -> bool {
    true
}

/// `summary.json`: how the run went and what each configuration was. Every field has a
/// default when read, so run directories written by earlier versions (without `seed_base`,
/// `replace` or `variants`) still load.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RunSummary {
    pub name: String,
    /// Every variant ran to its last step. An incomplete run holds the variants before the
    /// one that failed (`failure` says why); runs of earlier versions were complete when they
    /// had a summary.
    #[serde(default = "yes")]
    pub complete: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
    pub backend: String,
    pub precision: String,
    pub threads: usize,
    /// The first variant's problem and data (every variant's are in `variants`).
    pub problem: ProblemSpec,
    pub data: DataFacts,
    #[serde(default)]
    pub variants: Vec<VariantFacts>,
    pub seeds: usize,
    /// The first seed (absent in runs written before it was recorded: `run.seed_base` of
    /// their `config.toml` then).
    pub seed_base: Option<u64>,
    pub neighbours: usize,
    pub replace: ReplaceSide,
    pub lanes: usize,
    pub diverged_lanes: usize,
    pub steps: u64,
    pub log_steps: Vec<u64>,
    pub lane_steps: u64,
    pub seconds: f64,
    pub lane_steps_per_second: f64,
    pub configs: Vec<ConfigFacts>,
    pub warnings: Vec<String>,
    pub versions: Versions,
}
