//! CPU oracles (DESIGN section 2).
//!
//! Every oracle is allocation-free and makes one pass over its batch: per sample, the needed
//! dot products with the row are taken once (in feature order), then the row is added into the
//! output (`axpy`). Sums run in sample order, then feature order, and the data sum is scaled by
//! `1 / |B|` once at the end, so results are deterministic and reproducible by the GPU twin.
//! The linear passes take [`CHUNK`] samples at a time (their dot products, then their
//! coefficients, then their rows added), which keeps each of those sums in that order while
//! the products of a chunk run side by side.
//! Data rows are f32 and converted to `T` per element; samples are always read through
//! [`DataView::sample`], so a neighbour lane sees its replaced row.
mod models;
mod values;

pub use values::{accuracy, data_loss, weighted_data_loss};

use crate::data::DataView;
use crate::problem::{coupling, loss, Loss, Net, ProblemSpec};
use crate::real::{packed_simd, Num, Real, CHUNK};
use models::{lane, packs_unsupported};

/// Which samples an oracle averages over.
#[derive(Clone, Copy, Debug)]
pub enum Batch<'a> {
    /// Every sample of the set, in index order.
    Full,
    /// These indices (repeats allowed), in this order.
    Idx(&'a [u32]),
}

impl Batch<'_> {
    /// Number of samples averaged over for a set of `n` samples.
    #[inline(always)]
    pub fn size(&self, n: usize) -> usize {
        match self {
            Batch::Full => n,
            Batch::Idx(idx) => idx.len(),
        }
    }
}

/// The batch's samples [`CHUNK`] at a time (fewer in the last chunk), in batch order, as the
/// lanes of `T` see them (a neighbour lane its replaced sample). The linear passes take a
/// chunk's dot products together, then its coefficients, then add its rows, which leaves
/// every sum in sample order, then feature order, as a pass over one sample at a time would
/// (and as the one-lane reference does). A loop over [`Chunks::next_chunk`] rather than a
/// closure: the chunk's work is then compiled inside the oracle, and so inside its AVX2
/// version (`crate::real::packed_simd`), where a closure was left out of line.
struct Chunks<'d, 'b, T: Num> {
    view: DataView<'d>,
    batch: Batch<'b>,
    done: usize,
    idx: [usize; CHUNK],
    rows: [T::Row<'d>; CHUNK],
    labels: [T; CHUNK],
}

impl<'d, 'b, T: Num> Chunks<'d, 'b, T> {
    #[inline(always)]
    fn new(view: DataView<'d>, batch: Batch<'b>) -> Self {
        Chunks {
            view,
            batch,
            done: 0,
            idx: [0; CHUNK],
            rows: [T::Row::default(); CHUNK],
            labels: [T::zero(); CHUNK],
        }
    }

