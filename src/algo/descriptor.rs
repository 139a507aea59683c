//! What an algorithm is to the rest of sbo: its [`Algorithm`] descriptor, written in the
//! algorithm's own file (name, settings and defaults, CPU steps, kernel, oracle counts, work
//! model, kappa-scaled settings, the claims it is the subject of).
//!
//! Owns: the descriptor's types. Must not know: which algorithms exist (`registry` lists them),
//! engines, devices or files — a descriptor names its WGSL source and specialisation, the GPU
//! engine compiles it.

use super::{AlgoConfig, LaneState, OracleCounts};
use crate::problem::Oracles;
use crate::real::Pack;
use crate::rng::LaneRng;

/// One outer step of one lane in precision `T`. `counts` holds the step's nominal oracle
/// counts on entry; a step that does less than written (CG stopping early) lowers them.
pub type StepFn<T> = fn(&AlgoConfig, &Oracles, &LaneRng, &mut LaneState<T>, &mut OracleCounts);

/// The sizes a lane's memory may depend on: the dimensions and the set sizes (per-sample
/// memory of the variance-reduced methods), and whether x weighs the lower samples (data
/// hyper-cleaning, p = n_lower: J v then reads data, and a per-sample table may need one more
/// scalar per sample).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dims {
    pub p: usize,
    pub d: usize,
    pub n_lower: usize,
    pub n_upper: usize,
    pub weighs_samples: bool,
    /// Whether y starts from seeded random values (the network's initial weights) rather
    /// than one constant: what ud's reset on the GPU must keep (`UD`'s memory).
    pub random_start: bool,
}

/// The oracle counts of outer step k of a lane beyond the nominal ones
/// (`Algorithm::extra_counts`), given its generator and the sizes of its lower and upper
/// sets.
pub type ExtraCountsFn = fn(&AlgoConfig, &LaneRng, u64, usize, usize) -> OracleCounts;

/// The precisions the CPU steps run in: picks the descriptor's step of that precision, for
/// one lane and for a pack of lanes.
pub trait StepReal: crate::real::Real {
    fn step(a: &Algorithm) -> StepFn<Self>;
    fn packed(a: &Algorithm) -> Option<StepFn<Pack<Self>>>;
}

impl StepReal for f64 {
    fn step(a: &Algorithm) -> StepFn<f64> {
        a.step_f64
    }
    fn packed(a: &Algorithm) -> Option<StepFn<Pack<f64>>> {
        a.pack_f64
    }
}

impl StepReal for f32 {
    fn step(a: &Algorithm) -> StepFn<f32> {
        a.step_f32
    }
    fn packed(a: &Algorithm) -> Option<StepFn<Pack<f32>>> {
        a.pack_f32
    }
}

/// A setting of an `[[algo]]` table, as the descriptor refers to it (which settings an
/// algorithm reads, which ones the kappa scaling touches).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Setting {
    Alpha,
    Beta,
    Gamma,
    BatchLower,
    BatchUpper,
    InnerSteps,
    Terms,
    Eta,
    WithoutReplacement,
    IndependentHvpBatch,
    VRadius,
    Rho,
    Lambda0,
    DeltaLambda,
    Period,
}

impl Setting {
    /// The `[[algo]]` key (`InnerSteps` is spelled by the algorithm: `T` or `D`).
    pub fn key(&self, algo: &Algorithm) -> &'static str {
        match self {
            Setting::Alpha => "alpha",
            Setting::Beta => "beta",
            Setting::Gamma => "gamma",
            Setting::BatchLower => "batch_lower",
            Setting::BatchUpper => "batch_upper",
            Setting::InnerSteps => algo.inner_key,
            Setting::Terms => "Q",
            Setting::Eta => "eta",
            Setting::WithoutReplacement => "without_replacement",
            Setting::IndependentHvpBatch => "independent_hvp_batch",
            Setting::VRadius => "v_radius",
            Setting::Rho => "rho",
            Setting::Lambda0 => "lambda0",
            Setting::DeltaLambda => "delta_lambda",
            Setting::Period => "period",
        }
    }

    /// The field of [`AlgoConfig`] (as serialised) that holds this setting.
    pub fn field(&self) -> &'static str {
        match self {
            Setting::Alpha => "alpha",
            Setting::Beta => "beta",
            Setting::Gamma => "gamma",
            Setting::BatchLower => "batch_lower",
            Setting::BatchUpper => "batch_upper",
            Setting::InnerSteps => "inner_steps",
            Setting::Terms => "terms",
            Setting::Eta => "eta",
            Setting::WithoutReplacement => "without_replacement",
            Setting::IndependentHvpBatch => "independent_hvp_batch",
            Setting::VRadius => "v_radius",
            Setting::Rho => "rho",
            Setting::Lambda0 => "lambda0",
            Setting::DeltaLambda => "delta_lambda",
            Setting::Period => "period",
        }
    }
}

