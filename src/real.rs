//! The scalar type of a lane. The CPU path runs in f64 (the reference) or f32 (to compare
//! with the GPU bit for bit where possible); data are always stored as f32.
//!
//! Owns: the arithmetic the CPU path shares between precisions. Must not know: anything above.

use std::fmt::{Debug, Display};
use std::iter::Sum;
use std::ops::{AddAssign, DivAssign, MulAssign, SubAssign};

pub trait Real:
    num_traits::Float
    + Copy
    + Send
    + Sync
    + Default
    + Debug
    + Display
    + Sum
    + AddAssign
    + SubAssign
    + MulAssign
    + DivAssign
    + 'static
{
    /// Converts an f64 constant (a step size, a regularisation weight).
    fn of(v: f64) -> Self;
    /// Converts a stored data value.
    fn of_f32(v: f32) -> Self;
    fn as_f64(self) -> f64;
    /// Name used in outputs ("f32" or "f64").
    const NAME: &'static str;
}

impl Real for f32 {
    #[inline(always)]
    fn of(v: f64) -> Self {
        v as f32
    }
    #[inline(always)]
    fn of_f32(v: f32) -> Self {
        v
    }
    #[inline(always)]
    fn as_f64(self) -> f64 {
        self as f64
    }
    const NAME: &'static str = "f32";
}

impl Real for f64 {
    #[inline(always)]
    fn of(v: f64) -> Self {
        v
    }
    #[inline(always)]
    fn of_f32(v: f32) -> Self {
        v as f64
    }
    #[inline(always)]
    fn as_f64(self) -> f64 {
        self
    }
    const NAME: &'static str = "f64";
}

/// Dot product of a stored f32 row with a lane vector, accumulated in `T` in index order
/// (the order matters for bit-for-bit comparisons with the GPU twin).
#[inline(always)]
pub fn dot_row<T: Real>(row: &[f32], v: &[T]) -> T {
    let mut s = T::zero();
    for (a, b) in row.iter().zip(v) {
        s += T::of_f32(*a) * *b;
    }
    s
}

/// `out += c * row`.
#[inline(always)]
pub fn axpy_row<T: Real>(c: T, row: &[f32], out: &mut [T]) {
    for (o, a) in out.iter_mut().zip(row) {
        *o += c * T::of_f32(*a);
    }
}

pub fn dot<T: Real>(a: &[T], b: &[T]) -> T {
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
