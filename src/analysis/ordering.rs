//! Orderings between configurations that the stability theory predicts (in the inner steps T,
//! in the step sizes, constant against decaying steps, re-initialisation against warm
//! starts), judged on paired per-seed differences of the final stability with Holm's
//! correction across every comparison of the report. A prediction is only judged in the
//! settings its source covers; elsewhere the comparison is shown with the reason.

use super::claim::{preset_grows, theory_setting, Claim, Verdict, NOT_THEORY};
use super::paired::{directional, holm, PairedDiff, ALPHA};
use super::run_data::{ConfigData, RunData};
use crate::algo::Schedule;
use crate::metrics::Metric;

const SOURCE_T: &str = "stability paper: for C-C and NC-NC the bounds grow with the inner \
     steps T of the unrolled hypergradient; covers c-c and nc-nc (a network lower model counts \
     as NC-NC whatever the preset; in SC-SC the warm-started \
     inner map contracts and the truncated Jacobian saturates in T, so no ordering is predicted)";
const SOURCE_STEP: &str = "stability paper: the bounds grow with the step sizes (through their \
     sum along the run); covers every preset";
const SOURCE_DECAY: &str = "stability paper: the bounds grow with the sum of the step sizes, \
     which a decaying schedule makes smaller than a constant one from the same start; covers \
     every preset";
const SOURCE_UD: &str = "stability paper: it bounds warm starts (tsgd) and compares them with \
     re-initialising y (ud, Bao et al. 2021); tested two-sided here: do they differ";

/// What a comparison expects of the difference b - a.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Expect {
    Larger,
    Smaller,
    Differs,
    /// Shown, not judged (no prediction covers it).
    Observe,
}

