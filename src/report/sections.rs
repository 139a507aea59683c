//! The sections of `report.md` that belong to a kind of study: stability (growth, size and
//! ordering claims, stability next to the generalization gap), convergence (selection, last
//! step, time to target) and the kappa study (costs, step-size rule, fitted exponents).

use super::cells::{ci, claims_table, e, spread};
use super::targets::target_rows;
use crate::algo::CostKind;
use crate::algo::{AlgoKind, Setting};
use crate::analysis::kappa;
use crate::analysis::select::select;
use crate::analysis::stability::Claim;
use crate::analysis::RunData;
use crate::metrics::Metric;
use crate::sweep::{AlgoGrid, StepScaling};
use std::fmt::Write as _;

pub(super) fn stability(
    o: &mut String,
    run: &RunData,
    growth: &[Claim],
    size: &[Claim],
    ord: &[Claim],
) {
    let cfg = &run.config;
    let metric = cfg.report.stability_metric;
    let _ = writeln!(o, "## Stability\n");
    let _ = writeln!(
        o,
        "Stability is the on-average argument stability `{metric}` (mean over neighbours within a seed). \
         Growth exponents a of stability ~ t^a are fitted on logging steps t >= {} x steps; \
         size exponents b of final stability ~ size^b across the `[vary]` sizes (seeds paired).\n",
        cfg.report.fit_from
    );
    let _ = writeln!(o, "### Growth with iterations\n");
    claims_table(o, growth);
    if !size.is_empty() {
        let _ = writeln!(o, "### Effect of the sample sizes\n");
        claims_table(o, size);
    }
    if !ord.is_empty() {
        let _ = writeln!(o, "### Inner steps, step sizes, re-initialisation\n");
        claims_table(o, ord);
    }
    let _ = writeln!(o, "### Stability and generalization gap at the last step\n");
    let _ = writeln!(
        o,
        "| configuration | stability `{metric}` | generalization gap | test loss | validation loss |"
    );
    let _ = writeln!(o, "|---|---|---|---|---|");
    for c in &run.configs {
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} |",
            c.label.replace('|', "\\|"),
            ci(&c.final_summary(metric)),
            ci(&c.final_summary(Metric::GenGap)),
            ci(&c.final_summary(Metric::TestLoss)),
            ci(&c.final_summary(Metric::ValLoss)),
        );
    }
    o.push('\n');
}

