//! The scalar type of a lane. The CPU path runs in f64 (the reference) or f32 (to compare
//! with the GPU bit for bit where possible); data are always stored as f32.
//!
//! Every algorithm and oracle is written once against [`Num`]: one lane's scalar (`f32`,
//! `f64`) or a [`Pack`] of lanes that share their batches (a seed's base lane and its
//! neighbours, under configurations that differ only in step sizes), whose arithmetic runs
//! lane by lane in the same order, so a packed lane is bit for bit the lane the scalar
//! reference computes. Code that packs run therefore never branches on a lane's value: where
//! the math branches, [`Num`] selects per lane (aid-cg, whose CG stops per lane, is written
//! for one lane and never packed).
//!
//! Owns: the arithmetic the CPU path shares between precisions and lane packs. Must not know:
//! anything above the data layer.

mod exp;
mod pack;
mod simd;

#[cfg(target_arch = "x86_64")]
pub(crate) use simd::with_avx2;
pub(crate) use simd::{avx2_simd, packed_simd};
pub use simd::{simd_name, uses_avx2};

pub use pack::{Pack, PackRow, PACK};

/// Samples the linear passes take at a time ([`Num::dot2_rows`], [`Num::axpy2_rows`]): their
/// dot products run as independent chains (a pack's one-row dot product is a chain of d
/// dependent additions, bound by latency) and their rows are added into each output
/// coordinate with one load and store of it, in sample order. Any value gives the same bits;
/// 8 measured at least as fast as 4 (and 2) on the development VM, portable and host builds.
pub const CHUNK: usize = 8;

use crate::data::DataView;
use std::fmt::{Debug, Display};
use std::iter::Sum;
use std::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};

