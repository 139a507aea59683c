//! `[vary]`: settings of the problem, data or run that take several values. Each combination
//! is a *variant*: the same algorithm grid, seeds and logging steps on another problem or
//! dataset (another upper-level size m, another kappa, ...). Variants are prepared up front,
//! so an impossible combination is reported before anything runs, and run one after another
//! into one result whose configuration labels start with the variant's values.

use super::config::SweepConfig;
use super::study::Study;
use crate::error::{Result, SboError};
use std::path::Path;
use toml::Value;

/// `run` settings that may vary: those that keep the logging steps and lane layout of the
/// variants the same (so their curves share an axis).
const RUN_KEYS: &[&str] = &["replace", "x0", "y0", "precision", "exact_tol"];

/// One combination of `[vary]` values.
#[derive(Clone, Debug)]
pub struct Variant {
    /// `n_upper=500, kappa=100` (empty without `[vary]`).
    pub label: String,
    /// `(dotted key, value as written)`, in axis order.
    pub values: Vec<(String, String)>,
    /// The sweep with these values in place and `vary` emptied.
    pub config: SweepConfig,
}

fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The variants of a sweep, the last `[vary]` key changing fastest; one variant with an empty
/// label when there is no `[vary]`.
pub fn expand(config: &SweepConfig) -> Result<Vec<Variant>> {
    let mut base = config.clone();
    base.vary = toml::Table::new();
    let mut axes: Vec<(String, String, String, Vec<Value>)> = Vec::new();
    for (k, v) in &config.vary {
        let field = format!("vary.\"{k}\"");
        let Some((section, key)) = k.split_once('.') else {
            return Err(SboError::config(
                field,
                "expected a dotted key such as \"data.n_upper\" or \"problem.mu\"",
            ));
        };
        let ok = match section {
            "problem" | "data" => true,
            "run" => RUN_KEYS.contains(&key),
            _ => false,
        };
        if !ok {
            return Err(SboError::config(
                field,
                format!(
                    "only problem.*, data.* and run.{{{}}} can vary (algorithm settings vary \
                     inside [[algo]] tables)",
                    RUN_KEYS.join(", ")
                ),
            ));
        }
        let vals = match v {
            Value::Array(a) if !a.is_empty() => a.clone(),
            _ => {
                return Err(SboError::config(
                    field,
                    "must be a non-empty list of values",
                ))
            }
        };
        axes.push((field, section.to_string(), key.to_string(), vals));
    }
    if axes.is_empty() {
        return Ok(vec![Variant {
            label: String::new(),
            values: Vec::new(),
            config: base,
        }]);
    }
    let base_val = Value::try_from(&base).map_err(|e| SboError::config("vary", e.to_string()))?;
    let mut out = Vec::new();
    let mut idx = vec![0usize; axes.len()];
    loop {
        let mut v = base_val.clone();
        let mut values = Vec::new();
        for ((field, section, key, vals), &i) in axes.iter().zip(&idx) {
            let table = v
                .as_table_mut()
                .and_then(|t| {
                    t.entry(section.clone())
                        .or_insert_with(|| Value::Table(toml::Table::new()))
                        .as_table_mut()
                })
                .ok_or_else(|| SboError::config(field.clone(), "not a table"))?;
            table.insert(key.clone(), vals[i].clone());
            values.push((format!("{section}.{key}"), value_text(&vals[i])));
        }
        let cfg: SweepConfig = v.try_into().map_err(|e: toml::de::Error| {
            let at: Vec<String> = values.iter().map(|(k, x)| format!("{k} = {x}")).collect();
            SboError::config("vary", format!("with {}: {}", at.join(", "), e.message()))
        })?;
        let label = values
            .iter()
            .map(|(k, x)| format!("{}={x}", k.split_once('.').map_or(k.as_str(), |p| p.1)))
            .collect::<Vec<_>>()
            .join(", ");
        out.push(Variant {
            label,
            values,
            config: cfg,
        });
        // Odometer over the axes, last one fastest.
        let mut a = axes.len();
        loop {
            if a == 0 {
                return Ok(out);
            }
            a -= 1;
            idx[a] += 1;
            if idx[a] < axes[a].3.len() {
                break;
            }
            idx[a] = 0;
        }
    }
}

