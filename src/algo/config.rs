//! One configuration of an algorithm: the algorithm and every setting it may read, with the
//! checks that do not depend on the algorithm.
//!
//! Owns: [`AlgoConfig`], [`AlgoKind`] and [`BatchSize`]. Must not know: grids, TOML
//! spellings or engines (`sweep::grid` expands `[[algo]]` tables into these), which
//! algorithms exist (`registry`).

use super::Schedule;
use crate::error::{Result, SboError};
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// An algorithm: its position in the registry (`algo::registry`), which holds its
/// descriptor. Prints, parses and serializes by name (`AlgoKind::SSAID`, `"ssaid"`).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct AlgoKind(pub(super) u16);

/// A batch size, or the whole set (which makes every algorithm deterministic).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BatchSize {
    Full,
    Size(usize),
}

/// Written as a number or `"full"`.
impl Serialize for BatchSize {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        match *self {
            BatchSize::Full => s.serialize_str("full"),
            BatchSize::Size(n) => s.serialize_u64(n as u64),
        }
    }
}

impl<'de> Deserialize<'de> for BatchSize {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = BatchSize;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a batch size: a positive integer or \"full\"")
            }
            fn visit_u64<E: de::Error>(self, n: u64) -> std::result::Result<BatchSize, E> {
                match usize::try_from(n) {
                    Ok(n) if n > 0 => Ok(BatchSize::Size(n)),
                    _ => Err(E::custom(format!("batch size must be > 0, got {n}"))),
                }
            }
            fn visit_i64<E: de::Error>(self, n: i64) -> std::result::Result<BatchSize, E> {
                match u64::try_from(n) {
                    Ok(n) => self.visit_u64(n),
                    Err(_) => Err(E::custom(format!("batch size must be > 0, got {n}"))),
                }
            }
            fn visit_str<E: de::Error>(self, s: &str) -> std::result::Result<BatchSize, E> {
                match s {
                    "full" => Ok(BatchSize::Full),
                    _ => Err(E::custom(format!(
                        "expected a positive integer or \"full\", got `{s}`"
                    ))),
                }
            }
        }
        d.deserialize_any(V)
    }
}

impl BatchSize {
    /// Number of samples one oracle call reads on a set of `n`.
    pub fn len(&self, n: usize) -> usize {
        match *self {
            BatchSize::Full => n,
            BatchSize::Size(b) => b,
        }
    }
}

/// One algorithm with all its hyperparameters: one *configuration* of a sweep.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlgoConfig {
    pub kind: AlgoKind,
    /// Upper-level (x) step size.
    pub alpha: Schedule,
    /// Lower-level (y) step size.
    pub beta: Schedule,
    /// Linear-system (v) step size (`ssaid`).
    pub gamma: Schedule,
    pub batch_lower: BatchSize,
    pub batch_upper: BatchSize,
    /// Inner steps per outer step: T for `tsgd`/`ud`, D for `stocbio`/`aid-cg`.
    pub inner_steps: usize,
    /// Neumann terms (`stocbio`) or CG iterations (`aid-cg`): Q.
    pub terms: usize,
    /// Neumann scale (`stocbio`).
    pub eta: f64,
    /// Draw each batch without replacement within the batch.
    pub without_replacement: bool,
    /// `ssaid`: draw the Hessian batch independently of the y-step batch.
    pub independent_hvp_batch: bool,
    /// `ssaid`: clip |v| to this radius.
    pub v_radius: Option<f64>,
    /// Weight of the newest estimate in a moving average or STORM momentum, in (0, 1]
    /// (`ma-soba`'s theta; benchopt's `eta` of `fsla` and `mrbo`).
    #[serde(default = "default_rho", skip_serializing_if = "is_default_rho")]
    pub rho: Schedule,
    /// `f2sa`: the penalty weight at the first step (benchopt's `lmbda0`).
    #[serde(
        default = "default_lambda0",
        skip_serializing_if = "is_default_lambda0"
    )]
    pub lambda0: f64,
    /// `f2sa`: what the penalty weight grows by after step t (benchopt's `delta_lmbda`
    /// with its exponent); 0 keeps it at `lambda0`.
    #[serde(
        default = "default_delta_lambda",
        skip_serializing_if = "is_default_delta_lambda"
    )]
    pub delta_lambda: Schedule,
    /// `srba`: outer steps between full-batch directions; 0 takes benchopt's rule,
    /// (n_lower + n_upper) / (2 batch_lower).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub period: usize,
}

impl AlgoConfig {
    /// True when lanes of `self` and of `other` on one seed draw the same batches and take
    /// the same control flow, so that they can be stepped as one pack: the configurations
    /// differ at most in values the arithmetic reads per lane (alpha, beta, gamma, rho, eta,
    /// lambda0, delta_lambda; see `LaneState::setting`).
    pub fn same_batches(&self, other: &AlgoConfig) -> bool {
        let zero = Schedule::Constant(0.0);
        let blank = |c: &AlgoConfig| AlgoConfig {
            alpha: zero,
            beta: zero,
            gamma: zero,
            rho: zero,
            eta: 0.0,
            lambda0: 0.0,
            delta_lambda: zero,
            ..c.clone()
        };
        blank(self) == blank(other)
    }
}

fn is_zero(v: &usize) -> bool {
    *v == 0
}

