//! Writing a run directory: the resolved configuration first (so a run that fails later still
//! records what was asked), the results when the run ends.

use super::schema::{
    ConfigFacts, CorruptedRow, DataFacts, LaneRow, MetricsRow, Num, RunSummary, SeedsRow,
    VariantFacts, Versions, CONFIG, CORRUPTED, LANES, METRICS, SEEDS, SUMMARY,
};
use crate::error::{Result, SboError};
use crate::metrics::Metric;
use crate::run::SweepResult;
use crate::sweep::{Plan, Study};
use std::fs;
use std::path::{Path, PathBuf};

/// Writes `text` to a temporary file beside `path`, then renames it: a file of a run
/// directory is either the old one or the whole new one, never half written.
fn write(path: PathBuf, text: &str) -> Result<()> {
    write_atomic(&path, text.as_bytes(), false)
}

/// Writes `bytes` to `path` through a temporary file and a rename. `durable`: the file and
/// the rename are synced to disk first (what a checkpoint needs to survive a crash, not only
/// a kill).
pub(crate) fn write_atomic(path: &Path, bytes: &[u8], durable: bool) -> Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    let mut f = fs::File::create(&tmp).map_err(|e| SboError::io(&tmp, e))?;
    std::io::Write::write_all(&mut f, bytes).map_err(|e| SboError::io(&tmp, e))?;
    if durable {
        f.sync_all().map_err(|e| SboError::io(&tmp, e))?;
    }
    drop(f);
    fs::rename(&tmp, path).map_err(|e| SboError::io(path, e))?;
    if durable {
        // The directory's entry too (where the platform allows opening a directory;
        // elsewhere best effort).
        if let Some(dir) = path.parent() {
            if let Ok(d) = fs::File::open(dir) {
                let _ = d.sync_all();
            }
        }
    }
    Ok(())
}

fn csv_error(file: &str, e: impl std::fmt::Display) -> SboError {
    SboError::Output {
        path: file.into(),
        msg: e.to_string(),
    }
}

/// `e` with the file's place in `dir`.
fn in_dir(dir: &Path, e: SboError) -> SboError {
    match e {
        SboError::Output { path, msg } => SboError::Output {
            path: dir.join(path),
            msg,
        },
        other => other,
    }
}

/// A CSV writer into memory with the format's conventions (`\n` line ends, fields quoted only
/// when they need it).
fn writer() -> csv::Writer<Vec<u8>> {
    csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new())
}

fn finish(file: &str, w: csv::Writer<Vec<u8>>) -> Result<String> {
    let bytes = w.into_inner().map_err(|e| csv_error(file, e))?;
    String::from_utf8(bytes).map_err(|e| csv_error(file, e))
}

/// Whether `dir` holds anything (or cannot be read: then it is not ours to write into).
fn occupied(dir: &Path) -> bool {
    match fs::read_dir(dir) {
        Ok(mut d) => d.next().is_some(),
        Err(e) => e.kind() != std::io::ErrorKind::NotFound,
    }
}

/// `dir`'s sibling called `NAME<suffix>` (`out/` and `out` alike give `out<suffix>`).
fn sibling(dir: &Path, suffix: &str) -> Result<PathBuf> {
    let name = dir.file_name().ok_or_else(|| SboError::Output {
        path: dir.to_path_buf(),
        msg: "the output directory must have a name (not `.` or `..`)".into(),
    })?;
    let mut n = name.to_owned();
    n.push(suffix);
    Ok(dir.parent().unwrap_or(Path::new("")).join(n))
}

/// A run directory being written. The results go to the directory itself, or, when an
/// existing run is being replaced (`--force`), to a staging directory beside it that takes
/// the old one's place only when the new run completes: a run that fails leaves earlier
/// results untouched.
pub struct RunDir {
    target: PathBuf,
    work: PathBuf,
}

impl RunDir {
    /// Starts a run directory at `dir` with the resolved configuration. An existing, non-empty
    /// `dir` is an error unless `replace` is set.
    pub fn create(dir: &Path, plan: &Plan, replace: bool) -> Result<RunDir> {
        let work = if occupied(dir) {
            if !replace {
                return Err(SboError::Output {
                    path: dir.to_path_buf(),
                    msg: "exists and is not empty: choose another --out, or give --force to \
                          replace it once the new run completes"
                        .into(),
                });
            }
            let staging = sibling(dir, ".incomplete")?;
            if staging.exists() {
                return Err(SboError::Output {
                    path: staging,
                    msg: "exists (what an earlier run that did not complete wrote): move or \
                          remove it first"
                        .into(),
                });
            }
            staging
        } else {
            dir.to_path_buf()
        };
        start_run_dir(&work, plan)?;
        Ok(RunDir {
            target: dir.to_path_buf(),
            work,
        })
    }

