//! `run.step_scaling`: step sizes and loop lengths that follow the condition number of a kappa
//! study, with per-algorithm exponents and the analysis each comes from.
//!
//! Owns: the exponents, their checks and how a configuration is scaled. Must not know: TOML
//! files, engines, reports (which print the rule through [`StepScaling::exponents`] and
//! [`StepScaling::source`]).

use crate::algo::{AlgoConfig, AlgoKind, Setting};
use crate::error::{Result, SboError};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Step sizes (and loop lengths) that follow kappa, as convergence theory prescribes: every
/// schedule constant is multiplied by `(kappa / reference)^exponent` (alpha, beta, gamma, and
/// the Neumann scale eta with beta's exponent), inner steps and stocBiO's Neumann terms
/// likewise. With the synthetic default s_max = kappa (mu + lam_y) the lower
/// smoothness L grows like kappa, so `beta = -1` keeps beta L fixed; a fixed rule (all 0) is
/// what a user without the theory would do. Only synthetic data with `data.kappa` set.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StepScaling {
    /// The kappa at which the configured step sizes apply unchanged.
    pub reference: f64,
    pub alpha: f64,
    pub beta: f64,
    pub gamma: f64,
    /// Exponent of the inner steps T / D (rounded, at least 1): the multi-loop theory takes
    /// D ~ kappa log(1/eps) inner steps.
    pub inner: f64,
    /// Exponent of Q: stocBiO's Neumann terms (its theory: Q ~ kappa log(1/eps) with eta ~
    /// 1/L) and amigo's SGD steps on v. CG (`aid-cg`) keeps its Q: it needs at most d
    /// iterations and is warm-started.
    pub neumann_terms: f64,
    /// Per-algorithm exponents (`[run.step_scaling.algo.stocbio]`), because each analysis
    /// prescribes its own: a multi-loop method that solves the inner problem to accuracy can
    /// take a larger outer step than a single loop whose y and v must track x. Unset fields
    /// keep the exponents above.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub algo: BTreeMap<String, AlgoScaling>,
}

/// One algorithm's exponents in [`StepScaling`], with the analysis they come from, which the
/// kappa report prints beside the rule.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AlgoScaling {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alpha: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub beta: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gamma: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inner: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub neumann_terms: Option<f64>,
    /// Where the exponents come from (paper, statement), or how they were chosen.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// The exponents one algorithm runs with: [`StepScaling`]'s, overridden by its own entry.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Exponents {
    pub alpha: f64,
    pub beta: f64,
    pub gamma: f64,
    pub inner: f64,
    pub neumann_terms: f64,
}

impl Default for StepScaling {
    fn default() -> Self {
        StepScaling {
            reference: 1.0,
            alpha: 0.0,
            beta: -1.0,
            gamma: -1.0,
            inner: 0.0,
            neumann_terms: 0.0,
            algo: BTreeMap::new(),
        }
    }
}

impl StepScaling {
    /// Checks what `run.validate` checks of the scaling; errors name `run.step_scaling.*`.
    pub fn validate(&self) -> Result<()> {
        if !(self.reference.is_finite() && self.reference > 0.0) {
            return Err(SboError::config(
                "run.step_scaling.reference",
                "must be a kappa > 0",
            ));
        }
        let own = self.algo.iter().map(|(name, a)| {
            (
                format!("run.step_scaling.algo.{name}."),
                [a.alpha, a.beta, a.gamma, a.inner, a.neumann_terms],
            )
        });
        let base = (
            "run.step_scaling.".to_string(),
            [
                self.alpha,
                self.beta,
                self.gamma,
                self.inner,
                self.neumann_terms,
            ]
            .map(Some),
        );
        for (prefix, values) in std::iter::once(base).chain(own) {
            let names = ["alpha", "beta", "gamma", "inner", "neumann_terms"];
            for (f, v) in names.iter().zip(values) {
                if v.is_some_and(|v| !v.is_finite()) {
                    return Err(SboError::config(
                        format!("{prefix}{f}"),
                        "must be a finite exponent",
                    ));
                }
            }
        }
        for (name, own) in &self.algo {
            let field = format!("run.step_scaling.algo.{name}");
            let kind = AlgoKind::parse(name).map_err(|e| match e {
                SboError::Config { msg, .. } => SboError::config(&field, msg),
                other => other,
            })?;
            let scaled = kind.descriptor().kappa_scaled;
            // An exponent for a setting the algorithm keeps fixed would be ignored.
            for (key, value, setting) in [
                ("alpha", own.alpha, Setting::Alpha),
                ("beta", own.beta, Setting::Beta),
                ("gamma", own.gamma, Setting::Gamma),
                ("inner", own.inner, Setting::InnerSteps),
                ("neumann_terms", own.neumann_terms, Setting::Terms),
            ] {
                if value.is_some() && !scaled.contains(&setting) {
                    return Err(SboError::config(
                        format!("{field}.{key}"),
                        format!("{name} does not scale this setting with kappa"),
                    ));
                }
            }
            if scaled.is_empty() {
                return Err(SboError::config(
                    field,
                    "this algorithm has no kappa-scaled settings",
                ));
            }
        }
        Ok(())
    }

