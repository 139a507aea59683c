//! Reading a run directory back into the types of [`super::schema`], with errors that name
//! the file and line.

use super::schema::{
    LaneRow, MetricsRow, Num, RunSummary, SeedsRow, CONFIG, LANES, METRICS, SEEDS, SUMMARY,
};
use crate::error::{Result, SboError};
use crate::metrics::Metric;
use crate::run::LaneStatus;
use crate::sweep::SweepConfig;
use std::path::{Path, PathBuf};

/// The files of a run directory.
#[derive(Clone, Debug)]
pub struct RunFiles {
    pub dir: PathBuf,
    pub config: SweepConfig,
    pub summary: RunSummary,
    pub metrics: Vec<MetricsRow>,
    /// `seeds.csv` (absent in runs made before it existed): its metric columns and rows.
    pub seeds: Option<(Vec<Metric>, Vec<SeedsRow>)>,
}

fn bad(path: &Path, line: u64, msg: impl Into<String>) -> SboError {
    SboError::Parse {
        path: path.to_path_buf(),
        line: line as usize,
        msg: msg.into(),
    }
}

fn read_text(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| SboError::io(path, e))
}

/// A CSV error with the line it happened on.
fn csv_bad(path: &Path, e: csv::Error) -> SboError {
    let line = e.position().map_or(0, |p| p.line());
    bad(path, line, e.to_string())
}

fn reader(text: &str) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new().from_reader(text.as_bytes())
}

/// Reads `config.toml`, `summary.json`, `metrics.csv` and (when present) `seeds.csv`.
pub fn read_run(dir: &Path) -> Result<RunFiles> {
    let config = SweepConfig::from_file(&dir.join(CONFIG))?;
    let sum_path = dir.join(SUMMARY);
    let summary: RunSummary = serde_json::from_str(&read_text(&sum_path)?)
        .map_err(|e| bad(&sum_path, e.line() as u64, e.to_string()))?;
    let m_path = dir.join(METRICS);
    let metrics = read_metrics_at(&m_path, &read_text(&m_path)?)?;
    check_labels(
        &m_path,
        &summary,
        metrics.iter().map(|(l, r)| (*l, r.config.as_str())),
    )?;
    let metrics = metrics.into_iter().map(|(_, r)| r).collect();
    let s_path = dir.join(SEEDS);
    let seeds = if s_path.exists() {
        let (cols, rows) = read_seeds_at(&s_path, &read_text(&s_path)?)?;
        check_labels(
            &s_path,
            &summary,
            rows.iter().map(|(l, r)| (*l, r.config.as_str())),
        )?;
        Some((cols, rows.into_iter().map(|(_, r)| r).collect()))
    } else {
        None
    };
    Ok(RunFiles {
        dir: dir.to_path_buf(),
        config,
        summary,
        metrics,
        seeds,
    })
}

pub fn read_metrics(path: &Path, text: &str) -> Result<Vec<MetricsRow>> {
    Ok(read_metrics_at(path, text)?
        .into_iter()
        .map(|(_, r)| r)
        .collect())
}

/// The rows of `metrics.csv` with the line each starts on.
fn read_metrics_at(path: &Path, text: &str) -> Result<AtLines<MetricsRow>> {
    let mut rd = reader(text);
    let header = rd.headers().map_err(|e| csv_bad(path, e))?.clone();
    rd.records()
        .map(|rec| {
            let rec = rec.map_err(|e| csv_bad(path, e))?;
            let line = rec.position().map_or(0, |p| p.line());
            let row = rec
                .deserialize(Some(&header))
                .map_err(|e| csv_bad(path, e))?;
            Ok((line, row))
        })
        .collect()
}

/// An error naming the line of the first row whose configuration `summary.json` does not
/// list.
fn check_labels<'a>(
    path: &Path,
    summary: &RunSummary,
    rows: impl Iterator<Item = (u64, &'a str)>,
) -> Result<()> {
    let known: std::collections::HashSet<&str> =
        summary.configs.iter().map(|c| c.label.as_str()).collect();
    for (line, label) in rows {
        if !known.contains(label) {
            return Err(bad(
                path,
                line,
                format!("configuration `{label}` is not in summary.json"),
            ));
        }
    }
    Ok(())
}

