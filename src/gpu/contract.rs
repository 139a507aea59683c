//! The Rust <-> WGSL contract: the uniform block, the lane descriptor and the metrics record
//! as `#[repr(C)]` structs, the pipeline override constants as a typed struct, and the enum
//! codes and stream numbers the kernels compare against. The WGSL declarations of all of
//! them are generated from these definitions ([`declarations`]) and composed in front of
//! every lane kernel, so the two sides cannot drift apart.
//!
//! Owns: layouts, names and codes shared with the kernels. Must not know: how a sweep is
//! scheduled or what the records mean to the metrics (the engine decides).

use crate::problem::{Activation, Coupling, HyperShape, Loss};
use crate::rng::stream;
use std::fmt::Write as _;

/// Defines a `#[repr(C)]` plain-data struct and its WGSL twin's name and fields, from one
/// field list. Field types: `u32`, `f32`, `vec4f` (`[f32; 4]`, `vec4<f32>`).
macro_rules! wgsl_struct {
    ($(#[$m:meta])* pub struct $name:ident as $wgsl:literal {
        $($(#[$fm:meta])* $f:ident : $t:tt),* $(,)?
    }) => {
        $(#[$m])*
        #[repr(C)]
        #[derive(Clone, Copy, Debug, Default, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
        pub struct $name {
            $($(#[$fm])* pub $f: wgsl_struct!(@rust $t),)*
        }

        impl $name {
            /// The WGSL struct's name.
            pub const WGSL_NAME: &'static str = $wgsl;
            /// `(field, WGSL type)` in layout order.
            pub const WGSL_FIELDS: &'static [(&'static str, &'static str)] =
                &[$((stringify!($f), wgsl_struct!(@wgsl $t))),*];
        }
    };
    (@rust u32) => { u32 };
    (@rust f32) => { f32 };
    (@rust vec4f) => { [f32; 4] };
    (@wgsl u32) => { "u32" };
    (@wgsl f32) => { "f32" };
    (@wgsl vec4f) => { "vec4<f32>" };
}

wgsl_struct! {
    /// The uniform block of every lane kernel (`prm`), one per dispatch.
    pub struct Params as "Params" {
        /// Outer step of the first iteration of this dispatch.
        t0: u32,
        /// Outer steps to take.
        n_steps: u32,
        /// First lane of this dispatch.
        lane_offset: u32,
        /// Lanes in this dispatch.
        n_lanes: u32,
        n_lower: u32,
        n_upper: u32,
        /// Where each set's rows start within a seed's block of `rowmap`.
        row_lower: u32,
        row_upper: u32,
        row_pool: u32,
        /// Workgroups along x (lane = y * groups_x + x).
        groups_x: u32,
        /// Floats of scratch per lane (unrolled inner iterates, then the network's values).
        scratch_stride: u32,
        n_test: u32,
        row_test: u32,
        n_pool: u32,
        /// Lanes per (configuration, seed) group: 1 + neighbours.
        group_size: u32,
        /// Floats of memory per lane of this configuration (`Algorithm::memory`).
        mem_stride: u32,
        /// Step-size schedules as (kind, c, e, 0): kind 0 constant, 1 poly, 2 inv.
        alpha: vec4f,
        beta: vec4f,
        gamma: vec4f,
        eta: f32,
        v_radius: f32,
        y0: f32,
        /// `run.divergence_bound`: a lane with a coordinate beyond it has diverged.
        bound: f32,
        /// Moving-average / momentum weight and the penalty's growth (schedules as above).
        rho: vec4f,
        delta_lambda: vec4f,
        /// f2sa's penalty weight at the first step.
        lambda0: f32,
        /// srba's steps between full-batch directions (`AlgoConfig::period_len`).
        period: u32,
        /// First float of this dispatch's first lane in the memory buffer.
        mem_offset: u32,
        /// Where a kernel flags that a software adapter's loop limit cut it short: an index
        /// into the memory buffer (step kernels) or the finite flags (metrics kernel).
        limit_flag: u32,
    }
}

wgsl_struct! {
    /// One lane: its seed and which sample of each set it replaces by which pool row
    /// (`rep_*` is [`NO_REPLACEMENT`] when nothing is replaced).
    pub struct LaneDesc as "Lane" {
        seed_lo: u32,
        seed_hi: u32,
        /// Replaced lower index, or NO_REPLACEMENT.
        rep_lower: u32,
        /// Pool row (relative to the pool) that replaces it.
        pool_lower: u32,
        rep_upper: u32,
        pool_upper: u32,
        /// Index of this lane's base lane (itself for a base lane).
        base: u32,
        /// 1 once the lane has diverged: the step kernels leave it alone.
        dead: u32,
        /// First entry of its seed's row maps in `rowmap` (0 when every seed shares them).
        map_base: u32,
    }
}

wgsl_struct! {
    /// What the metrics kernel measures of one (configuration, seed) group at a logging
    /// step: sums over its finite neighbours' distances to the base lane, and the base lane's
    /// losses. The base lane's x (P floats) and y (D floats) follow it in the record buffer.
    pub struct RecordHead as "RecordHead" {
        /// Sums over finite neighbours of |dx|, |dy|, |d(x, y)|, |dx|^2, |dy|^2.
        dist_x: f32,
        dist_y: f32,
        dist_xy: f32,
        dist_x_sq: f32,
        dist_y_sq: f32,
        /// Number of finite neighbours.
        n_finite: f32,
        val_loss: f32,
        test_loss: f32,
        lower_data_loss: f32,
        /// Coupling + lam_y/2 |y|^2.
        lower_reg: f32,
        val_acc: f32,
        test_acc: f32,
        /// 1 when the base lane is finite.
        base_finite: f32,
        /// |x|^2.
        x_sq: f32,
        _pad0: f32,
        _pad1: f32,
    }
}

impl RecordHead {
    /// Floats of the head (`RECORD_HEAD` in WGSL).
    pub const FLOATS: usize = std::mem::size_of::<RecordHead>() / 4;
}

/// `rep_lower` / `rep_upper` of a lane that replaces nothing.
pub const NO_REPLACEMENT: u32 = u32::MAX;

/// The code of a loss in the `LOSS` override.
pub fn loss_code(l: Loss) -> u32 {
    match l {
        Loss::Squared => 0,
        Loss::Logistic => 1,
        // The kernels' one-output formulas (`loss_d1`, ...) never see it: a multinomial problem
        // has C >= 2 classes and takes the class paths (`coef_slot`, `set_loss`).
        Loss::Multinomial => 2,
    }
}

/// The code of a coupling in the `COUPLING` override.
pub fn coupling_code(c: Coupling) -> u32 {
    match c {
        Coupling::Prior => 0,
        Coupling::Logweight => 1,
        Coupling::Nonconvex => 2,
        Coupling::Bilinear => 3,
        // No r: the couplings' formulas are 0, and the kernels whose descriptor says
        // `sample_weights` weigh the lower coefficients instead.
        Coupling::SampleWeight => 4,
    }
}

/// The code of a network activation in the `ACT` override.
pub fn activation_code(a: Activation) -> u32 {
    match a {
        Activation::Tanh => 0,
        Activation::Softplus => 1,
    }
}

/// The code of a hyperparameter shape in the `HYPER` override.
pub fn hyper_code(h: HyperShape) -> u32 {
    match h {
        HyperShape::PerFeature => 0,
        HyperShape::Scalar => 1,
        HyperShape::PerClass => 2,
        HyperShape::PerSample => 3,
    }
}

/// A value an override constant takes (wgpu passes every override as an f64).
pub trait OverrideValue {
    fn as_f64(&self) -> f64;
}

impl OverrideValue for u32 {
    fn as_f64(&self) -> f64 {
        *self as f64
    }
}

impl OverrideValue for f64 {
    fn as_f64(&self) -> f64 {
        *self
    }
}

impl OverrideValue for bool {
    fn as_f64(&self) -> f64 {
        if *self {
            1.0
        } else {
            0.0
        }
    }
}

/// Defines the override-constant struct: a Rust field, its WGSL name and type, an optional
/// WGSL default (for test kernels that set only some) and a one-line description.
macro_rules! overrides {
    ($(#[$m:meta])* pub struct $name:ident {
        $(#[doc = $doc:literal] $f:ident : $t:ty => $wname:literal : $wty:literal $(= $def:literal)?),* $(,)?
    }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq)]
        pub struct $name {
            $(#[doc = $doc] pub $f: $t,)*
        }

        impl $name {
            /// `(WGSL name, value)` for pipeline creation.
            pub fn constants(&self) -> Vec<(&'static str, f64)> {
                vec![$(($wname, OverrideValue::as_f64(&self.$f))),*]
            }

            /// The WGSL `override` declarations.
            pub fn declarations() -> String {
                let mut s = String::new();
                $(
                    let default: Option<&str> = None $(.or(Some($def)))?;
                    let _ = match default {
                        Some(d) => writeln!(s, "override {}: {} = {};  //{}", $wname, $wty, d, $doc),
                        None => writeln!(s, "override {}: {};  //{}", $wname, $wty, $doc),
                    };
                )*
                s
            }
        }
    };
}

overrides! {
    /// The specialisation of a lane kernel: one pipeline per distinct value.
    pub struct Overrides {
        /// loss code (LOSS_SQUARED, LOSS_LOGISTIC)
        loss: u32 => "LOSS": "u32",
        /// coupling code (COUPLING_PRIOR, _LOGWEIGHT, _NONCONVEX, _BILINEAR, _SAMPLE_WEIGHT)
        coupling: u32 => "COUPLING": "u32",
        /// hyperparameter shape (HYPER_PER_FEATURE: P = D, HYPER_SCALAR: P = 1, HYPER_PER_SAMPLE: P = n_lower)
        hyper: u32 => "HYPER": "u32",
        /// dimension of y
        d: u32 => "D": "u32",
        /// columns of the data: the row width of `feats` (= D for the linear binary models)
        features: u32 => "F": "u32",
        /// outputs per sample: the classes of the multinomial loss (D = C F), else 1
        classes: u32 => "C": "u32" = "1u",
        /// hidden units of the network lower model (0: the linear model)
        hidden: u32 => "NH": "u32" = "0u",
        /// the network's activation: 0 tanh, 1 softplus
        activation: u32 => "ACT": "u32" = "0u",
        /// dimension of x
        p: u32 => "P": "u32",
        /// lower batch size (the whole set when FULL_L)
        batch_lower: u32 => "BL": "u32",
        /// upper batch size (the whole set when FULL_U)
        batch_upper: u32 => "BU": "u32",
        /// the lower batch is the whole set
        full_lower: bool => "FULL_L": "bool" = "false",
        /// the upper batch is the whole set
        full_upper: bool => "FULL_U": "bool" = "false",
        /// batches without replacement (Floyd)
        without_replacement: bool => "WR": "bool" = "false",
        /// batch slots with a J v term (`zj`): 2 BL + BU with per-sample weights, else 1
        jv_slots: u32 => "ZJ": "u32" = "1u",
        /// threads per lane (a power of two)
        workgroup: u32 => "WG": "u32" = "64u",
        /// weight of the prior coupling
        mu: f64 => "MU": "f32" = "0.0",
        /// ridge weight of the lower level
        lam_y: f64 => "LAM_Y": "f32" = "0.0",
        /// ridge weight of the upper level on x
        nu: f64 => "NU": "f32" = "0.0",
        /// T (tsgd, ud) or D (stocbio, aid-cg, amigo)
        inner_steps: u32 => "T_INNER": "u32" = "1u",
        /// Neumann terms or CG iterations
        terms: u32 => "Q_TERMS": "u32" = "1u",
        /// ssaid: independent Hessian batch
        independent_hvp_batch: bool => "INDEP_H": "bool" = "false",
        /// ud: restart y from y0 at every outer step
        reset: bool => "RESET": "bool" = "false",
        /// ssaid: project v onto a ball of radius v_radius
        clip: bool => "CLIP": "bool" = "false",
        /// stocbio / aid-cg: conjugate gradient instead of Neumann
        cg: bool => "ALGO_CG": "bool" = "false",
        /// amigo: warm-started SGD steps on v instead of Neumann
        v_sgd: bool => "V_SGD": "bool" = "false",
        /// ma-soba: x steps along a moving average of its direction
        moving_average: bool => "MA": "bool" = "false",
        /// ttsa / bsa / sustain: randomly truncated Neumann series
        truncated: bool => "RAND_TRUNC": "bool" = "false",
        /// project x onto [X_LO, X_HI] after every step (problem.x_box)
        x_box: bool => "X_BOX": "bool" = "false",
        /// lower end of the x box
        x_lo: f64 => "X_LO": "f32" = "0.0",
        /// upper end of the x box
        x_hi: f64 => "X_HI": "f32" = "0.0",
    }
}

/// The WGSL declarations of the contract: constants, then the structs.
pub fn declarations() -> String {
    let mut s = String::from(
        "// Generated from src/gpu/contract.rs: the Rust <-> WGSL contract.\n\n\
         // ---- specialisation (pipeline-creation constants, one pipeline per combination) ----\n",
    );
    s.push_str(&Overrides::declarations());
    s.push('\n');
    let consts: [(&str, u32); 22] = [
        ("LOSS_SQUARED", loss_code(Loss::Squared)),
        ("LOSS_LOGISTIC", loss_code(Loss::Logistic)),
        ("COUPLING_PRIOR", coupling_code(Coupling::Prior)),
        ("COUPLING_LOGWEIGHT", coupling_code(Coupling::Logweight)),
        ("COUPLING_NONCONVEX", coupling_code(Coupling::Nonconvex)),
        ("COUPLING_BILINEAR", coupling_code(Coupling::Bilinear)),
        ("HYPER_PER_FEATURE", hyper_code(HyperShape::PerFeature)),
        ("HYPER_SCALAR", hyper_code(HyperShape::Scalar)),
        ("HYPER_PER_CLASS", hyper_code(HyperShape::PerClass)),
        ("HYPER_PER_SAMPLE", hyper_code(HyperShape::PerSample)),
        (
            "COUPLING_SAMPLE_WEIGHT",
            coupling_code(Coupling::SampleWeight),
        ),
        ("LOSS_MULTINOMIAL", loss_code(Loss::Multinomial)),
        // Random streams (`rng::stream`).
        ("S_LOWER", stream::LOWER),
        ("S_UPPER", stream::UPPER),
        ("S_HVP", stream::HVP),
        ("S_NEIGHBOUR", stream::NEIGHBOUR),
        ("S_NEUMANN", stream::NEUMANN),
        ("S_TRUNC", stream::TRUNCATION),
        ("NO_REPLACEMENT", NO_REPLACEMENT),
        ("RECORD_HEAD", RecordHead::FLOATS as u32),
        ("PARAMS_WORDS", (std::mem::size_of::<Params>() / 4) as u32),
        ("LANE_WORDS", (std::mem::size_of::<LaneDesc>() / 4) as u32),
    ];
    for (n, v) in consts {
        let _ = writeln!(s, "const {n}: u32 = {v}u;");
    }
    // The record head as words, for the metrics kernel's store (every field is an f32).
    let words: Vec<String> = RecordHead::WGSL_FIELDS
        .iter()
        .map(|(f, _)| format!("h.{f}"))
        .collect();
    let _ = writeln!(
        s,
        "\nfn record_head_words(h: RecordHead) -> array<f32, RECORD_HEAD> {{\n    \
         return array<f32, RECORD_HEAD>({});\n}}",
        words.join(", ")
    );
    for (name, fields) in [
        (Params::WGSL_NAME, Params::WGSL_FIELDS),
        (LaneDesc::WGSL_NAME, LaneDesc::WGSL_FIELDS),
        (RecordHead::WGSL_NAME, RecordHead::WGSL_FIELDS),
    ] {
        let _ = writeln!(s, "\nstruct {name} {{");
        for (f, t) in fields {
            let _ = writeln!(s, "    {f}: {t},");
        }
        s.push_str("}\n");
    }
    s
}
