//! The one-hidden-layer network lower model of DESIGN section 2: a sample's outputs are
//! z = W2 act(W1 a + b1) + b2, with h hidden units and C outputs (1 for the squared and
//! logistic losses, the classes for the multinomial one), and y holds every weight.
//!
//! y is laid out as [W1 (h x F, row k = hidden unit k's input weights) | b1 (h) |
//! W2 (C x h, row c = output c's weights) | b2 (C)], so the hidden pre-activations are h
//! contiguous dot products with the data row, as the linear model's class scores are.
//!
//! Per sample the oracles take one forward pass (and its tangent along v), the loss head turns
//! the outputs into g = dl/dz (and H_z z'), and one reverse pass adds the sample's gradient
//! (and the tangent of that gradient: the exact Hessian-vector product, forward over
//! reverse) into the outputs. Everything lives in fixed-size scratch on the stack, so the
//! oracles stay allocation-free; sums run in sample order, then unit order, then feature
//! order.
use crate::problem::{loss, multiclass, Loss, MAX_CLASSES};
use crate::real::{axpy_row, dot_row, Real};
use crate::rng::{stream, LaneRng};
use serde::{Deserialize, Serialize};

/// Most hidden units a network may have: a sample's hidden activations are kept on the
/// stack.
pub const MAX_HIDDEN: usize = 1024;

/// The scratch size for small networks: [`Sample`] is zeroed at every oracle call, and 1,024
/// units of scratch would cost more than a small network's work.
pub const SMALL_HIDDEN: usize = 64;

/// The lower level's model.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Model {
    /// z_c = a . y_c: logistic, squared or multinomial regression.
    #[default]
    Linear,
    /// One hidden layer of `problem.hidden` units with `problem.activation`.
    Mlp,
}

/// The hidden units' nonlinearity: smooth, so that the Hessian exists everywhere.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Activation {
    /// tanh(s): tanh' = 1 - tanh^2, tanh'' = -2 tanh (1 - tanh^2).
    #[default]
    Tanh,
    /// softplus(s) = ln(1 + exp(s)): softplus' = sigmoid(s), softplus'' = sigmoid(s) sigmoid(-s).
    Softplus,
}

impl Activation {
    /// (act(s), act'(s), act''(s)).
    #[inline(always)]
    pub fn eval<T: Real>(self, s: T) -> (T, T, T) {
        match self {
            Activation::Tanh => {
                let t = s.tanh();
                let d = T::one() - t * t;
                (t, d, T::of(-2.0) * t * d)
            }
            Activation::Softplus => {
                let p = loss::sigmoid(s);
                (loss::softplus(s), p, p * loss::sigmoid(-s))
            }
        }
    }
}

/// A network's shape on data with `features` columns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Net {
    pub features: usize,
    pub hidden: usize,
    pub outputs: usize,
    pub activation: Activation,
}

impl Net {
    /// Number of weights: h (F + 1) + C (h + 1).
    pub fn len(&self) -> usize {
        self.hidden * (self.features + 1) + self.outputs * (self.hidden + 1)
    }

    /// Whether the network has no weights (never, for a validated problem).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Offsets of b1, W2 and b2 in y (W1 starts at 0).
    #[inline(always)]
    fn offsets(&self) -> (usize, usize, usize) {
        let b1 = self.hidden * self.features;
        let w2 = b1 + self.hidden;
        (b1, w2, w2 + self.outputs * self.hidden)
    }

