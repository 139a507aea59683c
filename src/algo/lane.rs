//! What one lane carries from step to step on the CPU, and what it has spent.
//!
//! Owns: [`LaneState`], its scratch [`Workspace`] and [`OracleCounts`]. Must not know: how
//! lanes are grouped or scheduled (the run layer and the engines decide that).

use super::{AlgoConfig, BatchSize, Dims};
use crate::problem::Oracles;
use crate::real::{Num, Real};
use crate::rng::LaneRng;
use serde::{Deserialize, Serialize};

/// Oracle calls and samples read so far by one lane.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OracleCounts {
    pub grad_g: u64,
    pub grad_f: u64,
    pub hvp: u64,
    pub jvp: u64,
    pub samples: u64,
}

/// Scratch space of one lane, allocated once so the step loop never allocates.
#[derive(Clone, Debug)]
pub(crate) struct Workspace<T> {
    pub g: Vec<T>,
    pub u: Vec<T>,
    pub hv: Vec<T>,
    pub r: Vec<T>,
    pub dir: Vec<T>,
    pub h: Vec<T>,
    pub jv: Vec<T>,
    /// A third x-sized vector (length p, which exceeds d with per-sample weights): an
    /// x-gradient or Jacobian product at a second point (the first-order methods' z, the
    /// recursive and momentum methods' previous point).
    pub xb: Vec<T>,
    /// Unrolled inner iterates y^0..y^T, (T + 1) x d.
    pub ys: Vec<T>,
    pub idx_lower: Vec<u32>,
    pub idx_upper: Vec<u32>,
    pub idx_extra: Vec<u32>,
    /// Per-sample scalars of one step's batches, 2 (2 B + B') of them for algorithms with
    /// per-sample tables (saba's new and changed entries; [`coef_len`]).
    pub coef: Vec<T>,
}

/// Everything one lane carries from step to step.
#[derive(Clone, Debug)]
pub struct LaneState<T> {
    pub x: Vec<T>,
    pub y: Vec<T>,
    /// The linear-system iterate (the implicit-differentiation methods), or the second lower
    /// variable z of the first-order ones (f2sa, bome); zero for the others.
    pub v: Vec<T>,
    /// Initial y, kept for `ud`, which restarts from it at every outer step.
    pub y_init: Vec<T>,
    /// What the algorithm carries besides x, y and v (`Algorithm::memory`): momentum,
    /// previous iterates, a penalty weight. Zero at the start.
    pub m: Vec<T>,
    /// Outer steps taken.
    pub t: u64,
    pub counts: OracleCounts,
    /// A pack's lanes' own configurations when they differ (in step sizes only; see
    /// [`AlgoConfig::same_batches`]); empty when every lane runs the step's `cfg`.
    pub lane_configs: Vec<AlgoConfig>,
    pub(crate) ws: Workspace<T>,
}

/// [`LaneState::setting`] from the lane's `lane_configs` alone (while its scratch is
/// borrowed).
#[inline]
pub(crate) fn setting<T: Num>(
    lane_configs: &[AlgoConfig],
    cfg: &AlgoConfig,
    f: impl Fn(&AlgoConfig) -> f64,
) -> T {
    if lane_configs.is_empty() {
        T::of(f(cfg))
    } else {
        T::of_lanes(|k| f(&lane_configs[k]))
    }
}

/// Floats of a lane's per-sample scratch: 2 (2 B + B') for algorithms whose memory grows with
/// the set sizes (per-sample tables), none for the others.
pub fn coef_len(cfg: &AlgoConfig, dims: &Dims) -> usize {
    let memory = cfg.kind.descriptor().memory;
    let bigger = Dims {
        n_lower: dims.n_lower + 1,
        ..*dims
    };
    if memory(cfg, &bigger) > memory(cfg, dims) {
        let (bl, bu) = cfg.batch_lens(dims.n_lower, dims.n_upper);
        2 * (2 * bl + bu)
    } else {
        0
    }
}

