//! The sections of `report.md` that belong to a kind of study: stability (growth, size and
//! ordering claims, stability next to the generalization gap), convergence (selection, last
//! step, time to target) and the kappa study (costs, step-size rule, fitted exponents).

use super::cells::{ci, claims_table, e, spread};
use super::targets::target_rows;
use crate::analysis::kappa::{self, theory_exponent};
use crate::analysis::select::select;
use crate::analysis::stability::Claim;
use crate::analysis::RunData;
use crate::metrics::Metric;
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
        let k = cfg.report.select_seeds;
        let n = run.seeds.len();
        if k > 0 && k < n {
            let _ = writeln!(
                o,
                "Picked on seeds {}..{} (the first {k}); the held-out score is the same mean on the other {} seeds, which the choice never saw: that is the winner's honest score.\n",
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
    let _ = writeln!(o, "### At the last step\n");
    let _ = writeln!(
        o,
        "| configuration | `{tm}` | `y_err` = dist(y, y*(x)) | validation loss | test loss | test accuracy |"
    );
    let _ = writeln!(o, "|---|---|---|---|---|---|");
    for c in &run.configs {
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} | {} |",
            c.label.replace('|', "\\|"),
            ci(&c.final_summary(tm)),
            ci(&c.final_summary(Metric::YErr)),
            ci(&c.final_summary(Metric::ValLoss)),
            ci(&c.final_summary(Metric::TestLoss)),
            ci(&c.final_summary(Metric::TestAccuracy)),
        );
    }
    o.push('\n');
    let rows = target_rows(run);
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
        Some(sc) => format!(
            "step sizes scaled with kappa: each constant times (kappa / {})^e with e = {} (alpha), {} (beta, and stocBiO's eta), {} (gamma); inner steps times (kappa / {0})^{}, stocBiO's Neumann terms times (kappa / {0})^{}",
            sc.reference, sc.alpha, sc.beta, sc.gamma, sc.inner, sc.neumann_terms
        ),
        None => "fixed step sizes (the same at every kappa)".into(),
    };
    let _ = writeln!(
        o,
        "Step-size rule: {rule}. The exponent of a cost depends on this rule. Cost = oracle calls (all kinds) until `{tm}` first reaches the target.\n"
    );
    if cfg.report.target.is_none() && cfg.report.relative_target.is_some() {
        let _ = writeln!(
            o,
            "**Note:** the target is relative to each kappa's initial `{tm}`, so it moves with kappa; the theory's exponents are for a fixed eps. Set `report.target` for a fixed one.\n"
        );
    }
    let _ = writeln!(
        o,
        "| configuration | kappa | alpha | beta | gamma | T/D | Q | reached | oracle calls | samples |"
    );
    let _ = writeln!(o, "|---|---|---|---|---|---|---|---|---|---|");
    for cv in &curves {
        for p in &cv.points {
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} | {} | {} | {} | {}/{} | {} | {} |",
                cv.algo_label.replace('|', "\\|"),
                p.kappa,
                p.alpha,
                p.beta,
                p.gamma,
                p.inner_steps,
                p.terms,
                p.hit.reached,
                p.hit.seeds,
                spread(&p.hit.oracle_calls),
                spread(&p.hit.samples)
            );
        }
    }
    let _ = writeln!(
        o,
        "\n| configuration | fitted exponent c (cost ~ kappa^c) | theory (upper bound) |"
    );
    let _ = writeln!(o, "|---|---|---|");
    for cv in &curves {
        let th = theory_exponent(&cv.algorithm)
            .map(|(x, src)| format!("{x} ({src})"))
            .unwrap_or_else(|| "no bound for this method".into());
        let _ = writeln!(
            o,
            "| {} | {} | {} |",
            cv.algo_label.replace('|', "\\|"),
            cv.fit.map_or("not enough points".into(), |f| f.text()),
            th
        );
    }
    let _ = writeln!(
        o,
        "\nOnly kappas that every seed brought to the target enter a fit. The theory's exponents are worst-case upper bounds over all problems with this kappa; a measured exponent below them agrees with the theory, one above them would contradict it.\n"
    );
}

/// The selected configurations against the untuned model (`alpha = 0`), when the run has one.
fn tuning(o: &mut String, run: &RunData, cands: &[crate::analysis::select::Candidate]) {
    let rows = crate::analysis::tuning::tuning_rows(run, cands);
    let Some(first) = rows.first() else {
        return;
    };
    let k = run.config.report.select_seeds;
    let n = run.seeds.len();
    let seeds = if k > 0 && k < n {
        format!("the {} seeds the selection never saw", n - k)
    } else {
        format!(
            "all {n} seeds, which also made the selection (optimistic: set `report.select_seeds`)"
        )
    };
    let _ = writeln!(
        o,
        "### Does tuning matter?\n\nEach chosen configuration against the untuned model (the same lower-level training with `alpha = 0`, so x stays at `run.x0 = {}`): final `{}` on held-out data, paired per seed on {seeds}; tuned - untuned with its 95 % Student-t interval; verdicts Holm-corrected across these rows at 5 %. The interval covers {}.\n",
        run.config.run.x0,
        first.metric,
        super::markdown::randomness(run),
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
