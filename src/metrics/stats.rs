//! Summary statistics over seeds: mean, sample standard deviation and a Student-t 95%
//! confidence interval for the mean.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub mean: f64,
    /// Sample standard deviation (n - 1); NaN for fewer than 2 values.
    pub std: f64,
    pub ci_low: f64,
    pub ci_high: f64,
    pub count: usize,
}

/// Two-sided 97.5% quantile of Student's t with `df` degrees of freedom.
pub fn t975(df: usize) -> f64 {
    const TABLE: [f64; 30] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
        2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
        2.052, 2.048, 2.045, 2.042,
    ];
    match df {
        0 => f64::NAN,
        1..=30 => TABLE[df - 1],
        _ => {
            // Cornish-Fisher expansion around the normal quantile; error < 1e-4 for df > 30.
            let z: f64 = 1.959964;
            let n = df as f64;
            z + (z.powi(3) + z) / (4.0 * n)
                + (5.0 * z.powi(5) + 16.0 * z.powi(3) + 3.0 * z) / (96.0 * n * n)
        }
    }
}

/// Summarises the finite values of `xs` (NaNs are runs that diverged or a metric that was
/// not available, and are left out of the count).
pub fn summarize(xs: impl IntoIterator<Item = f64>) -> Summary {
    let v: Vec<f64> = xs.into_iter().filter(|x| x.is_finite()).collect();
    let n = v.len();
    if n == 0 {
        return Summary {
            mean: f64::NAN,
            std: f64::NAN,
            ci_low: f64::NAN,
            ci_high: f64::NAN,
            count: 0,
        };
    }
    let mean = v.iter().sum::<f64>() / n as f64;
    if n == 1 {
        return Summary {
            mean,
            std: f64::NAN,
            ci_low: f64::NAN,
            ci_high: f64::NAN,
            count: 1,
        };
    }
    let var = v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1) as f64;
    let std = var.sqrt();
    let half = t975(n - 1) * std / (n as f64).sqrt();
    Summary {
        mean,
        std,
        ci_low: mean - half,
        ci_high: mean + half,
        count: n,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values() {
        let s = summarize([1.0, 2.0, 3.0, 4.0, f64::NAN]);
        assert_eq!(s.count, 4);
        assert!((s.mean - 2.5).abs() < 1e-15);
        assert!((s.std - (5.0f64 / 3.0).sqrt()).abs() < 1e-12);
        let half = 3.182 * s.std / 2.0;
        assert!((s.ci_high - 2.5 - half).abs() < 1e-12);
        // The expansion joins the table smoothly and tends to the normal quantile.
        assert!((t975(31) - 2.0395).abs() < 1e-3, "{}", t975(31));
        assert!((t975(1000) - 1.9623).abs() < 1e-3);
        assert_eq!(summarize([]).count, 0);
    }
}
