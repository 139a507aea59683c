//! Expansion of `[[algo]]` tables into configurations: every list-valued field is one axis of
//! a Cartesian grid.

use crate::algo::{AlgoConfig, AlgoKind, BatchSize, Schedule};
use crate::error::{Result, SboError};
use serde::{Deserialize, Serialize};
use toml::Value;

/// One configuration of a sweep: an algorithm with all its settings, and a readable label.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LabeledAlgo {
    pub label: String,
    pub algo: AlgoConfig,
}

const KEYS: &[&str] = &[
    "name",
    "label",
    "alpha",
    "beta",
    "gamma",
    "batch",
    "batch_lower",
    "batch_upper",
    "T",
    "D",
    "Q",
    "eta",
    "without_replacement",
    "independent_hvp_batch",
    "v_radius",
];

/// Defaults per algorithm, chosen to be stable on the shipped presets with batch 32.
pub fn default_config(kind: AlgoKind) -> AlgoConfig {
    let mut c = AlgoConfig::new(kind);
    match kind {
        AlgoKind::Tsgd | AlgoKind::Ud => c.inner_steps = 8,
        AlgoKind::Stocbio | AlgoKind::AidCg => {
            c.inner_steps = 10;
            c.terms = 10;
        }
        _ => {}
    }
    c
}

/// Expands every table; `i` in error fields is the table's position (`algo[0]`, ...).
pub fn expand(tables: &[toml::Table]) -> Result<Vec<LabeledAlgo>> {
    let mut out: Vec<LabeledAlgo> = Vec::new();
    for (ti, table) in tables.iter().enumerate() {
        let field = |k: &str| format!("algo[{ti}].{k}");
        for k in table.keys() {
            if !KEYS.contains(&k.as_str()) {
                return Err(SboError::config(
                    field(k),
                    format!("unknown key (expected one of {})", KEYS.join(", ")),
                ));
            }
        }
        let name = match table.get("name") {
            Some(Value::String(s)) => s.clone(),
            Some(_) => return Err(SboError::config(field("name"), "must be a string")),
            None => {
                return Err(SboError::config(
                    field("name"),
                    "missing (e.g. name = \"ssgd\")",
                ))
            }
        };
        let kind = AlgoKind::parse(&name).map_err(|_| {
            SboError::config(
                field("name"),
                format!("unknown algorithm `{name}` (expected ssgd, tsgd, ud, ssaid, stocbio or aid-cg)"),
            )
        })?;
        let fixed_label = match table.get("label") {
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => return Err(SboError::config(field("label"), "must be a string")),
            None => None,
        };
        // Axes: (key, values); scalars are one-element axes.
        let axes: Vec<(&String, Vec<&Value>)> = table
            .iter()
            .filter(|(k, _)| *k != "name" && *k != "label")
            .map(|(k, v)| match v {
                Value::Array(a) => (k, a.iter().collect()),
                other => (k, vec![other]),
            })
            .collect();
        if let Some((k, _)) = axes.iter().find(|(_, v)| v.is_empty()) {
            return Err(SboError::config(field(k), "empty list"));
        }
        let varying: Vec<&String> = axes
            .iter()
            .filter(|(k, _)| matches!(table.get(k.as_str()), Some(Value::Array(_))))
            .map(|(k, _)| *k)
            .collect();
        let total: usize = axes.iter().map(|(_, v)| v.len()).product();
        for mut combo in 0..total {
            let mut cfg = default_config(kind);
            let mut parts = Vec::new();
            for (k, vals) in &axes {
                let v = vals[combo % vals.len()];
                combo /= vals.len();
                apply(&mut cfg, k, v, &field(k))?;
                if varying.contains(k) {
                    parts.push(format!("{k}={}", show(v)));
                }
            }
            let label = match (&fixed_label, parts.is_empty()) {
                (Some(l), true) => l.clone(),
                (Some(l), false) => format!("{l}[{}]", parts.join(" ")),
                (None, true) => name.clone(),
                (None, false) => format!("{name}[{}]", parts.join(" ")),
            };
            out.push(LabeledAlgo { label, algo: cfg });
        }
    }
    // Labels identify configurations in every output: make them unique.
    let labels: Vec<String> = out.iter().map(|c| c.label.clone()).collect();
    for (i, c) in out.iter_mut().enumerate() {
        if labels.iter().filter(|l| **l == labels[i]).count() > 1 {
            c.label = format!(
                "{}#{}",
                labels[i],
                labels[..i].iter().filter(|l| **l == labels[i]).count() + 1
            );
        }
    }
    Ok(out)
}

