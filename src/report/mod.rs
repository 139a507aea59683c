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
use crate::error::{Result, SboError};
use std::path::{Path, PathBuf};

/// An error for a run directory without results (a run that failed before its first variant
/// completed): there is nothing to draw or report.
fn require_results(run: &RunData) -> Result<()> {
    if run.configs.iter().all(|c| c.series.is_empty()) {
        return Err(SboError::Output {
            path: run.dir.clone(),
            msg: "the run holds no results (no configuration has a metric): nothing to plot \
                  or report"
                .into(),
        });
    }
    Ok(())
}

/// The figures of a run directory (the standard ones and its study's) into
/// `RUN_DIR/figures`; returns the files written.
pub fn plot(run: &RunData) -> Result<Vec<PathBuf>> {
    require_results(run)?;
    crate::plot::plot_run(run, figures::study_figures(run))
}

/// Figures and `report.md` of a run directory; returns the report's path and the figures.
pub fn make_report(run_dir: &Path) -> Result<(PathBuf, Vec<PathBuf>)> {
    let run = RunData::load(run_dir)?;
    require_results(&run)?;
    let figures = plot(&run)?;
    let report = markdown::write_report(&run, &figures)?;
    Ok((report, figures))
}