/// A variant made ready to run.
pub struct PlannedVariant {
    pub variant: Variant,
    pub study: Study,
}

/// Every variant of a sweep, prepared (data read, grids expanded, everything validated).
pub struct Plan {
    /// The sweep as given, every default filled in (`[vary]` kept): what `config.toml` holds.
    pub config: SweepConfig,
    pub variants: Vec<PlannedVariant>,
}

impl Plan {
    pub fn prepare(config: &SweepConfig, config_dir: Option<&Path>) -> Result<Plan> {
        let variants = expand(config)?;
        let mut out: Vec<PlannedVariant> = Vec::with_capacity(variants.len());
        for variant in variants {
            let study = Study::prepare(&variant.config, config_dir).map_err(|e| {
                if variant.label.is_empty() {
                    e
                } else {
                    SboError::config(format!("vary ({})", variant.label), e.to_string())
                }
            })?;
            out.push(PlannedVariant { variant, study });
        }
        Ok(Plan {
            config: config.clone(),
            variants: out,
        })
    }

    /// Configurations over all variants.
    pub fn n_configs(&self) -> usize {
        self.variants.iter().map(|v| v.study.configs.len()).sum()
    }

    /// Lanes over all variants.
    pub fn n_lanes(&self) -> usize {
        self.variants
            .iter()
            .map(|v| {
                let r = &v.study.config.run;
                v.study.configs.len() * r.seeds * (r.neighbours + 1)
            })
            .sum()
    }

    /// The first variant's study (the only one without `[vary]`).
    pub fn first(&self) -> &Study {
        &self.variants[0].study
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cartesian_product_in_order() {
        let c = SweepConfig::from_toml(
            r#"
            [vary]
            "data.n_upper" = [100, 200]
            "problem.mu" = [0.5, 1.0, 2.0]
            [[algo]]
            name = "ssgd"
            "#,
        )
        .unwrap();
        let v = expand(&c).unwrap();
        assert_eq!(v.len(), 6);
        // BTreeMap order: data.n_upper first, problem.mu fastest.
        assert_eq!(v[0].label, "n_upper=100, mu=0.5");
        assert_eq!(v[5].label, "n_upper=200, mu=2.0");
        assert_eq!(v[4].config.data.n_upper, 200);
        assert_eq!(v[4].config.problem.mu, Some(1.0));
        assert!(v.iter().all(|x| x.config.vary.is_empty()));
    }

    #[test]
    fn a_study_refuses_a_config_with_vary() {
        let c = SweepConfig::from_toml(
            "[vary]\n\"data.n_upper\" = [100, 200]\n[[algo]]\nname = \"ssgd\"\n",
        )
        .unwrap();
        let e = Study::prepare(&c, None).err().expect("must refuse");
        assert!(e.to_string().contains("Plan::prepare"), "{e}");
        assert_eq!(Plan::prepare(&c, None).unwrap().variants.len(), 2);
    }

    #[test]
    fn bad_keys_and_values_are_named() {
        for (text, want) in [
            ("\"algo.alpha\" = [1, 2]", "vary.\"algo.alpha\""),
            ("\"run.steps\" = [1, 2]", "vary.\"run.steps\""),
            ("\"data.n_upper\" = []", "vary.\"data.n_upper\""),
            ("\"data.n_upper\" = [\"x\"]", "n_upper = x"),
            ("\"data.nope\" = [1]", "nope"),
        ] {
            let c = SweepConfig::from_toml(&format!("[vary]\n{text}\n[[algo]]\nname = \"ssgd\"\n"))
                .unwrap();
            let e = expand(&c).unwrap_err().to_string();
            assert!(e.contains(want), "{text}: {e}");
        }
    }
}
