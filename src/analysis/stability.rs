//! The stability paper's claims, checked on a run: growth with iterations (levels off in
//! SC-SC, grows in C-C and NC-NC), decay with the size of the set whose samples are replaced
//! (~ 1/m), and the orderings in T, in step size and between warm starts (`tsgd`) and
//! re-initialisation (`ud`). Each check states what the theory predicts, what the run shows
//! and whether they agree, so disagreements are said plainly rather than hidden in a figure.

use super::claim::{preset_grows, setting, theory_setting};
pub use super::claim::{Claim, Verdict, NOT_THEORY};
use super::fit::{fit_seeds, Fit};
use super::paired::ALPHA;
use super::run_data::{ConfigData, RunData};
use crate::algo::Schedule;
use crate::metrics::Metric;
use crate::sweep::ReplaceSide;
use serde::Serialize;

/// Tolerances of the verdicts, stated in the report.
pub const LEVEL_OFF_MAX: f64 = 0.2;
pub const SIZE_EXPONENT_MARGIN: f64 = 0.35;
/// Fewer logging points than this in a fit window leave the growth claim unjudged.
pub const MIN_FIT_POINTS: usize = 5;

/// Sources of the predictions, as the report names them.
pub const SOURCE_GROWTH: &str =
    "stability paper (SGD for bilevel problems, y not re-initialised): \
     argument stability bounded in t for SC-SC with constant steps, growing with t for C-C and \
     NC-NC; covers the sc-sc, c-c and nc-nc presets; a network lower model (`model = \"mlp\"`) is judged as \
     NC-NC whatever the preset";
pub const SOURCE_SIZE: &str = "stability paper: bounds O(1/m) in the number m of upper-level \
     (validation) samples; covers neighbours that replace an upper sample";
fn replace_side(run: &RunData, c: &ConfigData) -> ReplaceSide {
    let base = format!("{:?}", run.config.run.replace).to_lowercase();
    match setting(c, "run.replace", base).as_str() {
        "lower" => ReplaceSide::Lower,
        "both" => ReplaceSide::Both,
        _ => ReplaceSide::Upper,
    }
}

/// Late growth exponent of stability ~ t^a per configuration, over t >= fit_from * steps.
pub fn growth_fits(run: &RunData, metric: Metric) -> Vec<(String, Option<Fit>)> {
    let t0 = (run.config.report.fit_from * run.steps() as f64).max(1.0);
    let idx: Vec<usize> = (0..run.log_steps.len())
        .filter(|&i| run.log_steps[i] as f64 >= t0)
        .collect();
    let x: Vec<f64> = idx.iter().map(|&i| run.log_steps[i] as f64).collect();
    run.configs
        .iter()
        .map(|c| {
            let fit = c.per_seed.get(&metric).and_then(|v| {
                let ys: Vec<Vec<f64>> = v
                    .iter()
                    .map(|row| idx.iter().map(|&i| row[i]).collect())
                    .collect();
                fit_seeds(&x, &ys)
            });
            (c.label.clone(), fit)
        })
        .collect()
}

/// Every claim of a report on `metric`, corrected together so that the report's verdicts
/// ("holds", "does not hold") are wrong with probability at most [`ALPHA`] in all: half of
/// it for the exponent rows (Bonferroni: each judged row's interval at level
/// 1 - ALPHA / 2k), half for the orderings (Holm over their paired tests).
pub fn claims(run: &RunData, metric: Metric) -> Claims {
    let judged = |cs: Vec<Claim>| {
        cs.iter()
            .filter(|c| c.verdict.is_judged() || c.verdict == Verdict::Inconclusive)
            .count()
    };
    let k = judged(growth_claims(run, metric, ALPHA)) + judged(size_claims(run, metric, ALPHA));
    let alpha = ALPHA / 2.0 / k.max(1) as f64;
    Claims {
        growth: growth_claims(run, metric, alpha),
        size: size_claims(run, metric, alpha),
        ordering: super::ordering::ordering_claims_at(run, metric, ALPHA / 2.0),
        exponent_rows: k,
    }
}