pub(super) fn convergence(o: &mut String, run: &RunData) {
    let cfg = &run.config;
    let tm = cfg.report.target_metric;
    let _ = writeln!(o, "## Convergence\n");
    if let Some(cands) = select(run) {
        let _ = writeln!(
            o,
            "### Step-size selection\n\nGrid search run by this sweep: per algorithm (within each variant) the configuration with the smallest geometric mean of `{}` over seeds and the last {:.0}% of logging points is kept; configurations with a diverged lane are never kept.\n",
            cfg.report.select_metric.map_or("", Metric::name),
            cfg.report.select_window * 100.0
        );
        let n = run.seeds.len();
        if let Some(k) = run.selection_k() {
            let _ = writeln!(
                o,
                "Picked on seeds {}–{} (the first {k}); the held-out score is the same mean on the other {} seeds, which the choice never saw: that is the winner's honest score.\n",
                run.seeds[0],
                run.seeds[k - 1],
                n - k
            );
        } else {
            let _ = writeln!(
                o,
                "Picked and scored on the same seeds: the winner's score is optimistic (the minimum over a grid is biased low); set `report.select_seeds` below the number of seeds to hold seeds out.\n"
            );
        }
        let _ = writeln!(
            o,
            "| group | configuration | score | held-out score | chosen |"
        );
        let _ = writeln!(o, "|---|---|---|---|---|");
        for c in &cands {
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} | {} |",
                c.group,
                c.config.replace('|', "\\|"),
                if c.diverged {
                    "diverged".into()
                } else {
                    e(c.score)
                },
                c.held_out.map_or("-".into(), e),
                if c.chosen { "**yes**" } else { "" }
            );
        }
        o.push('\n');
        // A winner at either end of its grid may not be the best step size at all.
        for c in cands.iter().filter(|c| c.chosen) {
            if let Some(edge) = &c.edge {
                let _ = writeln!(
                    o,
                    "- {}: the chosen `{}` sits at the edge of its grid ({edge}); the best value may lie beyond it.",
                    c.group, c.config
                );
            }
        }
        if cands.iter().all(|c| c.missing) {
            let _ = writeln!(
                o,
                "- `{}` was not measured in this run (it needs `run.exact = true`), so nothing could be selected.",
                cfg.report.select_metric.map_or("", Metric::name)
            );
        }
        o.push('\n');
        tuning(o, run, &cands);
    }
    let held = run.held_out();
    match &held {
        Some(h) => {
            let _ = writeln!(
                o,
                "### At the last step\n\nOn the {} seeds the selection never saw ({}–{}).\n",
                h.seeds.len(),
                h.seeds.first().copied().unwrap_or(0),
                h.seeds.last().copied().unwrap_or(0)
            );
        }
        None => {
            let _ = writeln!(o, "### At the last step\n");
        }
    }
    let shown = held.as_ref().unwrap_or(run);
    // Hyper-cleaning's diagnostic joins the table where it was measured.
    let cleaning = shown
        .configs
        .iter()
        .any(|c| c.final_summary(Metric::CleaningRecall).count > 0);
    // Without run.exact (or beyond its size limit) the exact columns would be empty.
    let exact = shown.configs.iter().any(|c| c.final_summary(tm).count > 0);
    let _ = write!(o, "| configuration |");
    if exact {
        let _ = write!(o, " `{tm}` | `y_err` = dist(y, y*(x)) |");
    }
    let _ = write!(o, " validation loss | test loss | test accuracy |");
    if cleaning {
        let _ = write!(o, " cleaning precision | cleaning recall |");
    }
    let cols = 4 + 2 * usize::from(exact) + 2 * usize::from(cleaning);
    let _ = writeln!(o, "\n|{}", "---|".repeat(cols));
    for c in &shown.configs {
        let _ = write!(o, "| {} |", c.label.replace('|', "\\|"));
        if exact {
            let _ = write!(
                o,
                " {} | {} |",
                ci(&c.final_summary(tm)),
                ci(&c.final_summary(Metric::YErr))
            );
        }
        let _ = write!(
            o,
            " {} | {} | {} |",
            ci(&c.final_summary(Metric::ValLoss)),
            ci(&c.final_summary(Metric::TestLoss)),
            ci(&c.final_summary(Metric::TestAccuracy)),
        );
        if cleaning {
            let _ = write!(
                o,
                " {} | {} |",
                ci(&c.final_summary(Metric::CleaningPrecision)),
                ci(&c.final_summary(Metric::CleaningRecall)),
            );
        }
        o.push('\n');
    }
    o.push('\n');
    let rows = target_rows(shown);
    if !rows.is_empty() {
        let _ = writeln!(
            o,
            "### Time to target\n\nFirst logging step with `{tm}` <= target, per seed (resolution: the logging steps); mean over the seeds that reached it, with the range (min – max) when seeds differ. Also in `time_to_target.csv`.\n"
        );
        let _ = writeln!(
            o,
            "| configuration | target | reached | iterations | oracle calls | samples | seconds |"
        );
        let _ = writeln!(o, "|---|---|---|---|---|---|---|");
        for r in &rows {
            let _ = writeln!(
                o,
                "| {} | {} | {}/{} | {} | {} | {} | {} |",
                r.config.replace('|', "\\|"),
                e(r.target),
                r.reached,
                r.seeds,
                spread(&r.iterations),
                spread(&r.oracle_calls),
                spread(&r.samples),
                spread(&r.seconds)
            );
        }
        o.push('\n');
    } else if !exact {
        let _ = writeln!(
            o,
            "(No `{tm}` columns and no time-to-target table: `{tm}` was not measured; it needs `run.exact = true`, which solves y's system densely and is limited in size.)\n"
        );
    } else {
        let _ = writeln!(
            o,
            "(No time-to-target table: set `report.target` or `report.relative_target`.)\n"
        );
    }
}

