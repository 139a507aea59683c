//! Figures of a run: SVG for papers and zooming, PNG for a quick look and for reports that
//! embed images.
//!
//! A figure is plain data ([`Figure`] of [`Panel`]s of [`Line`]s), so that analyses elsewhere
//! in the crate (or outside it) can build their own figures and get the same look, legend and
//! handling of bad values as the standard ones. Rendering needs no system library: text is
//! drawn with a font compiled into the binary (see `font.rs`).
//!
//! Owns: figures and their rendering. Must not know: how a run was computed; its data come
//! from `analysis::RunData`.

mod axis;
mod backend;
mod clean;
mod figures;
mod font;
mod legend;
mod render;
mod style;

pub use figures::standard_figures;

use crate::analysis::RunData;
use crate::error::{Result, SboError};
use std::path::{Path, PathBuf};

/// One curve: typically one configuration's seed mean over logging steps, with its 95%
/// interval as `lo`/`hi`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Line {
    /// Legend text; lines with the same label share a colour across the figure's panels.
    pub label: String,
    pub x: Vec<f64>,
    pub y: Vec<f64>,
    /// Lower and upper edge of a shaded band (both or neither), same length as `x`.
    pub lo: Option<Vec<f64>>,
    pub hi: Option<Vec<f64>>,
    pub dashed: bool,
    /// A dot at every point, for sparse data where the line alone hides where values are.
    pub markers: bool,
}

/// One set of axes. Non-finite values, and non-positive ones on a log axis, are left out
/// rather than rejected: run data has them wherever a lane diverged or at t = 0.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Panel {
    pub title: String,
    /// Axis labels, with units where the quantity has one.
    pub x_label: String,
    pub y_label: String,
    pub log_x: bool,
    pub log_y: bool,
    pub lines: Vec<Line>,
}

/// Panels in a grid of `columns` columns (filled row by row) under one title, with one legend
/// below them all.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Figure {
    pub title: String,
    pub panels: Vec<Panel>,
    /// Panels per row; 0 or more than there are panels means one row.
    pub columns: usize,
}

/// Size in pixels of the images [`render`] writes for `fig`: 700 x 450 per panel, plus the
/// title strip and a legend strip that grows with the number of legend entries. Exposed so
/// that callers laying out a report (and tests) know the size without decoding the PNG.
pub fn figure_size(fig: &Figure) -> (u32, u32) {
    if font::register().is_err() {
        return (0, 0);
    }
    let lay = render::layout(fig);
    (lay.width, lay.height)
}

fn output_error(path: &Path, msg: impl Into<String>) -> SboError {
    SboError::Output {
        path: path.to_path_buf(),
        msg: msg.into(),
    }
}

/// `stem` + `.ext`, keeping any dots already in the stem (`fig.v2` -> `fig.v2.svg`).
fn with_suffix(stem: &Path, ext: &str) -> PathBuf {
    let mut s = stem.as_os_str().to_os_string();
    s.push(".");
    s.push(ext);
    PathBuf::from(s)
}

/// Writes `stem.svg` and `stem.png`; returns both paths.
///
/// Missing parent directories are created. A panel without drawable data is drawn with a
/// "no data" note; only lines whose lengths disagree, an unwritable path or a failure inside
/// plotters are errors.
pub fn render(fig: &Figure, stem: &Path) -> Result<Vec<PathBuf>> {
    for p in &fig.panels {
        clean::check(p).map_err(|m| output_error(stem, m))?;
    }
    font::register().map_err(|m| output_error(stem, m))?;
    if let Some(dir) = stem.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| output_error(dir, e.to_string()))?;
    }
    let lay = render::layout(fig);
    let svg = with_suffix(stem, "svg");
    let png = with_suffix(stem, "png");
    guarded(&svg, || render::svg(fig, &lay, &svg))?;
    guarded(&png, || render::png(fig, &lay, &png))?;
    Ok(vec![svg, png])
}

/// Runs one backend, turning its errors, and any panic inside plotters, into an error for
/// `path`. A figure is a by-product of a run that may have taken hours; an odd value reaching
/// an `unwrap` deep in a drawing library must not take the results down with it.
fn guarded(path: &Path, f: impl FnOnce() -> std::result::Result<(), String>) -> Result<()> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(Ok(())) => Ok(()),
        Ok(Err(msg)) => Err(output_error(path, msg)),
        Err(p) => {
            let msg = p
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| p.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "panic while drawing".into());
            Err(output_error(path, format!("drawing failed: {msg}")))
        }
    }
}

/// Renders `standard_figures(run)` plus `extra` into `run.dir/figures/`; returns the files
/// written.
pub fn plot_run(run: &RunData, extra: Vec<(String, Figure)>) -> Result<Vec<PathBuf>> {
    let dir = run.dir.join("figures");
    let mut written = Vec::new();
    for (stem, fig) in standard_figures(run).into_iter().chain(extra) {
        written.extend(render(&fig, &dir.join(stem))?);
    }
    Ok(written)
}