    /// The next chunk's set indices, rows and labels; `None` after the last.
    #[inline(always)]
    #[allow(clippy::type_complexity)]
    fn next_chunk(&mut self) -> Option<(&[usize], &[T::Row<'d>], &[T])> {
        let n = (self.batch.size(self.view.n()) - self.done).min(CHUNK);
        if n == 0 {
            return None;
        }
        for s in 0..n {
            let i = match self.batch {
                Batch::Full => self.done + s,
                Batch::Idx(idx) => idx[self.done + s] as usize,
            };
            let (row, b) = T::sample(&self.view, i);
            (self.idx[s], self.rows[s], self.labels[s]) = (i, row, b);
        }
        self.done += n;
        Some((&self.idx[..n], &self.rows[..n], &self.labels[..n]))
    }
}

/// A chunk's lower coefficients at (y, v) (the linear model with a scalar loss):
/// `c1[s] = w_i l'(a . y, b)` and `c2[s] = w_i l''(a . y, b) (a . v)` for slot s (sample i),
/// with `jt(i, l'(a . y, b), a . v)` called per slot for the J v terms of per-sample weights.
/// What grad_and_hvp adds into its sums and lower_coefficients keeps per slot.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn lower_chunk<T: Num>(
    l: Loss,
    weights: Option<&[T]>,
    idx: &[usize],
    rows: &[T::Row<'_>],
    labels: &[T],
    y: &[T],
    v: &[T],
    c1: &mut [T],
    c2: &mut [T],
    mut jt: impl FnMut(usize, T, T),
) {
    T::dot2_rows(rows, y, v, c1, c2);
    for s in 0..rows.len() {
        let (d1, d2) = loss::d1_d2(l, c1[s], labels[s]);
        jt(idx[s], d1, c2[s]);
        c1[s] = weighted(weights, idx[s], d1);
        c2[s] = weighted(weights, idx[s], d2 * c2[s]);
    }
}

/// Sample i's weight in the lower data term: sigmoid(x_i) with per-sample weights (data
/// hyper-cleaning), else none (the coefficient is used as it is, so the unweighted problems'
/// arithmetic is unchanged).
#[inline(always)]
fn weighted<T: Num>(weights: Option<&[T]>, i: usize, c: T) -> T {
    match weights {
        Some(x) => loss::sigmoid(x[i]) * c,
        None => c,
    }
}

/// 1 / |B| (0 for an empty batch, whose data term is then 0).
#[inline(always)]
fn inv_size<T: Num>(batch: Batch, n: usize) -> T {
    let nb = batch.size(n);
    debug_assert!(nb > 0, "empty batch");
    if nb == 0 {
        T::zero()
    } else {
        T::one() / T::of(nb as f64)
    }
}

/// out = sum_{i in B} w_i l'(a_i . y, b_i) a_i (not yet divided by |B|), w_i = sigmoid(x_i)
/// with `weights`, else 1.
#[inline(always)]
fn loss_grad_sum<T: Num>(
    spec: &ProblemSpec,
    set: DataView,
    weights: Option<&[T]>,
    y: &[T],
    batch: Batch,
    out: &mut [T],
) {
    out.fill(T::zero());
    let l = spec.loss;
    let mut chunks = Chunks::<T>::new(set, batch);
    while let Some((idx, rows, labels)) = chunks.next_chunk() {
        let n = rows.len();
        let mut c = [T::zero(); CHUNK];
        T::dot_rows(rows, y, &mut c[..n]);
        for s in 0..n {
            c[s] = weighted(weights, idx[s], loss::d1(l, c[s], labels[s]));
        }
        T::axpy_rows(&c[..n], rows, out);
    }
}

/// The oracles of one lane: a problem and the lower/upper sets as the lane sees them.
#[derive(Clone, Copy, Debug)]
pub struct Oracles<'a> {
    pub spec: &'a ProblemSpec,
    pub lower: DataView<'a>,
    pub upper: DataView<'a>,
}

impl<'a> Oracles<'a> {
    /// Length of y: one weight per feature and output for the linear model (C outputs for the
    /// multinomial loss), every weight of the network for the `mlp` model.
    pub fn d(&self) -> usize {
        self.spec.y_len(self.lower.d())
    }
    pub fn p(&self) -> usize {
        self.spec.p(self.lower.d(), self.lower.n())
    }
    /// Columns of the data.
    pub fn features(&self) -> usize {
        self.lower.d()
    }
    /// The hyperparameter coupled to coordinate j of y.
    #[inline(always)]
    fn k(&self, j: usize) -> usize {
        self.spec.k(j, self.lower.d())
    }
    fn multinomial(&self) -> Option<usize> {
        (self.spec.loss == Loss::Multinomial).then(|| self.spec.outputs())
    }
    /// The network of an `mlp` lower model, or `None` for the linear model.
    #[inline(always)]
    fn net(&self) -> Option<Net> {
        self.spec.net(self.lower.d())
    }
    /// x as the lower samples' weights (data hyper-cleaning), or `None`.
    #[inline(always)]
    fn weights<'x, T>(&self, x: &'x [T]) -> Option<&'x [T]> {
        self.spec.weighs_samples().then_some(x)
    }

    /// out = sum over the batch of w_i grad_y l(z_i, b_i) on `set` (not yet divided by |B|),
    /// w_i = sigmoid(x_i) with `weights`, else 1: the data term both levels' gradients share,
    /// for the linear, multinomial and network models.
    #[inline(always)]
    fn data_grad_sum<T: Num>(
        &self,
        set: DataView,
        weights: Option<&[T]>,
        y: &[T],
        batch: Batch,
        out: &mut [T],
    ) {
        if self.is_linear_binary() {
            return loss_grad_sum(self.spec, set, weights, y, batch, out);
        }
        self.model_sums(set, weights, y, None, batch, Some(out), None);
    }

    /// True for the linear model with a scalar loss: the oracles packs of lanes can take.
    #[inline(always)]
    pub fn is_linear_binary(&self) -> bool {
        self.net().is_none() && self.multinomial().is_none()
    }

    /// out = grad_y g_B(x, y)   (len d)
    pub fn grad_y_g<T: Num>(&self, x: &[T], y: &[T], batch: Batch, out: &mut [T]) {
        packed_simd!(T, self.grad_y_g_in(x, y, batch, out))
    }

    #[inline(always)]
    fn grad_y_g_in<T: Num>(&self, x: &[T], y: &[T], batch: Batch, out: &mut [T]) {
        debug_assert_eq!(x.len(), self.p());
        debug_assert_eq!(y.len(), self.d());
        debug_assert_eq!(out.len(), self.d());
        let spec = self.spec;
        self.data_grad_sum(self.lower, self.weights(x), y, batch, out);
        let inv: T = inv_size(batch, self.lower.n());
        let mu = T::of(spec.mu);
        let lam = T::of(spec.lam_y);
        for (j, (o, &yj)) in out.iter_mut().zip(y).enumerate() {
            let xk = x[self.k(j)];
            *o = *o * inv + coupling::dy(spec.coupling, mu, xk, yj) + lam * yj;
        }
    }

    /// grad_y g_B(x, y) and H_B(x, y) v on the same batch in one pass over its rows (the
    /// single-loop methods need both at the same point): bit for bit what `grad_y_g` and `hvp`
    /// give, at one read of the data instead of two.
    #[allow(clippy::too_many_arguments)]
    pub fn grad_and_hvp<T: Num>(
        &self,
        x: &[T],
        y: &[T],
        v: &[T],
        batch: Batch,
        g_out: &mut [T],
        hv_out: &mut [T],
    ) {
        packed_simd!(T, self.grad_and_hvp_in(x, y, v, batch, g_out, hv_out))
    }

    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    fn grad_and_hvp_in<T: Num>(
        &self,
        x: &[T],
        y: &[T],
        v: &[T],
        batch: Batch,
        g_out: &mut [T],
        hv_out: &mut [T],
    ) {
        debug_assert_eq!(y.len(), self.d());
        debug_assert_eq!(g_out.len(), self.d());
        debug_assert_eq!(hv_out.len(), self.d());
        let spec = self.spec;
        let l = spec.loss;
        let w = self.weights(x);
        if self.is_linear_binary() {
            g_out.fill(T::zero());
            hv_out.fill(T::zero());
            let mut chunks = Chunks::<T>::new(self.lower, batch);
            while let Some((idx, rows, labels)) = chunks.next_chunk() {
                let n = rows.len();
                let (mut c1, mut c2) = ([T::zero(); CHUNK], [T::zero(); CHUNK]);
                let (c1, c2) = (&mut c1[..n], &mut c2[..n]);
                lower_chunk(l, w, idx, rows, labels, y, v, c1, c2, |_, _, _| {});
                T::axpy2_rows(c1, c2, rows, g_out, hv_out);
            }
        } else {
            let (g, h) = (Some(&mut *g_out), Some(&mut *hv_out));
            self.model_sums(self.lower, w, y, Some(v), batch, g, h);
        }
        let inv: T = inv_size(batch, self.lower.n());
        let mu = T::of(spec.mu);
        let lam = T::of(spec.lam_y);
        for (j, (((g, h), &yj), &vj)) in g_out
            .iter_mut()
            .zip(hv_out.iter_mut())
            .zip(y)
            .zip(v)
            .enumerate()
        {
            let xk = x[self.k(j)];
            *g = *g * inv + coupling::dy(spec.coupling, mu, xk, yj) + lam * yj;
            *h = *h * inv + (coupling::dyy(spec.coupling, mu, xk, yj) + lam) * vj;
        }
    }

    /// out = H_B(x, y) v   (len d)
    pub fn hvp<T: Num>(&self, x: &[T], y: &[T], v: &[T], batch: Batch, out: &mut [T]) {
        packed_simd!(T, self.hvp_in(x, y, v, batch, out))
    }

    #[inline(always)]
    fn hvp_in<T: Num>(&self, x: &[T], y: &[T], v: &[T], batch: Batch, out: &mut [T]) {
        debug_assert_eq!(x.len(), self.p());
        debug_assert_eq!(y.len(), self.d());
        debug_assert_eq!(v.len(), self.d());
        debug_assert_eq!(out.len(), self.d());
        let spec = self.spec;
        let l = spec.loss;
        let w = self.weights(x);
        if self.is_linear_binary() {
            out.fill(T::zero());
            let mut chunks = Chunks::<T>::new(self.lower, batch);
            while let Some((idx, rows, labels)) = chunks.next_chunk() {
                // z = a . y and a . v in one pass over the rows (each in feature order).
                let n = rows.len();
                let (mut z, mut c) = ([T::zero(); CHUNK], [T::zero(); CHUNK]);
                T::dot2_rows(rows, y, v, &mut z[..n], &mut c[..n]);
                for s in 0..n {
                    c[s] = weighted(w, idx[s], loss::d2(l, z[s], labels[s]) * c[s]);
                }
                T::axpy_rows(&c[..n], rows, out);
            }
        } else {
            self.model_sums(self.lower, w, y, Some(v), batch, None, Some(&mut *out));
        }
        let inv: T = inv_size(batch, self.lower.n());
        let mu = T::of(spec.mu);
        let lam = T::of(spec.lam_y);
        for (j, ((o, &yj), &vj)) in out.iter_mut().zip(y).zip(v).enumerate() {
            let xk = x[self.k(j)];
            *o = *o * inv + (coupling::dyy(spec.coupling, mu, xk, yj) + lam) * vj;
        }
    }

    /// out = grad2_xy g_B(x, y) v   (len p). Per feature: out_j = d2r/dxdy(j) v_j; scalar:
    /// out_0 = sum_j d2r/dxdy(j) v_j (in j order); no data pass, `batch` unused. Per-sample
    /// weights (hyper-cleaning): out_i = (1/|B|) sum over i's draws in B of
    /// sigmoid'(x_i) grad_z l(z_i, b_i) . (a_i . v_c)_c, every other entry 0: the unbiased
    /// estimate of the full J v, whose entry i is (1/n) of the same term.
    pub fn jvp<T: Num>(&self, x: &[T], y: &[T], v: &[T], batch: Batch, out: &mut [T]) {
        packed_simd!(T, self.jvp_in(x, y, v, batch, out))
    }

    #[inline(always)]
    fn jvp_in<T: Num>(&self, x: &[T], y: &[T], v: &[T], batch: Batch, out: &mut [T]) {
        debug_assert_eq!(x.len(), self.p());
        debug_assert_eq!(y.len(), self.d());
        debug_assert_eq!(v.len(), self.d());
        debug_assert_eq!(out.len(), self.p());
        if self.spec.weighs_samples() {
            self.per_sample_x_pass(x, y, Some(v), batch, out);
            return;
        }
        let spec = self.spec;
        let mu = T::of(spec.mu);
        out.fill(T::zero());
        for (j, (&yj, &vj)) in y.iter().zip(v).enumerate() {
            let k = self.k(j);
            out[k] += coupling::dxy(spec.coupling, mu, x[k], yj) * vj;
        }
    }

    /// out = grad_x g_B(x, y) (len p): sum_j dr/dx(x_k(j), y_j), summed in j order as `jvp`,
    /// with no data pass (`batch` unused); per-sample weights: out_i = (1/|B|) sum over i's
    /// draws of sigmoid'(x_i) l(z_i, b_i).
    pub fn grad_x_g<T: Num>(&self, x: &[T], y: &[T], batch: Batch, out: &mut [T]) {
        packed_simd!(T, self.grad_x_g_in(x, y, batch, out))
    }

    #[inline(always)]
    fn grad_x_g_in<T: Num>(&self, x: &[T], y: &[T], batch: Batch, out: &mut [T]) {
        debug_assert_eq!(x.len(), self.p());
        debug_assert_eq!(y.len(), self.d());
        debug_assert_eq!(out.len(), self.p());
        if self.spec.weighs_samples() {
            self.per_sample_x_pass(x, y, None, batch, out);
            return;
        }
        let spec = self.spec;
        let mu = T::of(spec.mu);
        out.fill(T::zero());
        for (j, &yj) in y.iter().enumerate() {
            let k = self.k(j);
            out[k] += coupling::dx(spec.coupling, mu, x[k], yj);
        }
    }

    /// The x-derivatives of hyper-cleaning's weighted data term on a batch: with `v`,
    /// J v (sigmoid'(x_i) grad_z l . a_i v), without, grad_x g (sigmoid'(x_i) l), each
    /// scaled by 1 / |B| and added at sample i's entry.
    #[inline(always)]
    fn per_sample_x_pass<T: Num>(
        &self,
        x: &[T],
        y: &[T],
        v: Option<&[T]>,
        batch: Batch,
        out: &mut [T],
    ) {
        out.fill(T::zero());
        let inv: T = inv_size(batch, self.lower.n());
        let l = self.spec.loss;
        if self.is_linear_binary() {
            let mut chunks = Chunks::<T>::new(self.lower, batch);
            while let Some((idx, rows, labels)) = chunks.next_chunk() {
                for ((&i, &row), &b) in idx.iter().zip(rows).zip(labels) {
                    let z = T::dot_row(row, y);
                    let term = match v {
                        None => loss::value(l, z, b),
                        Some(v) => loss::d1(l, z, b) * T::dot_row(row, v),
                    };
                    let xi = x[i];
                    out[i] += loss::sigmoid(xi) * loss::sigmoid(-xi) * term * inv;
                }
            }
            return;
        }
        let one_lane = (T::as_lane(x), T::as_lane(y), lane(v));
        if let ((Some(x), Some(y), Some(v)), Some(o)) = (one_lane, T::as_lane_mut(out)) {
            self.model_per_sample_x_pass(x, y, v, batch, o);
        } else {
            packs_unsupported(out);
        }
    }

    /// out = grad_y f_B(x, y)   (len d)
    pub fn grad_y_f<T: Num>(&self, x: &[T], y: &[T], batch: Batch, out: &mut [T]) {
        packed_simd!(T, self.grad_y_f_in(x, y, batch, out))
    }

    #[inline(always)]
    fn grad_y_f_in<T: Num>(&self, x: &[T], y: &[T], batch: Batch, out: &mut [T]) {
        let _ = x;
        debug_assert_eq!(y.len(), self.d());
        debug_assert_eq!(out.len(), self.d());
        self.data_grad_sum(self.upper, None, y, batch, out);
        let inv: T = inv_size(batch, self.upper.n());
        for o in out.iter_mut() {
            *o *= inv;
        }
    }

    /// out = grad_x f(x, y) = nu x   (len p)
    pub fn grad_x_f<T: Num>(&self, x: &[T], y: &[T], out: &mut [T]) {
        packed_simd!(T, self.grad_x_f_in(x, y, out))
    }

    #[inline(always)]
    fn grad_x_f_in<T: Num>(&self, x: &[T], y: &[T], out: &mut [T]) {
        let _ = y;
        debug_assert_eq!(out.len(), x.len());
        let nu = T::of(self.spec.nu);
        for (o, &xk) in out.iter_mut().zip(x) {
            *o = nu * xk;
        }
    }

    /// The per-sample scalars of the lower oracles' data terms (the loss is a generalised
    /// linear model, so sample i's gradient is c_i a_i and its Hessian product h_i a_i):
    /// c = w_i l'(a . y, b) and h = w_i l''(a . y, b) (a . v), slot by slot of the batch, with
    /// w_i = sigmoid(x_i) when x weighs the lower samples (data hyper-cleaning), else 1. What
    /// the variance-reduced methods keep per sample instead of whole gradients. With weights
    /// and `j_out`, also the scalar of sample i's J v (its entry i, the only one it has):
    /// sigmoid'(x_i) l'(a . y, b) (a . v), written at entry i of `j_out` (the sample's index in
    /// the set, not its slot; a repeated sample writes the same value again).
    #[allow(clippy::too_many_arguments)]
    pub fn lower_coefficients<T: Num>(
        &self,
        x: &[T],
        y: &[T],
        v: &[T],
        batch: Batch,
        c_out: &mut [T],
        h_out: &mut [T],
        j_out: Option<&mut [T]>,
    ) {
        packed_simd!(
            T,
            self.lower_coefficients_in(x, y, v, batch, c_out, h_out, j_out)
        )
    }

    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    fn lower_coefficients_in<T: Num>(
        &self,
        x: &[T],
        y: &[T],
        v: &[T],
        batch: Batch,
        c_out: &mut [T],
        h_out: &mut [T],
        mut j_out: Option<&mut [T]>,
    ) {
        let l = self.spec.loss;
        let w = self.weights(x);
        let mut s0 = 0;
        let mut chunks = Chunks::<T>::new(self.lower, batch);
        while let Some((idx, rows, labels)) = chunks.next_chunk() {
            let n = rows.len();
            let (c, h) = (&mut c_out[s0..s0 + n], &mut h_out[s0..s0 + n]);
            lower_chunk(l, w, idx, rows, labels, y, v, c, h, |i, d1, av| {
                if let (Some(x), Some(j)) = (w, j_out.as_deref_mut()) {
                    j[i] = loss::sigmoid(x[i]) * loss::sigmoid(-x[i]) * d1 * av;
                }
            });
            s0 += n;
        }
    }

    /// The per-sample scalars of grad_y f's data term: u = l'(a' . y, b') per batch slot.
    pub fn upper_coefficients<T: Num>(&self, y: &[T], batch: Batch, u_out: &mut [T]) {
        packed_simd!(T, self.upper_coefficients_in(y, batch, u_out))
    }

    #[inline(always)]
    fn upper_coefficients_in<T: Num>(&self, y: &[T], batch: Batch, u_out: &mut [T]) {
        let l = self.spec.loss;
        let mut s0 = 0;
        let mut chunks = Chunks::<T>::new(self.upper, batch);
        while let Some((_, rows, labels)) = chunks.next_chunk() {
            let n = rows.len();
            let u = &mut u_out[s0..s0 + n];
            T::dot_rows(rows, y, u);
            for (us, b) in u.iter_mut().zip(labels) {
                *us = loss::d1(l, *us, *b);
            }
            s0 += n;
        }
    }

    /// out = sum over the batch's slots s of coef_s a_s (lower set when `!upper`), not
    /// scaled: the data term of a gradient from per-sample scalars.
    pub fn rows_sum<T: Num>(&self, upper: bool, batch: Batch, coef: &[T], out: &mut [T]) {
        packed_simd!(T, self.rows_sum_in(upper, batch, coef, out))
    }

    #[inline(always)]
    fn rows_sum_in<T: Num>(&self, upper: bool, batch: Batch, coef: &[T], out: &mut [T]) {
        out.fill(T::zero());
        let mut s0 = 0;
        let set = if upper { self.upper } else { self.lower };
        let mut chunks = Chunks::<T>::new(set, batch);
        while let Some((_, rows, _)) = chunks.next_chunk() {
            T::axpy_rows(&coef[s0..s0 + rows.len()], rows, out);
            s0 += rows.len();
        }
    }

    /// The regulariser parts of grad_y g and of H v at (x, y): dr/dy + lam_y y and
    /// (d2r/dy2 + lam_y) v, added to `g` and `hv` coordinate by coordinate.
    pub fn add_lower_regularisers<T: Num>(
        &self,
        x: &[T],
        y: &[T],
        v: &[T],
        g: &mut [T],
        hv: &mut [T],
    ) {
        packed_simd!(T, self.add_lower_regularisers_in(x, y, v, g, hv))
    }

    #[inline(always)]
    fn add_lower_regularisers_in<T: Num>(
        &self,
        x: &[T],
        y: &[T],
        v: &[T],
        g: &mut [T],
        hv: &mut [T],
    ) {
        let spec = self.spec;
        let mu = T::of(spec.mu);
        let lam = T::of(spec.lam_y);
        for (j, (((g, h), &yj), &vj)) in g.iter_mut().zip(hv.iter_mut()).zip(y).zip(v).enumerate() {
            let xk = x[self.k(j)];
            *g += coupling::dy(spec.coupling, mu, xk, yj) + lam * yj;
            *h += (coupling::dyy(spec.coupling, mu, xk, yj) + lam) * vj;
        }
    }

    /// g(x, y) on the full lower set, regularisers included (f64 accumulation).
    pub fn lower_value<T: Real>(&self, x: &[T], y: &[T]) -> f64 {
        let spec = self.spec;
        let mut reg = 0.0f64;
        let mut yy = 0.0f64;
        for (j, yj) in y.iter().enumerate() {
            let yj = yj.as_f64();
            reg += coupling::value(spec.coupling, spec.mu, x[self.k(j)].as_f64(), yj);
            yy += yj * yj;
        }
        let data = if spec.weighs_samples() {
            weighted_data_loss(spec, self.lower, x, y)
        } else {
            data_loss(spec, self.lower, y)
        };
        data + reg + 0.5 * spec.lam_y * yy
    }

    /// f(x, y) on the full upper set, (nu / 2)|x|^2 included (f64 accumulation).
    pub fn upper_value<T: Real>(&self, x: &[T], y: &[T]) -> f64 {
        let xx: f64 = x.iter().map(|v| v.as_f64() * v.as_f64()).sum();
        data_loss(self.spec, self.upper, y) + 0.5 * self.spec.nu * xx
    }
}