pub fn read_seeds(path: &Path, text: &str) -> Result<(Vec<Metric>, Vec<SeedsRow>)> {
    let (metrics, rows) = read_seeds_at(path, text)?;
    Ok((metrics, rows.into_iter().map(|(_, r)| r).collect()))
}

/// Rows of a file with the line each starts on.
type AtLines<R> = Vec<(u64, R)>;

/// The metric columns of `seeds.csv` and its rows with the line each starts on.
fn read_seeds_at(path: &Path, text: &str) -> Result<(Vec<Metric>, AtLines<SeedsRow>)> {
    let mut rd = reader(text);
    let header = rd.headers().map_err(|e| csv_bad(path, e))?.clone();
    if header.iter().take(3).ne(["config", "seed", "t"]) {
        return Err(bad(
            path,
            1,
            "expected the columns config, seed, t, metrics...",
        ));
    }
    let metrics = header
        .iter()
        .skip(3)
        .map(|m| Metric::from_name(m).ok_or_else(|| bad(path, 1, format!("unknown metric `{m}`"))))
        .collect::<Result<Vec<_>>>()?;
    let mut rows = Vec::new();
    for rec in rd.records() {
        let rec = rec.map_err(|e| csv_bad(path, e))?;
        let line = rec.position().map_or(0, |p| p.line());
        let int = |i: usize, what: &str| {
            rec[i].parse::<u64>().map_err(|_| {
                bad(
                    path,
                    line,
                    format!("{what} `{}` is not an integer", &rec[i]),
                )
            })
        };
        let values = rec
            .iter()
            .skip(3)
            .map(|v| Num::parse(v).ok_or_else(|| bad(path, line, format!("`{v}` is not a number"))))
            .collect::<Result<Vec<_>>>()?;
        rows.push((
            line,
            SeedsRow {
                config: rec[0].to_string(),
                seed: int(1, "seed")?,
                t: int(2, "step")?,
                values,
            },
        ));
    }
    Ok((metrics, rows))
}

pub fn read_lanes(path: &Path, text: &str) -> Result<Vec<LaneRow>> {
    let mut rd = reader(text);
    let header = rd.headers().map_err(|e| csv_bad(path, e))?.clone();
    if header
        .iter()
        .take(4)
        .ne(["config", "seed", "neighbour", "status"])
    {
        return Err(bad(
            path,
            1,
            "expected the columns config, seed, neighbour, status, x_i..., y_i...",
        ));
    }
    let p = header.iter().filter(|h| h.starts_with("x_")).count();
    let mut rows = Vec::new();
    for rec in rd.records() {
        let rec = rec.map_err(|e| csv_bad(path, e))?;
        let line = rec.position().map_or(0, |p| p.line());
        let int = |i: usize| {
            rec[i]
                .parse::<u64>()
                .map_err(|_| bad(path, line, format!("`{}` is not an integer", &rec[i])))
        };
        let cell = |v: &str| -> Result<Option<f64>> {
            if v.is_empty() {
                Ok(None)
            } else {
                Num::parse(v)
                    .map(Some)
                    .ok_or_else(|| bad(path, line, format!("`{v}` is not a number")))
            }
        };
        let vals = rec.iter().skip(4).map(cell).collect::<Result<Vec<_>>>()?;
        let (x, y) = vals.split_at(p.min(vals.len()));
        rows.push(LaneRow {
            config: rec[0].to_string(),
            seed: int(1)?,
            neighbour: int(2)? as usize,
            status: LaneStatus::from_name(&rec[3])
                .ok_or_else(|| bad(path, line, format!("unknown status `{}`", &rec[3])))?,
            x: x.to_vec(),
            y: y.to_vec(),
        });
    }
    Ok(rows)
}

/// `lanes.csv` of a run directory.
pub fn read_run_lanes(dir: &Path) -> Result<Vec<LaneRow>> {
    let path = dir.join(LANES);
    read_lanes(&path, &read_text(&path)?)
}
