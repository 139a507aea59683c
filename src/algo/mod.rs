//! The algorithms of DESIGN section 3 on the CPU: the reference the GPU kernels are checked
//! against. One file per algorithm; this module holds what they share (configuration, lane
//! state, batch drawing, oracle counts).
//!
//! Every algorithm advances a [`LaneState`] in place and draws its batches from the lane's
//! counter-based generator at fixed (stream, step) coordinates, so a neighbour lane sees exactly
//! the batch indices of its base lane and results do not depend on scheduling.

mod aid_cg;
mod schedule;
mod ssaid;
mod ssgd;
mod stocbio;
mod tsgd;

pub use schedule::Schedule;

use crate::error::{Result, SboError};
use crate::problem::{Batch, Oracles};
use crate::real::Real;
use crate::rng::LaneRng;
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AlgoKind {
    #[serde(rename = "ssgd")]
    Ssgd,
    #[serde(rename = "tsgd")]
    Tsgd,
    #[serde(rename = "ud")]
    Ud,
    #[serde(rename = "ssaid")]
    Ssaid,
    #[serde(rename = "stocbio")]
    Stocbio,
    #[serde(rename = "aid-cg")]
    AidCg,
}

impl AlgoKind {
    pub const ALL: [AlgoKind; 6] = [
        AlgoKind::Ssgd,
        AlgoKind::Tsgd,
        AlgoKind::Ud,
        AlgoKind::Ssaid,
        AlgoKind::Stocbio,
        AlgoKind::AidCg,
    ];

    pub fn name(&self) -> &'static str {
        match self {
            AlgoKind::Ssgd => "ssgd",
            AlgoKind::Tsgd => "tsgd",
            AlgoKind::Ud => "ud",
            AlgoKind::Ssaid => "ssaid",
            AlgoKind::Stocbio => "stocbio",
            AlgoKind::AidCg => "aid-cg",
        }
    }

    pub fn parse(s: &str) -> Result<Self> {
        AlgoKind::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| {
                SboError::config(
                    "algo.name",
                    format!("unknown algorithm `{s}` (expected ssgd, tsgd, ud, ssaid, stocbio or aid-cg)"),
                )
            })
    }
}

impl fmt::Display for AlgoKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A batch size, or the whole set (which makes every algorithm deterministic).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "BatchRepr", into = "BatchRepr")]
pub enum BatchSize {
    Full,
    Size(usize),
}

#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum BatchRepr {
    Num(i64),
    Text(String),
}

impl TryFrom<BatchRepr> for BatchSize {
    type Error = SboError;
    fn try_from(r: BatchRepr) -> Result<Self> {
        match r {
            BatchRepr::Num(n) if n > 0 => Ok(BatchSize::Size(n as usize)),
            BatchRepr::Text(s) if s == "full" => Ok(BatchSize::Full),
            BatchRepr::Num(n) => Err(SboError::config(
                "batch",
                format!("batch size must be > 0, got {n}"),
            )),
            BatchRepr::Text(s) => Err(SboError::config(
                "batch",
                format!("expected a positive integer or \"full\", got `{s}`"),
            )),
        }
    }
}

impl From<BatchSize> for BatchRepr {
    fn from(b: BatchSize) -> Self {
        match b {
            BatchSize::Full => BatchRepr::Text("full".into()),
            BatchSize::Size(n) => BatchRepr::Num(n as i64),
        }
    }
}

impl BatchSize {
    /// Number of samples one oracle call reads on a set of `n`.
    pub fn len(&self, n: usize) -> usize {
        match *self {
            BatchSize::Full => n,
            BatchSize::Size(b) => b,
        }
    }
}

/// One algorithm with all its hyperparameters: one *configuration* of a sweep.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlgoConfig {
    pub kind: AlgoKind,
    /// Upper-level (x) step size.
    pub alpha: Schedule,
    /// Lower-level (y) step size.
    pub beta: Schedule,
    /// Linear-system (v) step size (`ssaid`).
    pub gamma: Schedule,
    pub batch_lower: BatchSize,
    pub batch_upper: BatchSize,
    /// Inner steps per outer step: T for `tsgd`/`ud`, D for `stocbio`/`aid-cg`.
    pub inner_steps: usize,
    /// Neumann terms (`stocbio`) or CG iterations (`aid-cg`): Q.
    pub terms: usize,
    /// Neumann scale (`stocbio`).
    pub eta: f64,
    /// Draw each batch without replacement within the batch.
    pub without_replacement: bool,
    /// `ssaid`: draw the Hessian batch independently of the y-step batch.
    pub independent_hvp_batch: bool,
    /// `ssaid`: clip |v| to this radius.
    pub v_radius: Option<f64>,
}

impl Default for AlgoConfig {
    fn default() -> Self {
        AlgoConfig {
            kind: AlgoKind::Ssgd,
            alpha: Schedule::Constant(0.1),
            beta: Schedule::Constant(0.1),
            gamma: Schedule::Constant(0.1),
            batch_lower: BatchSize::Size(32),
            batch_upper: BatchSize::Size(32),
            inner_steps: 1,
            terms: 10,
            eta: 0.1,
            without_replacement: false,
            independent_hvp_batch: false,
            v_radius: None,
        }
    }
}