    /// Where the files are being written.
    pub fn work_dir(&self) -> &Path {
        &self.work
    }

    /// The directory of an interrupted run, to continue it; `replaces` is where it goes once
    /// complete when it replaces an earlier run (`--force`).
    pub fn resume(dir: &Path, replaces: Option<&Path>) -> RunDir {
        RunDir {
            target: replaces.unwrap_or(dir).to_path_buf(),
            work: dir.to_path_buf(),
        }
    }

    /// Where the results go once complete.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Writes the results; `failure` (the failed variant and why) marks the run incomplete.
    /// A complete run replacing an earlier one takes its place. Returns where the results are.
    pub fn finish(
        self,
        plan: &Plan,
        result: &SweepResult,
        failure: Option<String>,
    ) -> Result<PathBuf> {
        let complete = failure.is_none();
        self.commit(complete, |dir| write_results(dir, plan, result, failure))
    }

    /// Writes the files with `write`; a complete run replacing an earlier one then takes its
    /// place. Returns where the files are.
    pub fn commit(
        self,
        complete: bool,
        write: impl FnOnce(&Path) -> Result<()>,
    ) -> Result<PathBuf> {
        write(&self.work)?;
        if self.work == self.target || !complete {
            return Ok(self.work);
        }
        // The old run moves aside under a name of this process's own, the new one takes its
        // place, the old one goes.
        let old = sibling(&self.target, &format!(".replaced-{}", std::process::id()))?;
        let complete_elsewhere = |e: std::io::Error| SboError::Output {
            path: self.target.clone(),
            msg: format!(
                "could not be replaced ({e}); the complete new results are in {}",
                self.work.display()
            ),
        };
        fs::rename(&self.target, &old).map_err(complete_elsewhere)?;
        if let Err(e) = fs::rename(&self.work, &self.target) {
            // Put the old run back: nothing is lost, the new one stays where it is.
            let _ = fs::rename(&old, &self.target);
            return Err(complete_elsewhere(e));
        }
        // Removing the old run is housekeeping: the new one is in place whatever happens.
        let _ = fs::remove_dir_all(&old);
        Ok(self.target)
    }
}

/// The text of `config.toml`: without [vary] the study's resolved form (grid written out);
/// with it, the sweep as given with defaults filled in, since each variant resolves
/// differently. `normalise` edits the configuration first.
pub fn config_text(
    plan: &Plan,
    normalise: impl Fn(&mut crate::sweep::SweepConfig),
) -> Result<String> {
    let mut c = if plan.variants.len() == 1 && plan.config.vary.is_empty() {
        plan.first().config.clone()
    } else {
        plan.config.clone()
    };
    normalise(&mut c);
    c.to_toml()
}

/// Creates `dir` and writes the resolved configuration.
pub fn start_run_dir(dir: &Path, plan: &Plan) -> Result<()> {
    fs::create_dir_all(dir).map_err(|e| SboError::io(dir, e))?;
    let text = config_text(plan, |_| {})?;
    write(
        dir.join(CONFIG),
        &format!("# Resolved configuration (every default filled in); `sbo run` on this file repeats the run.\n{text}"),
    )
}

/// The rows of `metrics.csv`.
pub fn metrics_rows(result: &SweepResult) -> Vec<MetricsRow> {
    result
        .configs
        .iter()
        .flat_map(|c| {
            c.rows.iter().map(|r| MetricsRow {
                config: c.label.clone(),
                algorithm: c.algorithm.clone(),
                t: r.t,
                metric: r.metric,
                mean: Num(r.summary.mean),
                std: Num(r.summary.std),
                ci_low: Num(r.summary.ci_low),
                ci_high: Num(r.summary.ci_high),
                count: r.summary.count,
            })
        })
        .collect()
}