// Settings added after the first run directories were written: absent in those, and left
// out of the serialised form at their defaults so that older outputs keep their bytes.
fn default_rho() -> Schedule {
    Schedule::Constant(0.5)
}
fn is_default_rho(s: &Schedule) -> bool {
    *s == default_rho()
}
fn default_lambda0() -> f64 {
    1.0
}
fn is_default_lambda0(v: &f64) -> bool {
    *v == default_lambda0()
}
fn default_delta_lambda() -> Schedule {
    Schedule::Constant(0.0)
}
fn is_default_delta_lambda(s: &Schedule) -> bool {
    *s == default_delta_lambda()
}

impl Default for AlgoConfig {
    fn default() -> Self {
        AlgoConfig {
            kind: AlgoKind::SSGD,
            alpha: Schedule::Constant(0.1),
            beta: Schedule::Constant(0.1),
            gamma: Schedule::Constant(0.1),
            batch_lower: BatchSize::Size(32),
            batch_upper: BatchSize::Size(32),
            inner_steps: 1,
            terms: 10,
            eta: 0.1,
            without_replacement: false,
            independent_hvp_batch: false,
            v_radius: None,
            rho: default_rho(),
            lambda0: default_lambda0(),
            delta_lambda: default_delta_lambda(),
            period: 0,
        }
    }
}

impl AlgoConfig {
    /// `kind` with the generic defaults (inner steps 1, 10 terms, steps 0.1, batch 32).
    pub fn new(kind: AlgoKind) -> Self {
        AlgoConfig {
            kind,
            ..Default::default()
        }
    }

    /// `kind` with the defaults its descriptor chooses (what an `[[algo]]` table starts from).
    pub fn defaults_for(kind: AlgoKind) -> Self {
        let mut c = AlgoConfig::new(kind);
        (kind.descriptor().defaults)(&mut c);
        c
    }

    /// Samples per (lower, upper) batch on sets of `n_lower` and `n_upper` samples.
    pub fn batch_lens(&self, n_lower: usize, n_upper: usize) -> (usize, usize) {
        (self.batch_lower.len(n_lower), self.batch_upper.len(n_upper))
    }

    /// srba's steps between full-batch directions on sets of `n_lower` and `n_upper`
    /// samples: `period`, or benchopt's rule (its `period_frac` = 1/2) when 0; at least 1.
    pub fn period_len(&self, n_lower: usize, n_upper: usize) -> u64 {
        if self.period > 0 {
            return self.period as u64;
        }
        let b = self.batch_lower.len(n_lower).max(1);
        ((n_lower + n_upper) / (2 * b)).max(1) as u64
    }

    /// Checks the configuration against set sizes; `field` prefixes error field names.
    pub fn validate(&self, n_lower: usize, n_upper: usize, field: &str) -> Result<()> {
        for (name, b, n) in [
            ("batch_lower", self.batch_lower, n_lower),
            ("batch_upper", self.batch_upper, n_upper),
        ] {
            if let BatchSize::Size(s) = b {
                if s == 0 {
                    return Err(SboError::config(format!("{field}.{name}"), "must be > 0"));
                }
                if self.without_replacement && s > n {
                    return Err(SboError::config(
                        format!("{field}.{name}"),
                        format!("{s} samples without replacement from a set of {n}"),
                    ));
                }
                if s > u32::MAX as usize || n > u32::MAX as usize {
                    return Err(SboError::config(format!("{field}.{name}"), "too large"));
                }
            }
        }
        // alpha = 0 is the untuned model (x stays at x0); a zero beta or gamma would only
        // freeze y or v, which no method intends.
        for (name, sched) in [("beta", self.beta), ("gamma", self.gamma)] {
            if sched == Schedule::Constant(0.0) {
                return Err(SboError::config(
                    format!("{field}.{name}"),
                    "step size must be a finite number > 0, got 0 (only alpha may be 0: the \
                     untuned model)",
                ));
            }
        }
        if self.inner_steps == 0 {
            return Err(SboError::config(
                format!("{field}.{}", self.kind.descriptor().inner_key),
                "must be >= 1",
            ));
        }
        if self.terms == 0 {
            return Err(SboError::config(format!("{field}.Q"), "must be >= 1"));
        }
        if !(self.eta.is_finite() && self.eta > 0.0) {
            return Err(SboError::config(format!("{field}.eta"), "must be > 0"));
        }
        if let Some(r) = self.v_radius {
            if !(r.is_finite() && r > 0.0) {
                return Err(SboError::config(format!("{field}.v_radius"), "must be > 0"));
            }
        }
        // Schedules built in code skip the parser's checks: a negative exponent would make
        // rho grow past 1 (flipping the momentum) or lambda's growth explode.
        for (name, sched) in [("rho", self.rho), ("delta_lambda", self.delta_lambda)] {
            if let Schedule::Poly(_, e) = sched {
                if !(e.is_finite() && e >= 0.0) {
                    return Err(SboError::config(
                        format!("{field}.{name}"),
                        format!("poly exponent must be finite and >= 0, got {e}"),
                    ));
                }
            }
        }
        let dl = self.delta_lambda.at(0);
        if !(dl.is_finite() && dl >= 0.0) {
            return Err(SboError::config(
                format!("{field}.delta_lambda"),
                format!("must be a finite number >= 0, got {dl}"),
            ));
        }
        // A schedule's largest value is its first: rho must be a weight in (0, 1].
        let rho0 = self.rho.at(0);
        if !(rho0 > 0.0 && rho0 <= 1.0) {
            return Err(SboError::config(
                format!("{field}.rho"),
                format!("must be a weight in (0, 1], got {rho0} at the first step"),
            ));
        }
        if !(self.lambda0.is_finite() && self.lambda0 > 0.0) {
            return Err(SboError::config(format!("{field}.lambda0"), "must be > 0"));
        }
        Ok(())
    }
}
