//! The stability paper's claims, checked on a run: growth with iterations (levels off in
//! SC-SC, grows in C-C and NC-NC), decay with the size of the set whose samples are replaced
//! (~ 1/m), and the orderings in T, in step size and between warm starts (`tsgd`) and
//! re-initialisation (`ud`). Each check states what the theory predicts, what the run shows
//! and whether they agree, so disagreements are said plainly rather than hidden in a figure.

use super::fit::{fit_seeds, Fit};
use super::run_data::{ConfigData, RunData};
use crate::algo::{AlgoConfig, Schedule};
use crate::metrics::Metric;
use crate::sweep::ReplaceSide;
use serde::Serialize;

/// Tolerances of the verdicts, stated in the report.
pub const LEVEL_OFF_MAX: f64 = 0.2;
pub const SIZE_EXPONENT_MARGIN: f64 = 0.35;
/// Fewer logging points than this in a fit window leave the growth claim unjudged.
pub const MIN_FIT_POINTS: usize = 5;

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
    fn of(b: bool) -> Verdict {
        if b {
            Verdict::Holds
        } else {
            Verdict::Fails
        }
    }

    /// From an interval [lo, hi] and the predicate "value is on the predicted side of a
    /// threshold": holds when the whole interval is, fails when none of it is.
    fn of_interval(lo: f64, hi: f64, ok: impl Fn(f64) -> bool) -> Verdict {
        if !(lo.is_finite() && hi.is_finite()) {
            return Verdict::NotJudged;
        }
        match (ok(lo), ok(hi)) {
            (true, true) => Verdict::Holds,
            (false, false) => Verdict::Fails,
            _ => Verdict::Inconclusive,
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
    pub observed: String,
    pub verdict: Verdict,
}

/// A run setting as a configuration saw it: its variant's value when `[vary]` sets the key,
/// else the run's.
fn setting(c: &ConfigData, key: &str, base: String) -> String {
    c.variant
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.clone())
        .unwrap_or(base)
}

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

fn preset_grows(preset: &str) -> Option<bool> {
    match preset {
        "sc-sc" => Some(false),
        "c-c" | "nc-nc" => Some(true),
        _ => None,
    }
}

