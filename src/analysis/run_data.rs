//! A run directory read back: what `sbo plot` and `sbo report` work from, so that both can be
//! run again later (or on another machine) from the files alone.

use crate::algo::AlgoConfig;
use crate::error::{Result, SboError};
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
    /// metric name -> series over logging steps.
    pub series: BTreeMap<String, Series>,
    /// metric name -> `[seed][logging step]` (NaN where not measured or diverged).
    pub per_seed: BTreeMap<String, Vec<Vec<f64>>>,
}

impl ConfigData {
    pub fn series(&self, metric: &str) -> Option<&Series> {
        self.series.get(metric)
    }

    /// Each seed's value of `metric` at the last logging step (NaN where missing).
    pub fn final_values(&self, metric: &str) -> Vec<f64> {
        self.per_seed
            .get(metric)
            .map(|v| {
                v.iter()
                    .map(|r| r.last().copied().unwrap_or(f64::NAN))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// `metric` at the last logging step, summarised over seeds.
    pub fn final_summary(&self, metric: &str) -> crate::metrics::Summary {
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
    pub summary: serde_json::Value,
    pub log_steps: Vec<u64>,
    /// Seeds, in the order of the `per_seed` rows.
    pub seeds: Vec<u64>,
    pub configs: Vec<ConfigData>,
}

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| SboError::io(path, e))
}

fn bad(path: &Path, line: usize, msg: impl Into<String>) -> SboError {
    SboError::Parse {
        path: path.to_path_buf(),
        line,
        msg: msg.into(),
    }
}

/// Splits one line of a CSV file written by [`crate::report`] (fields quoted when they hold
/// commas or quotes).
pub fn split_csv(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => out.push(std::mem::take(&mut cur)),
            (c, _) => cur.push(c),
        }
    }
    out.push(cur);
    out
}

fn num(path: &Path, line: usize, s: &str) -> Result<f64> {
    if s.is_empty() || s == "nan" {
        return Ok(f64::NAN);
    }
    s.parse()
        .map_err(|_| bad(path, line, format!("`{s}` is not a number")))
}

impl RunData {
    /// Reads `config.toml`, `summary.json`, `metrics.csv` and (when present) `seeds.csv`.
    pub fn load(dir: &Path) -> Result<RunData> {
        let cfg_path = dir.join("config.toml");
        let config = SweepConfig::from_file(&cfg_path)?;
        let sum_path = dir.join("summary.json");
        let summary: serde_json::Value = serde_json::from_str(&read(&sum_path)?)
            .map_err(|e| bad(&sum_path, e.line(), e.to_string()))?;
        let log_steps: Vec<u64> = summary["log_steps"]
            .as_array()
            .map(|a| a.iter().filter_map(|v| v.as_u64()).collect())
            .unwrap_or_default();
        let seed_base = summary["seed_base"]
            .as_u64()
            .unwrap_or(config.run.seed_base);
        let n_seeds = summary["seeds"].as_u64().unwrap_or(config.run.seeds as u64);
        let mut configs = Vec::new();
        let mut index: BTreeMap<String, usize> = BTreeMap::new();
        for (i, c) in summary["configs"]
            .as_array()
            .ok_or_else(|| bad(&sum_path, 0, "no `configs` list"))?
            .iter()
            .enumerate()
        {
            let label = c["label"].as_str().unwrap_or_default().to_string();
            let settings: AlgoConfig = serde_json::from_value(c["settings"].clone())
                .map_err(|e| bad(&sum_path, 0, format!("configs[{i}].settings: {e}")))?;
            let variant: Vec<(String, String)> =
                serde_json::from_value(c["variant"].clone()).unwrap_or_default();
            index.insert(label.clone(), configs.len());
            configs.push(ConfigData {
                algo_label: c["algo_label"].as_str().unwrap_or(&label).to_string(),
                algorithm: c["algorithm"].as_str().unwrap_or_default().to_string(),
                label,
                variant,
                settings,
                series: BTreeMap::new(),
                per_seed: BTreeMap::new(),
            });
        }

        let m_path = dir.join("metrics.csv");
        let text = read(&m_path)?;
        for (ln, line) in text.lines().enumerate().skip(1) {
            if line.is_empty() {
                continue;
            }
            let f = split_csv(line);
            if f.len() != 9 {
                return Err(bad(
                    &m_path,
                    ln + 1,
                    format!("expected 9 fields, found {}", f.len()),
                ));
            }
            let ci = *index
                .get(&f[0])
                .ok_or_else(|| bad(&m_path, ln + 1, format!("unknown configuration `{}`", f[0])))?;
            let t: u64 = f[2].parse().map_err(|_| {
                bad(
                    &m_path,
                    ln + 1,
                    format!("step `{}` is not an integer", f[2]),
                )
            })?;
            let s = configs[ci].series.entry(f[3].clone()).or_default();
            s.t.push(t);
            s.mean.push(num(&m_path, ln + 1, &f[4])?);
            s.std.push(num(&m_path, ln + 1, &f[5])?);
            s.ci_low.push(num(&m_path, ln + 1, &f[6])?);
            s.ci_high.push(num(&m_path, ln + 1, &f[7])?);
            s.count.push(f[8].parse().unwrap_or(0));
        }

        let s_path = dir.join("seeds.csv");
        if s_path.exists() {
            let text = read(&s_path)?;
            let mut lines = text.lines();
            let header = split_csv(lines.next().unwrap_or_default());
            let metrics: Vec<String> = header.iter().skip(3).cloned().collect();
            let pos = |t: u64| log_steps.iter().position(|&x| x == t);
            for (ln, line) in lines.enumerate() {
                if line.is_empty() {
                    continue;
                }
                let f = split_csv(line);
                if f.len() != header.len() {
                    return Err(bad(
                        &s_path,
                        ln + 2,
                        format!("expected {} fields, found {}", header.len(), f.len()),
                    ));
                }
                let ci = *index.get(&f[0]).ok_or_else(|| {
                    bad(&s_path, ln + 2, format!("unknown configuration `{}`", f[0]))
                })?;
                let seed: u64 = f[1].parse().map_err(|_| bad(&s_path, ln + 2, "bad seed"))?;
                let t: u64 = f[2].parse().map_err(|_| bad(&s_path, ln + 2, "bad step"))?;
                let (Some(si), Some(li)) = (seed.checked_sub(seed_base), pos(t)) else {
                    return Err(bad(&s_path, ln + 2, "seed or step outside the run"));
                };
                for (m, v) in metrics.iter().zip(&f[3..]) {
                    let rows = configs[ci]
                        .per_seed
                        .entry(m.clone())
                        .or_insert_with(|| vec![vec![f64::NAN; log_steps.len()]; n_seeds as usize]);
                    if let Some(r) = rows.get_mut(si as usize) {
                        r[li] = num(&s_path, ln + 2, v)?;
                    }
                }
            }
        }
        Ok(RunData {
            dir: dir.to_path_buf(),
            config,
            summary,
            log_steps,
            seeds: (0..n_seeds).map(|s| seed_base + s).collect(),
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