    /// The exponents algorithm `kind` runs with.
    pub fn exponents(&self, kind: AlgoKind) -> Exponents {
        let own = self.algo.get(kind.name());
        let pick = |f: fn(&AlgoScaling) -> Option<f64>, base: f64| own.and_then(f).unwrap_or(base);
        Exponents {
            alpha: pick(|a| a.alpha, self.alpha),
            beta: pick(|a| a.beta, self.beta),
            gamma: pick(|a| a.gamma, self.gamma),
            inner: pick(|a| a.inner, self.inner),
            neumann_terms: pick(|a| a.neumann_terms, self.neumann_terms),
        }
    }

    /// Where algorithm `kind`'s exponents come from, when the config says.
    pub fn source(&self, kind: AlgoKind) -> Option<&str> {
        self.algo.get(kind.name())?.source.as_deref()
    }

    /// `cfg` at condition number `kappa`: the settings its algorithm's descriptor lists as
    /// kappa-scaled are multiplied (step sizes, eta with beta's factor) or grown (inner steps
    /// and Neumann terms, rounded, at least 1); the others stay as configured.
    pub fn apply(&self, kappa: f64, cfg: &mut AlgoConfig) {
        let e = self.exponents(cfg.kind);
        let r = kappa / self.reference;
        let grow = |n: usize, e: f64| ((n as f64 * r.powf(e)).round() as usize).max(1);
        for s in cfg.kind.descriptor().kappa_scaled {
            match s {
                Setting::Alpha => cfg.alpha = cfg.alpha.scaled(r.powf(e.alpha)),
                Setting::Beta => cfg.beta = cfg.beta.scaled(r.powf(e.beta)),
                Setting::Gamma => cfg.gamma = cfg.gamma.scaled(r.powf(e.gamma)),
                Setting::Eta => cfg.eta *= r.powf(e.beta),
                Setting::InnerSteps => cfg.inner_steps = grow(cfg.inner_steps, e.inner),
                Setting::Terms => cfg.terms = grow(cfg.terms, e.neumann_terms),
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sweep::SweepConfig;

    fn scaling(text: &str) -> Result<SweepConfig> {
        let c = SweepConfig::from_toml(&format!(
            "[data]\nkind = \"synthetic\"\nkappa = 100.0\n[run.step_scaling]\nreference = 10.0\nalpha = -2.0\ninner = 1.0\n{text}"
        ))?;
        c.run.validate()?;
        Ok(c)
    }

    #[test]
    fn each_algorithm_may_scale_by_its_own_exponents() {
        let c = scaling(
            "[run.step_scaling.algo.stocbio]\nalpha = -1.0\nneumann_terms = 1.0\nsource = \"paper\"",
        )
        .expect("config");
        let sc = c.run.step_scaling.as_ref().expect("scaling");
        let mut stocbio = AlgoConfig::new(AlgoKind::parse("stocbio").expect("stocbio"));
        stocbio.alpha = crate::algo::Schedule::Constant(1.0);
        stocbio.inner_steps = 10;
        stocbio.terms = 10;
        let mut ssaid = AlgoConfig::new(AlgoKind::parse("ssaid").expect("ssaid"));
        ssaid.alpha = crate::algo::Schedule::Constant(1.0);
        sc.apply(100.0, &mut stocbio);
        sc.apply(100.0, &mut ssaid);
        // kappa / reference = 10: stocBiO's own alpha exponent -1, the shared inner 1.
        assert_eq!(stocbio.alpha, crate::algo::Schedule::Constant(0.1));
        assert_eq!((stocbio.inner_steps, stocbio.terms), (100, 100));
        assert_eq!(ssaid.alpha, crate::algo::Schedule::Constant(0.01));
        assert_eq!(
            sc.source(AlgoKind::parse("stocbio").expect("kind")),
            Some("paper")
        );
        assert_eq!(sc.source(AlgoKind::parse("ssaid").expect("kind")), None);
    }

    #[test]
    fn a_scaling_entry_for_an_unknown_algorithm_names_its_field() {
        let field = |r: Result<SweepConfig>| match r {
            Err(SboError::Config { field, .. }) => field,
            other => panic!("expected a config error, got {other:?}"),
        };
        assert_eq!(
            field(scaling("[run.step_scaling.algo.sgdx]\nalpha = -1.0")),
            "run.step_scaling.algo.sgdx"
        );
        assert_eq!(
            field(scaling("[run.step_scaling.algo.stocbio]\nalpha = nan")),
            "run.step_scaling.algo.stocbio.alpha"
        );
        assert!(scaling("[run.step_scaling.algo.stocbio]\nalphaa = 1.0").is_err());
        // aid-cg keeps its CG iterations: an exponent for them would be silently ignored.
        assert_eq!(
            field(scaling(
                "[run.step_scaling.algo.aid-cg]\nneumann_terms = 1.0"
            )),
            "run.step_scaling.algo.aid-cg.neumann_terms"
        );
    }
}
