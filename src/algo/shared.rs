//! What the algorithms' steps share: batch drawing, the in-place update, the multi-loop
//! prologue, the implicit-differentiation x step, the multi-loop work model.
//!
//! Owns: code two or more algorithm files would otherwise repeat. Must not know: which
//! algorithm calls it.

use super::descriptor::{Work, WorkShape};
use super::{work, AlgoConfig, BatchSize, LaneState};
use crate::problem::{Batch, Oracles};
use crate::real::Num;
use crate::rng::LaneRng;

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

/// The lower batch the step drew last into `idx` (the full set with full batches): where J v
/// and grad_x g are estimated when x weighs the lower samples (data hyper-cleaning). Every
/// other problem's J v and grad_x g read no data and ignore it.
pub(crate) fn last_lower<'b>(cfg: &AlgoConfig, idx: &'b [u32]) -> Batch<'b> {
    match cfg.batch_lower {
        BatchSize::Full => Batch::Full,
        BatchSize::Size(_) => Batch::Idx(idx),
    }
}

/// `a -= c * b`, elementwise in index order (the order the GPU twin uses).
#[inline(always)]
pub(crate) fn sub_scaled<T: Num>(a: &mut [T], c: T, b: &[T]) {
    for (ai, bi) in a.iter_mut().zip(b) {
        *ai -= c * *bi;
    }
}