pub fn metrics_csv(rows: &[MetricsRow]) -> Result<String> {
    let mut w = writer();
    for r in rows {
        w.serialize(r).map_err(|e| csv_error(METRICS, e))?;
    }
    if rows.is_empty() {
        w.write_record([
            "config",
            "algorithm",
            "t",
            "metric",
            "mean",
            "std",
            "ci_low",
            "ci_high",
            "count",
        ])
        .map_err(|e| csv_error(METRICS, e))?;
    }
    finish(METRICS, w)
}

/// The metric columns of `seeds.csv` (those any configuration measured) and its rows.
pub fn seeds_rows(result: &SweepResult, seed_base: u64) -> (Vec<Metric>, Vec<SeedsRow>) {
    let present: Vec<Metric> = Metric::ALL
        .into_iter()
        .filter(|&m| {
            result
                .configs
                .iter()
                .any(|c| c.per_seed.iter().any(|s| s.iter().any(|v| !v[m].is_nan())))
        })
        .collect();
    let mut rows = Vec::new();
    for c in &result.configs {
        for (si, values) in c.per_seed.iter().enumerate() {
            for (li, v) in values.iter().enumerate() {
                rows.push(SeedsRow {
                    config: c.label.clone(),
                    seed: seed_base + si as u64,
                    t: result.log_steps.get(li).copied().unwrap_or(0),
                    values: present.iter().map(|&m| v[m]).collect(),
                });
            }
        }
    }
    (present, rows)
}

/// A CSV file of text fields with the run directory's conventions (also what `sbo report`
/// writes its tables with); `file` names it in errors.
pub fn text_csv<H: AsRef<[u8]>>(
    file: &str,
    header: &[H],
    rows: impl IntoIterator<Item = Vec<String>>,
) -> Result<String> {
    let mut w = writer();
    w.write_record(header).map_err(|e| csv_error(file, e))?;
    for rec in rows {
        w.write_record(&rec).map_err(|e| csv_error(file, e))?;
    }
    finish(file, w)
}

pub fn seeds_csv(metrics: &[Metric], rows: &[SeedsRow]) -> Result<String> {
    let mut header = vec!["config", "seed", "t"];
    header.extend(metrics.iter().map(|m| m.name()));
    text_csv(
        SEEDS,
        &header,
        rows.iter().map(|r| {
            let mut rec = vec![r.config.clone(), r.seed.to_string(), r.t.to_string()];
            rec.extend(r.values.iter().map(|v| Num(*v).text()));
            rec
        }),
    )
}

/// The rows of `lanes.csv`, every lane padded to the widest p and d of the run.
pub fn lanes_rows(result: &SweepResult) -> Vec<LaneRow> {
    let p = result.lanes.iter().map(|l| l.x.len()).max().unwrap_or(0);
    let d = result.lanes.iter().map(|l| l.y.len()).max().unwrap_or(0);
    let pad = |v: &[f64], n: usize| (0..n).map(|i| v.get(i).copied()).collect();
    result
        .lanes
        .iter()
        .map(|l| LaneRow {
            config: result.configs[l.config].label.clone(),
            seed: l.seed,
            neighbour: l.neighbour,
            status: l.status,
            x: pad(&l.x, p),
            y: pad(&l.y, d),
        })
        .collect()
}

pub fn lanes_csv(rows: &[LaneRow]) -> Result<String> {
    let p = rows.first().map_or(0, |r| r.x.len());
    let d = rows.first().map_or(0, |r| r.y.len());
    let mut header: Vec<String> = ["config", "seed", "neighbour", "status"]
        .map(String::from)
        .to_vec();
    header.extend((0..p).map(|i| format!("x_{i}")));
    header.extend((0..d).map(|i| format!("y_{i}")));
    let cell = |v: &Option<f64>| v.map_or(String::new(), |x| Num(x).text());
    text_csv(
        LANES,
        &header,
        rows.iter().map(|r| {
            let mut rec = vec![
                r.config.clone(),
                r.seed.to_string(),
                r.neighbour.to_string(),
                r.status.name().to_string(),
            ];
            rec.extend(r.x.iter().chain(&r.y).map(cell));
            rec
        }),
    )
}

fn data_facts(study: &Study) -> DataFacts {
    let sizes = study.data.sizes();
    let constants = (study.spec.is_quadratic())
        .then(|| study.data.sets(study.config.run.seed_base).ok())
        .flatten()
        .and_then(|s| {
            crate::problem::exact::quadratic_constants(&study.spec, s.lower, s.upper).ok()
        });
    DataFacts {
        d: study.d(),
        p: study.p(),
        n_lower: sizes.lower,
        n_upper: sizes.upper,
        n_test: sizes.test,
        n_pool: sizes.pool,
        kappa: study.config.data.kappa,
        constants,
        classes: study.data.classes.clone(),
        class_names: study.data.class_names.clone(),
    }
}

