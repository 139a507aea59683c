//! What of a panel's data can be drawn, and the axis ranges that show it.
//!
//! Run data is full of points a plot cannot show: NaN where a lane diverged or a metric was not
//! measured, t = 0 on a log axis, a generalization gap of exactly 0 at the start, a confidence
//! band whose lower end is negative around a positive mean. Dropping those here, before any
//! drawing, means the renderer only ever sees finite, in-range values.

use super::axis::Axis;
use super::{Line, Panel};

/// One line, split into runs of consecutive drawable points: a gap in the data (a diverged
/// seed, a dropped zero) stays a gap instead of a straight segment across it.
pub(crate) struct CleanLine<'a> {
    pub line: &'a Line,
    pub runs: Vec<Vec<(f64, f64)>>,
    /// Runs of `(x, lo, hi)`, lo possibly below the axis (clamped when drawn).
    pub bands: Vec<Vec<(f64, f64, f64)>>,
}

pub(crate) struct CleanPanel<'a> {
    pub x: Axis,
    pub y: Axis,
    pub lines: Vec<CleanLine<'a>>,
}

fn ok(v: f64, log: bool) -> bool {
    v.is_finite() && (!log || v > 0.0)
}

/// Splits `items` into maximal runs where `keep` gives a value.
fn runs<T>(n: usize, mut keep: impl FnMut(usize) -> Option<T>) -> Vec<Vec<T>> {
    let mut out: Vec<Vec<T>> = Vec::new();
    let mut cur = Vec::new();
    for i in 0..n {
        match keep(i) {
            Some(p) => cur.push(p),
            None if !cur.is_empty() => out.push(std::mem::take(&mut cur)),
            None => {}
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Checks lengths: a line whose x and y differ in length is a bug in whoever built the
/// figure, better reported than silently truncated.
pub(crate) fn check(panel: &Panel) -> Result<(), String> {
    for l in &panel.lines {
        let n = l.x.len();
        let bad = |what: &str, m: usize| {
            format!(
                "panel `{}`, line `{}`: {what} has {m} values but x has {n}",
                panel.title, l.label
            )
        };
        if l.y.len() != n {
            return Err(bad("y", l.y.len()));
        }
        for (what, v) in [("lo", &l.lo), ("hi", &l.hi)] {
            if let Some(v) = v {
                if v.len() != n {
                    return Err(bad(what, v.len()));
                }
            }
        }
    }
    Ok(())
}

/// The drawable part of `panel`, or `None` when nothing is left to draw.
pub(crate) fn clean(panel: &Panel) -> Option<CleanPanel<'_>> {
    let (lx, ly) = (panel.log_x, panel.log_y);
    let lines: Vec<CleanLine> = panel
        .lines
        .iter()
        .map(|line| {
            let n = line.x.len().min(line.y.len());
            let pts = runs(n, |i| {
                let (x, y) = (line.x[i], line.y[i]);
                (ok(x, lx) && ok(y, ly)).then_some((x, y))
            });
            let bands = match (&line.lo, &line.hi) {
                (Some(lo), Some(hi)) => runs(n.min(lo.len()).min(hi.len()), |i| {
                    let (x, a, b) = (line.x[i], lo[i].min(hi[i]), lo[i].max(hi[i]));
                    // On a log axis only the positive part of a band exists; its lower end is
                    // clamped to the axis when drawn.
                    (ok(x, lx) && a.is_finite() && ok(b, ly)).then_some((x, a, b))
                }),
                _ => Vec::new(),
            };
            CleanLine {
                line,
                runs: pts,
                bands,
            }
        })
        .collect();

    let xs = lines
        .iter()
        .flat_map(|l| l.runs.iter().flatten().map(|p| p.0));
    let (x0, x1) = extent(xs)?;
    let ys = lines
        .iter()
        .flat_map(|l| l.runs.iter().flatten().map(|p| p.1));
    let (y0, y1) = extent(ys)?;
    let band_ys = lines.iter().flat_map(|l| {
        l.bands
            .iter()
            .flatten()
            .flat_map(|b| [b.1, b.2])
            .filter(|v| ok(*v, ly))
    });
    let (y0, y1) = match extent(band_ys) {
        Some((b0, b1)) => with_bands((y0, y1), (b0, b1), ly),
        None => (y0, y1),
    };
    Some(CleanPanel {
        x: Axis::fit(x0, x1, lx),
        y: Axis::fit(y0, y1, ly),
        lines,
    })
}

fn extent(v: impl Iterator<Item = f64>) -> Option<(f64, f64)> {
    v.fold(None, |acc, v| match acc {
        None => Some((v, v)),
        Some((a, b)) => Some((a.min(v), b.max(v))),
    })
}

/// The y range: the lines' range, grown to take in the bands by at most half that range on
/// each side (half a decade at least on a log axis). With two or three seeds the Student-t
/// interval is many times wider than the spread of the means, and letting it set the scale
/// would squash every line flat; a band that reaches the frame still reads as "very wide".
fn with_bands(lines: (f64, f64), bands: (f64, f64), log: bool) -> (f64, f64) {
    let f = |v: f64| if log { v.log10() } else { v };
    let g = |v: f64| if log { 10f64.powf(v) } else { v };
    let (a, b) = (f(lines.0), f(lines.1));
    let ext = (0.5 * (b - a)).max(if log {
        0.5
    } else {
        0.25 * a.abs().max(b.abs())
    });
    let lo = a.min(f(bands.0).max(a - ext));
    let hi = b.max(f(bands.1).min(b + ext));
    (g(lo), g(hi))
}