/// A claim whose verdict waits for the correction across the report.
struct Pending {
    subject: String,
    prediction: String,
    source: String,
    expect: Expect,
    /// `(label, difference)` of each comparison the claim rests on.
    tests: Vec<(String, Option<PairedDiff>)>,
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

/// Adjacent comparisons along a setting: `items` sorted by the setting's value, each
/// neighbour's final stability minus the previous one's, seed by seed.
fn along(
    what: &str,
    mut items: Vec<(f64, &ConfigData)>,
    metric: Metric,
) -> Vec<(String, Option<PairedDiff>)> {
    items.sort_by(|a, b| a.0.total_cmp(&b.0));
    items
        .windows(2)
        .map(|w| {
            (
                format!("{what} {} -> {}", w[0].0, w[1].0),
                PairedDiff::of(&w[0].1.final_values(metric), &w[1].1.final_values(metric)),
            )
        })
        .collect()
}

fn preset_of(run: &RunData, c: &ConfigData) -> String {
    theory_setting(run, c)
}

/// The ordering claims of a run, judged together at family-wise level [`ALPHA`].
pub fn ordering_claims(run: &RunData, metric: Metric) -> Vec<Claim> {
    ordering_claims_at(run, metric, ALPHA)
}

/// The ordering claims of a run, judged together at family-wise level `alpha`.
pub fn ordering_claims_at(run: &RunData, metric: Metric, alpha: f64) -> Vec<Claim> {
    let mut pending = Vec::new();
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
    // T (inner steps) of tsgd / ud: predicted where the bounds depend on T.
    for (_, cs) in group_by(&["inner_steps"]) {
        if cs.len() < 2 || !cs[0].settings.kind.descriptor().theory.unrolled_inner_steps {
            continue;
        }
        let items = cs
            .iter()
            .map(|c| (c.settings.inner_steps as f64, *c))
            .collect();
        let grows = preset_grows(&preset_of(run, cs[0])) == Some(true);
        pending.push(Pending {
            subject: with_variant(format!("{} over T", cs[0].algorithm), cs[0]),
            prediction: if grows {
                "larger T gives larger final stability".into()
            } else {
                format!(
                    "no ordering in T on {} (its levelled-off stability does not depend on T)",
                    preset_of(run, cs[0])
                )
            },
            source: SOURCE_T.into(),
            expect: if grows {
                Expect::Larger
            } else {
                Expect::Observe
            },
            tests: along("T", items, metric),
        });
    }
    // Step sizes: within one schedule shape, ordered by the constant; and constant against
    // decaying with the same constant.
    for field in ["alpha", "beta"] {
        for (_, cs) in group_by(&[field]) {
            let get = |c: &ConfigData| match field {
                "alpha" => c.settings.alpha,
                _ => c.settings.beta,
            };
            // A schedule's shape: constant, or its decay law with its exponent (poly(c, p)
            // with different p are different schedules, not larger or smaller steps).
            let shape = |c: &ConfigData| match get(c) {
                Schedule::Constant(_) => "constant".to_string(),
                Schedule::Poly(_, p) => format!("poly p={p}"),
                Schedule::Inv(_) => "inv".to_string(),
            };
            let mut shapes: Vec<&ConfigData> = Vec::new();
            for c in &cs {
                if !shapes.iter().any(|s| shape(s) == shape(c)) {
                    shapes.push(c);
                }
            }
            for s in shapes {
                let items: Vec<(f64, &ConfigData)> = cs
                    .iter()
                    .filter(|c| shape(c) == shape(s))
                    .map(|c| (constant_of(&get(c)), *c))
                    .collect();
                let mut constants: Vec<f64> = items.iter().map(|i| i.0).collect();
                constants.sort_by(f64::total_cmp);
                constants.dedup();
                if items.len() < 2 || constants.len() < items.len() {
                    continue;
                }
                let kind = if matches!(get(s), Schedule::Constant(_)) {
                    "constant"
                } else {
                    "decaying"
                };
                pending.push(Pending {
                    subject: with_variant(format!("{} over {kind} {field}", s.algorithm), s),
                    prediction: format!("larger {field} gives larger final stability"),
                    source: SOURCE_STEP.into(),
                    expect: Expect::Larger,
                    tests: along(field, items, metric),
                });
            }
            for k in cs
                .iter()
                .filter(|c| matches!(get(c), Schedule::Constant(_)))
            {
                for d in cs.iter().filter(|c| {
                    !matches!(get(c), Schedule::Constant(_))
                        && constant_of(&get(c)) == constant_of(&get(k))
                }) {
                    pending.push(Pending {
                        subject: format!("{} vs {}", k.label, d.label),
                        prediction: format!(
                            "decaying {field} gives smaller final stability than constant"
                        ),
                        source: SOURCE_DECAY.into(),
                        expect: Expect::Smaller,
                        tests: vec![(
                            "decaying - constant".into(),
                            PairedDiff::of(&k.final_values(metric), &d.final_values(metric)),
                        )],
                    });
                }
            }
        }
    }
    // The replaced side: shown, as no statement covers it.
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
            let fb = b.final_values(metric);
            pending.push(Pending {
                subject: if rest.is_empty() {
                    format!("{} over the replaced side", b.algo_label)
                } else {
                    format!("{} over the replaced side ({rest})", b.algo_label)
                },
                prediction: "none (replacing both samples might be least stable)".into(),
                source: NOT_THEORY.into(),
                expect: Expect::Observe,
                tests: vec![
                    (
                        "both - upper".into(),
                        PairedDiff::of(&u.final_values(metric), &fb),
                    ),
                    (
                        "both - lower".into(),
                        PairedDiff::of(&l.final_values(metric), &fb),
                    ),
                ],
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
                let mut s = c.settings.clone();
                s.kind = u.settings.kind;
                s == u.settings
            }
        });
        if let Some(t) = twin {
            pending.push(Pending {
                subject: format!("{} vs {}", u.label, t.label),
                prediction: "re-initialising y (ud) and warm starts (tsgd) differ".into(),
                source: SOURCE_UD.into(),
                expect: Expect::Differs,
                tests: vec![(
                    "ud - tsgd".into(),
                    PairedDiff::of(&t.final_values(metric), &u.final_values(metric)),
                )],
            });
        }
    }
    judge(pending, alpha)
}

