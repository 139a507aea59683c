//! Table cells and tables of the Markdown report: numbers, intervals, spreads and the claims
//! table with its verdicts.

use crate::analysis::claim::{Claim, Verdict};
use crate::analysis::target::Spread;
use crate::analysis::RunData;
use crate::metrics::Summary;
use crate::sweep::{DataKind, Resample};
use std::fmt::Write as _;

pub(super) fn e(v: f64) -> String {
    if v.is_finite() {
        format!("{v:.3e}")
    } else {
        "–".into()
    }
}

pub(super) fn ci(s: &Summary) -> String {
    if s.count == 0 {
        "–".into()
    } else if s.ci_low.is_finite() {
        format!("{} [{}, {}]", e(s.mean), e(s.ci_low), e(s.ci_high))
    } else {
        e(s.mean)
    }
}

/// A table cell: pipes escaped so they do not split the row.
fn cell(s: &str) -> String {
    s.replace('|', "\\|")
}

/// `mean (min–max)` over seeds.
pub(super) fn spread(s: &Spread) -> String {
    if s.count == 0 {
        "–".into()
    } else if s.min == s.max {
        e(s.mean)
    } else {
        format!("{} ({} – {})", e(s.mean), e(s.min), e(s.max))
    }
}

pub(super) fn verdict(v: Verdict) -> &'static str {
    match v {
        Verdict::Holds => "holds",
        Verdict::Fails => "**does not hold**",
        Verdict::Inconclusive => "inconclusive",
        Verdict::NotJudged => "not judged",
    }
}

pub(super) fn claims_table(out: &mut String, claims: &[Claim]) {
    let _ = writeln!(
        out,
        "| configuration | prediction | source and settings it covers | this run | verdict |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|");
    for c in claims {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            cell(&c.subject),
            cell(&c.prediction),
            cell(&c.source),
            cell(&c.observed),
            verdict(c.verdict)
        );
    }
    let _ = writeln!(out, "\nIn this run {}", tally(claims));
    out.push('\n');
}

/// "holds in 5 of 6 rows, inconclusive in 1": counts of each verdict.
pub(super) fn tally(claims: &[Claim]) -> String {
    let n = |v: Verdict| claims.iter().filter(|c| c.verdict == v).count();
    let mut parts = vec![format!(
        "the prediction holds in {} of {} rows",
        n(Verdict::Holds),
        claims.len()
    )];
    if n(Verdict::Fails) > 0 {
        parts.push(format!(
            "does not hold in {} (they disagree with the theory as stated)",
            n(Verdict::Fails)
        ));
    }
    if n(Verdict::Inconclusive) > 0 {
        parts.push(format!(
            "is inconclusive in {} (the interval straddles the threshold, or the corrected test shows no difference: more seeds or a longer run would decide)",
            n(Verdict::Inconclusive)
        ));
    }
    if n(Verdict::NotJudged) > 0 {
        parts.push(format!("is not judged in {}", n(Verdict::NotJudged)));
    }
    format!("{}.", parts.join(", "))
}

/// Which randomness an interval over this run's seeds covers. With resampling, only the sets
/// a seed actually draws count: a set that is a whole file of its own (`"all"`, or a test
/// file without `n_test`) is the same for every seed.
pub(super) fn randomness(run: &RunData) -> String {
    let d = &run.config.data;
    match (run.config.run.resample, d.kind) {
        (Resample::Data, DataKind::Synthetic) => "the algorithm's randomness (batches, neighbour \
             choice) and the data's: each seed draws its own sample of the synthetic population \
             (`run.resample = \"data\"`)"
            .into(),
        (Resample::Data, _) => {
            let all = crate::data::ALL;
            let fixed = |own_file: bool, n: Option<usize>| own_file && n.is_none_or(|n| n == all);
            // The lower set with "all" has the same rows for every seed unless another set
            // also comes from the training file and takes a different share of it.
            let shares_train =
                d.validation.is_none() || (d.pool.is_none() && d.n_pool > 0) || d.test.is_none();
            let sets = [
                (Some("lower"), d.n_lower != all || shares_train),
                (
                    Some("upper"),
                    !fixed(d.validation.is_some(), Some(d.n_upper)),
                ),
                (
                    (d.n_pool > 0).then_some("pool"),
                    !fixed(d.pool.is_some(), Some(d.n_pool)),
                ),
                (Some("test"), !fixed(d.test.is_some(), d.n_test)),
            ];
            let pick = |varies: bool| -> Vec<&str> {
                sets.iter()
                    .filter(|s| s.1 == varies)
                    .filter_map(|s| s.0)
                    .collect()
            };
            let (drawn, same) = (pick(true), pick(false));
            if drawn.is_empty() {
                "the algorithm's randomness (batches, neighbour choice) only: `run.resample = \
                 \"data\"` is set, but every set is a whole file, the same for every seed"
                    .into()
            } else {
                let tail = if same.is_empty() {
                    String::new()
                } else {
                    format!(
                        "; the {} set(s) are whole files, the same for every seed",
                        same.join(", ")
                    )
                };
                format!(
                    "the algorithm's randomness (batches, neighbour choice) and the data's: each \
                     seed draws its own {} set(s) (`run.resample = \"data\"`){tail}",
                    drawn.join(" / ")
                )
            }
        }
        (Resample::None, _) => "the algorithm's randomness (batches, neighbour choice) on one \
             draw of the data (`data.seed`), not the data's sampling error (`run.resample = \
             \"data\"` covers it)"
            .into(),
    }
}