/// The arithmetic of one lane or of a pack of lanes: IEEE operations lane by lane, with data
/// rows as the lanes see them (a neighbour lane sees its replaced sample).
pub trait Num:
    Copy
    + Send
    + Sync
    + Default
    + Debug
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + AddAssign
    + SubAssign
    + MulAssign
    + DivAssign
    + 'static
{
    /// One lane's scalar.
    type Lane: Real;
    /// A data row as the lanes see it.
    type Row<'a>: Copy + Default;
    /// True for a pack of lanes (the type whose oracles [`packed_simd!`] compiles twice).
    const PACKED: bool;

    fn zero() -> Self;
    fn one() -> Self;
    /// Converts an f64 constant (a step size, a regularisation weight) for every lane.
    fn of(v: f64) -> Self;
    /// Lane k's value `f(k)` (one lane: `f(0)`): a setting that differs between the lanes of
    /// a pack (their configurations' step sizes).
    fn of_lanes(f: impl Fn(usize) -> f64) -> Self;
    /// Converts a stored data value for every lane.
    fn of_f32(v: f32) -> Self;
    fn nan() -> Self;
    fn exp(self) -> Self;
    fn ln(self) -> Self;
    fn ln_1p(self) -> Self;
    fn sqrt(self) -> Self;
    fn abs(self) -> Self;
    fn tanh(self) -> Self;
    /// IEEE maxNum per lane (`f64::max`: a NaN operand gives the other).
    fn max(self, other: Self) -> Self;
    /// True when every lane equals `other`'s (IEEE equality: NaN equals nothing).
    fn all_eq(self, other: Self) -> bool;
    /// Per lane: `if self > other { then } else { otherwise }` (NaN compares false).
    fn gt_select(self, other: Self, then: Self, otherwise: Self) -> Self;
    /// Per lane: `if self >= other { then } else { otherwise }` (NaN compares false).
    fn ge_select(self, other: Self, then: Self, otherwise: Self) -> Self;

    /// Sample `i` of `view` (row and label) as every lane sees it.
    fn sample<'a>(view: &DataView<'a>, i: usize) -> (Self::Row<'a>, Self);
    /// a . v in feature order.
    fn dot_row(row: Self::Row<'_>, v: &[Self]) -> Self;
    /// (a . u, a . v), each in feature order: one read of the row for two products.
    fn dot2_row(row: Self::Row<'_>, u: &[Self], v: &[Self]) -> (Self, Self) {
        (Self::dot_row(row, u), Self::dot_row(row, v))
    }
    /// `out += c * a`.
    fn axpy_row(c: Self, row: Self::Row<'_>, out: &mut [Self]);
    /// `g += c1 * a; h += c2 * a`: one read of the row for two updates.
    fn axpy2_row(c1: Self, c2: Self, row: Self::Row<'_>, g: &mut [Self], h: &mut [Self]) {
        Self::axpy_row(c1, row, g);
        Self::axpy_row(c2, row, h);
    }
    /// `z[s] = rows[s] . v` for up to [`CHUNK`] rows: each product is [`Num::dot_row`]'s, bit
    /// for bit (a pack overrides this to run the rows' chains side by side).
    #[inline(always)]
    fn dot_rows(rows: &[Self::Row<'_>], v: &[Self], z: &mut [Self]) {
        for (zs, row) in z.iter_mut().zip(rows) {
            *zs = Self::dot_row(*row, v);
        }
    }
    /// `(zu[s], zv[s]) = (rows[s] . u, rows[s] . v)`, each [`Num::dot2_row`]'s bit for bit.
    #[inline(always)]
    fn dot2_rows(rows: &[Self::Row<'_>], u: &[Self], v: &[Self], zu: &mut [Self], zv: &mut [Self]) {
        for ((a, b), row) in zu.iter_mut().zip(zv.iter_mut()).zip(rows) {
            (*a, *b) = Self::dot2_row(*row, u, v);
        }
    }
    /// `out += c[s] * rows[s]` for each s in order: per coordinate the additions of
    /// [`Num::axpy_row`] called row by row, in the same order, so the same bits.
    #[inline(always)]
    fn axpy_rows(c: &[Self], rows: &[Self::Row<'_>], out: &mut [Self]) {
        for (cs, row) in c.iter().zip(rows) {
            Self::axpy_row(*cs, *row, out);
        }
    }
    /// `g += c1[s] * rows[s]; h += c2[s] * rows[s]` for each s in order, as
    /// [`Num::axpy2_row`] row by row.
    #[inline(always)]
    fn axpy2_rows(
        c1: &[Self],
        c2: &[Self],
        rows: &[Self::Row<'_>],
        g: &mut [Self],
        h: &mut [Self],
    ) {
        for ((a, b), row) in c1.iter().zip(c2).zip(rows) {
            Self::axpy2_row(*a, *b, *row, g, h);
        }
    }
    /// The vector as one lane's scalars, when this type is one lane: the oracles that are
    /// written for one lane only (the multinomial and network models) take this path.
    fn as_lane(v: &[Self]) -> Option<&[Self::Lane]>;
    fn as_lane_mut(v: &mut [Self]) -> Option<&mut [Self::Lane]>;
}

/// One lane's scalar: a [`Num`] that is also ordered and can be widened.
pub trait Real: Num<Lane = Self> + PartialOrd + Display + Sum {
    fn as_f64(self) -> f64;
    fn is_finite(self) -> bool;
    /// e^a of [`PACK`] lanes at once: sbo's own exponential (`exp.rs`, within 2 ulp of
    /// libm, 1 measured; NaN stays NaN), straight-line arithmetic that the compiler
    /// vectorises across the lanes, used for every exponential of the oracles and steps, so
    /// that a lane computes the same bits alone and in a pack, and in every build (no FMA).
    fn exp_lanes(a: [Self; PACK]) -> [Self; PACK];
    /// Name used in outputs ("f32" or "f64").
    const NAME: &'static str;
}

macro_rules! scalar {
    ($t:ty, $name:literal, $exp_one:path) => {
        impl Num for $t {
            type Lane = $t;
            type Row<'a> = &'a [f32];
            const PACKED: bool = false;

            #[inline(always)]
            fn zero() -> Self {
                0.0
            }
            #[inline(always)]
            fn one() -> Self {
                1.0
            }
            #[inline(always)]
            fn of(v: f64) -> Self {
                v as $t
            }
            #[inline(always)]
            fn of_lanes(f: impl Fn(usize) -> f64) -> Self {
                f(0) as $t
            }
            #[inline(always)]
            fn of_f32(v: f32) -> Self {
                v as $t
            }
            #[inline(always)]
            fn nan() -> Self {
                <$t>::NAN
            }
            #[inline(always)]
            fn exp(self) -> Self {
                // The pack's exponential, so that a lane alone and a packed lane agree.
                $exp_one(self)
            }
            #[inline(always)]
            fn ln(self) -> Self {
                <$t>::ln(self)
            }
            #[inline(always)]
            fn ln_1p(self) -> Self {
                <$t>::ln_1p(self)
            }
            #[inline(always)]
            fn sqrt(self) -> Self {
                <$t>::sqrt(self)
            }
            #[inline(always)]
            fn abs(self) -> Self {
                <$t>::abs(self)
            }
            #[inline(always)]
            fn tanh(self) -> Self {
                <$t>::tanh(self)
            }
            #[inline(always)]
            fn max(self, other: Self) -> Self {
                <$t>::max(self, other)
            }
            #[inline(always)]
            fn all_eq(self, other: Self) -> bool {
                self == other
            }
            #[inline(always)]
            fn gt_select(self, other: Self, then: Self, otherwise: Self) -> Self {
                if self > other {
                    then
                } else {
                    otherwise
                }
            }
            #[inline(always)]
            fn ge_select(self, other: Self, then: Self, otherwise: Self) -> Self {
                if self >= other {
                    then
                } else {
                    otherwise
                }
            }
            #[inline(always)]
            fn sample<'a>(view: &DataView<'a>, i: usize) -> (&'a [f32], Self) {
                let (row, b) = view.sample(i);
                (row, b as $t)
            }
            #[inline(always)]
            fn dot_row(row: &[f32], v: &[Self]) -> Self {
                dot_row(row, v)
            }
            #[inline(always)]
            fn dot2_row(row: &[f32], u: &[Self], v: &[Self]) -> (Self, Self) {
                let (mut su, mut sv) = (0.0, 0.0);
                for ((a, uj), vj) in row.iter().zip(u).zip(v) {
                    let a = *a as $t;
                    su += a * *uj;
                    sv += a * *vj;
                }
                (su, sv)
            }
            #[inline(always)]
            fn axpy_row(c: Self, row: &[f32], out: &mut [Self]) {
                axpy_row(c, row, out)
            }
            #[inline(always)]
            fn axpy2_row(c1: Self, c2: Self, row: &[f32], g: &mut [Self], h: &mut [Self]) {
                for ((g, h), a) in g.iter_mut().zip(h.iter_mut()).zip(row) {
                    let a = *a as $t;
                    *g += c1 * a;
                    *h += c2 * a;
                }
            }
            #[inline(always)]
            fn as_lane(v: &[Self]) -> Option<&[Self]> {
                Some(v)
            }
            #[inline(always)]
            fn as_lane_mut(v: &mut [Self]) -> Option<&mut [Self]> {
                Some(v)
            }
        }

        impl Real for $t {
            #[inline(always)]
            fn as_f64(self) -> f64 {
                self as f64
            }
            #[inline(always)]
            fn is_finite(self) -> bool {
                <$t>::is_finite(self)
            }
            #[inline(always)]
            fn exp_lanes(mut a: [Self; PACK]) -> [Self; PACK] {
                // The lane's exponential on each lane, in a loop rather than `map`, which the
                // compiler left out of line (and so out of the AVX2 oracles).
                for v in a.iter_mut() {
                    *v = $exp_one(*v);
                }
                a
            }
            const NAME: &'static str = $name;
        }
    };
}

scalar!(f32, "f32", exp::exp_f32);
scalar!(f64, "f64", exp::exp_f64);

/// Dot product of a stored f32 row with a lane vector, accumulated in `T` in index order
/// (the order matters for bit-for-bit comparisons with the GPU twin).
#[inline(always)]
pub fn dot_row<T: Num>(row: &[f32], v: &[T]) -> T {
    let mut s = T::zero();
    for (a, b) in row.iter().zip(v) {
        s += T::of_f32(*a) * *b;
    }
    s
}

/// `out += c * row`.
#[inline(always)]
pub fn axpy_row<T: Num>(c: T, row: &[f32], out: &mut [T]) {
    for (o, a) in out.iter_mut().zip(row) {
        *o += c * T::of_f32(*a);
    }
}

pub fn dot<T: Num>(a: &[T], b: &[T]) -> T {
    let mut s = T::zero();
    for (x, y) in a.iter().zip(b) {
        s += *x * *y;
    }
    s
}

pub fn norm2<T: Real>(a: &[T]) -> f64 {
    a.iter()
        .map(|v| v.as_f64() * v.as_f64())
        .sum::<f64>()
        .sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Distance in units in the last place between two finite values of one sign.
    fn ulps64(a: f64, b: f64) -> u64 {
        (a.to_bits() as i64 - b.to_bits() as i64).unsigned_abs()
    }

    /// sbo's exponential against libm's over the range the CPU path uses (the losses take exp
    /// of values <= 0; the couplings of any sign), lane by lane, then over the whole finite
    /// range (subnormal results, the overflow threshold), and at its edges: exp(0) = 1
    /// exactly, NaN stays NaN, -inf and deep underflow give 0, +inf and overflow give inf. A
    /// lane alone gets the pack's bits.
    #[test]
    fn vectorised_exp_is_within_two_ulp_of_libm() {
        let (mut worst32, mut worst64) = (0u64, 0u64);
        for i in 0..20_000 {
            let t = -100.0 + 180.0 * i as f64 / 20_000.0 + 1e-3;
            let a32: [f32; PACK] = std::array::from_fn(|k| (t + k as f64 * 7e-4) as f32);
            let a64: [f64; PACK] = std::array::from_fn(|k| t + k as f64 * 7e-4);
            let (e32, e64) = (f32::exp_lanes(a32), f64::exp_lanes(a64));
            for k in 0..PACK {
                let (w32, w64) = (a32[k].exp(), a64[k].exp());
                let u32_ = (e32[k].to_bits() as i64 - w32.to_bits() as i64).unsigned_abs();
                assert!(
                    u32_ <= 2,
                    "f32 exp({}) = {} vs libm {}",
                    a32[k],
                    e32[k],
                    w32
                );
                assert!(
                    ulps64(e64[k], w64) <= 2,
                    "f64 exp({}) = {} vs {}",
                    a64[k],
                    e64[k],
                    w64
                );
                worst32 = worst32.max(u32_);
                worst64 = worst64.max(ulps64(e64[k], w64));
                assert_eq!(
                    Num::exp(a32[k]).to_bits(),
                    e32[k].to_bits(),
                    "f32 lane alone"
                );
                assert_eq!(
                    Num::exp(a64[k]).to_bits(),
                    e64[k].to_bits(),
                    "f64 lane alone"
                );
            }
        }
        eprintln!("worst: f32 {worst32} ulp, f64 {worst64} ulp");
        // The whole finite range, subnormal results and the overflow threshold included.
        let grid = |lo: f64, hi: f64, i: usize| lo + (hi - lo) * i as f64 / 200_000.0;
        let (mut worst32, mut worst64) = (0u64, 0u64);
        for i in 0..=200_000 {
            let a = grid(-746.0, 710.0, i);
            let (e, w) = (exp::exp_f64(a), a.exp());
            let u = if e == w { 0 } else { ulps64(e, w) };
            assert!(u <= 2, "f64 exp({a:e}) = {e:e} vs libm {w:e}");
            worst64 = worst64.max(u);
            let a = grid(-104.0, 89.0, i) as f32;
            let (e, w) = (exp::exp_f32(a), a.exp());
            let u = (e.to_bits() as i64 - w.to_bits() as i64).unsigned_abs();
            let u = if e == w { 0 } else { u };
            assert!(u <= 2, "f32 exp({a:e}) = {e:e} vs libm {w:e}");
            worst32 = worst32.max(u);
        }
        eprintln!("whole range: f32 {worst32} ulp, f64 {worst64} ulp");
        let edge = [
            0.0,
            -0.0,
            f64::NAN,
            f64::NEG_INFINITY,
            -800.0,
            f64::INFINITY,
            800.0,
            -1.0,
        ];
        let e = f64::exp_lanes(edge);
        assert_eq!(e[0], 1.0);
        assert_eq!(e[1], 1.0);
        assert!(e[2].is_nan());
        assert_eq!(&e[3..7], &[0.0, 0.0, f64::INFINITY, f64::INFINITY]);
        let e = f32::exp_lanes(edge.map(|v| v as f32));
        assert_eq!(e[0], 1.0);
        assert_eq!(e[1], 1.0);
        assert!(e[2].is_nan());
        assert_eq!(&e[3..7], &[0.0, 0.0, f32::INFINITY, f32::INFINITY]);
    }
}
