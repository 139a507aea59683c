//! An `[[algo]]` table as a typed struct: an algorithm and its settings, each one value or a
//! list (a grid axis). `sweep::grid` expands it into configurations.
//!
//! Owns: the spelling of `[[algo]]` keys (`T`/`D`/`Q` included), their parsing with errors
//! that name the table and key, and a builder for programs that describe sweeps in code.
//! Must not know: algorithm defaults or checks (the registry), engines.

use super::axis::OneOrList;
use crate::algo::{AlgoKind, BatchSize, Schedule};
use crate::error::{Result, SboError};
use serde::{Deserialize, Deserializer, Serialize};

/// One `[[algo]]` table. Settings left out take the algorithm's defaults; a list expands into
/// one configuration per element (the Cartesian product over all lists).
///
/// ```ignore
/// let g = AlgoGrid::new(AlgoKind::STOCBIO).alpha([0.1, 0.05]).beta(0.05).inner_steps(5);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "AlgoGridRepr", into = "AlgoGridRepr")]
pub struct AlgoGrid {
    pub name: AlgoKind,
    /// Label of the configurations (default: the algorithm's name), followed by the listed
    /// settings' values: `label[alpha=0.1 T=8]`.
    pub label: Option<String>,
    /// Inner steps, spelled `T` or `D` in TOML ([`InnerSteps`]).
    pub inner_steps: Option<InnerSteps>,
    /// `Q`: Neumann terms (stocbio) or CG iterations (aid-cg).
    pub terms: Option<OneOrList<usize>>,
    pub alpha: Option<OneOrList<Schedule>>,
    /// Both batch sizes at once (`batch_lower` / `batch_upper` override it).
    pub batch: Option<OneOrList<BatchSize>>,
    pub batch_lower: Option<OneOrList<BatchSize>>,
    pub batch_upper: Option<OneOrList<BatchSize>>,
    pub beta: Option<OneOrList<Schedule>>,
    pub eta: Option<OneOrList<f64>>,
    pub gamma: Option<OneOrList<Schedule>>,
    pub independent_hvp_batch: Option<OneOrList<bool>>,
    pub v_radius: Option<OneOrList<f64>>,
    pub without_replacement: Option<OneOrList<bool>>,
    pub rho: Option<OneOrList<Schedule>>,
    pub lambda0: Option<OneOrList<f64>>,
    pub delta_lambda: Option<OneOrList<Schedule>>,
    pub period: Option<OneOrList<usize>>,
}

/// The inner-step counts with the key they were written with (`T` for tsgd and ud, `D` for
/// the multi-loop methods; either is accepted for any algorithm).
#[derive(Clone, Debug, PartialEq)]
pub struct InnerSteps {
    /// `"T"` or `"D"`.
    pub key: &'static str,
    pub values: OneOrList<usize>,
}

impl AlgoGrid {
    /// `name` with every setting at the algorithm's default.
    pub fn new(name: AlgoKind) -> Self {
        AlgoGrid {
            name,
            label: None,
            inner_steps: None,
            terms: None,
            alpha: None,
            batch: None,
            batch_lower: None,
            batch_upper: None,
            beta: None,
            eta: None,
            gamma: None,
            independent_hvp_batch: None,
            v_radius: None,
            without_replacement: None,
            rho: None,
            lambda0: None,
            delta_lambda: None,
            period: None,
        }
    }

    pub fn label(mut self, l: impl Into<String>) -> Self {
        self.label = Some(l.into());
        self
    }

    /// `T` / `D`, spelled as the algorithm spells it.
    pub fn inner_steps(mut self, v: impl Into<OneOrList<usize>>) -> Self {
        self.inner_steps = Some(InnerSteps {
            key: self.name.descriptor().inner_key,
            values: v.into(),
        });
        self
    }

    pub fn terms(mut self, v: impl Into<OneOrList<usize>>) -> Self {
        self.terms = Some(v.into());
        self
    }

    pub fn alpha(mut self, v: impl Into<OneOrList<Schedule>>) -> Self {
        self.alpha = Some(v.into());
        self
    }

    pub fn beta(mut self, v: impl Into<OneOrList<Schedule>>) -> Self {
        self.beta = Some(v.into());
        self
    }

    pub fn gamma(mut self, v: impl Into<OneOrList<Schedule>>) -> Self {
        self.gamma = Some(v.into());
        self
    }

    pub fn batch(mut self, v: impl Into<OneOrList<BatchSize>>) -> Self {
        self.batch = Some(v.into());
        self
    }

    pub fn batch_lower(mut self, v: impl Into<OneOrList<BatchSize>>) -> Self {
        self.batch_lower = Some(v.into());
        self
    }

    pub fn batch_upper(mut self, v: impl Into<OneOrList<BatchSize>>) -> Self {
        self.batch_upper = Some(v.into());
        self
    }