/// The GPU twin of an algorithm: its WGSL step file (composed after the shared lane
/// prelude) and the algorithm-specific specialisation constants of a configuration.
#[derive(Clone, Copy)]
pub struct KernelSpec {
    /// The WGSL source defining `fn step(tid, ln, ll, t)`.
    pub source: &'static str,
    /// Override constants that depend on the configuration.
    pub specialise: fn(&AlgoConfig) -> KernelFlags,
    /// Whether the kernel computes C > 1 outputs per sample (the multinomial loss: class
    /// scores per batch slot, softmax coefficients); the GPU engine refuses C > 1 for the
    /// others, whose coefficient loops hold one output per slot.
    pub classes: bool,
    /// Whether the kernel computes data hyper-cleaning's per-sample weights (coefficients
    /// times sigmoid(x_i) at the drawn index, J v as a sparse update of x at the drawn
    /// indices); the GPU engine refuses them for the others.
    pub sample_weights: bool,
    /// Whether the kernel computes the network lower model (`shaders/net.wgsl`: hidden
    /// activations per batch slot and unit, a reverse pass and its tangent); the GPU engine
    /// refuses the network for the others.
    pub network: bool,
    /// The same step with one thread per lane (a whole kernel with its entry point), for the
    /// small linear problems where a workgroup per lane leaves most threads idle: which
    /// mapping is faster is for a GPU to measure (`GpuRunOptions::lane_threads`).
    pub lane_threads: Option<&'static str>,
}

/// Algorithm-specific override constants of a step kernel (`shaders/common.wgsl`). The
/// GPU engine adds the problem's and the batch sizes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KernelFlags {
    /// `T_INNER`: inner steps T (tsgd, ud) or D (stocbio, aid-cg, amigo).
    pub inner_steps: u32,
    /// `Q_TERMS`: Neumann terms or CG iterations.
    pub terms: u32,
    /// `INDEP_H`: ssaid's independent Hessian batch.
    pub independent_hvp_batch: bool,
    /// `RESET`: restart y from y0 at every outer step (ud).
    pub reset: bool,
    /// `CLIP`: project v onto a ball (ssaid's `v_radius`).
    pub clip: bool,
    /// `ALGO_CG`: conjugate gradient instead of a Neumann series (multi-loop kernel).
    pub cg: bool,
    /// `V_SGD`: warm-started SGD steps on v instead of a Neumann series (multi-loop kernel,
    /// AmIGO).
    pub v_sgd: bool,
    /// `MA`: x steps along a moving average of its direction (ssaid kernel, ma-soba).
    pub moving_average: bool,
    /// `RAND_TRUNC`: a randomly truncated Neumann series (multi-loop kernel: ttsa, bsa;
    /// mrbo kernel: sustain).
    pub truncated: bool,
}

impl KernelFlags {
    /// The flags every kernel reads straight from the configuration; algorithms that need
    /// more (`reset`, `cg`) set them on top.
    pub fn of(c: &AlgoConfig) -> KernelFlags {
        KernelFlags {
            inner_steps: c.inner_steps as u32,
            terms: c.terms as u32,
            independent_hvp_batch: c.independent_hvp_batch,
            reset: false,
            clip: c.v_radius.is_some(),
            cg: false,
            v_sgd: false,
            moving_average: false,
            truncated: false,
        }
    }
}

/// Batch sizes and dimensions a work model is evaluated at.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WorkShape {
    /// Samples per lower / upper batch (a full batch: the set size).
    pub batch_lower: f64,
    pub batch_upper: f64,
    pub d: f64,
    pub p: f64,
}

/// Floating-point operations and logical bytes read of one outer step of one lane.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Work {
    pub flops: f64,
    pub bytes: f64,
}

/// Which claims of the literature an algorithm is the subject of (used by `analysis`).
#[derive(Clone, Copy, Debug)]
pub struct Theory {
    /// Complexity bounds ~ kappa^c eps^-2, per kind of cost: what the analysis counts, c, and
    /// the statement it comes from.
    pub kappa_bounds: &'static [KappaBound],
    /// Unrolls T inner steps whose number the stability bounds depend on.
    pub unrolled_inner_steps: bool,
    /// The algorithm this one is with the inner variable re-initialised at every outer step
    /// (the stability paper's comparison of re-initialisation against warm starts).
    pub reinitialised_twin_of: Option<&'static str>,
}