impl<T: Num> LaneState<T> {
    /// A lane of `cfg` on the problem and sets of `o`, starting at (x0, y0) with v = 0 and
    /// zero memory.
    pub fn new(cfg: &AlgoConfig, o: &Oracles, x0: &[T], y0: &[T]) -> Self {
        let (p, d) = (x0.len(), y0.len());
        let dims = Dims {
            p,
            d,
            n_lower: o.lower.n(),
            n_upper: o.upper.n(),
            weighs_samples: o.spec.weighs_samples(),
            random_start: o.spec.model == crate::problem::Model::Mlp,
        };
        let memory = (cfg.kind.descriptor().memory)(cfg, &dims);
        let bl = match cfg.batch_lower {
            BatchSize::Size(b) => b,
            BatchSize::Full => 0,
        };
        let bu = match cfg.batch_upper {
            BatchSize::Size(b) => b,
            BatchSize::Full => 0,
        };
        LaneState {
            x: x0.to_vec(),
            y: y0.to_vec(),
            v: vec![T::zero(); d],
            y_init: y0.to_vec(),
            m: vec![T::zero(); memory],
            t: 0,
            counts: OracleCounts::default(),
            lane_configs: Vec::new(),
            ws: Workspace {
                g: vec![T::zero(); d],
                u: vec![T::zero(); d],
                hv: vec![T::zero(); d],
                r: vec![T::zero(); d],
                dir: vec![T::zero(); d],
                h: vec![T::zero(); p],
                jv: vec![T::zero(); p],
                xb: vec![T::zero(); p],
                ys: vec![T::zero(); (cfg.kind.descriptor().unrolled_iterates)(cfg).max(1) * d],
                idx_lower: vec![0; bl],
                idx_upper: vec![0; bu],
                idx_extra: vec![0; bl],
                coef: vec![T::zero(); coef_len(cfg, &dims)],
            },
        }
    }

    /// A real-valued setting `f(config)` as `T`: of `cfg` (the configuration the step runs),
    /// or per lane of [`Self::lane_configs`] when a pack's lanes run different ones.
    #[inline]
    pub fn setting(&self, cfg: &AlgoConfig, f: impl Fn(&AlgoConfig) -> f64) -> T {
        setting(&self.lane_configs, cfg, f)
    }
}

impl<T: Real> LaneState<T> {
    /// True when every coordinate of x, y and v is finite.
    pub fn is_finite(&self) -> bool {
        self.x
            .iter()
            .chain(&self.y)
            .chain(&self.v)
            .all(|v| v.is_finite())
    }

    /// True when every coordinate of x, y and v lies in [-bound, bound] (NaN does not).
    pub fn is_within(&self, bound: f64) -> bool {
        self.x
            .iter()
            .chain(&self.y)
            .chain(&self.v)
            .all(|v| v.as_f64().abs() <= bound)
    }
}

impl OracleCounts {
    /// Counts in the field order (gradients of g and f, Hessian- and Jacobian-vector
    /// products, samples): what a descriptor's `nominal_counts` returns.
    pub const fn new(grad_g: u64, grad_f: u64, hvp: u64, jvp: u64, samples: u64) -> Self {
        OracleCounts {
            grad_g,
            grad_f,
            hvp,
            jvp,
            samples,
        }
    }

    /// Oracle calls and samples of one outer step as the algorithm is written (CG taking all
    /// of its Q iterations), on sets of `n_lower` and `n_upper` samples. The CPU lanes count
    /// what they actually do, which differs only when aid-cg's CG stops early; the GPU
    /// reports these nominal counts.
    pub fn nominal_per_step(cfg: &AlgoConfig, n_lower: usize, n_upper: usize) -> Self {
        let (bl, bu) = cfg.batch_lens(n_lower, n_upper);
        (cfg.kind.descriptor().nominal_counts)(cfg, bl as u64, bu as u64)
    }

    /// Counts of a lane with generator `rng` after `t` outer steps on sets of `n_lower` and
    /// `n_upper` samples: the nominal ones, plus the random ones of each step
    /// (`Algorithm::extra_counts`), replayed from the counter-based generator. What an
    /// engine that does not count as it goes (the GPU) reports; [`extra_between`] lets it
    /// replay incrementally.
    pub fn through(
        cfg: &AlgoConfig,
        rng: &LaneRng,
        n_lower: usize,
        n_upper: usize,
        t: u64,
    ) -> Self {
        let mut c = Self::nominal_per_step(cfg, n_lower, n_upper).times(t);
        c.add(&Self::extra_between(cfg, rng, n_lower, n_upper, 0, t));
        c
    }

    /// The varying counts of steps t0..t1 (zero for algorithms without).
    pub fn extra_between(
        cfg: &AlgoConfig,
        rng: &LaneRng,
        n_lower: usize,
        n_upper: usize,
        t0: u64,
        t1: u64,
    ) -> Self {
        let mut c = OracleCounts::default();
        if let Some(extra) = cfg.kind.descriptor().extra_counts {
            for k in t0..t1 {
                c.add(&extra(cfg, rng, k, n_lower, n_upper));
            }
        }
        c
    }

    pub fn add(&mut self, o: &OracleCounts) {
        self.grad_g += o.grad_g;
        self.grad_f += o.grad_f;
        self.hvp += o.hvp;
        self.jvp += o.jvp;
        self.samples += o.samples;
    }

    /// These counts times `k`.
    pub fn times(&self, k: u64) -> Self {
        OracleCounts {
            grad_g: self.grad_g * k,
            grad_f: self.grad_f * k,
            hvp: self.hvp * k,
            jvp: self.jvp * k,
            samples: self.samples * k,
        }
    }
}
