//! Power-law fits y ~ c x^a by least squares on log-log axes: growth of stability with
//! iterations (a) and with the upper-level size (b), and of cost with kappa.
//!
//! The exponent's interval comes from the seeds when there are several: each seed's curve is
//! fitted on its own and the interval is Student-t over the per-seed exponents, which reflects
//! run-to-run variation; a single curve gets the regression's own standard error instead.

use crate::metrics::t975;
use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub enum FitMethod {
    /// Mean of per-seed exponents, interval over seeds.
    PerSeed,
    /// One regression, interval from its residuals.
    Regression,
    /// One regression, interval from a percentile bootstrap over seeds.
    Bootstrap,
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Fit {
    /// The exponent a of y ~ c x^a.
    pub slope: f64,
    /// 95% interval of the exponent (NaN when it cannot be estimated).
    pub ci_low: f64,
    pub ci_high: f64,
    /// log c (natural log): the line of the reported slope through the centre of the mean
    /// curve (log space).
    pub intercept: f64,
    /// Points on the x axis used.
    pub points: usize,
    /// Seeds whose curves entered the fit (per-seed method).
    pub seeds: usize,
    pub method: FitMethod,
    /// Standard error of the exponent and its degrees of freedom (seeds - 1, or points - 2
    /// for one regression; 0 when unknown): what an interval at another level needs.
    pub se: f64,
    pub df: usize,
}

impl Fit {
    /// Whether the interval contains `v`.
    pub fn contains(&self, v: f64) -> bool {
        self.ci_low <= v && v <= self.ci_high
    }

    /// The two-sided Student-t interval at level 1 - `alpha` (NaN when it cannot be
    /// estimated): a wider one than the 95 % interval when several rows are corrected
    /// together.
    pub fn interval(&self, alpha: f64) -> (f64, f64) {
        use statrs::distribution::{ContinuousCDF, StudentsT};
        let q = StudentsT::new(0.0, 1.0, self.df as f64)
            .ok()
            .filter(|_| self.df > 0 && self.se.is_finite())
            .map_or(f64::NAN, |t| t.inverse_cdf(1.0 - alpha / 2.0));
        (self.slope - q * self.se, self.slope + q * self.se)
    }

    /// `a = 0.52 [0.48, 0.57]`.
    pub fn text(&self) -> String {
        if self.ci_low.is_finite() {
            format!(
                "{:.2} [{:.2}, {:.2}]",
                self.slope, self.ci_low, self.ci_high
            )
        } else {
            format!("{:.2}", self.slope)
        }
    }
}

/// Ordinary least squares of ln y on ln x over the points where both are positive and
/// finite: `(slope, intercept, standard error of the slope, points)`.
pub fn ols_loglog(x: &[f64], y: &[f64]) -> Option<(f64, f64, f64, usize)> {
    let pts: Vec<(f64, f64)> = x
        .iter()
        .zip(y)
        .filter(|(a, b)| a.is_finite() && b.is_finite() && **a > 0.0 && **b > 0.0)
        .map(|(a, b)| (a.ln(), b.ln()))
        .collect();
    let n = pts.len();
    if n < 2 {
        return None;
    }
    let nf = n as f64;
    let mx = pts.iter().map(|p| p.0).sum::<f64>() / nf;
    let my = pts.iter().map(|p| p.1).sum::<f64>() / nf;
    let sxx: f64 = pts.iter().map(|p| (p.0 - mx) * (p.0 - mx)).sum();
    if sxx <= 0.0 {
        return None;
    }
    let sxy: f64 = pts.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    let slope = sxy / sxx;
    let intercept = my - slope * mx;
    let se = if n > 2 {
        let rss: f64 = pts
            .iter()
            .map(|p| {
                let r = p.1 - intercept - slope * p.0;
                r * r
            })
            .sum();
        (rss / (nf - 2.0) / sxx).sqrt()
    } else {
        f64::NAN
    };
    Some((slope, intercept, se, n))
}

/// Fits one curve; the interval is the regression's (t with n - 2 degrees of freedom).
pub fn fit_curve(x: &[f64], y: &[f64]) -> Option<Fit> {
    let (slope, intercept, se, n) = ols_loglog(x, y)?;
    let half = if n > 2 { t975(n - 2) * se } else { f64::NAN };
    Some(Fit {
        slope,
        ci_low: slope - half,
        ci_high: slope + half,
        intercept,
        points: n,
        seeds: 1,
        method: FitMethod::Regression,
        se,
        df: n.saturating_sub(2),
    })
}

/// The intercept that puts a line of slope `slope` through the centre of the points (in log
/// space), so that a drawn fit passes through the data whatever slope was reported.
fn centred_intercept(x: &[f64], y: &[f64], slope: f64) -> f64 {
    let pts: Vec<(f64, f64)> = x
        .iter()
        .zip(y)
        .filter(|(a, b)| a.is_finite() && b.is_finite() && **a > 0.0 && **b > 0.0)
        .map(|(a, b)| (a.ln(), b.ln()))
        .collect();
    if pts.is_empty() {
        return f64::NAN;
    }
    let n = pts.len() as f64;
    let mx = pts.iter().map(|p| p.0).sum::<f64>() / n;
    let my = pts.iter().map(|p| p.1).sum::<f64>() / n;
    my - slope * mx
}

/// Fits every seed's curve `ys[seed]` against `x`; with at least two seeds fitted, the
/// exponent is their mean with a Student-t interval over seeds, otherwise the regression
/// through the mean curve. The intercept is always that of the mean curve.
pub fn fit_seeds(x: &[f64], ys: &[Vec<f64>]) -> Option<Fit> {
    let slopes: Vec<f64> = ys
        .iter()
        .filter_map(|y| ols_loglog(x, y).map(|f| f.0))
        .collect();
    let mean_curve: Vec<f64> = (0..x.len())
        .map(|i| {
            let v: Vec<f64> = ys
                .iter()
                .filter_map(|y| y.get(i).copied())
                .filter(|v| v.is_finite() && *v > 0.0)
                .collect();
            if v.is_empty() {
                f64::NAN
            } else {
                v.iter().sum::<f64>() / v.len() as f64
            }
        })
        .collect();
    let mean_fit = fit_curve(x, &mean_curve);
    if slopes.len() < 2 {
        return mean_fit;
    }
    let s = crate::metrics::summarize(slopes.iter().copied());
    Some(Fit {
        slope: s.mean,
        ci_low: s.ci_low,
        ci_high: s.ci_high,
        intercept: centred_intercept(x, &mean_curve, s.mean),
        points: mean_fit.map_or(x.len(), |f| f.points),
        seeds: s.count,
        method: FitMethod::PerSeed,
        se: s.std / (s.count as f64).sqrt(),
        df: s.count.saturating_sub(1),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_power_law_is_recovered() {
        let x = [10.0, 100.0, 1000.0, 10000.0];
        let y: Vec<f64> = x.iter().map(|k: &f64| 3.0 * k.powf(2.0)).collect();
        let f = fit_curve(&x, &y).unwrap();
        assert!((f.slope - 2.0).abs() < 1e-12);
        assert!((f.intercept - 3f64.ln()).abs() < 1e-9);
        assert!(f.ci_high - f.ci_low < 1e-9);
    }

    #[test]
    fn per_seed_interval_covers_noise() {
        let x: Vec<f64> = (1..=8).map(|i| (i * 100) as f64).collect();
        // Three seeds with exponents -0.9, -1.0, -1.1.
        let ys: Vec<Vec<f64>> = [-0.9, -1.0, -1.1]
            .iter()
            .map(|a: &f64| x.iter().map(|m| 5.0 * m.powf(*a)).collect())
            .collect();
        let f = fit_seeds(&x, &ys).unwrap();
        assert_eq!(f.method, FitMethod::PerSeed);
        assert!((f.slope + 1.0).abs() < 1e-9);
        assert!(f.contains(-1.0) && f.ci_low < -1.1 && f.ci_high > -0.9);
        // The 95 % interval again through the t quantile, and a wider one at a stricter level.
        let (lo, hi) = f.interval(0.05);
        assert!((lo - f.ci_low).abs() < 1e-3 && (hi - f.ci_high).abs() < 1e-3);
        let (lo2, hi2) = f.interval(0.05 / 6.0);
        assert!(lo2 < lo && hi2 > hi);
    }

    #[test]
    fn non_positive_points_are_skipped() {
        assert!(ols_loglog(&[1.0, 2.0], &[0.0, 1.0]).is_none());
        let f = fit_curve(&[0.0, 1.0, 2.0, 4.0], &[5.0, 1.0, 2.0, 4.0]).unwrap();
        assert_eq!(f.points, 3);
        assert!((f.slope - 1.0).abs() < 1e-12);
    }
}
