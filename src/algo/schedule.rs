//! Step-size schedules alpha_t, beta_t, gamma_t (DESIGN section 3).

use crate::error::{Result, SboError};
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// A step-size schedule. Written in configs as a number (constant) or as
/// `"constant(c)"`, `"poly(c, e)"` (= c / (t + 1)^e) or `"inv(c)"` (= c / (t + 1)).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Schedule {
    Constant(f64),
    Poly(f64, f64),
    Inv(f64),
}

impl Schedule {
    #[inline]
    pub fn at(&self, t: u64) -> f64 {
        match *self {
            Schedule::Constant(c) => c,
            Schedule::Poly(c, e) => c / ((t + 1) as f64).powf(e),
            Schedule::Inv(c) => c / (t + 1) as f64,
        }
    }

    /// The same schedule with its constant multiplied by `f` (kappa-scaled step sizes).
    pub fn scaled(&self, f: f64) -> Schedule {
        match *self {
            Schedule::Constant(c) => Schedule::Constant(c * f),
            Schedule::Poly(c, e) => Schedule::Poly(c * f, e),
            Schedule::Inv(c) => Schedule::Inv(c * f),
        }
    }

    /// Parses the config spelling; `field` names the config key in errors.
    pub fn parse(s: &str, field: &str) -> Result<Self> {
        Schedule::parse_text(s).map_err(|msg| SboError::config(field, msg))
    }

    /// [`Schedule::parse`] with the reason as plain text.
    fn parse_text(s: &str) -> std::result::Result<Self, String> {
        let bad = |why: &str| {
            format!("`{s}`: {why} (expected a number, constant(c), poly(c, e) or inv(c))")
        };
        let s = s.trim();
        if let Ok(c) = s.parse::<f64>() {
            return Schedule::Constant(c).checked();
        }
        let open = s.find('(').ok_or_else(|| bad("not a schedule"))?;
        if !s.ends_with(')') {
            return Err(bad("missing `)`"));
        }
        let name = s[..open].trim();
        let args: Vec<f64> = s[open + 1..s.len() - 1]
            .split(',')
            .map(|a| a.trim().parse::<f64>())
            .collect::<std::result::Result<_, _>>()
            .map_err(|_| bad("arguments must be numbers"))?;
        let sched = match (name, args.as_slice()) {
            ("constant", [c]) => Schedule::Constant(*c),
            ("poly", [c, e]) => Schedule::Poly(*c, *e),
            ("inv", [c]) => Schedule::Inv(*c),
            _ => return Err(bad("unknown schedule or wrong number of arguments")),
        };
        sched.checked()
    }

    fn checked(self) -> std::result::Result<Self, String> {
        let (c, e) = match self {
            Schedule::Constant(c) | Schedule::Inv(c) => (c, 0.0),
            Schedule::Poly(c, e) => (c, e),
        };
        // A constant 0 is accepted here for alpha's sake (the untuned model: x never moves);
        // `AlgoConfig::validate` refuses it for the other step sizes.
        let zero_ok = matches!(self, Schedule::Constant(_)) && c == 0.0;
        if !(c.is_finite() && (c > 0.0 || zero_ok)) {
            return Err(format!("step size must be a finite number > 0, got {c}"));
        }
        if !(e.is_finite() && e >= 0.0) {
            return Err(format!("poly exponent must be finite and >= 0, got {e}"));
        }
        Ok(self)
    }
}

impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Schedule::Constant(c) => write!(f, "{c}"),
            Schedule::Poly(c, e) => write!(f, "poly({c}, {e})"),
            Schedule::Inv(c) => write!(f, "inv({c})"),
        }
    }
}

/// Written as a number (a constant) or as the schedule's text.
impl Serialize for Schedule {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        match *self {
            Schedule::Constant(c) => s.serialize_f64(c),
            other => s.serialize_str(&other.to_string()),
        }
    }
}

impl<'de> Deserialize<'de> for Schedule {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Schedule;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(
                    "a step size: a number > 0, \"poly(c, e)\", \"inv(c)\" or \"constant(c)\"",
                )
            }
            fn visit_f64<E: de::Error>(self, c: f64) -> std::result::Result<Schedule, E> {
                Schedule::Constant(c).checked().map_err(E::custom)
            }
            fn visit_i64<E: de::Error>(self, c: i64) -> std::result::Result<Schedule, E> {
                self.visit_f64(c as f64)
            }
            fn visit_u64<E: de::Error>(self, c: u64) -> std::result::Result<Schedule, E> {
                self.visit_f64(c as f64)
            }
            fn visit_str<E: de::Error>(self, s: &str) -> std::result::Result<Schedule, E> {
                Schedule::parse_text(s).map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_and_parsing() {
        assert_eq!(Schedule::parse("0.5", "a").unwrap().at(10), 0.5);
        assert_eq!(Schedule::parse("inv(2)", "a").unwrap().at(3), 0.5);
        let p = Schedule::parse("poly(1, 0.5)", "a").unwrap();
        assert!((p.at(3) - 0.5).abs() < 1e-15);
        assert_eq!(Schedule::parse(&p.to_string(), "a").unwrap(), p);
        let e = Schedule::parse("poly(1)", "algo.alpha")
            .unwrap_err()
            .to_string();
        assert!(e.contains("algo.alpha"), "{e}");
        assert!(Schedule::parse("-1", "a").is_err());
        assert!(Schedule::parse("nan", "a").is_err());
    }
}