pub(super) fn kappa(o: &mut String, run: &RunData) {
    let cfg = &run.config;
    let tm = cfg.report.target_metric;
    let curves = kappa::curves(run, tm);
    let _ = writeln!(o, "## Cost against kappa\n");
    let rule = match &cfg.run.step_scaling {
        Some(sc) => scaling_rule(sc, &cfg.algos),
        None => "fixed step sizes (the same at every kappa).\n".into(),
    };
    let _ = writeln!(
        o,
        "Step-size rule of the configured curves: {rule}\neps-stationarity as the analyses state it: the average over the iterates 0..t of `{tm}` (mean over seeds; trapezoid rule on the logging steps) at or below eps. Costs are counted at the first logging step where that holds, by kind: iterations, oracle calls of every kind, samples read, and each oracle separately.\n"
    );
    if cfg.report.target.is_none() && cfg.report.relative_target.is_some() {
        let _ = writeln!(
            o,
            "**Note:** eps is relative to each kappa's initial `{tm}`, so it moves with kappa; the theory's exponents are for a fixed eps. Set `report.target` for a fixed one.\n"
        );
    }
    let (pick, report) = {
        let n = run.seeds.len();
        if let Some(k) = run.selection_k() {
            (
                format!("seeds {}–{}", run.seeds[0], run.seeds[k - 1]),
                format!("the other {} seeds, which the choice never saw", n - k),
            )
        } else {
            (
                "all seeds".to_string(),
                format!(
                    "the same {n} seeds (optimistic: the cheapest of a grid is biased low on the seeds that chose it; set `report.select_seeds`)"
                ),
            )
        }
    };
    if curves.iter().any(|c| c.tuned) {
        let _ = writeln!(
            o,
            "A curve \"tuned per kappa\" takes, at each kappa, the configuration of its algorithm that reached eps with the fewest oracle calls on {pick}, and is measured on {report}. The configured curves are measured on every seed.\n"
        );
    }
    let consts = kappa::constants(run);
    if !consts.is_empty() {
        let _ = writeln!(
            o,
            "### The problem's constants\n\nComputed exactly on the first seed's sets: L_g and mu_g (largest and smallest eigenvalue of the lower Hessian), their ratio, |grad y*| (the Lipschitz constant of y*), L_F (of grad F) and |v*| = |H^-1 grad_y f| at the optimum.\n"
        );
        let _ = writeln!(
            o,
            "| kappa | L_g | mu_g | L_g / mu_g | \\|grad y*\\| | L_F | \\|v*\\| |"
        );
        let _ = writeln!(o, "|---|---|---|---|---|---|---|");
        for r in &consts {
            let c = &r.constants;
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} | {} | {} | {} |",
                r.kappa,
                e(c.l_g),
                e(c.mu_g),
                e(c.kappa),
                e(c.lip_y_star),
                e(c.l_f),
                e(c.v_star)
            );
        }
        let ex = |f: fn(&crate::problem::exact::QuadraticConstants) -> f64| {
            kappa::constant_exponent(&consts, f).map_or("-".into(), |a| format!("{a:.2}"))
        };
        let _ = writeln!(
            o,
            "\nAgainst kappa: |grad y*| ~ kappa^{}, L_F ~ kappa^{}, |v*| ~ kappa^{}, mu_g ~ kappa^{}. The worst case behind the bounds has |grad y*| growing like kappa (exponent 1); a family where it stays bounded (exponent near 0, e.g. the prior coupling, whose cross term is part of the curvature) cannot show the bounds' kappa dependence.\n",
            ex(|c| c.lip_y_star),
            ex(|c| c.l_f),
            ex(|c| c.v_star),
            ex(|c| c.mu_g),
        );
    }
    let _ = writeln!(o, "### Costs to eps\n");
    let _ = writeln!(
        o,
        "| configuration | kappa | alpha | beta | gamma | T/D | Q | eps | reached at step | oracle calls | grad g | grad f | Hv | Jv | samples | average at the end |"
    );
    let _ = writeln!(
        o,
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
    );
    for cv in &curves {
        for p in &cv.points {
            let c = &p.cost;
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                cv.algo_label.replace('|', "\\|"),
                p.kappa,
                p.alpha,
                p.beta,
                p.gamma,
                p.inner_steps,
                p.terms,
                e(c.eps),
                reached_text(c),
                e(c.cost(CostKind::OracleCalls)),
                e(c.cost(CostKind::GradG)),
                e(c.cost(CostKind::GradF)),
                e(c.cost(CostKind::Hvp)),
                e(c.cost(CostKind::Jvp)),
                e(c.cost(CostKind::Samples)),
                e(c.final_average),
            );
        }
    }
    let _ = writeln!(o, "\n### Fitted exponents\n");
    let _ = writeln!(
        o,
        "cost ~ kappa^c by least squares on log-log axes over the kappas where eps was reached; the interval is a 95 % percentile bootstrap over seeds (1000 draws, the same seeds at every kappa), covering {}, widened by the logging grid's resolution (eps was crossed somewhere after the previous logging step). A bound is an upper bound over all problems with this kappa: \"holds\" when the whole interval is at or below it, \"does not hold\" when all of it is above, else inconclusive, and inconclusive rather than \"holds\" when a larger kappa did not reach eps (the cost that would outgrow the bound is the one missing from the fit); with fewer than 3 kappas, fewer than 5 seeds (no interval) or a cost kind the analysis does not bound, no verdict. Each row stands at its own 95 %: these rows are not corrected together.\n",
        super::cells::randomness(run)
    );
    let _ = writeln!(o, "| configuration | cost | fitted c | kappas | bound | cost grows no faster than the bound |");
    let _ = writeln!(o, "|---|---|---|---|---|---|");
    for cv in &curves {
        for f in &cv.fits {
            // Iterations and oracle calls always; the other kinds where a bound names them.
            if f.bound.is_none() && !matches!(f.cost, CostKind::OracleCalls | CostKind::Iterations)
            {
                continue;
            }
            let _ = writeln!(
                o,
                "| {} | {} | {} | {}{} | {} | {} |",
                cv.algo_label.replace('|', "\\|"),
                f.cost.name(),
                f.fit.map_or("not enough points".into(), |x| x.text()),
                f.fit.map_or(0, |x| x.points),
                if f.censored {
                    " (a larger kappa not reached)"
                } else {
                    ""
                },
                f.bound
                    .map_or("-".into(), |(b, src)| format!("{b} ({src})")),
                super::cells::verdict(f.verdict)
            );
        }
    }
    o.push('\n');
}