/// The claims of one report, corrected together ([`claims`]).
#[derive(Clone, Debug, Serialize)]
pub struct Claims {
    pub growth: Vec<Claim>,
    pub size: Vec<Claim>,
    pub ordering: Vec<Claim>,
    /// Exponent rows the Bonferroni correction spans.
    pub exponent_rows: usize,
}

/// `a = 0.52 [0.48, 0.57] (95 %), [0.45, 0.60] at the report's corrected level`.
fn fit_text(name: &str, f: &Fit, alpha: f64, points: bool, judged: bool) -> String {
    let (lo, hi) = f.interval(alpha);
    let mut t = format!("{name} = {}", f.text());
    if points {
        t.push_str(&format!(" ({} points)", f.points));
    }
    if judged && alpha < ALPHA && lo.is_finite() {
        t.push_str(&format!("; corrected [{lo:.2}, {hi:.2}]"));
    }
    t
}

/// Growth with iterations, per configuration, each judged on its interval at level
/// 1 - `alpha`.
pub fn growth_claims(run: &RunData, metric: Metric, alpha: f64) -> Vec<Claim> {
    growth_fits(run, metric)
        .into_iter()
        .zip(&run.configs)
        .map(|((label, fit), c)| {
            let preset = theory_setting(run, c);
            let fit = fit.filter(|f| f.points >= MIN_FIT_POINTS);
            // The statements are for neighbours that replace an upper (validation) sample,
            // and their intervals need seeds: one curve's regression over log-time points
            // understates its uncertainty.
            let upper = replace_side(run, c) == ReplaceSide::Upper;
            let per_seed = fit.is_some_and(|f| f.method == super::fit::FitMethod::PerSeed);
            let decaying = !matches!(c.settings.alpha, Schedule::Constant(_))
                || !matches!(c.settings.beta, Schedule::Constant(_));
            let (prediction, verdict) = match (preset_grows(&preset), &fit) {
                (Some(_), Some(_)) if !upper => (
                    "no prediction: the statements are for replaced upper (validation) samples"
                        .to_string(),
                    Verdict::NotJudged,
                ),
                (Some(_), Some(_)) if !per_seed => (
                    "not judged: one seed (its regression interval over logging points is too narrow to judge on)"
                        .to_string(),
                    Verdict::NotJudged,
                ),
                // The sc-sc statement is for constant steps; with decaying steps the run may
                // still be settling at the end of the horizon.
                (Some(false), Some(_)) if decaying => (
                    "no prediction for the late exponent: the sc-sc result is for constant steps"
                        .to_string(),
                    Verdict::NotJudged,
                ),
                (Some(false), Some(f)) => (
                    format!("levels off: late exponent a near 0 (holds when a's corrected interval lies below {LEVEL_OFF_MAX})"),
                    {
                        let (lo, hi) = f.interval(alpha);
                        Verdict::of_interval(lo, hi, |a| a < LEVEL_OFF_MAX)
                    },
                ),
                (Some(true), Some(f)) => (
                    "keeps growing: a > 0 (holds when a's corrected interval lies above 0)".to_string(),
                    {
                        let (lo, hi) = f.interval(alpha);
                        Verdict::of_interval(lo, hi, |a| a > 0.0)
                    },
                ),
                (None, _) => ("no prediction for this problem".into(), Verdict::NotJudged),
                (_, None) => (
                    format!("not judged: fewer than {MIN_FIT_POINTS} logging points in the fit window (lower report.fit_from or log more points)"),
                    Verdict::NotJudged,
                ),
            };
            Claim {
                subject: label,
                prediction,
                source: SOURCE_GROWTH.into(),
                observed: fit.map_or("not enough points to fit".into(), |f| {
                    fit_text("a", &f, alpha, true, verdict != Verdict::NotJudged)
                }),
                verdict,
            }
        })
        .collect()
}

/// Final stability against a sample size: one curve per group of variants that differ only
/// in that size.
#[derive(Clone, Debug, Serialize)]
pub struct SizeCurve {
    pub group: String,
    /// The sizes, ascending.
    pub sizes: Vec<f64>,
    /// Final stability at each size, over seeds.
    pub finals: Vec<crate::metrics::Summary>,
    /// Exponent b of final stability ~ size^b (seeds paired across sizes).
    pub fit: Option<Fit>,
    /// Which set the group's neighbours replace samples of.
    pub replace: ReplaceSide,
}

