//! The algorithm registry: the one list that makes each algorithm's descriptor known to the
//! rest of sbo, and [`AlgoKind`]'s link to it (lookup, names, serde).
//!
//! Owns: which algorithms exist and in what order. Must not know: what they compute.
//!
//! Adding an algorithm: its CPU step and descriptor in `src/algo/methods/NAME.rs`, its kernel in
//! `shaders/step_NAME.wgsl`, and one line in `registry!` below.

use super::descriptor::Algorithm;
use super::AlgoKind;
use crate::error::{Result, SboError};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

impl AlgoKind {
    pub fn name(&self) -> &'static str {
        self.descriptor().name
    }

    /// The algorithm's descriptor.
    pub fn descriptor(&self) -> &'static Algorithm {
        REGISTRY[self.0 as usize]
    }

    /// The registered algorithm called `name`.
    pub fn parse(name: &str) -> Result<Self> {
        AlgoKind::ALL
            .iter()
            .copied()
            .find(|k| k.name() == name)
            .ok_or_else(|| {
                SboError::config(
                    "algo.name",
                    format!("unknown algorithm `{name}` (expected {})", names_list()),
                )
            })
    }
}

/// `ssgd, tsgd, ... or aid-cg`.
pub fn names_list() -> String {
    let names: Vec<&str> = AlgoKind::ALL.iter().map(|k| k.name()).collect();
    match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => names.join(""),
    }
}

impl fmt::Debug for AlgoKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl fmt::Display for AlgoKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for AlgoKind {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for AlgoKind {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        AlgoKind::ALL
            .iter()
            .copied()
            .find(|k| k.name() == name)
            .ok_or_else(|| {
                serde::de::Error::custom(format!(
                    "unknown algorithm `{name}` (expected {})",
                    names_list()
                ))
            })
    }
}

/// Declares the registered algorithms: an associated constant of [`AlgoKind`] per line (its
/// position in the list), the descriptors in that order, and [`AlgoKind::ALL`] (the order of
/// `sbo --help`).
macro_rules! registry {
    ($($konst:ident => $desc:path),+ $(,)?) => {
        static REGISTRY: &[&Algorithm] = &[$(&$desc),+];

        #[allow(non_camel_case_types, clippy::upper_case_acronyms)]
        enum Position { $($konst),+ }

        impl AlgoKind {
            $(pub const $konst: AlgoKind = AlgoKind(Position::$konst as u16);)+
            /// Every registered algorithm.
            pub const ALL: &'static [AlgoKind] = &[$(AlgoKind::$konst),+];
        }
    };
}

registry! {
    SSGD => super::methods::ssgd::SSGD,
    TSGD => super::methods::tsgd::TSGD,
    UD => super::methods::tsgd::UD,
    SSAID => super::methods::ssaid::SSAID,
    STOCBIO => super::methods::stocbio::STOCBIO,
    AID_CG => super::methods::aid_cg::AID_CG,
    AMIGO => super::methods::amigo::AMIGO,
    MA_SOBA => super::methods::ma_soba::MA_SOBA,
    F2SA => super::methods::f2sa::F2SA,
    MRBO => super::methods::mrbo::MRBO,
    FSLA => super::methods::fsla::FSLA,
    SUSTAIN => super::methods::sustain::SUSTAIN,
    BSA => super::methods::bsa::BSA,
    TTSA => super::methods::ttsa::TTSA,
    SABA => super::methods::saba::SABA,
    BOME => super::methods::bome::BOME,
    SRBA => super::methods::srba::SRBA,
    VRBO => super::methods::vrbo::VRBO,
}
