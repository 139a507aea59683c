//! A claim of the theory checked on a run, and its verdict: what the stability and ordering
//! checks, the kappa and eps exponents and the tuning comparison all report.
//!
//! Owns: the verdict vocabulary and the settings a claim is judged in. Must not know: how a
//! verdict is reached.

use super::run_data::{ConfigData, RunData};
use serde::Serialize;

/// The outcome of checking one claim. A fitted exponent is judged by its interval, so a
/// verdict is only given when the run can tell: an interval that straddles the threshold is
/// `Inconclusive`, not a pass or a failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Verdict {
    Holds,
    Fails,
    Inconclusive,
    /// The theory predicts nothing here, or there is too little data.
    NotJudged,
}

impl Verdict {
    /// From an interval [lo, hi] and the predicate "value is on the predicted side of a
    /// threshold": holds when the whole interval is, fails when none of it is.
    pub(super) fn of_interval(lo: f64, hi: f64, ok: impl Fn(f64) -> bool) -> Verdict {
        if !(lo.is_finite() && hi.is_finite()) {
            return Verdict::NotJudged;
        }
        match (ok(lo), ok(hi)) {
            (true, true) => Verdict::Holds,
            (false, false) => Verdict::Fails,
            _ => Verdict::Inconclusive,
        }
    }

    /// A "holds" on the reached range only is no "holds" when a harder setting (a larger
    /// kappa, a smaller eps) was not reached: the missing point is the one that would show a
    /// cost outgrowing its bound.
    pub fn unless_censored(self, censored: bool) -> Verdict {
        if censored && self == Verdict::Holds {
            Verdict::Inconclusive
        } else {
            self
        }
    }

    pub fn is_judged(&self) -> bool {
        matches!(self, Verdict::Holds | Verdict::Fails)
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Claim {
    /// What is compared (a configuration or a group of them).
    pub subject: String,
    pub prediction: String,
    /// Where the prediction comes from and the settings it covers.
    pub source: String,
    pub observed: String,
    pub verdict: Verdict,
}

/// Rows outside the theory's settings.
pub const NOT_THEORY: &str = "no statement of the stability paper (its bounds are in m, the \
     upper-level size): shown, not judged";

/// A run setting as a configuration saw it: its variant's value when `[vary]` sets the key,
/// else the run's.
pub(super) fn setting(c: &ConfigData, key: &str, base: String) -> String {
    c.variant
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.clone())
        .unwrap_or(base)
}

/// The stability paper's setting of a configuration, named as the presets are: its preset,
/// except that any run with the network lower model is `nc-nc` (the network makes g and f
/// nonconvex in y whatever the preset's loss and coupling). Linear hyper-cleaning (g strongly
/// convex in y, x entering through sigmoid weights) is none of the paper's settings and keeps
/// its own name, which no prediction covers.
pub(super) fn theory_setting(run: &RunData, c: &ConfigData) -> String {
    let preset = setting(
        c,
        "problem.preset",
        run.config.problem.preset.name().to_string(),
    );
    let base_model = match run.config.problem.model {
        Some(crate::problem::Model::Mlp) => "mlp",
        _ => "linear",
    };
    let model = setting(c, "problem.model", base_model.to_string());
    if model.trim_matches('"') == "mlp" {
        "nc-nc".to_string()
    } else {
        preset
    }
}

/// Whether the theory predicts growth in t for `preset` (`None`: no prediction).
pub(super) fn preset_grows(preset: &str) -> Option<bool> {
    match preset {
        "sc-sc" => Some(false),
        "c-c" | "nc-nc" => Some(true),
        _ => None,
    }
}