    /// (W1, b1, W2, b2) of a weight vector.
    #[inline(always)]
    pub fn split<'a, T>(&self, y: &'a [T]) -> (&'a [T], &'a [T], &'a [T], &'a [T]) {
        let (b1, w2, b2) = self.offsets();
        let (w1, rest) = y.split_at(b1);
        let (b1v, rest) = rest.split_at(w2 - b1);
        let (w2v, b2v) = rest.split_at(b2 - w2);
        (w1, b1v, w2v, b2v)
    }

    #[inline(always)]
    fn split_mut<'a, T>(
        &self,
        y: &'a mut [T],
    ) -> (&'a mut [T], &'a mut [T], &'a mut [T], &'a mut [T]) {
        let (b1, w2, b2) = self.offsets();
        let (w1, rest) = y.split_at_mut(b1);
        let (b1v, rest) = rest.split_at_mut(w2 - b1);
        let (w2v, b2v) = rest.split_at_mut(b2 - w2);
        (w1, b1v, w2v, b2v)
    }

    /// Seed `seed`'s initial weights: W1 and W2 uniform on +-sqrt(6 / (fan_in + fan_out))
    /// (Glorot and Bengio's scale, which keeps tanh units out of saturation), biases 0. From a
    /// constant y every hidden unit is the same function and receives the same gradient, so
    /// the units would stay identical (at y = 0, W1's gradient even vanishes): a network
    /// cannot start from the linear models' constant y0. A seed's neighbours start from the
    /// same weights, so that stability measures the data's effect only.
    pub fn init(&self, seed: u64) -> Vec<f64> {
        let rng = LaneRng::new(seed);
        let mut y = vec![0.0; self.len()];
        let (f, h, c) = (self.features, self.hidden, self.outputs);
        let s1 = (6.0 / (f + h) as f64).sqrt();
        let s2 = (6.0 / (h + c) as f64).sqrt();
        let (w1, _, w2, _) = self.split_mut(&mut y);
        let scaled = w1
            .iter_mut()
            .map(|w| (w, s1))
            .chain(w2.iter_mut().map(|w| (w, s2)));
        // Weight j draws word pair j; past 2^31 weights (beyond any memory) the pairs would
        // wrap, so the word index is reduced rather than overflowed.
        for (j, (w, s)) in scaled.enumerate() {
            let u = rng.uniform01_f64(stream::INIT, (j >> 31) as u64, (j & 0x7fff_ffff) as u32);
            *w = s * (2.0 * u - 1.0);
        }
        y
    }
}

/// One sample's activations and their tangents: what the reverse pass reads, for networks of
/// up to `H` hidden units.
pub struct Sample<T, const H: usize = MAX_HIDDEN> {
    /// act(s_k), act'(s_k), act''(s_k) of the hidden pre-activations s = W1 a + b1.
    t: [T; H],
    a1: [T; H],
    a2: [T; H],
    /// Tangents along v: s' = V1 a + c1 and t' = act'(s) s'.
    sd: [T; H],
    td: [T; H],
    /// The outputs z, then (after [`Sample::head`]) g = dl/dz.
    pub z: [T; MAX_CLASSES],
    /// The outputs' tangent z', then H_z z'.
    pub zd: [T; MAX_CLASSES],
}

impl<T: Real, const H: usize> Sample<T, H> {
    pub fn new() -> Self {
        Sample {
            t: [T::zero(); H],
            a1: [T::zero(); H],
            a2: [T::zero(); H],
            sd: [T::zero(); H],
            td: [T::zero(); H],
            z: [T::zero(); MAX_CLASSES],
            zd: [T::zero(); MAX_CLASSES],
        }
    }

    /// The forward pass on `row`: hidden activations and outputs z; with `v`, their tangents
    /// along v (z' = V2 t + W2 t' + c2).
    #[inline(always)]
    pub fn forward(&mut self, net: &Net, y: &[T], v: Option<&[T]>, row: &[f32]) {
        let (f, h, c) = (net.features, net.hidden, net.outputs);
        let (w1, b1, w2, b2) = net.split(y);
        for k in 0..h {
            let s = dot_row(row, &w1[k * f..(k + 1) * f]) + b1[k];
            (self.t[k], self.a1[k], self.a2[k]) = net.activation.eval(s);
        }
        for o in 0..c {
            let wo = &w2[o * h..(o + 1) * h];
            let mut z = b2[o];
            for (w, t) in wo.iter().zip(&self.t[..h]) {
                z += *w * *t;
            }
            self.z[o] = z;
        }
        if let Some(v) = v {
            let (v1, c1, v2, c2) = net.split(v);
            for k in 0..h {
                self.sd[k] = dot_row(row, &v1[k * f..(k + 1) * f]) + c1[k];
                self.td[k] = self.a1[k] * self.sd[k];
            }
            for o in 0..c {
                let (wo, vo) = (&w2[o * h..(o + 1) * h], &v2[o * h..(o + 1) * h]);
                let mut zd = c2[o];
                for k in 0..h {
                    zd += vo[k] * self.t[k] + wo[k] * self.td[k];
                }
                self.zd[o] = zd;
            }
        }
    }

    /// The loss at the outputs of the last forward pass.
    #[inline(always)]
    pub fn value(&self, l: Loss, outputs: usize, b: f32) -> T {
        match l {
            Loss::Multinomial => {
                multiclass::value(&self.z[..outputs], multiclass::class_of(b, outputs))
            }
            _ => loss::value(l, self.z[0], T::of_f32(b)),
        }
    }

