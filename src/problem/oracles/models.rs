//! The one-lane data passes of the multinomial and network models (the linear model's passes,
//! which lane packs take, are in the parent module). They are written for one lane: a pack
//! handed to them gets NaN ([`packs_unsupported`]), a guard, since the CPU engine packs only the
//! linear scalar-loss models.

use super::{inv_size, weighted, Batch, Oracles};
use crate::data::DataView;
use crate::problem::{loss, mlp, multiclass, Loss, Net, MAX_CLASSES};
use crate::real::{axpy_row, dot_row, Num, Real};

/// The batch's samples in batch order for one lane, with the stored row and label: the passes
/// written for one lane only (the multinomial and network models).
#[inline(always)]
fn for_each_raw<'d>(view: DataView<'d>, batch: Batch, mut f: impl FnMut(usize, &'d [f32], f32)) {
    match batch {
        Batch::Full => {
            for i in 0..view.n() {
                let (row, b) = view.sample(i);
                f(i, row, b);
            }
        }
        Batch::Idx(idx) => {
            for &i in idx {
                let (row, b) = view.sample(i as usize);
                f(i as usize, row, b);
            }
        }
    }
}

/// The scalar view of a vector of `T` when `T` is one lane; `None` for a pack.
#[inline(always)]
pub(super) fn lane<T: Num>(v: Option<&[T]>) -> Option<Option<&[T::Lane]>> {
    match v {
        None => Some(None),
        Some(v) => T::as_lane(v).map(Some),
    }
}

/// What an oracle that only one lane can take writes when handed a pack: NaN, which the
/// engine's divergence check cannot miss (the CPU engine packs only the linear binary
/// models, so this is a guard, not a path).
#[cold]
pub(super) fn packs_unsupported<T: Num>(out: &mut [T]) {
    out.fill(T::nan());
}

/// The multinomial data pass: per sample i of the batch, the class scores z_c = a . y_c (and
/// u_c = a . v_c when `v` is given), turned by `coef(z, u, class, i)` in place into per-class
/// coefficients, then added as z_c a into block c of `out1` and u_c a into block c of `out2`
/// (not yet divided by |B|). Sums run in sample order, then feature order, as the binary pass.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn multi_sums<T: Real>(
    set: DataView,
    batch: Batch,
    classes: usize,
    y: &[T],
    v: Option<&[T]>,
    mut out1: Option<&mut [T]>,
    mut out2: Option<&mut [T]>,
    mut coef: impl FnMut(&mut [T], &mut [T], usize, usize),
) {
    let f = set.d();
    if let Some(o) = out1.as_deref_mut() {
        o.fill(T::zero());
    }
    if let Some(o) = out2.as_deref_mut() {
        o.fill(T::zero());
    }
    let mut zs = [T::zero(); MAX_CLASSES];
    let mut us = [T::zero(); MAX_CLASSES];
    let (z, u) = (&mut zs[..classes], &mut us[..classes]);
    for_each_raw(set, batch, |i, row, b| {
        for c in 0..classes {
            z[c] = dot_row(row, &y[c * f..(c + 1) * f]);
            if let Some(v) = v {
                u[c] = dot_row(row, &v[c * f..(c + 1) * f]);
            }
        }
        coef(z, u, multiclass::class_of(b, classes), i);
        for c in 0..classes {
            if let Some(o) = out1.as_deref_mut() {
                axpy_row(z[c], row, &mut o[c * f..(c + 1) * f]);
            }
            if let Some(o) = out2.as_deref_mut() {
                axpy_row(u[c], row, &mut o[c * f..(c + 1) * f]);
            }
        }
    });
}

/// Multiplies a sample's per-class coefficients by its weight sigmoid(x_i) (hyper-cleaning).
#[inline(always)]
fn scale_by_weight<T: Real>(weights: Option<&[T]>, i: usize, coef: &mut [T]) {
    if let Some(x) = weights {
        let s = loss::sigmoid(x[i]);
        for c in coef.iter_mut() {
            *c *= s;
        }
    }
}

/// The network data pass (`mlp` model): per sample i of the batch, the forward pass (with its
/// tangent along `v` when `hv_out` is wanted), the loss head and the reverse pass, adding
/// w_i times the sample's gradient into `g_out` and w_i times its Hessian product into `hv_out`
/// (not yet divided by |B|), w_i = sigmoid(x_i) with `weights`, else 1.
#[allow(clippy::too_many_arguments)]
fn net_sums<T: Real>(
    net: &Net,
    l: Loss,
    set: DataView,
    batch: Batch,
    weights: Option<&[T]>,
    y: &[T],
    v: Option<&[T]>,
    g_out: Option<&mut [T]>,
    hv_out: Option<&mut [T]>,
) {
    if net.hidden <= mlp::SMALL_HIDDEN {
        net_sums_in::<T, { mlp::SMALL_HIDDEN }>(net, l, set, batch, weights, y, v, g_out, hv_out)
    } else {
        net_sums_in::<T, { mlp::MAX_HIDDEN }>(net, l, set, batch, weights, y, v, g_out, hv_out)
    }
}