/// Verdicts for the pending claims, Holm-corrected across every judged comparison at
/// family-wise level `alpha`.
fn judge(pending: Vec<Pending>, alpha: f64) -> Vec<Claim> {
    let judged = |p: &Pending| p.expect != Expect::Observe;
    let ps: Vec<f64> = pending
        .iter()
        .filter(|p| judged(p))
        .flat_map(|p| p.tests.iter().filter_map(|(_, d)| d.map(|d| d.p)))
        .collect();
    let mut adjusted = holm(&ps).into_iter();
    pending
        .into_iter()
        .map(|p| {
            let mut parts = Vec::new();
            let mut verdicts = Vec::new();
            for (label, d) in &p.tests {
                match d {
                    None => {
                        parts.push(format!("{label}: fewer than 2 seeds with values"));
                        verdicts.push(Verdict::NotJudged);
                    }
                    Some(d) if judged(&p) => {
                        let adj = adjusted.next().unwrap_or(f64::NAN);
                        parts.push(format!("{label}: {}, Holm p = {adj:.2e}", d.text()));
                        verdicts.push(match p.expect {
                            Expect::Larger => directional(d, adj, true, alpha),
                            Expect::Smaller => directional(d, adj, false, alpha),
                            _ if adj < alpha => Verdict::Holds,
                            _ if adj.is_finite() => Verdict::Inconclusive,
                            _ => Verdict::NotJudged,
                        });
                    }
                    Some(d) => parts.push(format!("{label}: {}", d.text())),
                }
            }
            let verdict =
                if !judged(&p) || verdicts.is_empty() || verdicts.contains(&Verdict::NotJudged) {
                    Verdict::NotJudged
                } else if verdicts.contains(&Verdict::Fails) {
                    Verdict::Fails
                } else if verdicts.iter().all(|v| *v == Verdict::Holds) {
                    Verdict::Holds
                } else {
                    Verdict::Inconclusive
                };
            Claim {
                subject: p.subject,
                prediction: p.prediction,
                source: p.source,
                observed: parts.join("; "),
                verdict,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Seeds whose values are `base + effect + noise`, noise from a fixed generator.
    fn draws(rng: &mut u64, n: usize, effect: f64) -> (Vec<f64>, Vec<f64>) {
        let mut next = || {
            // SplitMix64 to a uniform in (0, 1), then Box-Muller.
            let mut u = || {
                *rng = rng.wrapping_add(crate::rng::SPLITMIX_GAMMA);
                (crate::rng::splitmix64(*rng) >> 11) as f64 / (1u64 << 53) as f64 + 1e-18
            };
            let (a, b) = (u(), u());
            (-2.0 * a.ln()).sqrt() * (2.0 * std::f64::consts::PI * b).cos()
        };
        let base: Vec<f64> = (0..n).map(|_| 1.0 + 0.5 * next()).collect();
        // Paired: the seed's common part plus a small independent part.
        let other = base.iter().map(|b| b + effect + 0.1 * next()).collect();
        (base, other)
    }

    fn pending(tests: Vec<(String, Option<PairedDiff>)>) -> Pending {
        Pending {
            subject: "s".into(),
            prediction: "p".into(),
            source: "src".into(),
            expect: Expect::Larger,
            tests,
        }
    }

    #[test]
    fn a_planted_effect_is_found_and_its_reverse_does_not_hold() {
        let mut rng = 7;
        let (a, b) = draws(&mut rng, 10, 0.2);
        let d = PairedDiff::of(&a, &b);
        let c = judge(vec![pending(vec![("x".into(), d)])], ALPHA);
        assert_eq!(c[0].verdict, Verdict::Holds, "{}", c[0].observed);
        let d = PairedDiff::of(&b, &a);
        let c = judge(vec![pending(vec![("x".into(), d)])], ALPHA);
        assert_eq!(c[0].verdict, Verdict::Fails, "{}", c[0].observed);
    }

    /// Without an effect, a wrong verdict ("holds" or "does not hold") comes at most at the
    /// nominal rate: over 2,000 reports of 6 comparisons each, Holm keeps the family-wise
    /// rate at 5 % (the bound 0.05 plus three binomial standard errors).
    #[test]
    fn no_effect_is_inconclusive_at_the_nominal_rate() {
        let mut rng = 11;
        let reports = 2000;
        let mut wrong = 0;
        for _ in 0..reports {
            let tests = (0..6)
                .map(|i| {
                    let (a, b) = draws(&mut rng, 8, 0.0);
                    (format!("{i}"), PairedDiff::of(&a, &b))
                })
                .collect();
            let c = judge(vec![pending(tests)], ALPHA);
            if c[0].verdict != Verdict::Inconclusive {
                wrong += 1;
            }
        }
        let rate = wrong as f64 / reports as f64;
        let se = (0.05f64 * 0.95 / reports as f64).sqrt();
        assert!(rate <= 0.05 + 3.0 * se, "family-wise rate {rate}");
        // And the test has power: it is not simply never rejecting.
        assert!(rate > 0.0, "never rejects");
    }

    #[test]
    fn the_correction_spans_the_report() {
        // One comparison at p = 0.03 alone holds; among 10 null ones, Holm makes it
        // inconclusive.
        let d = PairedDiff {
            n: 8,
            mean: 1.0,
            ci_low: 0.1,
            ci_high: 1.9,
            p: 0.03,
        };
        let alone = judge(vec![pending(vec![("x".into(), Some(d))])], ALPHA);
        assert_eq!(alone[0].verdict, Verdict::Holds);
        let null = PairedDiff { p: 0.8, ..d };
        let mut many = vec![pending(vec![("x".into(), Some(d))])];
        many.extend((0..10).map(|_| pending(vec![("y".into(), Some(null))])));
        assert_eq!(judge(many, ALPHA)[0].verdict, Verdict::Inconclusive);
    }
}