/// The summary of a complete run.
pub fn summary(plan: &Plan, result: &SweepResult) -> RunSummary {
    summary_of(plan, result, None)
}

fn summary_of(plan: &Plan, result: &SweepResult, failure: Option<String>) -> RunSummary {
    let study = plan.first();
    let run = &study.config.run;
    let variants: Vec<VariantFacts> = plan
        .variants
        .iter()
        .map(|v| VariantFacts {
            label: v.variant.label.clone(),
            values: v.variant.values.clone(),
            problem: v.study.spec.clone(),
            data: data_facts(&v.study),
        })
        .collect();
    RunSummary {
        name: plan.config.name.clone(),
        complete: failure.is_none(),
        failure,
        backend: result.backend.clone(),
        precision: result.precision.clone(),
        threads: result.threads,
        problem: study.spec.clone(),
        // The first variant's facts (computing them solves the quadratic problem again).
        data: variants
            .first()
            .map_or_else(|| data_facts(study), |v| v.data.clone()),
        variants,
        seeds: run.seeds,
        seed_base: Some(run.seed_base),
        neighbours: run.neighbours,
        replace: run.replace,
        lanes: result.lanes.len(),
        diverged_lanes: result.diverged(),
        steps: run.steps,
        log_steps: result.log_steps.clone(),
        lane_steps: result.lane_steps,
        seconds: result.seconds,
        lane_steps_per_second: result.lane_steps as f64 / result.seconds.max(1e-9),
        configs: result
            .configs
            .iter()
            .map(|c| ConfigFacts {
                label: c.label.clone(),
                algo_label: Some(c.algo_label.clone()),
                variant: c.variant.clone(),
                algorithm: c.algorithm.clone(),
                settings: c.settings.clone(),
                seconds: c.seconds,
            })
            .collect(),
        warnings: result.warnings.clone(),
        versions: Versions {
            sbo: env!("CARGO_PKG_VERSION").into(),
        },
    }
}

/// `corrupted.csv`: every flipped label of every variant and seed, or `None` when no variant
/// corrupts its data.
pub fn corrupted_csv(plan: &Plan) -> Result<Option<String>> {
    if plan
        .variants
        .iter()
        .all(|v| v.study.config.data.corrupt == 0.0)
    {
        return Ok(None);
    }
    let mut w = writer();
    for v in &plan.variants {
        let run = &v.study.config.run;
        for seed in run.seed_base..run.seed_base + run.seeds as u64 {
            for &position in v.study.data.corrupted(seed)? {
                w.serialize(CorruptedRow {
                    variant: v.variant.label.clone(),
                    seed,
                    position,
                })
                .map_err(|e| csv_error(CORRUPTED, e))?;
            }
        }
    }
    finish(CORRUPTED, w).map(Some)
}

/// Writes the result files of a complete run into a directory made by [`start_run_dir`].
pub fn finish_run_dir(dir: &Path, plan: &Plan, result: &SweepResult) -> Result<()> {
    write_results(dir, plan, result, None)
}

/// The result files, `summary.json` last: a run directory with a summary has all its files.
pub(crate) fn write_results(
    dir: &Path,
    plan: &Plan,
    result: &SweepResult,
    failure: Option<String>,
) -> Result<()> {
    let e = |err| in_dir(dir, err);
    write(
        dir.join(METRICS),
        &metrics_csv(&metrics_rows(result)).map_err(e)?,
    )?;
    let (metrics, rows) = seeds_rows(result, plan.first().config.run.seed_base);
    write(dir.join(SEEDS), &seeds_csv(&metrics, &rows).map_err(e)?)?;
    write(dir.join(LANES), &lanes_csv(&lanes_rows(result)).map_err(e)?)?;
    if let Some(text) = corrupted_csv(plan).map_err(e)? {
        write(dir.join(CORRUPTED), &text)?;
    }
    let json = serde_json::to_string_pretty(&summary_of(plan, result, failure))
        .map_err(|err| e(csv_error(SUMMARY, err)))?;
    write(dir.join(SUMMARY), &json)
}