/// [`net_sums`] with scratch for up to `H` hidden units.
#[allow(clippy::too_many_arguments)]
fn net_sums_in<T: Real, const H: usize>(
    net: &Net,
    l: Loss,
    set: DataView,
    batch: Batch,
    weights: Option<&[T]>,
    y: &[T],
    v: Option<&[T]>,
    mut g_out: Option<&mut [T]>,
    mut hv_out: Option<&mut [T]>,
) {
    if let Some(o) = g_out.as_deref_mut() {
        o.fill(T::zero());
    }
    if let Some(o) = hv_out.as_deref_mut() {
        o.fill(T::zero());
    }
    let tangent = hv_out.is_some() && v.is_some();
    let v = if tangent { v } else { None };
    let mut s = mlp::Sample::<T, H>::new();
    for_each_raw(set, batch, |i, row, b| {
        s.forward(net, y, v, row);
        s.head(l, net.outputs, b, tangent);
        let w = weighted(weights, i, T::one());
        s.backward(
            net,
            y,
            v,
            row,
            w,
            g_out.as_deref_mut(),
            hv_out.as_deref_mut(),
        );
    });
}

impl Oracles<'_> {
    /// The data sums of the multinomial and network models on `set` (not yet divided by
    /// |B|): w_i grad_y l into `g` and w_i H_i v into `h`, each when given (`v` with `h`).
    /// Their passes are written for one lane: a pack of lanes gets NaN (the CPU engine packs
    /// only the linear scalar-loss models, so this is a guard, not a path).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn model_sums<T: Num>(
        &self,
        set: DataView,
        w: Option<&[T]>,
        y: &[T],
        v: Option<&[T]>,
        batch: Batch,
        g: Option<&mut [T]>,
        h: Option<&mut [T]>,
    ) {
        let (Some(w), Some(y), Some(v)) = (lane(w), T::as_lane(y), lane(v)) else {
            g.into_iter().chain(h).for_each(packs_unsupported);
            return;
        };
        // One lane: the outputs convert too.
        let (g, h) = (g.and_then(T::as_lane_mut), h.and_then(T::as_lane_mut));
        let (want_g, want_h) = (g.is_some(), h.is_some());
        let l = self.spec.loss;
        if let Some(net) = self.net() {
            net_sums(&net, l, set, batch, w, y, v, g, h);
        } else if let Some(c) = self.multinomial() {
            multi_sums(set, batch, c, y, v, g, h, |z, u, b, i| {
                multiclass::softmax_in_place(z);
                if want_h {
                    multiclass::hess_times(z, u);
                }
                if want_g {
                    multiclass::grad_in_place(z, b);
                    scale_by_weight(w, i, z);
                }
                if want_h {
                    scale_by_weight(w, i, u);
                }
            });
        }
    }

    /// [`Self::per_sample_x_pass`] of the multinomial and network models, one lane, adding
    /// into `out` (already zero).
    pub(super) fn model_per_sample_x_pass<S: Real>(
        &self,
        x: &[S],
        y: &[S],
        v: Option<&[S]>,
        batch: Batch,
        out: &mut [S],
    ) {
        let inv: S = inv_size(batch, self.lower.n());
        let f = self.lower.d();
        let classes = self.spec.outputs();
        let l = self.spec.loss;
        if let Some(net) = self.net() {
            let mut s = mlp::Sample::<S>::new();
            for_each_raw(self.lower, batch, |i, row, b| {
                s.forward(&net, y, v, row);
                let term = match v {
                    None => s.value(l, classes, b),
                    // g . z', with z' the outputs' own tangent (not H_z z').
                    Some(_) => {
                        s.head(l, classes, b, false);
                        s.slope(classes)
                    }
                };
                let xi = x[i];
                out[i] += loss::sigmoid(xi) * loss::sigmoid(-xi) * term * inv;
            });
            return;
        }
        let mut zs = [S::zero(); MAX_CLASSES];
        let z = &mut zs[..classes];
        for_each_raw(self.lower, batch, |i, row, b| {
            for (c, zc) in z.iter_mut().enumerate() {
                *zc = dot_row(row, &y[c * f..(c + 1) * f]);
            }
            let term = match v {
                None => multiclass::value(z, multiclass::class_of(b, classes)),
                Some(v) => {
                    multiclass::softmax_in_place(z);
                    multiclass::grad_in_place(z, multiclass::class_of(b, classes));
                    let mut s = S::zero();
                    for (c, zc) in z.iter().enumerate() {
                        s += *zc * dot_row(row, &v[c * f..(c + 1) * f]);
                    }
                    s
                }
            };
            let xi = x[i];
            out[i] += loss::sigmoid(xi) * loss::sigmoid(-xi) * term * inv;
        });
    }
}
