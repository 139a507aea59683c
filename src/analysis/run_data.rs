//! A run directory read back: what `sbo plot` and `sbo report` work from, so that both can be
//! run again later (or on another machine) from the files alone.

use crate::algo::AlgoConfig;
use crate::error::{Result, SboError};
use crate::metrics::Metric;
use crate::rundir::{self, RunFiles, RunSummary};
use crate::sweep::SweepConfig;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One metric of one configuration over the logging steps, summarised over seeds.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Series {
    pub t: Vec<u64>,
    pub mean: Vec<f64>,
    pub std: Vec<f64>,
    /// Student-t 95% interval of the mean over seeds (NaN with one seed).
    pub ci_low: Vec<f64>,
    pub ci_high: Vec<f64>,
    /// Seeds with a finite value.
    pub count: Vec<usize>,
}

impl Series {
    /// Mean at logging step `t`, if logged.
    pub fn at(&self, t: u64) -> Option<f64> {
        self.t.iter().position(|&x| x == t).map(|i| self.mean[i])
    }

    pub fn last(&self) -> Option<f64> {
        self.mean.last().copied()
    }
}

/// One configuration of the run.
#[derive(Clone, Debug)]
pub struct ConfigData {
    /// Full label (`n_upper=500 | ssgd[alpha=0.1]`).
    pub label: String,
    /// Label within the variant.
    pub algo_label: String,
    pub algorithm: String,
    /// `[vary]` values `(dotted key, value)`.
    pub variant: Vec<(String, String)>,
    /// Settings the lanes ran with.
    pub settings: AlgoConfig,
    /// metric -> series over logging steps.
    pub series: BTreeMap<Metric, Series>,
    /// metric -> `[seed][logging step]` (NaN where not measured or diverged).
    pub per_seed: BTreeMap<Metric, Vec<Vec<f64>>>,
}

impl ConfigData {
    pub fn series(&self, metric: Metric) -> Option<&Series> {
        self.series.get(&metric)
    }

    /// Whether this is an untuned model: its hyperparameters never move (`alpha = 0`), the
    /// baseline the selected configurations are compared with (`analysis::tuning`).
    pub fn is_untuned(&self) -> bool {
        self.settings.alpha == crate::algo::Schedule::Constant(0.0)
    }

