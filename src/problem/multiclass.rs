//! The multinomial (softmax cross-entropy) loss of DESIGN section 2 on a sample's class scores
//! z in R^C: l(z, b) = logsumexp(z) - z_b, its gradient p - e_b and its Hessian
//! diag(p) - p p^T, with p = softmax(z).
//!
//! Every function shifts by max(z) before exponentiating, so no exponential of a positive
//! number is ever taken and a score of 1e30 is as safe as one of 0. These are the formulas the
//! CPU oracles apply per sample (`oracles/models.rs`); with C = 2 they are the logistic loss of
//! the score difference, which `tests/oracles_fd.rs` checks.
use crate::real::Real;

/// The class of a label: labels of a multinomial problem are stored as 0.0, 1.0, ... (the
/// mapping from the file's labels is recorded in the run directory). Out-of-range values
/// (which the data layer rejects) clamp to a valid class rather than index out of bounds.
#[inline(always)]
pub fn class_of(b: f32, classes: usize) -> usize {
    let c = if b > 0.0 { b as usize } else { 0 };
    c.min(classes.saturating_sub(1))
}

/// p = softmax(z), written over `z`; returns logsumexp(z).
#[inline(always)]
pub fn softmax_in_place<T: Real>(z: &mut [T]) -> T {
    let mut m = z[0];
    for &v in z.iter() {
        if v > m {
            m = v;
        }
    }
    let mut s = T::zero();
    for v in z.iter_mut() {
        *v = (*v - m).exp();
        s += *v;
    }
    let inv = T::one() / s;
    for v in z.iter_mut() {
        *v *= inv;
    }
    m + s.ln()
}

/// l(z, b) = logsumexp(z) - z_b.
#[inline(always)]
pub fn value<T: Real>(z: &[T], b: usize) -> T {
    let mut m = z[0];
    for &v in z {
        if v > m {
            m = v;
        }
    }
    let mut s = T::zero();
    for &v in z {
        s += (v - m).exp();
    }
    m + s.ln() - z[b]
}

/// Turns the probabilities p (from [`softmax_in_place`]) into the gradient p - e_b, in place.
#[inline(always)]
pub fn grad_in_place<T: Real>(p: &mut [T], b: usize) {
    p[b] -= T::one();
}

/// (diag(p) - p p^T) u, written over `u`: p_c (u_c - p . u).
#[inline(always)]
pub fn hess_times<T: Real>(p: &[T], u: &mut [T]) {
    let mut pu = T::zero();
    for (a, b) in p.iter().zip(u.iter()) {
        pu += *a * *b;
    }
    for (uc, &pc) in u.iter_mut().zip(p) {
        *uc = pc * (*uc - pu);
    }
}

/// The predicted class: the first index of the largest score (ties go to the lower class).
pub fn argmax(z: &[f64]) -> usize {
    let mut best = 0;
    for (c, &v) in z.iter().enumerate() {
        if v > z[best] {
            best = c;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn softmax_is_shift_invariant_and_finite_at_huge_scores() {
        let mut a = [1.0f64, 2.0, 3.0];
        let mut b = [1e30f64, 1e30 + 1.0, 1e30 + 2.0];
        let la = softmax_in_place(&mut a);
        softmax_in_place(&mut b);
        assert!((a.iter().sum::<f64>() - 1.0).abs() < 1e-15);
        assert!((la - (1f64.exp() + 2f64.exp() + 3f64.exp()).ln()).abs() < 1e-14);
        assert!(b.iter().all(|v| v.is_finite()));
        assert!(value(&[1e30f64, 0.0], 0).abs() < 1e-12);
        assert!(value(&[-1e30f64, 0.0], 1).abs() < 1e-12);
    }

    #[test]
    fn the_hessian_annihilates_constant_directions() {
        // Adding the same score to every class changes nothing: H 1 = 0.
        let mut p = [0.5f64, -1.0, 2.0, 0.1];
        softmax_in_place(&mut p);
        let mut u = [3.0f64; 4];
        hess_times(&p, &mut u);
        assert!(u.iter().all(|v| v.abs() < 1e-15), "{u:?}");
        assert_eq!(class_of(2.0, 3), 2);
        assert_eq!(class_of(7.0, 3), 2);
        assert_eq!(class_of(-1.0, 3), 0);
        assert_eq!(argmax(&[0.0, 2.0, 2.0]), 1);
    }
}