impl AlgoConfig {
    pub fn new(kind: AlgoKind) -> Self {
        AlgoConfig {
            kind,
            ..Default::default()
        }
    }

    /// Checks the configuration against set sizes; `field` prefixes error field names.
    pub fn validate(&self, n_lower: usize, n_upper: usize, field: &str) -> Result<()> {
        for (name, b, n) in [
            ("batch_lower", self.batch_lower, n_lower),
            ("batch_upper", self.batch_upper, n_upper),
        ] {
            if let BatchSize::Size(s) = b {
                if s == 0 {
                    return Err(SboError::config(format!("{field}.{name}"), "must be > 0"));
                }
                if self.without_replacement && s > n {
                    return Err(SboError::config(
                        format!("{field}.{name}"),
                        format!("{s} samples without replacement from a set of {n}"),
                    ));
                }
                if s > u32::MAX as usize || n > u32::MAX as usize {
                    return Err(SboError::config(format!("{field}.{name}"), "too large"));
                }
            }
        }
        if self.inner_steps == 0 {
            return Err(SboError::config(format!("{field}.T"), "must be >= 1"));
        }
        if self.terms == 0 {
            return Err(SboError::config(format!("{field}.Q"), "must be >= 1"));
        }
        if !(self.eta.is_finite() && self.eta > 0.0) {
            return Err(SboError::config(format!("{field}.eta"), "must be > 0"));
        }
        if let Some(r) = self.v_radius {
            if !(r.is_finite() && r > 0.0) {
                return Err(SboError::config(format!("{field}.v_radius"), "must be > 0"));
            }
        }
        Ok(())
    }

    /// Inner iterations stored per outer step by the unrolled methods.
    fn unroll_len(&self) -> usize {
        match self.kind {
            AlgoKind::Tsgd | AlgoKind::Ud => self.inner_steps + 1,
            _ => 1,
        }
    }
}

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
    /// Unrolled inner iterates y^0..y^T, (T + 1) x d.
    pub ys: Vec<T>,
    pub idx_lower: Vec<u32>,
    pub idx_upper: Vec<u32>,
    pub idx_extra: Vec<u32>,
}

/// Everything one lane carries from step to step.
#[derive(Clone, Debug)]
pub struct LaneState<T> {
    pub x: Vec<T>,
    pub y: Vec<T>,
    /// Linear-system iterate (ssaid, stocbio, aid-cg); zero for the others.
    pub v: Vec<T>,
    /// Initial y, kept for `ud`, which restarts from it at every outer step.
    pub y_init: Vec<T>,
    /// Outer steps taken.
    pub t: u64,
    pub counts: OracleCounts,
    pub(crate) ws: Workspace<T>,
}

impl<T: Real> LaneState<T> {
    pub fn new(cfg: &AlgoConfig, x0: &[T], y0: &[T]) -> Self {
        let (p, d) = (x0.len(), y0.len());
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
            t: 0,
            counts: OracleCounts::default(),
            ws: Workspace {
                g: vec![T::zero(); d],
                u: vec![T::zero(); d],
                hv: vec![T::zero(); d],
                r: vec![T::zero(); d],
                dir: vec![T::zero(); d],
                h: vec![T::zero(); p],
                jv: vec![T::zero(); p],
                ys: vec![T::zero(); cfg.unroll_len() * d],
                idx_lower: vec![0; bl],
                idx_upper: vec![0; bu],
                idx_extra: vec![0; bl],
            },
        }
    }

    /// True when every coordinate of x, y and v is finite.
    pub fn is_finite(&self) -> bool {
        self.x
            .iter()
            .chain(&self.y)
            .chain(&self.v)
            .all(|v| v.is_finite())
    }
}

/// Fills `buf` with the batch of (stream, step) on a set of `n` and returns it as a [`Batch`].
#[inline]
pub(crate) fn draw<'b>(
    rng: &LaneRng,
    stream: u32,
    step: u64,
    n: usize,
    size: BatchSize,
    without_replacement: bool,
    buf: &'b mut [u32],
) -> Batch<'b> {
    match size {
        BatchSize::Full => Batch::Full,
        BatchSize::Size(_) => {
            if without_replacement {
                rng.batch_without_replacement(stream, step, n as u32, buf);
            } else {
                rng.batch_with_replacement(stream, step, n as u32, buf);
            }
            Batch::Idx(buf)
        }
    }
}

/// `a -= c * b`, elementwise in index order (the order the GPU twin uses).
#[inline(always)]
pub(crate) fn sub_scaled<T: Real>(a: &mut [T], c: T, b: &[T]) {
    for (ai, bi) in a.iter_mut().zip(b) {
        *ai -= c * *bi;
    }
}