/// Growth with iterations, per configuration.
pub fn growth_claims(run: &RunData, metric: Metric) -> Vec<Claim> {
    growth_fits(run, metric)
        .into_iter()
        .zip(&run.configs)
        .map(|((label, fit), c)| {
            let preset = setting(c, "problem.preset", run.config.problem.preset.name().to_string());
            let fit = fit.filter(|f| f.points >= MIN_FIT_POINTS);
            let decaying = !matches!(c.settings.alpha, Schedule::Constant(_))
                || !matches!(c.settings.beta, Schedule::Constant(_));
            let (prediction, verdict) = match (preset_grows(&preset), &fit) {
                // The sc-sc statement is for constant steps; with decaying steps the run may
                // still be settling at the end of the horizon.
                (Some(false), Some(_)) if decaying => (
                    "no prediction for the late exponent: the sc-sc result is for constant steps"
                        .to_string(),
                    Verdict::NotJudged,
                ),
                (Some(false), Some(f)) => (
                    format!("levels off: late exponent a near 0 (holds when a's interval lies below {LEVEL_OFF_MAX})"),
                    Verdict::of_interval(f.ci_low, f.ci_high, |a| a < LEVEL_OFF_MAX),
                ),
                (Some(true), Some(f)) => (
                    "keeps growing: a > 0 (holds when a's interval lies above 0)".to_string(),
                    Verdict::of_interval(f.ci_low, f.ci_high, |a| a > 0.0),
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
                observed: fit.map_or("not enough points to fit".into(), |f| {
                    format!("a = {} ({} points)", f.text(), f.points)
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

pub fn size_claims(run: &RunData, metric: Metric) -> Vec<Claim> {
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
            let (prediction, verdict) = match (&fit, replaced) {
                (Some(f), true) => (
                    format!(
                        "stability ~ {name}^-1 when its samples are replaced (holds when b's interval lies within -1 +- {SIZE_EXPONENT_MARGIN})"
                    ),
                    Verdict::of_interval(f.ci_low, f.ci_high, |b| {
                        (b + 1.0).abs() <= SIZE_EXPONENT_MARGIN
                    }),
                ),
                (None, _) => ("not enough points to fit".into(), Verdict::NotJudged),
                (_, false) => (
                    format!("no prediction: {name} varies but the other set's samples are replaced"),
                    Verdict::NotJudged,
                ),
            };
            out.push(Claim {
                subject: g,
                prediction,
                observed: fit.map_or("not enough points to fit".into(), |f| {
                    format!("b = {}", f.text())
                }),
                verdict,
            });
        }
    }
    out
}

/// Settings as JSON with some fields blanked, to find configurations that differ only there.
fn key_without(c: &ConfigData, blank: &[&str]) -> String {
    let mut v = serde_json::to_value(&c.settings).unwrap_or_default();
    if let Some(o) = v.as_object_mut() {
        for b in blank {
            o.remove(*b);
        }
    }
    format!("{}|{}", c.variant_without(""), v)
}

fn ordering_claim(
    subject: String,
    what: &str,
    mut items: Vec<(f64, &ConfigData)>,
    metric: Metric,
) -> Option<Claim> {
    if items.len() < 2 {
        return None;
    }
    items.sort_by(|a, b| a.0.total_cmp(&b.0));
    let finals: Vec<f64> = items
        .iter()
        .map(|(_, c)| c.final_summary(metric).mean)
        .collect();
    let increasing = finals.windows(2).all(|w| w[1] >= w[0]);
    let observed = items
        .iter()
        .zip(&finals)
        .map(|((k, _), f)| format!("{what}={k}: {f:.3e}"))
        .collect::<Vec<_>>()
        .join(", ");
    Some(Claim {
        subject,
        prediction: format!("larger {what} gives larger final stability"),
        observed,
        verdict: finite_verdict(&finals, increasing),
    })
}

/// A comparison of means: judged only when every mean exists (a configuration whose seeds all
/// diverged has none).
fn finite_verdict(vals: &[f64], ok: bool) -> Verdict {
    if vals.iter().all(|v| v.is_finite()) {
        Verdict::of(ok)
    } else {
        Verdict::NotJudged
    }
}

fn with_variant(s: String, c: &ConfigData) -> String {
    let v = c.variant_without("");
    if v.is_empty() {
        s
    } else {
        format!("{s} ({v})")
    }
}

fn constant_of(s: &Schedule) -> f64 {
    match *s {
        Schedule::Constant(c) | Schedule::Poly(c, _) | Schedule::Inv(c) => c,
    }
}

/// Orderings in T, in step size, constant vs decaying, and `ud` vs `tsgd`.
pub fn ordering_claims(run: &RunData, metric: Metric) -> Vec<Claim> {
    let mut out = Vec::new();
    let group_by = |blank: &[&str]| {
        let mut groups: Vec<(String, Vec<&ConfigData>)> = Vec::new();
        for c in &run.configs {
            let k = key_without(c, blank);
            match groups.iter_mut().find(|(g, _)| *g == k) {
                Some((_, v)) => v.push(c),
                None => groups.push((k, vec![c])),
            }
        }
        groups
    };
    // T (inner steps) of tsgd / ud.
    for (_, cs) in group_by(&["inner_steps"]) {
        if !cs[0].settings.kind.descriptor().theory.unrolled_inner_steps {
            continue;
        }
        let items = cs
            .iter()
            .map(|c| (c.settings.inner_steps as f64, *c))
            .collect();
        if let Some(cl) = ordering_claim(
            with_variant(format!("{} over T", cs[0].algorithm), cs[0]),
            "T",
            items,
            metric,
        ) {
            out.push(cl);
        }
    }
    // Step sizes: within one schedule shape, ordered by the constant; and constant against
    // decaying with the same constant.
    for field in ["alpha", "beta"] {
        for (_, cs) in group_by(&[field]) {
            let get = |c: &ConfigData| match field {
                "alpha" => c.settings.alpha,
                _ => c.settings.beta,
            };
            let shape = |c: &ConfigData| std::mem::discriminant(&get(c));
            let mut shapes: Vec<&ConfigData> = Vec::new();
            for c in &cs {
                if !shapes.iter().any(|s| shape(s) == shape(c)) {
                    shapes.push(c);
                }
            }
            for s in shapes {
                let items = cs
                    .iter()
                    .filter(|c| shape(c) == shape(s))
                    .map(|c| (constant_of(&get(c)), *c))
                    .collect();
                let kind = if matches!(get(s), Schedule::Constant(_)) {
                    "constant"
                } else {
                    "decaying"
                };
                if let Some(cl) = ordering_claim(
                    with_variant(format!("{} over {kind} {field}", s.algorithm), s),
                    field,
                    items,
                    metric,
                ) {
                    out.push(cl);
                }
            }
            for k in cs
                .iter()
                .filter(|c| matches!(get(c), Schedule::Constant(_)))
            {
                for d in cs.iter().filter(|c| {
                    !matches!(get(c), Schedule::Constant(_))
                        && constant_of(&get(c)) == constant_of(&get(k))
                }) {
                    let (a, b) = (k.final_summary(metric), d.final_summary(metric));
                    out.push(Claim {
                        subject: format!("{} vs {}", k.label, d.label),
                        prediction: format!(
                            "decaying {field} gives smaller final stability than constant"
                        ),
                        observed: format!("constant {:.3e}, decaying {:.3e}", a.mean, b.mean),
                        verdict: finite_verdict(&[a.mean, b.mean], b.mean < a.mean),
                    });
                }
            }
        }
    }
    // The replaced side: replacing both samples is at least as unstable as either alone.
    let side = |c: &ConfigData| {
        c.variant
            .iter()
            .find(|(k, _)| k == "run.replace")
            .map(|(_, v)| v.clone())
    };
    for b in run
        .configs
        .iter()
        .filter(|c| side(c).as_deref() == Some("both"))
    {
        let rest = b.variant_without("run.replace");
        let twin = |s: &str| {
            run.configs.iter().find(|c| {
                side(c).as_deref() == Some(s)
                    && c.algo_label == b.algo_label
                    && c.variant_without("run.replace") == rest
            })
        };
        if let (Some(u), Some(l)) = (twin("upper"), twin("lower")) {
            let (fb, fu, fl) = (
                b.final_summary(metric).mean,
                u.final_summary(metric).mean,
                l.final_summary(metric).mean,
            );
            out.push(Claim {
                subject: if rest.is_empty() {
                    format!("{} over the replaced side", b.algo_label)
                } else {
                    format!("{} over the replaced side ({rest})", b.algo_label)
                },
                prediction: "replacing both samples is least stable (both >= upper, lower)".into(),
                observed: format!("upper {fu:.3e}, lower {fl:.3e}, both {fb:.3e}"),
                verdict: finite_verdict(&[fb, fu, fl], fb >= fu && fb >= fl),
            });
        }
    }
    // Re-initialisation (ud) against warm starts (tsgd) with the same settings.
    for u in run.configs.iter() {
        let Some(twin_name) = u.settings.kind.descriptor().theory.reinitialised_twin_of else {
            continue;
        };
        let twin = run.configs.iter().find(|c| {
            c.algorithm == twin_name && c.variant == u.variant && {
                let mut s: AlgoConfig = c.settings.clone();
                s.kind = u.settings.kind;
                s == u.settings
            }
        });
        if let Some(t) = twin {
            let (a, b) = (u.final_summary(metric), t.final_summary(metric));
            let separate = a.ci_low > b.ci_high || b.ci_low > a.ci_high;
            out.push(Claim {
                subject: format!("{} vs {}", u.label, t.label),
                prediction: "re-initialising y (ud) and warm starts (tsgd) differ".into(),
                observed: format!(
                    "ud {:.3e} [{:.3e}, {:.3e}], tsgd {:.3e} [{:.3e}, {:.3e}]: {}",
                    a.mean,
                    a.ci_low,
                    a.ci_high,
                    b.mean,
                    b.ci_low,
                    b.ci_high,
                    if !separate {
                        "95% intervals overlap"
                    } else if a.mean > b.mean {
                        "ud is less stable"
                    } else {
                        "ud is more stable"
                    }
                ),
                verdict: if ![a.ci_low, a.ci_high, b.ci_low, b.ci_high]
                    .iter()
                    .all(|v| v.is_finite())
                {
                    Verdict::NotJudged
                } else if separate {
                    Verdict::Holds
                } else {
                    // Overlapping intervals do not show that the two are the same.
                    Verdict::Inconclusive
                },
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
        assert_eq!(finite_verdict(&[1.0, f64::NAN], true), Verdict::NotJudged);
        assert_eq!(finite_verdict(&[1.0, 2.0], false), Verdict::Fails);
    }
}
