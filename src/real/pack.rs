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

use super::{Num, Real, CHUNK};
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

impl Default for PackRow<'_> {
    fn default() -> Self {
        PackRow::Shared(&[])
    }
}

/// The rows of a full chunk, each cut to `n` features, when every lane shares each of them
/// (no neighbour's replaced sample among them): the case the multi-row kernels take.
#[inline(always)]
fn shared_chunk<'a>(rows: &[PackRow<'a>], n: usize) -> Option<[&'a [f32]; CHUNK]> {
    if rows.len() != CHUNK {
        return None;
    }
    let mut out: [&[f32]; CHUNK] = [&[]; CHUNK];
    for (o, r) in out.iter_mut().zip(rows) {
        match r {
            PackRow::Shared(r) if r.len() >= n => *o = &r[..n],
            _ => return None,
        }
    }
    Some(out)
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
    const PACKED: bool = true;

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
        Pack(T::exp_lanes(self.0))
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
    fn dot_rows(rows: &[PackRow<'_>], v: &[Self], z: &mut [Self]) {
        let n = v.len();
        let Some(r) = shared_chunk(rows, n) else {
            for (zs, row) in z.iter_mut().zip(rows) {
                *zs = Self::dot_row(*row, v);
            }
            return;
        };
        let mut acc = [Self::zero(); CHUNK];
        for (j, vj) in v.iter().enumerate() {
            for s in 0..CHUNK {
                let a = T::of_f32(r[s][j]);
                for k in 0..PACK {
                    acc[s].0[k] += a * vj.0[k];
                }
            }
        }
        z.copy_from_slice(&acc[..z.len()]);
    }

    #[inline(always)]
    fn dot2_rows(rows: &[PackRow<'_>], u: &[Self], v: &[Self], zu: &mut [Self], zv: &mut [Self]) {
        let n = u.len().min(v.len());
        let Some(r) = shared_chunk(rows, n) else {
            for ((a, b), row) in zu.iter_mut().zip(zv.iter_mut()).zip(rows) {
                (*a, *b) = Self::dot2_row(*row, u, v);
            }
            return;
        };
        let (mut au, mut av) = ([Self::zero(); CHUNK], [Self::zero(); CHUNK]);
        for (j, (uj, vj)) in u[..n].iter().zip(&v[..n]).enumerate() {
            for s in 0..CHUNK {
                let a = T::of_f32(r[s][j]);
                for k in 0..PACK {
                    au[s].0[k] += a * uj.0[k];
                    av[s].0[k] += a * vj.0[k];
                }
            }
        }
        zu.copy_from_slice(&au[..zu.len()]);
        zv.copy_from_slice(&av[..zv.len()]);
    }

    #[inline(always)]
    fn axpy_rows(c: &[Self], rows: &[PackRow<'_>], out: &mut [Self]) {
        let Some(r) = shared_chunk(rows, out.len()) else {
            for (cs, row) in c.iter().zip(rows) {
                Self::axpy_row(*cs, *row, out);
            }
            return;
        };
        for (j, o) in out.iter_mut().enumerate() {
            let mut acc = *o;
            for s in 0..CHUNK {
                let a = T::of_f32(r[s][j]);
                for k in 0..PACK {
                    acc.0[k] += c[s].0[k] * a;
                }
            }
            *o = acc;
        }
    }

    #[inline(always)]
    fn axpy2_rows(c1: &[Self], c2: &[Self], rows: &[PackRow<'_>], g: &mut [Self], h: &mut [Self]) {
        let n = g.len().min(h.len());
        let Some(r) = shared_chunk(rows, n) else {
            for ((a, b), row) in c1.iter().zip(c2).zip(rows) {
                Self::axpy2_row(*a, *b, *row, g, h);
            }
            return;
        };
        for (j, (gj, hj)) in g[..n].iter_mut().zip(&mut h[..n]).enumerate() {
            let (mut ag, mut ah) = (*gj, *hj);
            for s in 0..CHUNK {
                let a = T::of_f32(r[s][j]);
                for k in 0..PACK {
                    ag.0[k] += c1[s].0[k] * a;
                    ah.0[k] += c2[s].0[k] * a;
                }
            }
            (*gj, *hj) = (ag, ah);
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

    /// The multi-row products (a full chunk of shared rows, a chunk with lane 5's replaced
    /// sample in it, a short chunk) equal each lane's one-row products taken in sample order,
    /// bit for bit.
    #[test]
    fn chunked_row_products_are_each_lanes_own() {
        let d = 7;
        let rows: Vec<f32> = (0..6 * d).map(|i| (i as f32 * 0.61).cos()).collect();
        let data = Dataset::new(d, rows, vec![1.0, -1.0, 1.0, 1.0, -1.0, 1.0]).unwrap();
        let swapped: Vec<f32> = (0..d).map(|j| 0.3 * j as f32 - 1.0).collect();
        let mut lanes = [None; PACK];
        lanes[5] = Some(Replacement {
            index: 4,
            row: &swapped,
            label: -1.0,
        });
        let view = data.view().for_lanes(&lanes);
        let vec = |c: f64| -> Vec<Pack<f64>> {
            (0..d)
                .map(|j| Pack(std::array::from_fn(|k| ((j * PACK + k) as f64 * c).sin())))
                .collect()
        };
        let (u, v) = (vec(0.13), vec(0.29));
        let full: Vec<usize> = (0..CHUNK).map(|s| [0, 1, 2, 3][s % 4]).collect();
        let replaced: Vec<usize> = (0..CHUNK).map(|s| [2, 4, 5, 1][s % 4]).collect();
        for chunk in [full.as_slice(), &replaced, &[3, 0, 5]] {
            let rows: Vec<PackRow> = chunk
                .iter()
                .map(|&i| Pack::<f64>::sample(&view, i).0)
                .collect();
            let n = rows.len();
            let mut z = vec![Pack::<f64>::zero(); n];
            let (mut zu, mut zv) = (z.clone(), z.clone());
            Pack::dot_rows(&rows, &u, &mut z);
            Pack::dot2_rows(&rows, &u, &v, &mut zu, &mut zv);
            let c2: Vec<Pack<f64>> = zv.iter().map(|a| *a * Pack::splat(0.5)).collect();
            let mut o1 = vec![Pack::<f64>::splat(0.25); d];
            let (mut g, mut h) = (o1.clone(), vec![Pack::<f64>::splat(-0.5); d]);
            Pack::axpy_rows(&z, &rows, &mut o1);
            Pack::axpy2_rows(&zu, &c2, &rows, &mut g, &mut h);
            for k in 0..PACK {
                let lane_row = |i: usize| {
                    if (i, k) == (4, 5) {
                        &swapped[..]
                    } else {
                        data.row(i)
                    }
                };
                let (uk, vk) = (Pack::lane(&u, k), Pack::lane(&v, k));
                let mut want = (vec![0.25f64; d], vec![0.25f64; d], vec![-0.5f64; d]);
                for (s, &i) in chunk.iter().enumerate() {
                    let a = crate::real::dot_row(lane_row(i), &uk);
                    let b = crate::real::dot_row(lane_row(i), &vk);
                    let at = |p: Pack<f64>| p.0[k].to_bits();
                    assert_eq!(
                        at(z[s]),
                        a.to_bits(),
                        "dot: chunk {chunk:?} slot {s} lane {k}"
                    );
                    assert_eq!(
                        at(zu[s]),
                        a.to_bits(),
                        "dot2 u: chunk {chunk:?} slot {s} lane {k}"
                    );
                    assert_eq!(
                        at(zv[s]),
                        b.to_bits(),
                        "dot2 v: chunk {chunk:?} slot {s} lane {k}"
                    );
                    crate::real::axpy_row(a, lane_row(i), &mut want.0);
                    crate::real::axpy_row(a, lane_row(i), &mut want.1);
                    crate::real::axpy_row(b * 0.5, lane_row(i), &mut want.2);
                }
                for j in 0..d {
                    let got = (o1[j].0[k], g[j].0[k], h[j].0[k]);
                    let exp = (want.0[j], want.1[j], want.2[j]);
                    assert_eq!(
                        (got.0.to_bits(), got.1.to_bits(), got.2.to_bits()),
                        (exp.0.to_bits(), exp.1.to_bits(), exp.2.to_bits()),
                        "axpy: chunk {chunk:?} lane {k} coordinate {j}: got {got:?}, want {exp:?}"
                    );
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
