//! A setting that takes one value or a list of values: a list is one axis of a grid.
//!
//! Owns: [`OneOrList`] and the text a value shows in configuration labels. Must not know
//! which settings exist (`algo_grid` does).

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// One value, or a list of values (each a configuration of the grid). Values read from a
/// file keep the text they were written with, which is what configuration labels show.
#[derive(Clone, Debug, PartialEq)]
pub struct OneOrList<T> {
    entries: Vec<(T, String)>,
    list: bool,
}

/// The label text of a configuration value: strings without spaces (`poly(0.1,0.6)`),
/// everything else as TOML writes it (`0.1`, `3.0`, `32`, `true`).
pub(crate) fn label_text(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => s.replace(' ', ""),
        other => other.to_string(),
    }
}

/// The label text of a typed value: as if it had been written in its canonical TOML form.
fn canonical_text<T: Serialize>(v: &T) -> String {
    toml::Value::try_from(v)
        .map(|t| label_text(&t))
        .unwrap_or_default()
}

impl<T: Serialize> OneOrList<T> {
    pub fn one(v: T) -> Self {
        let text = canonical_text(&v);
        OneOrList {
            entries: vec![(v, text)],
            list: false,
        }
    }

    /// A list (an axis of the grid even with one element: its value shows in the labels).
    pub fn list(values: impl IntoIterator<Item = T>) -> Self {
        OneOrList {
            entries: values
                .into_iter()
                .map(|v| {
                    let t = canonical_text(&v);
                    (v, t)
                })
                .collect(),
            list: true,
        }
    }
}

impl<T> OneOrList<T> {
    pub fn values(&self) -> impl Iterator<Item = &T> {
        self.entries.iter().map(|(v, _)| v)
    }

    /// `(value, label text)` pairs in order.
    pub fn entries(&self) -> &[(T, String)] {
        &self.entries
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Written as a list (so its value is part of every configuration's label).
    pub fn is_list(&self) -> bool {
        self.list
    }
}

impl<T: Serialize> From<T> for OneOrList<T> {
    fn from(v: T) -> Self {
        OneOrList::one(v)
    }
}

impl<T: Serialize> From<Vec<T>> for OneOrList<T> {
    fn from(v: Vec<T>) -> Self {
        OneOrList::list(v)
    }
}

impl<T: Serialize, const N: usize> From<[T; N]> for OneOrList<T> {
    fn from(v: [T; N]) -> Self {
        OneOrList::list(v)
    }
}

impl<T: Serialize> Serialize for OneOrList<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.list {
            let v: Vec<&T> = self.values().collect();
            v.serialize(s)
        } else {
            match self.entries.first() {
                Some((v, _)) => v.serialize(s),
                None => s.serialize_none(),
            }
        }
    }
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for OneOrList<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = toml::Value::deserialize(d)?;
        let (items, list) = match raw {
            toml::Value::Array(a) => (a, true),
            other => (vec![other], false),
        };
        if items.is_empty() {
            return Err(serde::de::Error::custom("empty list"));
        }
        let entries = items
            .into_iter()
            .map(|v| {
                let text = label_text(&v);
                v.try_into::<T>()
                    .map(|t| (t, text))
                    .map_err(|e| serde::de::Error::custom(e.message()))
            })
            .collect::<Result<Vec<_>, D::Error>>()?;
        Ok(OneOrList { entries, list })
    }
}
