//! What an engine measures of one group at a logging step ([`GroupRecord`]), and the metric
//! values the run layer makes of it: stability means, losses, the exact hypergradient (f64,
//! warm-started per group) and the oracle counts.
//!
//! Owns: the definitions of the metrics from the records (DESIGN section 4). Must not know:
//! how an engine computed a record.

use crate::algo::OracleCounts;
use crate::metrics::{Metric, MetricValues};
use crate::problem::{coupling, exact, Coupling};
use crate::sweep::Study;

/// Sums over a group's finite neighbours of their distances to the base lane.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct StabilitySums {
    /// Sum of |x - x'|.
    pub dist_x: f64,
    pub dist_y: f64,
    /// Sum of |(x, y) - (x', y')|.
    pub dist_xy: f64,
    pub dist_x_sq: f64,
    pub dist_y_sq: f64,
    /// Finite neighbours summed over.
    pub n: f64,
}

/// One group at one logging step, as an engine measured it (in its own precision, widened
/// to f64).
#[derive(Clone, Debug, PartialEq)]
pub struct GroupRecord {
    /// The base lane had diverged by this step: nothing of the group is measured.
    pub base_diverged: bool,
    pub stability: StabilitySums,
    /// The base lane's upper data loss on the validation set.
    pub val_loss: f64,
    /// The base lane's test data loss (unused where an exact population risk replaces it,
    /// see [`Study::test_from_population`]).
    pub test_loss: f64,
    pub upper_objective: f64,
    pub lower_objective: f64,
    /// Accuracies (logistic loss only).
    pub val_accuracy: f64,
    pub test_accuracy: f64,
    /// The base lane's iterate.
    pub x: Vec<f64>,
    pub y: Vec<f64>,
    /// The base lane's oracle calls so far.
    pub counts: OracleCounts,
    /// Compute seconds the engine attributes to the group so far.
    pub seconds: f64,
}

/// What a group carries from one logging step's measurement to the next.
pub struct GroupMeter {
    /// Warm start of the exact inner solve: the last y*(x) of this group.
    y_star_prev: Vec<f64>,
    /// Things the user should know (failed exact solves).
    pub warnings: Vec<String>,
}

impl GroupMeter {
    /// A meter for the lanes of seed `seed`: a linear model's first exact inner solve starts at
    /// the seed's initial y and later ones at the last y*; a network's start at the lane's y.
    pub fn new(study: &Study, seed: u64) -> Self {
        GroupMeter {
            y_star_prev: study.initial_y(seed),
            warnings: Vec::new(),
        }
    }

    /// A meter carrying on from a checkpoint: its warm start and warnings.
    pub fn resumed(y_star: Vec<f64>, warnings: Vec<String>) -> Self {
        GroupMeter {
            y_star_prev: y_star,
            warnings,
        }
    }

    /// The warm start of the next exact inner solve (what a checkpoint keeps).
    pub fn y_star(&self) -> &[f64] {
        &self.y_star_prev
    }