/// D warm-started SGD steps on y with the lower batches of outer step k (stocbio, aid-cg, amigo).
#[allow(clippy::too_many_arguments)]
#[inline]
pub(crate) fn inner_sgd<T: Num>(
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

/// The multi-loop prologue of outer step k (stocbio, aid-cg, amigo): D warm-started SGD steps on y,
/// then b = grad_y f_xi(x, y) into `ws.u`.
pub(crate) fn inner_then_upper_grad<T: Num>(
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

/// Scratch of [`neumann`]: the running term, a Hessian product, the batch indices; and the
/// series' scale eta (per lane: a pack's lanes may run different ones).
pub(crate) struct Neumann<'a, T> {
    pub r: &'a mut [T],
    pub hv: &'a mut [T],
    pub idx: &'a mut [u32],
    pub eta: T,
}

/// stocBiO's Neumann series for H(x, y)^-1 b with Q terms and scale eta, a fresh lower batch
/// per term (stream NEUMANN, step k Q + q), into `out`:
///   r = b; s = r; for q = 1..Q-1: r -= eta H_{zeta_q}(x, y) r; s += r;  out = eta s
/// (stocbio; mrbo evaluates it at two points on the same batches).
#[allow(clippy::too_many_arguments)]
pub(crate) fn neumann<T: Num>(
    cfg: &AlgoConfig,
    o: &Oracles,
    rng: &LaneRng,
    k: u64,
    x: &[T],
    y: &[T],
    b: &[T],
    s: Neumann<'_, T>,
    out: &mut [T],
) {
    let eta = s.eta;
    let qq = cfg.terms as u64;
    s.r.copy_from_slice(b);
    out.copy_from_slice(s.r);
    for q in 1..qq {
        let zq = draw(
            rng,
            crate::rng::stream::NEUMANN,
            k * qq + q,
            o.lower.n(),
            cfg.batch_lower,
            cfg.without_replacement,
            s.idx,
        );
        o.hvp(x, y, s.r, zq, s.hv);
        sub_scaled(s.r, eta, s.hv);
        for (o, r) in out.iter_mut().zip(s.r.iter()) {
            *o += *r;
        }
    }
    out.iter_mut().for_each(|o| *o *= eta);
}

/// The number of terms Ghadimi and Wang's randomly truncated series takes at outer step k:
/// uniform on {0, ..., Q - 1}, one word of stream TRUNCATION (the GPU draws the same).
pub(crate) fn truncation(cfg: &AlgoConfig, rng: &LaneRng, k: u64) -> u64 {
    let q = cfg.terms.min(u32::MAX as usize) as u32;
    crate::rng::bounded(rng.word(crate::rng::stream::TRUNCATION, k, 0), q) as u64
}

/// The randomly truncated series (Ghadimi and Wang 2018; benchopt's `hia`) for
/// H(x, y)^-1 b, unbiased for stocBiO's Q-term series: with p = [`truncation`],
///   r = b; for q = 1..=p: r -= eta H_{zeta_q}(x, y) r;  out = Q eta r
/// on the batches of stocBiO's terms 1..=p (stream NEUMANN, step k Q + q). Returns p, the
/// Hessian products taken.
#[allow(clippy::too_many_arguments)]
pub(crate) fn truncated_neumann<T: Num>(
    cfg: &AlgoConfig,
    o: &Oracles,
    rng: &LaneRng,
    k: u64,
    x: &[T],
    y: &[T],
    b: &[T],
    s: Neumann<'_, T>,
    out: &mut [T],
) -> u64 {
    let eta = s.eta;
    let qq = cfg.terms as u64;
    let p = truncation(cfg, rng, k);
    out.copy_from_slice(b);
    for q in 1..=p {
        let zq = draw(
            rng,
            crate::rng::stream::NEUMANN,
            k * qq + q,
            o.lower.n(),
            cfg.batch_lower,
            cfg.without_replacement,
            s.idx,
        );
        o.hvp(x, y, out, zq, s.hv);
        sub_scaled(out, eta, s.hv);
    }
    let scale = T::of(qq as f64) * eta;
    out.iter_mut().for_each(|o| *o *= scale);
    p
}

/// stocBiO's series ([`neumann`]), or its random truncation ([`truncated_neumann`]) when
/// `truncated`, into `out`: what stocbio/bsa and mrbo/sustain differ by.
#[allow(clippy::too_many_arguments)]
pub(crate) fn series<T: Num>(
    truncated: bool,
    cfg: &AlgoConfig,
    o: &Oracles,
    rng: &LaneRng,
    k: u64,
    x: &[T],
    y: &[T],
    b: &[T],
    s: Neumann<'_, T>,
    out: &mut [T],
) {
    if truncated {
        truncated_neumann(cfg, o, rng, k, x, y, b, s, out);
    } else {
        neumann(cfg, o, rng, k, x, y, b, s, out);
    }
}

/// The implicit hypergradient estimate grad_x f - J_zeta(x, y) v into `dx`, J on the lower
/// batch `zeta` (`jv` is scratch of length p): the x direction every implicit method takes,
/// alone or inside its momentum or variance-reduced recursion.
pub(crate) fn x_direction<T: Num>(
    o: &Oracles,
    x: &[T],
    y: &[T],
    v: &[T],
    zeta: Batch,
    dx: &mut [T],
    jv: &mut [T],
) {
    o.grad_x_f(x, y, dx);
    o.jvp(x, y, v, zeta, jv);
    sub_scaled(dx, T::one(), jv);
}

/// The implicit-differentiation x step: x -= alpha (grad_x f - J(x, y) v), at the lane's
/// current y and v (twin of `implicit_x_step` in `shaders/pass.wgsl`).
pub(crate) fn implicit_x_step<T: Num>(
    cfg: &AlgoConfig,
    o: &Oracles,
    lane: &mut LaneState<T>,
    alpha: T,
) {
    let ws = &mut lane.ws;
    let batch = last_lower(cfg, &ws.idx_lower);
    x_direction(o, &lane.x, &lane.y, &lane.v, batch, &mut ws.h, &mut ws.jv);
    sub_scaled(&mut lane.x, alpha, &ws.h);
}

/// The work model of the multi-loop methods: D inner gradients, the upper gradient, their
/// nominal Hessian products, and (D + 2Q + 2) d + p vector operations.
pub(super) fn multiloop_work(c: &AlgoConfig, s: &WorkShape) -> Work {
    let (t, q) = (c.inner_steps as f64, c.terms as f64);
    let n_hvp = (c.kind.descriptor().nominal_counts)(c, 1, 1).hvp as f64;
    (t * work::grad(s, s.batch_lower)
        + work::grad(s, s.batch_upper)
        + n_hvp * work::hvp(s, s.batch_lower))
    .plus_vector_ops((t + 2.0 * q + 2.0) * s.d + s.p)
}