/// The selected configurations against the untuned model (`alpha = 0`), when the run has one.
fn tuning(o: &mut String, run: &RunData, cands: &[crate::analysis::select::Candidate]) {
    let rows = crate::analysis::tuning::tuning_rows(run, cands);
    let Some(first) = rows.first() else {
        return;
    };
    let n = run.seeds.len();
    let seeds = if let Some(k) = run.selection_k() {
        format!("the {} seeds the selection never saw", n - k)
    } else {
        format!(
            "all {n} seeds, which also made the selection (optimistic: set `report.select_seeds`)"
        )
    };
    let _ = writeln!(
        o,
        "### Does tuning matter?\n\nEach chosen configuration against the untuned model (a configuration with `alpha = 0`, so x stays at `run.x0 = {}` while y trains; one of the same algorithm where the run has one, so that y trains the same way, else every untuned configuration, named in the row): final `{}` on held-out data, paired per seed on {seeds}; tuned - untuned with its 95 % Student-t interval; verdicts Holm-corrected across these rows at 5 %. The interval covers {}.\n",
        run.config.run.x0,
        first.metric,
        super::cells::randomness(run),
    );
    let _ = writeln!(
        o,
        "| tuned | untuned | tuned - untuned | Holm p | tuning improves `{}` |",
        first.metric
    );
    let _ = writeln!(o, "|---|---|---|---|---|");
    for r in &rows {
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} |",
            r.tuned.replace('|', "\\|"),
            r.untuned.replace('|', "\\|"),
            r.diff
                .map_or("fewer than 2 paired seeds".into(), |d| d.text()),
            if r.p_adjusted.is_finite() {
                format!("{:.2e}", r.p_adjusted)
            } else {
                "-".into()
            },
            super::cells::verdict(r.verdict)
        );
    }
    o.push('\n');
}