    /// Each seed's value of `metric` at the last logging step (NaN where missing).
    pub fn final_values(&self, metric: Metric) -> Vec<f64> {
        self.per_seed
            .get(&metric)
            .map(|v| {
                v.iter()
                    .map(|r| r.last().copied().unwrap_or(f64::NAN))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// `metric` at the last logging step, summarised over seeds.
    pub fn final_summary(&self, metric: Metric) -> crate::metrics::Summary {
        crate::metrics::summarize(self.final_values(metric))
    }

    /// The value of a `[vary]` key as a number.
    pub fn variant_value(&self, key: &str) -> Option<f64> {
        self.variant
            .iter()
            .find(|(k, _)| k == key)
            .and_then(|(_, v)| v.parse().ok())
    }

    /// The variant label without `key` (configurations that differ only in `key` share it).
    pub fn variant_without(&self, key: &str) -> String {
        self.variant
            .iter()
            .filter(|(k, _)| k != key)
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// A run directory's configuration, summary and metrics.
#[derive(Clone, Debug)]
pub struct RunData {
    pub dir: PathBuf,
    /// `config.toml` as written by `sbo run`.
    pub config: SweepConfig,
    /// `summary.json`.
    pub summary: RunSummary,
    pub log_steps: Vec<u64>,
    /// Seeds, in the order of the `per_seed` rows.
    pub seeds: Vec<u64>,
    pub configs: Vec<ConfigData>,
}

impl RunData {
    /// How many of the run's first seeds a selection picks on when it holds the others out
    /// (`0 < K < seeds`, [`crate::sweep::ReportConfig::selection_seeds`]); `None` when picking
    /// and reporting share every seed.
    pub fn selection_k(&self) -> Option<usize> {
        let n = self.seeds.len();
        let k = self.config.report.selection_seeds(n);
        (k > 0 && k < n).then_some(k)
    }

    /// (seeds a selection picks on, seeds it is reported on) as indices: the first K and the
    /// others, or every seed for both.
    pub fn seed_split(&self) -> (Vec<usize>, Vec<usize>) {
        let n = self.seeds.len();
        match self.selection_k() {
            Some(k) => ((0..k).collect(), (k..n).collect()),
            None => ((0..n).collect(), (0..n).collect()),
        }
    }

    /// The run as the seeds a selection never saw measured it: when
    /// `report.selection_seeds` holds the first K seeds out for picking, every configuration's
    /// per-seed rows keep seeds K.. only and its series are summarised over them again, so
    /// that the winners' curves and last-step values are not the optimistic ones that chose
    /// them. `None` when nothing is held out (the run is its own held-out view).
    pub fn held_out(&self) -> Option<RunData> {
        let k = self.selection_k()?;
        let mut out = self.clone();
        out.seeds = self.seeds[k..].to_vec();
        for c in &mut out.configs {
            for rows in c.per_seed.values_mut() {
                let keep = rows.len().saturating_sub(k);
                rows.drain(..rows.len() - keep);
            }
            for (metric, series) in c.series.iter_mut() {
                let Some(rows) = c.per_seed.get(metric) else {
                    continue;
                };
                for i in 0..series.t.len() {
                    let s = crate::metrics::summarize(
                        rows.iter().map(|r| r.get(i).copied().unwrap_or(f64::NAN)),
                    );
                    series.mean[i] = s.mean;
                    series.std[i] = s.std;
                    series.ci_low[i] = s.ci_low;
                    series.ci_high[i] = s.ci_high;
                    series.count[i] = s.count;
                }
            }
        }
        Some(out)
    }

    /// Reads a run directory (see [`crate::rundir`]): every configuration's summaries from
    /// `metrics.csv` and its per-seed values from `seeds.csv` (when present).
    pub fn load(dir: &Path) -> Result<RunData> {
        let files = rundir::read_run(dir)?;
        RunData::from_files(files)
    }

    /// The analysis view of a run directory's files.
    pub fn from_files(files: RunFiles) -> Result<RunData> {
        let RunFiles {
            dir,
            config,
            summary,
            metrics,
            seeds,
        } = files;
        let log_steps = summary.log_steps.clone();
        let seed_base = summary.seed_base.unwrap_or(config.run.seed_base);
        let n_seeds = if summary.seeds > 0 {
            summary.seeds
        } else {
            config.run.seeds
        };
        let mut configs = Vec::new();
        let mut index: BTreeMap<String, usize> = BTreeMap::new();
        for c in &summary.configs {
            index.insert(c.label.clone(), configs.len());
            configs.push(ConfigData {
                label: c.label.clone(),
                algo_label: c.algo_label.clone().unwrap_or_else(|| c.label.clone()),
                algorithm: c.algorithm.clone(),
                variant: c.variant.clone(),
                settings: c.settings.clone(),
                series: BTreeMap::new(),
                per_seed: BTreeMap::new(),
            });
        }
        let m_path = dir.join(rundir::schema::METRICS);
        for (i, r) in metrics.into_iter().enumerate() {
            let ci = *index.get(&r.config).ok_or_else(|| SboError::Parse {
                path: m_path.clone(),
                line: i + 2,
                msg: format!("unknown configuration `{}`", r.config),
            })?;
            let s = configs[ci].series.entry(r.metric).or_default();
            s.t.push(r.t);
            s.mean.push(r.mean.0);
            s.std.push(r.std.0);
            s.ci_low.push(r.ci_low.0);
            s.ci_high.push(r.ci_high.0);
            s.count.push(r.count);
        }
        if let Some((metrics, rows)) = seeds {
            let s_path = dir.join(rundir::schema::SEEDS);
            let pos = |t: u64| log_steps.iter().position(|&x| x == t);
            for (i, r) in rows.into_iter().enumerate() {
                let bad = |msg: String| SboError::Parse {
                    path: s_path.clone(),
                    line: i + 2,
                    msg,
                };
                let ci = *index
                    .get(&r.config)
                    .ok_or_else(|| bad(format!("unknown configuration `{}`", r.config)))?;
                let (Some(si), Some(li)) = (r.seed.checked_sub(seed_base), pos(r.t)) else {
                    return Err(bad("seed or step outside the run".into()));
                };
                for (m, v) in metrics.iter().zip(r.values) {
                    let rows = configs[ci]
                        .per_seed
                        .entry(*m)
                        .or_insert_with(|| vec![vec![f64::NAN; log_steps.len()]; n_seeds]);
                    if let Some(row) = rows.get_mut(si as usize) {
                        row[li] = v;
                    }
                }
            }
        }
        Ok(RunData {
            dir,
            config,
            summary,
            seeds: (0..n_seeds as u64).map(|s| seed_base + s).collect(),
            log_steps,
            configs,
        })
    }

    /// Steps of the run.
    pub fn steps(&self) -> u64 {
        self.log_steps.last().copied().unwrap_or(0)
    }

    /// Keys of `[vary]`, in variant order.
    pub fn vary_keys(&self) -> Vec<String> {
        self.configs
            .first()
            .map(|c| c.variant.iter().map(|(k, _)| k.clone()).collect())
            .unwrap_or_default()
    }

    /// Configurations that have `[vary]` key `key`, grouped so that each group differs only
    /// in that key (same algorithm configuration, same other variant values), sorted by the
    /// key's value: the curves of size and kappa studies. Group names read
    /// `other=values | algo label`.
    pub fn groups_along(&self, key: &str) -> Vec<(String, Vec<&ConfigData>)> {
        let mut groups: Vec<(String, Vec<&ConfigData>)> = Vec::new();
        for c in self
            .configs
            .iter()
            .filter(|c| c.variant_value(key).is_some())
        {
            let rest = c.variant_without(key);
            let g = if rest.is_empty() {
                c.algo_label.clone()
            } else {
                format!("{rest} | {}", c.algo_label)
            };
            match groups.iter_mut().find(|(k, _)| *k == g) {
                Some((_, v)) => v.push(c),
                None => groups.push((g, vec![c])),
            }
        }
        for (_, v) in &mut groups {
            v.sort_by(|a, b| {
                let k = |c: &ConfigData| c.variant_value(key).unwrap_or(0.0);
                k(a).total_cmp(&k(b))
            });
        }
        groups
    }

    /// Name of the study for titles: `[report] title`, else the sweep's name.
    pub fn title(&self) -> String {
        self.config
            .report
            .title
            .clone()
            .unwrap_or_else(|| self.config.name.clone())
    }
}
