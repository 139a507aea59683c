//! A run directory as a benchopt results table, so that benchopt's tools (`read_results`,
//! its plots) and the notebooks built on them read sbo's runs: one row per configuration,
//! seed and logging step, benchopt's column names.
//!
//! Owns: the mapping of sbo's run directory onto benchopt's schema. Must not know: how runs
//! are made. Parquet is written by the Python package (pyarrow); here, CSV.

use crate::algo::AlgoKind;
use crate::error::{Result, SboError};
use crate::metrics::Metric;
use crate::rundir::schema::ConfigFacts;
use crate::rundir::{Num, RunFiles};
use crate::sweep::DataKind;
use std::collections::HashMap;

/// What becomes benchopt's `objective_value` by default: the upper-level objective.
pub const DEFAULT_OBJECTIVE: Metric = Metric::UpperObjective;

/// A results table: column names and rows of text, in benchopt's schema.
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

fn text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Null => String::new(),
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The swept settings of a configuration as `(key, value)`: the keys its algorithm takes,
/// as its `[[algo]]` table spells them (`alpha`, `T`, `Q`, ...).
fn solver_params(c: &ConfigFacts) -> Vec<(String, String)> {
    let Ok(kind) = AlgoKind::parse(&c.algorithm) else {
        return Vec::new();
    };
    let a = kind.descriptor();
    let Ok(serde_json::Value::Object(settings)) = serde_json::to_value(&c.settings) else {
        return Vec::new();
    };
    a.settings
        .iter()
        .map(|s| {
            (
                s.key(a).to_string(),
                settings.get(s.field()).map(text).unwrap_or_default(),
            )
        })
        .collect()
}

/// The dataset's name: the training file's stem, or `synthetic`.
fn data_name(files: &RunFiles) -> String {
    let d = &files.config.data;
    match (d.kind, &d.train) {
        (DataKind::Synthetic, _) | (_, None) => "synthetic".into(),
        (_, Some(p)) => {
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_default();
            // ijcnn1.trn.bz2 -> ijcnn1
            name.split('.').next().unwrap_or(&name).to_string()
        }
    }
}