/// Advances a lane by `steps` outer steps of `cfg`.
pub fn advance<T: Real>(
    cfg: &AlgoConfig,
    oracles: &Oracles,
    rng: &LaneRng,
    lane: &mut LaneState<T>,
    steps: u64,
) {
    let (n, m) = (oracles.lower.n(), oracles.upper.n());
    let nominal = OracleCounts::nominal_per_step(cfg, n, m);
    for _ in 0..steps {
        lane.counts.add(&nominal);
        match cfg.kind {
            AlgoKind::Ssgd => ssgd::step(cfg, oracles, rng, lane),
            AlgoKind::Tsgd => tsgd::step(cfg, oracles, rng, lane, false),
            AlgoKind::Ud => tsgd::step(cfg, oracles, rng, lane, true),
            AlgoKind::Ssaid => ssaid::step(cfg, oracles, rng, lane),
            AlgoKind::Stocbio => stocbio::step(cfg, oracles, rng, lane),
            AlgoKind::AidCg => {
                // CG may stop early: count the products it really computed.
                let hvps = aid_cg::step(cfg, oracles, rng, lane);
                let unused = nominal.hvp - hvps;
                lane.counts.hvp -= unused;
            }
        }
        lane.t += 1;
    }
}

/// Samples in one batch of size `b` drawn from a set of `n`.
#[inline]
pub(crate) fn samples(b: BatchSize, n: usize) -> u64 {
    b.len(n) as u64
}

/// D warm-started SGD steps on y with the lower batches of outer step k (stocbio, aid-cg).
#[allow(clippy::too_many_arguments)]
#[inline]
pub(crate) fn inner_sgd<T: Real>(
    o: &Oracles,
    rng: &LaneRng,
    x: &[T],
    y: &mut [T],
    g: &mut [T],
    idx: &mut [u32],
    cfg: &AlgoConfig,
    k: u64,
    beta: T,
) {
    let n = o.lower.n();
    let dd = cfg.inner_steps as u64;
    for s in 0..dd {
        let zeta = draw(
            rng,
            crate::rng::stream::LOWER,
            k * dd + s,
            n,
            cfg.batch_lower,
            cfg.without_replacement,
            idx,
        );
        o.grad_y_g(x, y, zeta, g);
        sub_scaled(y, beta, g);
    }
}

impl OracleCounts {
    /// Oracle calls and samples of one outer step as the algorithm is written (CG taking all
    /// of its Q iterations). The CPU lanes count what they actually do, which differs only
    /// when aid-cg's CG stops early; the GPU reports these nominal counts.
    pub fn nominal_per_step(cfg: &AlgoConfig, n_lower: usize, n_upper: usize) -> Self {
        let bl = samples(cfg.batch_lower, n_lower);
        let bu = samples(cfg.batch_upper, n_upper);
        let (t, q) = (cfg.inner_steps as u64, cfg.terms as u64);
        let (grad_g, grad_f, hvp, jvp, samples) = match cfg.kind {
            // Samples are counted when drawn: a batch that several oracles share (ssgd's J,
            // tsgd's backward pass, ssaid's H without `independent_hvp_batch`, aid-cg's fixed
            // CG batch) counts once; every fresh batch (stocbio's Neumann terms) counts.
            AlgoKind::Ssgd => (1, 1, 0, 1, bl + bu),
            AlgoKind::Tsgd | AlgoKind::Ud => (t, 1, t - 1, t, t * bl + bu),
            AlgoKind::Ssaid => (1, 1, 1, 1, (1 + cfg.independent_hvp_batch as u64) * bl + bu),
            AlgoKind::Stocbio => (t, 1, q - 1, 1, t * bl + (q - 1) * bl + bu),
            AlgoKind::AidCg => (t, 1, q + 1, 1, t * bl + bl + bu),
        };
        OracleCounts {
            grad_g,
            grad_f,
            hvp,
            jvp,
            samples,
        }
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

/// The multi-loop prologue of outer step k (stocbio, aid-cg): D warm-started SGD steps on y,
/// then b = grad_y f_xi(x, y) into `ws.u`.
pub(crate) fn inner_then_upper_grad<T: Real>(
    cfg: &AlgoConfig,
    o: &Oracles,
    rng: &LaneRng,
    lane: &mut LaneState<T>,
    k: u64,
    beta: T,
) {
    let ws = &mut lane.ws;
    inner_sgd(
        o,
        rng,
        &lane.x,
        &mut lane.y,
        &mut ws.g,
        &mut ws.idx_lower,
        cfg,
        k,
        beta,
    );
    let xi = draw(
        rng,
        crate::rng::stream::UPPER,
        k,
        o.upper.n(),
        cfg.batch_upper,
        cfg.without_replacement,
        &mut ws.idx_upper,
    );
    o.grad_y_f(&lane.x, &lane.y, xi, &mut ws.u);
}

/// The implicit-differentiation x step: x -= alpha (grad_x f - J(x, y) v).
pub(crate) fn implicit_x_step<T: Real>(o: &Oracles, lane: &mut LaneState<T>, alpha: T) {
    let ws = &mut lane.ws;
    o.grad_x_f(&lane.x, &lane.y, &mut ws.h);
    o.jvp(&lane.x, &lane.y, &lane.v, &mut ws.jv);
    sub_scaled(&mut ws.h, T::one(), &ws.jv);
    sub_scaled(&mut lane.x, alpha, &ws.h);
}
