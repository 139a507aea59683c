//! One axis type for linear and log scales, with tick positions and labels of our choosing.
//!
//! plotters' own log coordinate is a different Rust type from its linear one, so a panel whose
//! scales are chosen at run time would need four chart types; and its tick labels (`Debug` of
//! an f64, `0.0001`, `1000.0`) are hard to read. Mapping both scales through one [`Axis`] keeps
//! a single drawing path and lets labels read `10⁻³`, `2.5×10⁵` or `0.05`.

use plotters::coord::ranged1d::{
    KeyPointHint, KeyPointWeight, NoDefaultFormatting, Ranged, ValueFormatter,
};
use std::ops::Range;

/// Labelled ticks per axis: enough to read values off, few enough that `2.5×10⁻⁵`-wide labels
/// never touch on a 700 px panel.
pub(crate) const MAX_TICKS: usize = 7;

#[derive(Clone, Debug)]
pub(crate) struct Axis {
    lo: f64,
    hi: f64,
    log: bool,
    ticks: Vec<f64>,
    /// Linear scale: decimals every tick label needs; log scale: unused.
    decimals: usize,
    /// Whether labels use the `m×10ᵏ` form (decided once per axis so labels look alike).
    sci: bool,
}

impl Axis {
    /// An axis spanning `[lo, hi]` exactly (in data units; both > 0 on a log scale).
    pub(crate) fn new(lo: f64, hi: f64, log: bool) -> Axis {
        let ticks = if log {
            log_ticks(lo, hi, MAX_TICKS)
        } else {
            linear_ticks(lo, hi, MAX_TICKS)
        };
        let top = ticks.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let (decimals, sci) = if log {
            // Plain numbers only while every label stays short (0.01 .. 10000); otherwise every
            // label in m×10ᵏ form, so that one axis never mixes `0.02` with `10⁻²`.
            let plain = ticks.iter().all(|&v| (0.01..=1e4).contains(&v));
            (0, !plain)
        } else {
            let step = if ticks.len() >= 2 {
                ticks[1] - ticks[0]
            } else {
                (hi - lo).abs()
            };
            (
                decimals_for(&ticks, step),
                top >= 1e5 || (top > 0.0 && top < 1e-3),
            )
        };
        Axis {
            lo,
            hi,
            log,
            ticks,
            decimals,
            sci,
        }
    }

    /// An axis around the data extent `[min, max]`, with a small margin so that lines do not
    /// run along the frame, and widened when all values coincide (a flat line still needs a
    /// scale).
    pub(crate) fn fit(min: f64, max: f64, log: bool) -> Axis {
        let (mut a, mut b) = (to_scale(min, log), to_scale(max, log));
        if !(a.is_finite() && b.is_finite()) {
            return Axis::placeholder();
        }
        if b - a <= 1e-12 * a.abs().max(b.abs()).max(1e-300) {
            let d = if log {
                0.5
            } else if a == 0.0 {
                1.0
            } else {
                0.1 * a.abs()
            };
            a -= d;
            b += d;
        }
        let pad = 0.04 * (b - a);
        Axis::new(from_scale(a - pad, log), from_scale(b + pad, log), log)
    }

    /// The frame of a panel without data.
    pub(crate) fn placeholder() -> Axis {
        Axis::new(0.0, 1.0, false)
    }

    /// `v` moved into the axis range, so that bands wider than the plot stop at its edge
    /// instead of being drawn over the labels.
    pub(crate) fn clamp(&self, v: f64) -> f64 {
        v.clamp(self.lo, self.hi)
    }

    /// Tick labels, for sizing the label area before drawing.
    pub(crate) fn labels(&self) -> Vec<String> {
        self.ticks.iter().map(|v| self.label(*v)).collect()
    }