/// Cost against eps (`report.eps`): each configuration's cost to each eps and the exponent of
/// cost ~ eps^-b beside the analyses' b = 2.
pub(super) fn eps(o: &mut String, run: &RunData) {
    let tm = run.config.report.target_metric;
    let curves = crate::analysis::eps::eps_curves(run, tm);
    let _ = writeln!(o, "## Cost against eps\n");
    let _ = writeln!(
        o,
        "eps-stationarity as the analyses state it: the average over the iterates 0..t of `{tm}` (mean over the seeds; {} in the run; trapezoid rule on the logging steps) at or below eps. The exponent b of cost ~ (1/eps)^b is fitted by least squares on log-log axes over the eps reached, with a 95 % percentile bootstrap interval over seeds (the same seeds at every eps), covering {}, widened by the logging grid's resolution. Bound: the eps^-2 of the SSAID and stocBiO analyses (\"holds\" when the whole interval is at or below 2; inconclusive rather than \"holds\" when a smaller eps was not reached; no verdict with fewer than 3 eps or 5 seeds). Each row stands at its own 95 %, not corrected together. Configurations are measured on every seed; a curve \"tuned per eps\" takes at each eps the configuration of its algorithm that reached it with the fewest oracle calls on the selection seeds (`report.select_seeds`, half by default) and is measured on the others. A rate shows only in the noise regime: when the average at the end is far below the smallest eps, or eps is reached within the first logging steps, the costs describe the transient instead.\n",
        run.seeds.len(),
        super::cells::randomness(run)
    );
    let _ = writeln!(
        o,
        "| configuration | eps | reached at step | oracle calls | samples | average at the end |"
    );
    let _ = writeln!(o, "|---|---|---|---|---|---|");
    for cv in &curves {
        for p in &cv.points {
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} | {} | {} |",
                cv.config.replace('|', "\\|"),
                e(p.eps),
                reached_text(p),
                e(p.cost(CostKind::OracleCalls)),
                e(p.cost(CostKind::Samples)),
                e(p.final_average)
            );
        }
    }
    let _ = writeln!(
        o,
        "\n| configuration | cost | fitted b | eps reached | cost grows no faster than eps^-2 |"
    );
    let _ = writeln!(o, "|---|---|---|---|---|");
    for cv in &curves {
        for (kind, fit, verdict) in &cv.fits {
            if !matches!(kind, CostKind::OracleCalls | CostKind::Samples) {
                continue;
            }
            let _ = writeln!(
                o,
                "| {} | {} | {} | {}{} | {} |",
                cv.config.replace('|', "\\|"),
                kind.name(),
                fit.map_or("not enough points".into(), |f| f.text()),
                fit.map_or(0, |f| f.points),
                if cv.censored {
                    " (a smaller eps not reached)"
                } else {
                    ""
                },
                super::cells::verdict(*verdict)
            );
        }
    }
    o.push('\n');
}

fn reached_text(c: &crate::analysis::eps::EpsCost) -> String {
    match (c.step, c.at_start) {
        (Some(s), _) => s.to_string(),
        (None, true) => "at the start".into(),
        (None, false) => "not reached".into(),
    }
}

/// The kappa scaling in words, per algorithm of the run when their exponents differ, each
/// naming only the settings it scales, with the source the config gives for it.
fn scaling_rule(sc: &StepScaling, algos: &[AlgoGrid]) -> String {
    let r = sc.reference;
    let words = |k: AlgoKind| {
        let e = sc.exponents(k);
        let parts: Vec<String> = k
            .descriptor()
            .kappa_scaled
            .iter()
            .filter_map(|s| match s {
                Setting::Alpha => Some(format!("alpha x (kappa / {r})^{}", e.alpha)),
                Setting::Beta => Some(format!("beta x (kappa / {r})^{}", e.beta)),
                Setting::Gamma => Some(format!("gamma x (kappa / {r})^{}", e.gamma)),
                Setting::Eta => Some(format!("eta x (kappa / {r})^{} (beta's)", e.beta)),
                Setting::InnerSteps => Some(format!("inner steps x (kappa / {r})^{}", e.inner)),
                Setting::Terms => Some(format!("Q x (kappa / {r})^{}", e.neumann_terms)),
                _ => None,
            })
            .collect();
        parts.join(", ")
    };
    // Each algorithm once, in the order the run lists them.
    let mut kinds: Vec<AlgoKind> = Vec::new();
    for a in algos {
        if !kinds.contains(&a.name) {
            kinds.push(a.name);
        }
    }
    if let [k] = kinds.as_slice() {
        if sc.source(*k).is_none() {
            return format!("step sizes scaled with kappa: {}.\n", words(*k));
        }
    }
    let per: Vec<String> = kinds
        .iter()
        .map(|&k| {
            let src = sc
                .source(k)
                .map(|s| format!(". Source: {s}"))
                .unwrap_or_default();
            format!("- `{}`: {}{src}.\n", k.name(), words(k))
        })
        .collect();
    format!(
        "step sizes scaled with kappa, per algorithm:\n\n{}",
        per.concat()
    )
}