    pub fn eta(mut self, v: impl Into<OneOrList<f64>>) -> Self {
        self.eta = Some(v.into());
        self
    }

    pub fn v_radius(mut self, v: impl Into<OneOrList<f64>>) -> Self {
        self.v_radius = Some(v.into());
        self
    }

    pub fn independent_hvp_batch(mut self, v: impl Into<OneOrList<bool>>) -> Self {
        self.independent_hvp_batch = Some(v.into());
        self
    }

    pub fn without_replacement(mut self, v: impl Into<OneOrList<bool>>) -> Self {
        self.without_replacement = Some(v.into());
        self
    }

    pub fn rho(mut self, v: impl Into<OneOrList<Schedule>>) -> Self {
        self.rho = Some(v.into());
        self
    }

    pub fn lambda0(mut self, v: impl Into<OneOrList<f64>>) -> Self {
        self.lambda0 = Some(v.into());
        self
    }

    pub fn delta_lambda(mut self, v: impl Into<OneOrList<Schedule>>) -> Self {
        self.delta_lambda = Some(v.into());
        self
    }

    pub fn period(mut self, v: impl Into<OneOrList<usize>>) -> Self {
        self.period = Some(v.into());
        self
    }
}

/// Step sizes are written as numbers (`alpha = 0.1`) or schedules; these let a program write
/// them the same way.
impl From<f64> for OneOrList<Schedule> {
    fn from(c: f64) -> Self {
        OneOrList::one(Schedule::Constant(c))
    }
}

impl From<Vec<f64>> for OneOrList<Schedule> {
    fn from(c: Vec<f64>) -> Self {
        OneOrList::list(c.into_iter().map(Schedule::Constant))
    }
}

impl<const N: usize> From<[f64; N]> for OneOrList<Schedule> {
    fn from(c: [f64; N]) -> Self {
        OneOrList::list(c.into_iter().map(Schedule::Constant))
    }
}

impl From<usize> for OneOrList<BatchSize> {
    fn from(b: usize) -> Self {
        OneOrList::one(BatchSize::Size(b))
    }
}

/// The TOML form: every key optional, so that each key can be parsed on its own and an error
/// names it (see [`parse_tables`]).
#[derive(Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct AlgoGridRepr {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<AlgoKind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    label: Option<String>,
    #[serde(rename = "D", default, skip_serializing_if = "Option::is_none")]
    d: Option<OneOrList<usize>>,
    #[serde(rename = "Q", default, skip_serializing_if = "Option::is_none")]
    q: Option<OneOrList<usize>>,
    #[serde(rename = "T", default, skip_serializing_if = "Option::is_none")]
    t: Option<OneOrList<usize>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    alpha: Option<OneOrList<Schedule>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    batch: Option<OneOrList<BatchSize>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    batch_lower: Option<OneOrList<BatchSize>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    batch_upper: Option<OneOrList<BatchSize>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    beta: Option<OneOrList<Schedule>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    eta: Option<OneOrList<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    gamma: Option<OneOrList<Schedule>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    independent_hvp_batch: Option<OneOrList<bool>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    v_radius: Option<OneOrList<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    without_replacement: Option<OneOrList<bool>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    rho: Option<OneOrList<Schedule>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    lambda0: Option<OneOrList<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    delta_lambda: Option<OneOrList<Schedule>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    period: Option<OneOrList<usize>>,
}

impl TryFrom<AlgoGridRepr> for AlgoGrid {
    type Error = String;
    fn try_from(r: AlgoGridRepr) -> std::result::Result<Self, String> {
        let name = r
            .name
            .ok_or_else(|| "`name` is missing (e.g. name = \"ssgd\")".to_string())?;
        let inner_steps = match (r.t, r.d) {
            (Some(_), Some(_)) => {
                return Err("give the inner steps as T or as D, not both".into());
            }
            (Some(v), None) => Some(InnerSteps {
                key: "T",
                values: v,
            }),
            (None, Some(v)) => Some(InnerSteps {
                key: "D",
                values: v,
            }),
            (None, None) => None,
        };
        Ok(AlgoGrid {
            name,
            label: r.label,
            inner_steps,
            terms: r.q,
            alpha: r.alpha,
            batch: r.batch,
            batch_lower: r.batch_lower,
            batch_upper: r.batch_upper,
            beta: r.beta,
            eta: r.eta,
            gamma: r.gamma,
            independent_hvp_batch: r.independent_hvp_batch,
            v_radius: r.v_radius,
            without_replacement: r.without_replacement,
            rho: r.rho,
            lambda0: r.lambda0,
            delta_lambda: r.delta_lambda,
            period: r.period,
        })
    }
}

