//! Paired comparisons between configurations: seeds are paired by design (seed s draws the
//! same batches under every configuration of a run), so a difference between two
//! configurations is judged on the per-seed differences, with a Student-t interval, and the
//! comparisons of one report are corrected together (Holm), so that "holds" and "does not
//! hold" keep their 5 % error rate across the whole table, not per row.
//!
//! Owns: the statistics of a verdict. Must not know: which claims are made.

use serde::Serialize;
use statrs::distribution::{ContinuousCDF, StudentsT};

/// The family-wise error rate of a report's verdicts.
pub const ALPHA: f64 = 0.05;

/// The per-seed differences `b - a` of two configurations (seeds where both are finite).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct PairedDiff {
    /// Seeds paired.
    pub n: usize,
    pub mean: f64,
    /// 95 % Student-t interval of the mean difference (per comparison).
    pub ci_low: f64,
    pub ci_high: f64,
    /// Two-sided p-value of the paired t-test of a zero mean difference.
    pub p: f64,
}

impl PairedDiff {
    /// The differences `b[s] - a[s]` over the seeds where both are finite; `None` with fewer
    /// than 2 such seeds.
    pub fn of(a: &[f64], b: &[f64]) -> Option<PairedDiff> {
        let d: Vec<f64> = a
            .iter()
            .zip(b)
            .filter(|(x, y)| x.is_finite() && y.is_finite())
            .map(|(x, y)| y - x)
            .collect();
        let n = d.len();
        if n < 2 {
            return None;
        }
        let mean = d.iter().sum::<f64>() / n as f64;
        let var = d.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        let se = (var / n as f64).sqrt();
        let t = StudentsT::new(0.0, 1.0, (n - 1) as f64).ok()?;
        let q = t.inverse_cdf(0.975);
        let p = if se > 0.0 {
            // The upper tail directly: 1 - cdf would round small p-values to 0.
            2.0 * t.sf((mean / se).abs())
        } else if mean == 0.0 {
            1.0
        } else {
            // Every seed moved by exactly the same nonzero amount.
            0.0
        };
        Some(PairedDiff {
            n,
            mean,
            ci_low: mean - q * se,
            ci_high: mean + q * se,
            p,
        })
    }

    pub fn text(&self) -> String {
        format!(
            "{:+.3e} [{:+.3e}, {:+.3e}] over {} seeds",
            self.mean, self.ci_low, self.ci_high, self.n
        )
    }
}

/// Holm's step-down adjustment of `p`: the adjusted p-values, in the same order. Rejecting
/// where the adjusted p is below `ALPHA` keeps the family-wise error rate at `ALPHA` whatever
/// the dependence between the tests.
pub fn holm(p: &[f64]) -> Vec<f64> {
    let m = p.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&i, &j| p[i].total_cmp(&p[j]));
    let mut adjusted = vec![1.0; m];
    let mut running: f64 = 0.0;
    for (rank, &i) in order.iter().enumerate() {
        let a = ((m - rank) as f64 * p[i]).min(1.0);
        running = running.max(a);
        adjusted[i] = running;
    }
    adjusted
}

/// What a corrected paired test at family-wise level `alpha` says about the prediction "b > a" (or "b < a" with
/// `larger = false`): holds when the difference is significant in the predicted direction,
/// does not hold when it is significant the other way, inconclusive otherwise (no
/// difference shown — which is not evidence of none).
pub fn directional(
    d: &PairedDiff,
    adjusted_p: f64,
    larger: bool,
    alpha: f64,
) -> super::claim::Verdict {
    use super::claim::Verdict;
    if !d.mean.is_finite() || !adjusted_p.is_finite() {
        return Verdict::NotJudged;
    }
    if adjusted_p >= alpha {
        return Verdict::Inconclusive;
    }
    if (d.mean > 0.0) == larger {
        Verdict::Holds
    } else {
        Verdict::Fails
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_paired_test() {
        // Differences 1, 2, 3, 4, 5: mean 3, sd sqrt(2.5), t = 3 / sqrt(0.5) = 4.2426 on 4
        // df, two-sided p = 0.01324 (R: t.test(1:5)).
        let a = [0.0; 5];
        let b = [1.0, 2.0, 3.0, 4.0, 5.0];
        let d = PairedDiff::of(&a, &b).unwrap();
        assert_eq!(d.n, 5);
        assert!((d.mean - 3.0).abs() < 1e-12);
        assert!((d.p - 0.013240).abs() < 1e-5, "{}", d.p);
        // 95 % interval: 3 +- 2.776445 * sqrt(0.5) = [1.036757, 4.963243].
        assert!((d.ci_low - 1.036757).abs() < 1e-5, "{}", d.ci_low);
        assert!((d.ci_high - 4.963243).abs() < 1e-5, "{}", d.ci_high);
        // Non-finite seeds are left out of the pairs.
        let d = PairedDiff::of(&[0.0, f64::NAN, 0.0], &[1.0, 2.0, 3.0]).unwrap();
        assert_eq!(d.n, 2);
        assert!(PairedDiff::of(&[0.0], &[1.0]).is_none());
    }

    #[test]
    fn holm_matches_its_definition() {
        // p sorted: 0.01, 0.02, 0.03, 0.5 -> 4*0.01, 3*0.02, 2*0.03 (monotone), 1*0.5.
        let adj = holm(&[0.03, 0.5, 0.01, 0.02]);
        let want = [0.06, 0.5, 0.04, 0.06];
        for (a, w) in adj.iter().zip(want) {
            assert!((a - w).abs() < 1e-12, "{adj:?}");
        }
        assert!(holm(&[]).is_empty());
    }
}
