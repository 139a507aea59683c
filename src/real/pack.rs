//! [`Pack`]: the lanes of a group that draw the same batches (a seed's base lane and its
//! neighbours), advanced together. Vectors of packs are lane-major in blocks of [`PACK`], so
//! the oracles' inner loops (a row times every lane's vector, a row added into every lane's
//! output) run across lanes: a row is read once per pack instead of once per lane, and the
//! dependent additions of a dot product in feature order become [`PACK`] independent ones
//! that the compiler vectorises. Every lane's arithmetic is its scalar reference's, operation
//! for operation, in the same order (no fused multiply-adds, no reassociation).

// Indexed loops over the fixed lane count are the form the compiler turns into vector
// operations; iterator chains over three arrays read worse and compile the same.
#![allow(clippy::needless_range_loop)]

use super::{Num, Real};
use crate::data::DataView;
use std::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};

/// Lanes per pack: 8 f32 fill one AVX register; f64 packs take two.
pub const PACK: usize = 8;

/// [`PACK`] lanes' scalars, one per lane.
#[derive(Clone, Copy, Debug, PartialEq)]
#[repr(C, align(32))]
pub struct Pack<T>(pub [T; PACK]);

impl<T: Real> Default for Pack<T> {
    #[inline(always)]
    fn default() -> Self {
        Pack([T::zero(); PACK])
    }
}

impl<T: Real> Pack<T> {
    #[inline(always)]
    pub fn splat(v: T) -> Self {
        Pack([v; PACK])
    }

    #[inline(always)]
    fn map(self, f: impl Fn(T) -> T) -> Self {
        let mut out = self.0;
        for o in out.iter_mut() {
            *o = f(*o);
        }
        Pack(out)
    }

    #[inline(always)]
    fn zip(self, other: Self, f: impl Fn(T, T) -> T) -> Self {
        let mut out = self.0;
        for (o, b) in out.iter_mut().zip(other.0) {
            *o = f(*o, b);
        }
        Pack(out)
    }
}