/// Size curves along `key` (`data.n_upper` or `data.n_lower`), per algorithm configuration.
pub fn size_fits(run: &RunData, key: &str, metric: Metric) -> Vec<SizeCurve> {
    run.groups_along(key)
        .into_iter()
        .map(|(group, cs)| {
            let sizes: Vec<f64> = cs.iter().filter_map(|c| c.variant_value(key)).collect();
            let per_config: Vec<Vec<f64>> = cs.iter().map(|c| c.final_values(metric)).collect();
            let n_seeds = per_config.iter().map(Vec::len).min().unwrap_or(0);
            // Seeds are shared across variants, so seed s's curve over the sizes is paired.
            let ys: Vec<Vec<f64>> = (0..n_seeds)
                .map(|s| per_config.iter().map(|v| v[s]).collect())
                .collect();
            SizeCurve {
                replace: replace_side(run, cs[0]),
                fit: fit_seeds(&sizes, &ys),
                finals: cs.iter().map(|c| c.final_summary(metric)).collect(),
                group,
                sizes,
            }
        })
        .collect()
}

/// The size exponents, each judged on its interval at level 1 - `alpha`.
pub fn size_claims(run: &RunData, metric: Metric, alpha: f64) -> Vec<Claim> {
    let mut out = Vec::new();
    for (key, side, name) in [
        ("data.n_upper", ReplaceSide::Upper, "m (upper-level size)"),
        ("data.n_lower", ReplaceSide::Lower, "n (lower-level size)"),
    ] {
        for SizeCurve {
            group: g,
            sizes,
            fit,
            replace,
            ..
        } in size_fits(run, key, metric)
        {
            if sizes.len() < 2 {
                continue;
            }
            let replaced = replace == side || replace == ReplaceSide::Both;
            let theory = side == ReplaceSide::Upper;
            let per_seed = fit.is_some_and(|f| f.method == super::fit::FitMethod::PerSeed);
            let (prediction, source, verdict) = match (&fit, replaced, theory) {
                (Some(_), true, true) if !per_seed => (
                    "not judged: one seed (its regression interval is too narrow to judge on)"
                        .into(),
                    SOURCE_SIZE.into(),
                    Verdict::NotJudged,
                ),
                (None, _, _) => (
                    "not enough points to fit".into(),
                    SOURCE_SIZE.into(),
                    Verdict::NotJudged,
                ),
                (Some(_), _, false) => (
                    format!("no prediction in {name}"),
                    NOT_THEORY.into(),
                    Verdict::NotJudged,
                ),
                (Some(f), true, true) => (
                    format!(
                        "stability ~ {name}^-1 when its samples are replaced (holds when b's corrected interval lies within -1 +- {SIZE_EXPONENT_MARGIN})"
                    ),
                    SOURCE_SIZE.into(),
                    {
                        let (lo, hi) = f.interval(alpha);
                        Verdict::of_interval(lo, hi, |b| (b + 1.0).abs() <= SIZE_EXPONENT_MARGIN)
                    },
                ),
                (Some(_), false, true) => (
                    format!("no prediction: {name} varies but the other set's samples are replaced"),
                    SOURCE_SIZE.into(),
                    Verdict::NotJudged,
                ),
            };
            out.push(Claim {
                subject: g,
                prediction,
                source,
                observed: fit.map_or("not enough points to fit".into(), |f| {
                    fit_text("b", &f, alpha, false, verdict != Verdict::NotJudged)
                }),
                verdict,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts_need_the_whole_interval() {
        let below = |a: f64| a < LEVEL_OFF_MAX;
        assert_eq!(Verdict::of_interval(-0.1, 0.1, below), Verdict::Holds);
        assert_eq!(Verdict::of_interval(0.3, 0.5, below), Verdict::Fails);
        assert_eq!(
            Verdict::of_interval(-0.06, 0.76, below),
            Verdict::Inconclusive
        );
        assert_eq!(
            Verdict::of_interval(f64::NAN, 0.1, below),
            Verdict::NotJudged
        );
    }
}
