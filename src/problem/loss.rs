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
        Loss::Logistic => sigmoid(z) * sigmoid(-z),
        Loss::Multinomial => T::nan(),
    }
}
