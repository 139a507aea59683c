//! What `sbo report` and `sbo plot` make of a run directory: the study figures and the
//! Markdown report (verdicts, fits next to the theory, selection, time to target).
//!
//! Owns: the report's text and the study-specific figures. Must not know: how runs are
//! computed or stored (it reads them through `analysis::RunData`).

mod cells;
pub mod figures;
pub mod markdown;
mod sections;
pub mod targets;

use crate::analysis::RunData;
use crate::error::Result;
use std::path::{Path, PathBuf};

/// The figures of a run directory (the standard ones and its study's) into
/// `RUN_DIR/figures`; returns the files written.
pub fn plot(run: &RunData) -> Result<Vec<PathBuf>> {
    crate::plot::plot_run(run, figures::study_figures(run))
}

/// Figures and `report.md` of a run directory; returns the report's path and the figures.
pub fn make_report(run_dir: &Path) -> Result<(PathBuf, Vec<PathBuf>)> {
    let run = RunData::load(run_dir)?;
    let figures = plot(&run)?;
    let report = markdown::write_report(&run, &figures)?;
    Ok((report, figures))
}