impl Theory {
    /// No claim.
    pub const NONE: Theory = Theory {
        kappa_bounds: &[],
        unrolled_inner_steps: false,
        reinitialised_twin_of: None,
    };
}

/// What a complexity bound counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CostKind {
    /// Outer iterations.
    Iterations,
    /// Every oracle call (gradients of g and f, Hessian- and Jacobian-vector products).
    OracleCalls,
    /// Samples read by all oracles.
    Samples,
    /// Stochastic gradients of g (calls; with fixed batches proportional to samples).
    GradG,
    GradF,
    Hvp,
    Jvp,
}

impl CostKind {
    pub const ALL: [CostKind; 7] = [
        CostKind::Iterations,
        CostKind::OracleCalls,
        CostKind::Samples,
        CostKind::GradG,
        CostKind::GradF,
        CostKind::Hvp,
        CostKind::Jvp,
    ];

    pub fn name(&self) -> &'static str {
        match self {
            CostKind::Iterations => "iterations",
            CostKind::OracleCalls => "oracle calls",
            CostKind::Samples => "samples",
            CostKind::GradG => "grad g calls",
            CostKind::GradF => "grad f calls",
            CostKind::Hvp => "Hessian-vector products",
            CostKind::Jvp => "Jacobian-vector products",
        }
    }
}

/// A bound cost ~ kappa^exponent eps^-2 on one kind of cost.
#[derive(Clone, Copy, Debug)]
pub struct KappaBound {
    pub cost: CostKind,
    pub exponent: f64,
    pub source: &'static str,
}

/// Everything the rest of sbo needs to know about one algorithm.
pub struct Algorithm {
    /// Name in configs, outputs and `sbo --help`.
    pub name: &'static str,
    /// One line for `sbo --help`.
    pub summary: &'static str,
    /// Spelling of the inner-step count in `[[algo]]` tables: `T` or `D`.
    pub inner_key: &'static str,
    /// Settings the algorithm reads (others are accepted and ignored).
    pub settings: &'static [Setting],
    /// Defaults that differ from [`AlgoConfig::default`], chosen to be stable on the shipped
    /// presets with batch 32.
    pub defaults: fn(&mut AlgoConfig),
    pub step_f64: StepFn<f64>,
    pub step_f32: StepFn<f32>,
    /// The same step on a pack of lanes that share their batches (`real::Pack`), lane for
    /// lane bit-identical to the one-lane step; `None` where lanes take value-dependent
    /// control flow (CG's early stop).
    pub pack_f64: Option<StepFn<Pack<f64>>>,
    pub pack_f32: Option<StepFn<Pack<f32>>>,
    /// Oracle calls and samples of one outer step as written, for batches of `bl` lower and
    /// `bu` upper samples.
    pub nominal_counts: fn(&AlgoConfig, u64, u64) -> OracleCounts,
    /// Oracle calls and samples of outer step k beyond `nominal_counts`, for steps whose
    /// work varies (a randomly truncated series, a periodic full batch), given the lane's
    /// generator and set sizes; `None` for the others. Both engines add it, so their counts
    /// agree.
    pub extra_counts: Option<ExtraCountsFn>,
    /// Outer steps between full-batch refreshes on sets of (n_lower, n_upper) samples, for
    /// the methods that have them (srba, vrbo); the GPU kernels read it as `prm.period`.
    pub refresh_period: Option<fn(&AlgoConfig, usize, usize) -> u64>,
    /// Inner iterates y^0..y^T a lane keeps per outer step (0: none).
    pub unrolled_iterates: fn(&AlgoConfig) -> usize,
    /// Floats a lane carries from step to step besides x, y and v, for its sizes:
    /// momentum directions, previous iterates, a penalty weight. Zero at the start; a step
    /// that needs another start sets it at t = 0. Kept in the lane on the CPU and in the
    /// memory buffer on the GPU, checkpointed with the lane; never part of the metrics.
    pub memory: fn(&AlgoConfig, &Dims) -> usize,
    pub kernel: KernelSpec,
    /// The analytic work model of one lane-step (`bench` documents the conventions).
    pub work: fn(&AlgoConfig, &WorkShape) -> Work,
    /// Settings the kappa step scaling multiplies (`run.step_scaling`).
    pub kappa_scaled: &'static [Setting],
    pub theory: Theory,
}