/// A data row as a pack's lanes see it: one row for all of them, or (at a neighbour's replaced
/// sample) a row per lane.
#[derive(Clone, Copy, Debug)]
pub enum PackRow<'a> {
    Shared(&'a [f32]),
    Lanes([&'a [f32]; PACK]),
}

macro_rules! binary {
    ($op:ident, $f:ident, $assign:ident, $fa:ident, $sym:tt) => {
        impl<T: Real> $op for Pack<T> {
            type Output = Self;
            #[inline(always)]
            fn $f(self, o: Self) -> Self {
                self.zip(o, |a, b| a $sym b)
            }
        }
        impl<T: Real> $assign for Pack<T> {
            #[inline(always)]
            fn $fa(&mut self, o: Self) {
                for (a, b) in self.0.iter_mut().zip(o.0) {
                    *a = *a $sym b;
                }
            }
        }
    };
}

binary!(Add, add, AddAssign, add_assign, +);
binary!(Sub, sub, SubAssign, sub_assign, -);
binary!(Mul, mul, MulAssign, mul_assign, *);
binary!(Div, div, DivAssign, div_assign, /);

impl<T: Real> Neg for Pack<T> {
    type Output = Self;
    #[inline(always)]
    fn neg(self) -> Self {
        self.map(|a| -a)
    }
}

impl<T: Real> Num for Pack<T> {
    type Lane = T;
    type Row<'a> = PackRow<'a>;

    #[inline(always)]
    fn zero() -> Self {
        Self::splat(T::zero())
    }
    #[inline(always)]
    fn one() -> Self {
        Self::splat(T::one())
    }
    #[inline(always)]
    fn of(v: f64) -> Self {
        Self::splat(T::of(v))
    }
    #[inline(always)]
    fn of_lanes(f: impl Fn(usize) -> f64) -> Self {
        let mut out = [T::zero(); PACK];
        for (k, o) in out.iter_mut().enumerate() {
            *o = T::of(f(k));
        }
        Pack(out)
    }
    #[inline(always)]
    fn of_f32(v: f32) -> Self {
        Self::splat(T::of_f32(v))
    }
    #[inline(always)]
    fn nan() -> Self {
        Self::splat(T::nan())
    }
    #[inline(always)]
    fn exp(self) -> Self {
        self.map(T::exp)
    }
    #[inline(always)]
    fn ln(self) -> Self {
        self.map(T::ln)
    }
    #[inline(always)]
    fn ln_1p(self) -> Self {
        self.map(T::ln_1p)
    }
    #[inline(always)]
    fn sqrt(self) -> Self {
        self.map(T::sqrt)
    }
    #[inline(always)]
    fn abs(self) -> Self {
        self.map(T::abs)
    }
    #[inline(always)]
    fn tanh(self) -> Self {
        self.map(T::tanh)
    }
    #[inline(always)]
    fn max(self, other: Self) -> Self {
        self.zip(other, T::max)
    }
    #[inline(always)]
    fn all_eq(self, other: Self) -> bool {
        self.0 == other.0
    }
    #[inline(always)]
    fn gt_select(self, other: Self, then: Self, otherwise: Self) -> Self {
        let mut out = otherwise.0;
        for k in 0..PACK {
            if self.0[k] > other.0[k] {
                out[k] = then.0[k];
            }
        }
        Pack(out)
    }
    #[inline(always)]
    fn ge_select(self, other: Self, then: Self, otherwise: Self) -> Self {
        let mut out = otherwise.0;
        for k in 0..PACK {
            if self.0[k] >= other.0[k] {
                out[k] = then.0[k];
            }
        }
        Pack(out)
    }

    #[inline(always)]
    fn sample<'a>(view: &DataView<'a>, i: usize) -> (PackRow<'a>, Self) {
        let (row, b) = view.original(i);
        let swapped = |k: usize| match view.lanes.get(k) {
            Some(Some(r)) if r.index == i => Some(r),
            _ => None,
        };
        if !(0..PACK).any(|k| swapped(k).is_some()) {
            return (PackRow::Shared(row), Self::of_f32(b));
        }
        let mut rows = [row; PACK];
        let mut labels = [T::of_f32(b); PACK];
        for k in 0..PACK {
            if let Some(r) = swapped(k) {
                rows[k] = r.row;
                labels[k] = T::of_f32(r.label);
            }
        }
        (PackRow::Lanes(rows), Pack(labels))
    }

    #[inline(always)]
    fn dot_row(row: PackRow<'_>, v: &[Self]) -> Self {
        let mut s = Self::zero();
        match row {
            PackRow::Shared(row) => {
                for (a, vj) in row.iter().zip(v) {
                    let a = T::of_f32(*a);
                    for k in 0..PACK {
                        s.0[k] += a * vj.0[k];
                    }
                }
            }
            PackRow::Lanes(rows) => {
                for (j, vj) in v.iter().enumerate().take(rows[0].len()) {
                    for k in 0..PACK {
                        s.0[k] += T::of_f32(rows[k][j]) * vj.0[k];
                    }
                }
            }
        }
        s
    }

    #[inline(always)]
    fn dot2_row(row: PackRow<'_>, u: &[Self], v: &[Self]) -> (Self, Self) {
        match row {
            PackRow::Shared(row) => {
                let (mut su, mut sv) = (Self::zero(), Self::zero());
                for ((a, uj), vj) in row.iter().zip(u).zip(v) {
                    let a = T::of_f32(*a);
                    for k in 0..PACK {
                        su.0[k] += a * uj.0[k];
                        sv.0[k] += a * vj.0[k];
                    }
                }
                (su, sv)
            }
            lanes => (Self::dot_row(lanes, u), Self::dot_row(lanes, v)),
        }
    }

    #[inline(always)]
    fn axpy_row(c: Self, row: PackRow<'_>, out: &mut [Self]) {
        match row {
            PackRow::Shared(row) => {
                for (o, a) in out.iter_mut().zip(row) {
                    let a = T::of_f32(*a);
                    for k in 0..PACK {
                        o.0[k] += c.0[k] * a;
                    }
                }
            }
            PackRow::Lanes(rows) => {
                for (j, o) in out.iter_mut().enumerate().take(rows[0].len()) {
                    for k in 0..PACK {
                        o.0[k] += c.0[k] * T::of_f32(rows[k][j]);
                    }
                }
            }
        }
    }

    #[inline(always)]
    fn axpy2_row(c1: Self, c2: Self, row: PackRow<'_>, g: &mut [Self], h: &mut [Self]) {
        match row {
            PackRow::Shared(row) => {
                for ((g, h), a) in g.iter_mut().zip(h.iter_mut()).zip(row) {
                    let a = T::of_f32(*a);
                    for k in 0..PACK {
                        g.0[k] += c1.0[k] * a;
                        h.0[k] += c2.0[k] * a;
                    }
                }
            }
            lanes => {
                Self::axpy_row(c1, lanes, g);
                Self::axpy_row(c2, lanes, h);
            }
        }
    }

    #[inline(always)]
    fn as_lane(_: &[Self]) -> Option<&[T]> {
        None
    }
    #[inline(always)]
    fn as_lane_mut(_: &mut [Self]) -> Option<&mut [T]> {
        None
    }
}

impl<T: Real> Pack<T> {
    /// Lane k of a packed vector.
    pub fn lane(v: &[Self], k: usize) -> Vec<T> {
        v.iter().map(|p| p.0[k]).collect()
    }

    /// Writes lane k of a packed vector from `v`.
    pub fn set_lane(v: &mut [Self], k: usize, from: &[T]) {
        for (p, f) in v.iter_mut().zip(from) {
            p.0[k] = *f;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{Dataset, Replacement};

    /// A pack's row products equal each lane's scalar ones, bit for bit, with a shared row and
    /// with lane 3 seeing its replaced sample.
    #[test]
    fn packed_row_products_are_each_lanes_own() {
        let rows: Vec<f32> = (0..15).map(|i| (i as f32 * 0.37).sin()).collect();
        let data = Dataset::new(5, rows, vec![1.0, -1.0, 1.0]).unwrap();
        let swapped = [0.5f32, -0.25, 2.0, 1.5, -3.0];
        let mut lanes = [None; PACK];
        lanes[3] = Some(Replacement {
            index: 1,
            row: &swapped,
            label: 1.0,
        });
        let view = data.view().for_lanes(&lanes);
        let v: Vec<Pack<f64>> = (0..5)
            .map(|j| Pack(std::array::from_fn(|k| (j * PACK + k) as f64 * 0.01 - 0.2)))
            .collect();
        for i in 0..3 {
            let (row, b) = Pack::<f64>::sample(&view, i);
            assert_eq!(matches!(row, PackRow::Lanes(_)), i == 1, "sample {i}");
            let dot = Pack::dot_row(row, &v);
            let mut out = vec![Pack::<f64>::zero(); 5];
            Pack::axpy_row(dot, row, &mut out);
            for k in 0..PACK {
                let (r, l) = match (i, k) {
                    (1, 3) => (&swapped[..], 1.0),
                    _ => (data.row(i), data.label(i)),
                };
                let vk: Vec<f64> = v.iter().map(|p| p.0[k]).collect();
                let want = crate::real::dot_row(r, &vk);
                assert_eq!(dot.0[k].to_bits(), want.to_bits(), "sample {i} lane {k}");
                assert_eq!(b.0[k], l as f64, "sample {i} lane {k} label");
                let mut o = vec![0.0f64; 5];
                crate::real::axpy_row(want, r, &mut o);
                for j in 0..5 {
                    assert_eq!(out[j].0[k].to_bits(), o[j].to_bits(), "{i} {k} {j}");
                }
            }
        }
    }

    #[test]
    fn selects_take_each_lanes_branch_and_nan_compares_false() {
        let a = Pack([1.0f32, -1.0, f32::NAN, 0.0, -0.0, 2.0, -2.0, 3.0]);
        let z = Pack::<f32>::zero();
        let (t, f) = (Pack::splat(10.0f32), Pack::splat(20.0f32));
        let ge = a.ge_select(z, t, f);
        let gt = a.gt_select(z, t, f);
        for k in 0..PACK {
            let x = a.0[k];
            assert_eq!(ge.0[k], if x >= 0.0 { 10.0 } else { 20.0 }, "lane {k}");
            assert_eq!(gt.0[k], if x > 0.0 { 10.0 } else { 20.0 }, "lane {k}");
        }
    }
}