fn show(v: &Value) -> String {
    match v {
        Value::String(s) => s.replace(' ', ""),
        other => other.to_string(),
    }
}

fn apply(cfg: &mut AlgoConfig, key: &str, v: &Value, field: &str) -> Result<()> {
    let num = |v: &Value| -> Result<f64> {
        match v {
            Value::Float(f) => Ok(*f),
            Value::Integer(i) => Ok(*i as f64),
            _ => Err(SboError::config(
                field,
                format!("expected a number, got {v}"),
            )),
        }
    };
    let count = |v: &Value| -> Result<usize> {
        match v {
            Value::Integer(i) if *i >= 1 => Ok(*i as usize),
            _ => Err(SboError::config(
                field,
                format!("expected an integer >= 1, got {v}"),
            )),
        }
    };
    let flag = |v: &Value| -> Result<bool> {
        v.as_bool()
            .ok_or_else(|| SboError::config(field, format!("expected true or false, got {v}")))
    };
    let sched = |v: &Value| -> Result<Schedule> {
        match v {
            Value::String(s) => Schedule::parse(s, field),
            other => Schedule::parse(&num(other)?.to_string(), field),
        }
    };
    let batch = |v: &Value| -> Result<BatchSize> {
        match v {
            Value::String(s) if s == "full" => Ok(BatchSize::Full),
            Value::Integer(i) if *i >= 1 => Ok(BatchSize::Size(*i as usize)),
            _ => Err(SboError::config(
                field,
                format!("expected a positive integer or \"full\", got {v}"),
            )),
        }
    };
    match key {
        "alpha" => cfg.alpha = sched(v)?,
        "beta" => cfg.beta = sched(v)?,
        "gamma" => cfg.gamma = sched(v)?,
        "batch" => {
            cfg.batch_lower = batch(v)?;
            cfg.batch_upper = cfg.batch_lower;
        }
        "batch_lower" => cfg.batch_lower = batch(v)?,
        "batch_upper" => cfg.batch_upper = batch(v)?,
        "T" | "D" => cfg.inner_steps = count(v)?,
        "Q" => cfg.terms = count(v)?,
        "eta" => {
            cfg.eta = num(v)?;
            if !(cfg.eta.is_finite() && cfg.eta > 0.0) {
                return Err(SboError::config(field, "must be > 0"));
            }
        }
        "without_replacement" => cfg.without_replacement = flag(v)?,
        "independent_hvp_batch" => cfg.independent_hvp_batch = flag(v)?,
        "v_radius" => cfg.v_radius = Some(num(v)?),
        _ => unreachable!("keys are checked against KEYS"),
    }
    Ok(())
}

/// The `[[algo]]` table that reproduces one configuration exactly (for the resolved config).
pub fn to_table(c: &LabeledAlgo) -> toml::Table {
    let a = &c.algo;
    let mut t = toml::Table::new();
    let sched = |s: &Schedule| match s {
        Schedule::Constant(v) => Value::Float(*v),
        other => Value::String(other.to_string()),
    };
    let batch = |b: &BatchSize| match b {
        BatchSize::Full => Value::String("full".into()),
        BatchSize::Size(n) => Value::Integer(*n as i64),
    };
    t.insert("name".into(), Value::String(a.kind.name().into()));
    t.insert("label".into(), Value::String(c.label.clone()));
    t.insert("alpha".into(), sched(&a.alpha));
    t.insert("beta".into(), sched(&a.beta));
    t.insert("gamma".into(), sched(&a.gamma));
    t.insert("batch_lower".into(), batch(&a.batch_lower));
    t.insert("batch_upper".into(), batch(&a.batch_upper));
    let inner = if matches!(a.kind, AlgoKind::Stocbio | AlgoKind::AidCg) {
        "D"
    } else {
        "T"
    };
    t.insert(inner.into(), Value::Integer(a.inner_steps as i64));
    t.insert("Q".into(), Value::Integer(a.terms as i64));
    t.insert("eta".into(), Value::Float(a.eta));
    t.insert(
        "without_replacement".into(),
        Value::Boolean(a.without_replacement),
    );
    t.insert(
        "independent_hvp_batch".into(),
        Value::Boolean(a.independent_hvp_batch),
    );
    if let Some(r) = a.v_radius {
        t.insert("v_radius".into(), Value::Float(r));
    }
    t
}