/// The benchopt table of the run in `files`, with `objective` as `objective_value`.
pub fn benchopt_table(files: &RunFiles, objective: Metric) -> Result<Table> {
    let Some((metrics, rows)) = &files.seeds else {
        return Err(SboError::Output {
            path: files.dir.clone(),
            msg: "has no seeds.csv (made by an sbo before it existed): nothing per seed to export"
                .into(),
        });
    };
    let Some(obj_col) = metrics.iter().position(|&m| m == objective) else {
        return Err(SboError::config(
            "objective",
            format!(
                "`{}` was not measured in {}; measured: {}",
                objective.name(),
                files.dir.display(),
                metrics
                    .iter()
                    .map(|m| m.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    };
    let time_col = metrics.iter().position(|&m| m == Metric::Seconds);
    let summary = &files.summary;
    // Columns of every configuration's settings and variant, in order of appearance.
    let mut solver_keys: Vec<String> = Vec::new();
    let mut data_keys: Vec<String> = Vec::new();
    for c in &summary.configs {
        for (k, _) in solver_params(c) {
            if !solver_keys.contains(&k) {
                solver_keys.push(k);
            }
        }
        for (k, _) in &c.variant {
            if !data_keys.contains(k) {
                data_keys.push(k.clone());
            }
        }
    }
    let mut header: Vec<String> = [
        "objective_name",
        "obj_description",
        "solver_name",
        "solver_description",
        "dataset_name",
        "idx_rep",
        "stop_val",
        "time",
        "sampling_strategy",
        "objective_value",
    ]
    .map(String::from)
    .to_vec();
    header.extend(
        metrics
            .iter()
            .filter(|&&m| m != Metric::Seconds)
            .map(|m| format!("objective_{}", m.name())),
    );
    header.extend(solver_keys.iter().map(|k| format!("p_solver_{k}")));
    // `[vary]` keys in full (data.n_upper -> p_dataset_data_n_upper): two sections may
    // share a key's last part.
    header.extend(
        data_keys
            .iter()
            .map(|k| format!("p_dataset_{}", k.replace('.', "_"))),
    );
    // The system columns benchopt's HTML report reads (it requires platform-release and
    // version-numpy once platform is there; numpy has no part in sbo, so it is empty).
    header.extend(
        [
            "platform",
            "platform-release",
            "platform-architecture",
            "system-cpus",
            "version-numpy",
            "version-sbo",
            "sbo-backend",
            "sbo-precision",
        ]
        .map(String::from),
    );

    let objective_name = format!("sbo {} [{}]", summary.name, objective.name());
    let description = format!(
        "{} ({:?} loss, {:?} coupling)",
        summary.name, summary.problem.loss, summary.problem.coupling
    )
    .to_lowercase();
    let data = data_name(files);
    let seed_base = summary.seed_base.unwrap_or(0);
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    // The kernel release where the platform says (Linux); elsewhere unknown.
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_string())
        .unwrap_or_default();
    let system = [
        std::env::consts::OS.to_string(),
        release,
        std::env::consts::ARCH.to_string(),
        cpus.to_string(),
        String::new(),
        summary.versions.sbo.clone(),
        summary.backend.clone(),
        summary.precision.clone(),
    ];
    // What a configuration's rows share, made once per configuration: the text columns
    // before the seed's, and the settings and variant columns after its values.
    let per_config: HashMap<&str, (Vec<String>, Vec<String>)> = summary
        .configs
        .iter()
        .map(|c| {
            let params: HashMap<String, String> = solver_params(c).into_iter().collect();
            let variant: HashMap<&str, &str> = c
                .variant
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            let dataset = if c.variant.is_empty() {
                data.clone()
            } else {
                let vals: Vec<String> = c
                    .variant
                    .iter()
                    .map(|(k, v)| format!("{}={v}", k.rsplit('.').next().unwrap_or(k)))
                    .collect();
                format!("{data}[{}]", vals.join(","))
            };
            let head = vec![
                objective_name.clone(),
                description.clone(),
                c.algo_label.clone().unwrap_or_else(|| c.label.clone()),
                AlgoKind::parse(&c.algorithm)
                    .map(|k| k.descriptor().summary.to_string())
                    .unwrap_or_default(),
                dataset,
            ];
            let mut tail: Vec<String> = solver_keys
                .iter()
                .map(|k| params.get(k).cloned().unwrap_or_default())
                .collect();
            tail.extend(data_keys.iter().map(|k| {
                variant
                    .get(k.as_str())
                    .copied()
                    .unwrap_or_default()
                    .to_string()
            }));
            tail.extend(system.iter().cloned());
            (c.label.as_str(), (head, tail))
        })
        .collect();
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let Some((head, tail)) = per_config.get(r.config.as_str()) else {
            return Err(SboError::Output {
                path: files.dir.clone(),
                msg: format!(
                    "seeds.csv names configuration `{}`, which summary.json does not list",
                    r.config
                ),
            });
        };
        let value = |i: usize| r.values.get(i).map_or("nan".into(), |v| Num(*v).text());
        let mut row = head.clone();
        row.extend([
            r.seed.saturating_sub(seed_base).to_string(),
            r.t.to_string(),
            time_col.map_or("nan".into(), value),
            "iteration".into(),
            value(obj_col),
        ]);
        row.extend(
            metrics
                .iter()
                .enumerate()
                .filter(|(_, &m)| m != Metric::Seconds)
                .map(|(i, _)| value(i)),
        );
        row.extend(tail.iter().cloned());
        out.push(row);
    }
    Ok(Table { header, rows: out })
}

/// [`benchopt_table`] as CSV text.
pub fn benchopt_csv(files: &RunFiles, objective: Metric) -> Result<String> {
    let t = benchopt_table(files, objective)?;
    crate::rundir::write::text_csv("benchopt.csv", &t.header, t.rows)
}