    pub(crate) fn label(&self, v: f64) -> String {
        if self.log {
            let k = v.log10().round();
            let decade = (v.log10() - k).abs() < 1e-9;
            return match (decade, self.sci) {
                (true, true) => format!("10{}", superscript(k as i64)),
                (false, true) => sci(v),
                _ => plain(v),
            };
        }
        if v == 0.0 {
            return "0".into();
        }
        if self.sci {
            return sci(v);
        }
        minus(format!("{:.*}", self.decimals, v))
    }

    /// Minor ticks of a log axis (2..9 times each power of ten) for light grid lines, which
    /// make a log scale recognisable at a glance; none on a linear axis.
    fn minor_ticks(&self) -> Vec<f64> {
        if !self.log {
            return Vec::new();
        }
        let (a, b) = (
            self.lo.log10().floor() as i32,
            self.hi.log10().ceil() as i32,
        );
        if b - a > 8 {
            return Vec::new();
        }
        (a..=b)
            .flat_map(|k| (2..10).map(move |m| m as f64 * 10f64.powi(k)))
            .filter(|v| (self.lo..=self.hi).contains(v))
            .collect()
    }
}

fn to_scale(v: f64, log: bool) -> f64 {
    if log {
        v.log10()
    } else {
        v
    }
}

fn from_scale(v: f64, log: bool) -> f64 {
    if log {
        10f64.powf(v)
    } else {
        v
    }
}

/// "Nice" steps (1, 2, 5 times a power of ten) with at most `max` ticks in `[lo, hi]`.
fn linear_ticks(lo: f64, hi: f64, max: usize) -> Vec<f64> {
    let span = hi - lo;
    if max == 0 || !(span > 0.0 && span.is_finite()) {
        return Vec::new();
    }
    let mag = 10f64.powf((span / max as f64).log10().floor());
    for m in [1.0, 2.0, 5.0, 10.0, 20.0] {
        let step = m * mag;
        let (a, b) = ((lo / step).ceil(), (hi / step).floor());
        if b - a + 1.0 <= max as f64 {
            return (a as i64..=b as i64)
                .map(|k| {
                    let v = k as f64 * step;
                    if v.abs() < step * 1e-9 {
                        0.0
                    } else {
                        v
                    }
                })
                .collect();
        }
    }
    Vec::new()
}

/// Powers of ten (every n-th when there are many decades), else 1-2-5 or 1..9 times powers of
/// ten for ranges of a decade or two, else linear steps.
fn log_ticks(lo: f64, hi: f64, max: usize) -> Vec<f64> {
    if max == 0 || !(lo > 0.0 && hi > lo) {
        return Vec::new();
    }
    let (k0, k1) = (lo.log10().ceil() as i64, hi.log10().floor() as i64);
    let n = k1 - k0 + 1;
    let decades = |stride: i64| -> Vec<f64> {
        (k0..=k1)
            .filter(|k| k.rem_euclid(stride) == 0)
            .map(|k| 10f64.powi(k as i32))
            .collect()
    };
    if n >= 3 {
        return decades((n as f64 / max as f64).ceil().max(1.0) as i64);
    }
    // Within two or three decades powers of ten alone leave too few labels to read values by.
    for mults in [
        &[1.0, 2.0, 5.0][..],
        &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0],
    ] {
        let t: Vec<f64> = (k0 - 1..=k1 + 1)
            .flat_map(|k| mults.iter().map(move |m| m * 10f64.powi(k as i32)))
            .filter(|v| (lo..=hi).contains(v))
            .collect();
        if t.len() >= 3 && t.len() <= max {
            return t;
        }
    }
    if n == 2 {
        return decades(1);
    }
    linear_ticks(lo, hi, max)
        .into_iter()
        .filter(|v| *v > 0.0)
        .collect()
}

/// The fewest decimals that still tell every tick apart at its true value.
fn decimals_for(ticks: &[f64], step: f64) -> usize {
    (0..=10)
        .find(|&d| {
            let s = 10f64.powi(d as i32);
            ticks
                .iter()
                .all(|v| ((v * s).round() / s - v).abs() <= step.abs() * 1e-6)
        })
        .unwrap_or(10)
}