impl From<AlgoGrid> for AlgoGridRepr {
    fn from(g: AlgoGrid) -> Self {
        let (mut t, mut d) = (None, None);
        if let Some(i) = g.inner_steps {
            if i.key == "D" {
                d = Some(i.values);
            } else {
                t = Some(i.values);
            }
        }
        AlgoGridRepr {
            name: Some(g.name),
            label: g.label,
            d,
            q: g.terms,
            t,
            alpha: g.alpha,
            batch: g.batch,
            batch_lower: g.batch_lower,
            batch_upper: g.batch_upper,
            beta: g.beta,
            eta: g.eta,
            gamma: g.gamma,
            independent_hvp_batch: g.independent_hvp_batch,
            v_radius: g.v_radius,
            without_replacement: g.without_replacement,
            rho: g.rho,
            lambda0: g.lambda0,
            delta_lambda: g.delta_lambda,
            period: g.period,
        }
    }
}

/// How the errors of [`parse_tables`] begin (`config field `algo[1].beta`: ...`).
pub(super) const ERROR_PREFIX: &str = "config field `algo[";

/// Parses `[[algo]]` tables. Each key is first parsed on its own, so that an error names the
/// table and key (`algo[1].beta: ...`) whatever the format the tables came from.
pub fn parse_tables(tables: &[toml::Table]) -> Result<Vec<AlgoGrid>> {
    let mut out = Vec::with_capacity(tables.len());
    for (i, table) in tables.iter().enumerate() {
        for (k, v) in table {
            let one = toml::Table::from_iter([(k.clone(), v.clone())]);
            toml::Value::Table(one)
                .try_into::<AlgoGridRepr>()
                .map_err(|e| SboError::config(format!("algo[{i}].{k}"), e.message()))?;
        }
        let grid = toml::Value::Table(table.clone())
            .try_into::<AlgoGridRepr>()
            .map_err(|e| SboError::config(format!("algo[{i}]"), e.message()))
            .and_then(|r| {
                AlgoGrid::try_from(r).map_err(|m| SboError::config(format!("algo[{i}]"), m))
            })?;
        out.push(grid);
    }
    Ok(out)
}

/// `deserialize_with` of [`super::SweepConfig::algos`]: the tables through [`parse_tables`].
pub(super) fn deserialize_tables<'de, D: Deserializer<'de>>(
    d: D,
) -> std::result::Result<Vec<AlgoGrid>, D::Error> {
    let tables = Vec::<toml::Table>::deserialize(d)?;
    parse_tables(&tables).map_err(serde::de::Error::custom)
}

#[cfg(test)]
mod tests {
    use crate::sweep::SweepConfig;

    fn error_of(table: &str) -> String {
        let text = format!("[[algo]]\nname = \"ssgd\"\n[[algo]]\nname = \"tsgd\"\n{table}\n");
        SweepConfig::from_toml(&text).unwrap_err().to_string()
    }

    #[test]
    fn errors_name_the_table_and_key_in_plain_words() {
        for (table, key, words) in [
            ("alpha = true", "algo[1].alpha", "expected a step size"),
            (
                "batch = 3.5",
                "algo[1].batch",
                "positive integer or \"full\"",
            ),
            ("beta = -0.2", "algo[1].beta", "finite number > 0, got -0.2"),
            ("foo = 1", "algo[1].foo", "unknown field `foo`"),
            ("alpha = []", "algo[1].alpha", "empty list"),
            ("T = 2\nD = 3", "algo[1]", "T or as D, not both"),
        ] {
            let e = error_of(table);
            assert!(e.contains(key) && e.contains(words), "{table}: {e}");
            assert!(
                !e.contains("untagged") && !e.contains("`step size`"),
                "{table}: {e}"
            );
        }
        let e = SweepConfig::from_toml("[[algo]]\nname = \"adam\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown algorithm `adam`"), "{e}");
    }

    #[test]
    fn a_grid_round_trips_through_toml() {
        let text = "[[algo]]\nname = \"stocbio\"\nlabel = \"s\"\nD = [2, 4]\nQ = 5\n\
                    alpha = [0.1, \"poly(0.2, 0.5)\"]\nbatch = \"full\"\n";
        let c = SweepConfig::from_toml(text).unwrap();
        let again = SweepConfig::from_toml(&c.to_toml().unwrap()).unwrap();
        assert_eq!(c.algos, again.algos);
        let labels: Vec<String> = crate::sweep::grid::expand(&again.algos)
            .into_iter()
            .map(|c| c.label)
            .collect();
        assert_eq!(
            labels,
            [
                "s[D=2 alpha=0.1]",
                "s[D=4 alpha=0.1]",
                "s[D=2 alpha=poly(0.2,0.5)]",
                "s[D=4 alpha=poly(0.2,0.5)]"
            ]
        );
    }
}