    /// Turns z into g = dl/dz and, with `tangent`, z' into H_z z' (the loss's curvature
    /// along the outputs' tangent).
    #[inline(always)]
    pub fn head(&mut self, l: Loss, outputs: usize, b: f32, tangent: bool) {
        match l {
            Loss::Multinomial => {
                let z = &mut self.z[..outputs];
                multiclass::softmax_in_place(z);
                if tangent {
                    multiclass::hess_times(z, &mut self.zd[..outputs]);
                }
                multiclass::grad_in_place(z, multiclass::class_of(b, outputs));
            }
            _ => {
                let (z, b) = (self.z[0], T::of_f32(b));
                if tangent {
                    self.zd[0] *= loss::d2(l, z, b);
                }
                self.z[0] = loss::d1(l, z, b);
            }
        }
    }

    /// After [`Sample::head`] without the tangent: g . z', the derivative of the loss along v
    /// (what J v of a sample weight multiplies).
    #[inline(always)]
    pub fn slope(&self, outputs: usize) -> T {
        let mut s = T::zero();
        for o in 0..outputs {
            s += self.z[o] * self.zd[o];
        }
        s
    }

    /// The reverse pass after [`Sample::head`]: adds w times the sample's gradient to `g_out`
    /// and w times its tangent along v (the sample's Hessian times v) to `hv_out`.
    ///
    /// With e = W2^T g and delta = act'(s) e, the gradient is g t^T (W2), g (b2),
    /// delta a^T (W1), delta (b1); its tangent is g' t^T + g t'^T, g', delta' a^T, delta'
    /// with g' = H_z z' and delta' = act'(s) (V2^T g + W2^T g') + act''(s) s' e.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    pub fn backward(
        &self,
        net: &Net,
        y: &[T],
        v: Option<&[T]>,
        row: &[f32],
        w: T,
        g_out: Option<&mut [T]>,
        hv_out: Option<&mut [T]>,
    ) {
        let (f, h, c) = (net.features, net.hidden, net.outputs);
        let (_, _, w2, _) = net.split(y);
        if let Some(out) = g_out {
            let (o1, ob1, o2, ob2) = net.split_mut(out);
            for o in 0..c {
                let go = w * self.z[o];
                let oo = &mut o2[o * h..(o + 1) * h];
                for (acc, t) in oo.iter_mut().zip(&self.t[..h]) {
                    *acc += go * *t;
                }
                ob2[o] += go;
            }
            for k in 0..h {
                let mut e = T::zero();
                for o in 0..c {
                    e += w2[o * h + k] * self.z[o];
                }
                let delta = w * (self.a1[k] * e);
                axpy_row(delta, row, &mut o1[k * f..(k + 1) * f]);
                ob1[k] += delta;
            }
        }
        if let (Some(out), Some(v)) = (hv_out, v) {
            let (_, _, v2, _) = net.split(v);
            let (o1, ob1, o2, ob2) = net.split_mut(out);
            for o in 0..c {
                let (g, gd) = (self.z[o], self.zd[o]);
                let oo = &mut o2[o * h..(o + 1) * h];
                for ((acc, t), td) in oo.iter_mut().zip(&self.t[..h]).zip(&self.td[..h]) {
                    *acc += w * (gd * *t + g * *td);
                }
                ob2[o] += w * gd;
            }
            for k in 0..h {
                let (mut e, mut ed) = (T::zero(), T::zero());
                for o in 0..c {
                    let (g, gd) = (self.z[o], self.zd[o]);
                    e += w2[o * h + k] * g;
                    ed += v2[o * h + k] * g + w2[o * h + k] * gd;
                }
                let delta = w * (self.a1[k] * ed + self.a2[k] * self.sd[k] * e);
                axpy_row(delta, row, &mut o1[k * f..(k + 1) * f]);
                ob1[k] += delta;
            }
        }
    }
}

impl<T: Real, const H: usize> Default for Sample<T, H> {
    fn default() -> Self {
        Self::new()
    }
}

/// The predicted class of the outputs of the last forward pass (f64 scores): the top output
/// of a multinomial network, else the sign of the single output (+1 or -1).
pub fn predicts(s: &Sample<f64>, l: Loss, outputs: usize, b: f32) -> bool {
    match l {
        Loss::Multinomial => {
            multiclass::argmax(&s.z[..outputs]) == multiclass::class_of(b, outputs) && b >= 0.0
        }
        _ => (s.z[0] > 0.0 && b > 0.0) || (s.z[0] < 0.0 && b < 0.0),
    }
}