/// `v` with the decimals its first three significant digits need.
fn plain(v: f64) -> String {
    let d = decimals_for(&[v], v.abs() * 1e-3);
    minus(format!("{v:.d$}"))
}

/// `2.5×10⁻⁵`, or `10⁻⁵` when the mantissa is 1.
fn sci(v: f64) -> String {
    let e = v.abs().log10().floor();
    let m = v / 10f64.powf(e);
    let (m, e) = if (m.abs() - 10.0).abs() < 1e-9 {
        (m / 10.0, e + 1.0)
    } else {
        (m, e)
    };
    let exp = format!("10{}", superscript(e as i64));
    if (m - 1.0).abs() < 1e-9 {
        return exp;
    }
    if (m + 1.0).abs() < 1e-9 {
        return format!("−{exp}");
    }
    let d = decimals_for(&[m], 1e-3);
    minus(format!("{m:.d$}×{exp}"))
}

fn superscript(k: i64) -> String {
    k.to_string()
        .chars()
        .map(|c| match c {
            '-' => '⁻',
            '0' => '⁰',
            '1' => '¹',
            '2' => '²',
            '3' => '³',
            '4' => '⁴',
            '5' => '⁵',
            '6' => '⁶',
            '7' => '⁷',
            '8' => '⁸',
            _ => '⁹',
        })
        .collect()
}

/// A typographic minus: the hyphen reads as a dash next to axis ticks.
fn minus(s: String) -> String {
    match s.strip_prefix('-') {
        Some(rest) => format!("−{rest}"),
        None => s,
    }
}

impl Ranged for Axis {
    type FormatOption = NoDefaultFormatting;
    type ValueType = f64;

    fn map(&self, v: &f64, limit: (i32, i32)) -> i32 {
        let (a, b) = (to_scale(self.lo, self.log), to_scale(self.hi, self.log));
        let u = (to_scale(*v, self.log) - a) / (b - a);
        // Values are clamped into the range before drawing; this only keeps a stray value from
        // overflowing pixel arithmetic.
        let u = if u.is_finite() {
            u.clamp(-1.0, 2.0)
        } else {
            0.0
        };
        limit.0 + ((limit.1 - limit.0) as f64 * u).round() as i32
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        let max = hint.max_num_points();
        let points = match hint.weight() {
            KeyPointWeight::Bold => self.ticks.clone(),
            KeyPointWeight::Any => self.minor_ticks(),
        };
        if points.len() <= max {
            points
        } else {
            Vec::new()
        }
    }

    fn range(&self) -> Range<f64> {
        self.lo..self.hi
    }
}

impl ValueFormatter<f64> for Axis {
    fn format_ext(&self, v: &f64) -> String {
        self.label(*v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_read_naturally() {
        let a = Axis::new(1e-7, 1e-1, true);
        assert_eq!(a.labels().first().map(String::as_str), Some("10⁻⁷"));
        let a = Axis::new(1.0, 1000.0, true);
        assert_eq!(a.labels(), ["1", "10", "100", "1000"]);
        let a = Axis::new(0.0, 2e6, false);
        assert!(a.labels().contains(&"10⁶".to_string()), "{:?}", a.labels());
        let a = Axis::new(-0.05, 0.1, false);
        assert!(
            a.labels().contains(&"−0.05".to_string()),
            "{:?}",
            a.labels()
        );
        let a = Axis::new(2.0, 3.0, true);
        assert!(a.labels().len() >= 2, "{:?}", a.labels());
    }

    #[test]
    fn ticks_stay_within_range_and_count() {
        for (lo, hi, log) in [
            (0.0, 1.0, false),
            (-3.0, 7e9, false),
            (1e-12, 1e12, true),
            (0.9, 1.1, true),
        ] {
            let a = Axis::new(lo, hi, log);
            assert!(a.ticks.len() <= MAX_TICKS && !a.ticks.is_empty());
            assert!(a.ticks.iter().all(|v| *v >= lo && *v <= hi));
        }
    }
}
