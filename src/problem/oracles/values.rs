//! Full-set values for the metrics and the exact solvers: mean data losses and accuracies,
//! accumulated in f64 in sample order, then feature order.

use crate::data::DataView;
use crate::problem::{loss, mlp, multiclass, Loss, ProblemSpec, MAX_CLASSES};
use crate::real::Real;

/// Dot product of a stored row with a vector, accumulated in f64 in feature order.
#[inline(always)]
fn dot_row_f64<T: Real>(row: &[f32], v: &[T]) -> f64 {
    let mut s = 0.0f64;
    for (a, b) in row.iter().zip(v) {
        s += *a as f64 * b.as_f64();
    }
    s
}

/// Sample i's class scores a_i . y_c accumulated in f64, into `z`.
fn scores_f64<T: Real>(row: &[f32], y: &[T], z: &mut [f64]) {
    let f = row.len();
    for (c, zc) in z.iter_mut().enumerate() {
        *zc = dot_row_f64(row, &y[c * f..(c + 1) * f]);
    }
}

/// Mean data loss (1/n) sum l(z_i, b_i) over a set (z_i the model's outputs: a_i . y for the
/// linear model, the network's for `mlp`), without regularisers (f64 accumulation). NaN for an
/// empty set.
pub fn data_loss<T: Real>(spec: &ProblemSpec, set: DataView, y: &[T]) -> f64 {
    mean_loss(spec, set, y, |_| 1.0)
}

/// (1/n) sum sigmoid(x_i) l(a_i . y, b_i): hyper-cleaning's weighted lower data term (f64).
pub fn weighted_data_loss<T: Real>(spec: &ProblemSpec, set: DataView, x: &[T], y: &[T]) -> f64 {
    mean_loss(spec, set, y, |i| loss::sigmoid(x[i].as_f64()))
}

fn mean_loss<T: Real>(
    spec: &ProblemSpec,
    set: DataView,
    y: &[T],
    weight: impl Fn(usize) -> f64,
) -> f64 {
    if let Some(net) = spec.net(set.d()) {
        let y: Vec<f64> = y.iter().map(|v| v.as_f64()).collect();
        let mut smp = mlp::Sample::<f64>::new();
        let mut s = 0.0f64;
        for i in 0..set.n() {
            let (row, b) = set.sample(i);
            smp.forward(&net, &y, None, row);
            s += weight(i) * smp.value(spec.loss, net.outputs, b);
        }
        return s / set.n() as f64;
    }
    let mut s = 0.0f64;
    let mut z = [0.0f64; MAX_CLASSES];
    let z = &mut z[..spec.outputs()];
    for i in 0..set.n() {
        let (row, b) = set.sample(i);
        s += weight(i)
            * if spec.loss == Loss::Multinomial {
                scores_f64(row, y, z);
                multiclass::value(z, multiclass::class_of(b, z.len()))
            } else {
                loss::value(spec.loss, dot_row_f64(row, y), b as f64)
            };
    }
    s / set.n() as f64
}

/// Fraction of samples classified correctly (scores accumulated in f64): logistic, sign(a . y)
/// == b, a . y == 0 counting as wrong; multinomial, the top-1 class (ties to the lower class)
/// is b. NaN for an empty set.
pub fn accuracy<T: Real>(spec: &ProblemSpec, set: DataView, y: &[T]) -> f64 {
    let mut correct = 0usize;
    if let Some(net) = spec.net(set.d()) {
        let y: Vec<f64> = y.iter().map(|v| v.as_f64()).collect();
        let mut smp = mlp::Sample::<f64>::new();
        for i in 0..set.n() {
            let (row, b) = set.sample(i);
            smp.forward(&net, &y, None, row);
            if mlp::predicts(&smp, spec.loss, net.outputs, b) {
                correct += 1;
            }
        }
        return correct as f64 / set.n() as f64;
    }
    let mut z = [0.0f64; MAX_CLASSES];
    let z = &mut z[..spec.outputs()];
    for i in 0..set.n() {
        let (row, b) = set.sample(i);
        let right = if spec.loss == Loss::Multinomial {
            scores_f64(row, y, z);
            multiclass::argmax(z) == multiclass::class_of(b, z.len()) && b >= 0.0
        } else {
            let z = dot_row_f64(row, y);
            (z > 0.0 && b > 0.0) || (z < 0.0 && b < 0.0)
        };
        if right {
            correct += 1;
        }
    }
    correct as f64 / set.n() as f64
}
