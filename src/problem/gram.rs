//! W^T W for the exact solver's Hessians (`exact::full_hessian`, linear model with a scalar
//! loss: W the lower set's rows scaled by sqrt(w_i l''), w_i hyper-cleaning's weight or 1),
//! which the studies with `run.exact` evaluate for every configuration and seed at every
//! logging step: in the default study it was 70 % of the run as nalgebra's `tr_mul`, a dot
//! product per entry over columns of W.
//!
//! Each entry H_jk = sum_i w_ij w_ik is summed in row order (a fixed order, as the dot
//! products were, so the result is the same on every machine and in both compiled versions:
//! `crate::real::simd`, the baseline's and the AVX2 one chosen at run time, no FMA). Rows are
//! taken eight at a time: an entry of the upper triangle is loaded once, its eight products are
//! added in row order, and it is stored once, so the d x d accumulator's traffic is an eighth
//! of one rank-1 update per row; the loop over k (a row segment of H and of each of the eight
//! rows) is vectorised (256-bit `vmulpd`/`vaddpd` in the AVX2 version, checked in the
//! disassembly).

use crate::real::avx2_simd;
use nalgebra::DMatrix;

/// Rows taken together (any value gives the same bits).
const ROWS: usize = 8;

/// W^T W for `w`, n rows of length d stored one after the other (`w.len()` a multiple of d);
/// symmetric, d x d.
pub fn gram(w: &[f64], d: usize) -> DMatrix<f64> {
    debug_assert_eq!(w.len() % d.max(1), 0, "a partial row");
    let n = w.len().checked_div(d).unwrap_or(0);
    let upper = avx2_simd!(upper_triangle(&w[..n * d], d));
    DMatrix::from_fn(d, d, |j, k| {
        let (a, b) = if j <= k { (j, k) } else { (k, j) };
        upper[a * d + b]
    })
}

/// The upper triangle of W^T W, row-major in a d x d array (the strict lower part zero).
#[inline(always)]
fn upper_triangle(w: &[f64], d: usize) -> Vec<f64> {
    let mut h = vec![0.0f64; d * d];
    if d == 0 {
        return h;
    }
    let mut chunks = w.chunks_exact(ROWS * d);
    for chunk in chunks.by_ref() {
        let r: [&[f64]; ROWS] = std::array::from_fn(|s| &chunk[s * d..(s + 1) * d]);
        for j in 0..d {
            let c: [f64; ROWS] = std::array::from_fn(|s| r[s][j]);
            let seg: [&[f64]; ROWS] = std::array::from_fn(|s| &r[s][j..]);
            for (t, hk) in h[j * d + j..(j + 1) * d].iter_mut().enumerate() {
                let mut acc = *hk;
                for s in 0..ROWS {
                    acc += c[s] * seg[s][t];
                }
                *hk = acc;
            }
        }
    }
    // The last rows one at a time (the same additions in the same order).
    for row in chunks.remainder().chunks_exact(d) {
        for j in 0..d {
            let c = row[j];
            for (hk, a) in h[j * d + j..(j + 1) * d].iter_mut().zip(&row[j..]) {
                *hk += c * a;
            }
        }
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Against a triple loop in the same order (bit for bit), with row counts around the
    /// chunk size, and against nalgebra's product (to rounding).
    #[test]
    fn gram_sums_in_row_order() {
        for (n, d) in [(0, 3), (3, 0), (1, 1), (7, 5), (8, 4), (19, 13), (64, 9)] {
            let w: Vec<f64> = (0..n * d)
                .map(|i| ((i * 7919 % 1000) as f64 / 300.0 - 1.6) * 1.37f64.powi((i % 5) as i32))
                .collect();
            let g = gram(&w, d);
            for j in 0..d {
                for k in 0..d {
                    let mut want = 0.0f64;
                    for i in 0..n {
                        let (a, b) = (w[i * d + j.min(k)], w[i * d + j.max(k)]);
                        want += a * b;
                    }
                    assert_eq!(
                        g[(j, k)].to_bits(),
                        want.to_bits(),
                        "n {n} d {d} entry ({j}, {k}): {} vs {want}",
                        g[(j, k)]
                    );
                }
            }
            let m = DMatrix::from_row_slice(n, d, &w);
            let nal = m.tr_mul(&m);
            for (a, b) in g.iter().zip(nal.iter()) {
                assert!((a - b).abs() <= 1e-12 * (1.0 + b.abs()), "{a} vs {b}");
            }
        }
    }

    /// The AVX2 version gives the baseline's bits (where the CPU has AVX2). (Whether that
    /// version really is AVX2 code is a matter of inlining, which only a profile or the
    /// disassembly shows; a slip costs speed, never bits.)
    #[test]
    fn gram_is_the_same_in_both_versions() {
        let (n, d) = (37, 11);
        let w: Vec<f64> = (0..n * d).map(|i| (i as f64 * 0.731).sin()).collect();
        let base = upper_triangle(&w, d);
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2.
            let fast = unsafe { crate::real::with_avx2(|| upper_triangle(&w, d)) };
            for (i, (a, b)) in base.iter().zip(&fast).enumerate() {
                assert_eq!(a.to_bits(), b.to_bits(), "entry {i}: {a} vs {b}");
            }
            return;
        }
        eprintln!("no AVX2 here: only the baseline version ran");
    }
}