    /// The metric values of group (`config`, `seed`) at step `t`.
    pub fn values(
        &mut self,
        study: &Study,
        config: usize,
        seed: u64,
        t: u64,
        r: &GroupRecord,
    ) -> MetricValues {
        let mut row = MetricValues::default();
        if r.base_diverged {
            return row;
        }
        let s = &r.stability;
        if s.n > 0.0 {
            row[Metric::DistX] = s.dist_x / s.n;
            row[Metric::DistY] = s.dist_y / s.n;
            row[Metric::DistXy] = s.dist_xy / s.n;
            row[Metric::DistXSq] = s.dist_x_sq / s.n;
            row[Metric::DistYSq] = s.dist_y_sq / s.n;
            row[Metric::DistXySq] = (s.dist_x_sq + s.dist_y_sq) / s.n;
        }
        let test = match &study.population {
            Some(pop) if study.test_from_population() => pop.squared_risk(&r.y),
            _ => r.test_loss,
        };
        row[Metric::ValLoss] = r.val_loss;
        row[Metric::TestLoss] = test;
        row[Metric::GenGap] = test - r.val_loss;
        row[Metric::UpperObjective] = r.upper_objective;
        row[Metric::LowerObjective] = r.lower_objective;
        if study.spec.loss.is_classification() {
            row[Metric::ValAccuracy] = r.val_accuracy;
            row[Metric::TestAccuracy] = r.test_accuracy;
        }
        if study.config.run.exact {
            self.exact(&mut row, study, config, seed, t, &r.x, &r.y);
        }
        if study.spec.coupling == Coupling::Nonconvex && !r.y.is_empty() {
            let spec = &study.spec;
            let negative = (0..r.y.len())
                .filter(|&j| {
                    let x = r.x.get(spec.k(j, study.data.d())).copied().unwrap_or(0.0);
                    coupling::dyy(spec.coupling, spec.mu, x, r.y[j]) + spec.lam_y < 0.0
                })
                .count();
            row[Metric::NegCurvatureShare] = negative as f64 / r.y.len() as f64;
        }
        if study.spec.weighs_samples() {
            if let Ok(corrupted) = study.data.corrupted(seed) {
                if !corrupted.is_empty() {
                    let (p, r) = cleaning_scores(&r.x, corrupted);
                    row[Metric::CleaningPrecision] = p;
                    row[Metric::CleaningRecall] = r;
                }
            }
        }
        let c = &r.counts;
        row[Metric::OracleGradG] = c.grad_g as f64;
        row[Metric::OracleGradF] = c.grad_f as f64;
        row[Metric::OracleHvp] = c.hvp as f64;
        row[Metric::OracleJvp] = c.jvp as f64;
        row[Metric::Samples] = c.samples as f64;
        row[Metric::Seconds] = r.seconds;
        row
    }

    /// |grad F(x)| with the inner problem solved in f64, and |y - y*(x)|.
    #[allow(clippy::too_many_arguments)]
    fn exact(
        &mut self,
        row: &mut MetricValues,
        study: &Study,
        config: usize,
        seed: u64,
        t: u64,
        x: &[f64],
        y: &[f64],
    ) {
        let sets = match study.data.sets(seed) {
            Ok(s) => s,
            Err(e) => {
                self.warnings.push(format!("seed {seed}: {e}"));
                return;
            }
        };
        // A network's g has many local minima: Newton starts from the lane's own inner
        // iterate, so y*(x) is the stationary point reached from there (from the last y*, it
        // would follow whichever minimum the logging steps happened to lead to). Convex problems have one y*(x) and
        // keep the cheaper warm start.
        let start = if study.spec.model == crate::problem::Model::Mlp {
            y
        } else {
            &self.y_star_prev
        };
        match exact::hypergradient(
            &study.spec,
            sets.lower,
            sets.upper,
            x,
            start,
            study.config.run.exact_tol,
        ) {
            Ok(h) => {
                let g2: f64 = h.grad.iter().map(|g| g * g).sum();
                row[Metric::HypergradNorm] = g2.sqrt();
                row[Metric::HypergradNormSq] = g2;
                let ye: f64 = y.iter().zip(&h.y_star).map(|(a, s)| (a - s).powi(2)).sum();
                row[Metric::YErr] = ye.sqrt();
                self.y_star_prev = h.y_star;
            }
            Err(e) => self.warnings.push(format!(
                "{} seed {seed} step {t}: exact hypergradient not available: {e}",
                study.configs[config].label
            )),
        }
    }
}

/// Hyper-cleaning's diagnostic: the samples whose weight sigmoid(x_i) is below 1/2 (x_i < 0)
/// against the corrupted positions (ascending): (precision, recall). Precision is NaN when no
/// sample is down-weighted.
pub fn cleaning_scores(x: &[f64], corrupted: &[u32]) -> (f64, f64) {
    let flagged = x.iter().filter(|&&v| v < 0.0).count();
    let hits = corrupted
        .iter()
        .filter(|&&i| x.get(i as usize).is_some_and(|&v| v < 0.0))
        .count();
    let precision = if flagged == 0 {
        f64::NAN
    } else {
        hits as f64 / flagged as f64
    };
    (precision, hits as f64 / corrupted.len() as f64)
}
