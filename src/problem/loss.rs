//! Scalar losses l(z, b) of DESIGN section 2 and their first two derivatives in z.
//!
//! These are the formulas the WGSL oracles mirror: keep them branch-light, generic and free of
//! any exponential of a large positive number.
use crate::problem::Loss;
use crate::real::Num;

/// sigmoid(t) = 1 / (1 + exp(-t)), evaluated so that only exp of a non-positive number is taken:
/// e = exp(-|t|) is exp(-t) for t >= 0 and exp(t) below, so each lane computes exactly what the
/// branch `t >= 0 ? 1 / (1 + exp(-t)) : exp(t) / (1 + exp(t))` would.
#[inline(always)]
pub fn sigmoid<T: Num>(t: T) -> T {
    let e = (-t.abs()).exp();
    let one = T::one();
    t.ge_select(T::zero(), one / (one + e), e / (one + e))
}

/// softplus(t) = ln(1 + exp(t)) = max(t, 0) + ln(1 + exp(-|t|)), finite for every finite t.
#[inline(always)]
pub fn softplus<T: Num>(t: T) -> T {
    t.max(T::zero()) + (-t.abs()).exp().ln_1p()
}

/// l(z, b): squared (z - b)^2 / 2, logistic ln(1 + exp(-b z)) = softplus(-b z).
#[inline(always)]
pub fn value<T: Num>(loss: Loss, z: T, b: T) -> T {
    match loss {
        Loss::Squared => {
            let r = z - b;
            T::of(0.5) * r * r
        }
        Loss::Logistic => softplus(-b * z),
        // A class-score loss: see `multiclass`. NaN makes a scalar misuse visible.
        Loss::Multinomial => T::nan(),
    }
}

/// l'(z, b) = dl/dz: squared z - b, logistic -b sigmoid(-b z).
#[inline(always)]
pub fn d1<T: Num>(loss: Loss, z: T, b: T) -> T {
    match loss {
        Loss::Squared => z - b,
        Loss::Logistic => -b * sigmoid(-b * z),
        Loss::Multinomial => T::nan(),
    }
}

/// l''(z, b) = d2l/dz2: squared 1, logistic sigmoid(z) sigmoid(-z)
/// (= sigmoid(b z) sigmoid(-b z) for b in {-1, +1}).
#[inline(always)]
pub fn d2<T: Num>(loss: Loss, z: T, b: T) -> T {
    match loss {
        Loss::Squared => {
            let _ = b;
            T::one()
        }
        Loss::Logistic => {
            // sigmoid(z) sigmoid(-z) from one exponential: with e = exp(-|z|), the two factors
            // are 1 / (1 + e) and e / (1 + e) in some order (both 1/2 at z = 0).
            let (a, c) = sigmoid_pair(z);
            a * c
        }
        Loss::Multinomial => T::nan(),
    }
}

/// (sigmoid(|z|), sigmoid(-|z|)) = (1 / (1 + e), e / (1 + e)), e = exp(-|z|): the values
/// [`sigmoid`] takes at z and -z, from one exponential.
#[inline(always)]
fn sigmoid_pair<T: Num>(z: T) -> (T, T) {
    let e = (-z.abs()).exp();
    let one = T::one();
    (one / (one + e), e / (one + e))
}

/// (l'(z, b), l''(z, b)) together: what the Hessian-vector products need per sample. The
/// logistic loss takes one exponential for both when |b z| = |z| (labels +-1), and each value
/// is bit for bit what [`d1`] and [`d2`] return.
#[inline(always)]
pub fn d1_d2<T: Num>(loss: Loss, z: T, b: T) -> (T, T) {
    match loss {
        Loss::Logistic => {
            let (a, c) = sigmoid_pair(z);
            let t = -b * z;
            let s = if t.abs().all_eq(z.abs()) {
                t.ge_select(T::zero(), a, c)
            } else {
                sigmoid(t)
            };
            (-b * s, a * c)
        }
        _ => (d1(loss, z, b), d2(loss, z, b)),
    }
}
