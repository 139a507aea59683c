//! CPU oracles (DESIGN section 2). STUB: filled in by the problem work.
use crate::data::DataView;
use crate::problem::ProblemSpec;
use crate::real::Real;

/// Which samples an oracle averages over.
#[derive(Clone, Copy, Debug)]
pub enum Batch<'a> {
    /// Every sample of the set, in index order.
    Full,
    /// These indices (repeats allowed), in this order.
    Idx(&'a [u32]),
}

/// The oracles of one lane: a problem and the lower/upper sets as the lane sees them.
#[derive(Clone, Copy, Debug)]
pub struct Oracles<'a> {
    pub spec: &'a ProblemSpec,
    pub lower: DataView<'a>,
    pub upper: DataView<'a>,
}

impl<'a> Oracles<'a> {
    pub fn d(&self) -> usize {
        self.lower.d()
    }
    pub fn p(&self) -> usize {
        self.spec.p(self.d())
    }

    /// out = grad_y g_B(x, y)   (len d)
    pub fn grad_y_g<T: Real>(&self, x: &[T], y: &[T], batch: Batch, out: &mut [T]) {
        let _ = (x, y, batch, out);
        todo!()
    }
    /// out = H_B(x, y) v   (len d)
    pub fn hvp<T: Real>(&self, x: &[T], y: &[T], v: &[T], batch: Batch, out: &mut [T]) {
        let _ = (x, y, v, batch, out);
        todo!()
    }
    /// out = grad2_xy g(x, y) v   (len p; no data pass)
    pub fn jvp<T: Real>(&self, x: &[T], y: &[T], v: &[T], out: &mut [T]) {
        let _ = (x, y, v, out);
        todo!()
    }
    /// out = grad_y f_B(x, y)   (len d)
    pub fn grad_y_f<T: Real>(&self, x: &[T], y: &[T], batch: Batch, out: &mut [T]) {
        let _ = (x, y, batch, out);
        todo!()
    }
    /// out = grad_x f(x, y) = nu x   (len p)
    pub fn grad_x_f<T: Real>(&self, x: &[T], y: &[T], out: &mut [T]) {
        let _ = (x, y, out);
        todo!()
    }
    /// g(x, y) on the full lower set, regularisers included.
    pub fn lower_value<T: Real>(&self, x: &[T], y: &[T]) -> f64 {
        let _ = (x, y);
        todo!()
    }
    /// f(x, y) on the full upper set, (nu / 2)|x|^2 included.
    pub fn upper_value<T: Real>(&self, x: &[T], y: &[T]) -> f64 {
        let _ = (x, y);
        todo!()
    }
}

/// Mean data loss (1/n) sum l(a_i . y, b_i) over a set, without regularisers (f64 accumulation).
pub fn data_loss<T: Real>(spec: &ProblemSpec, set: DataView, y: &[T]) -> f64 {
    let _ = (spec, set, y);
    todo!()
}

/// Fraction of samples with sign(a . y) == b (logistic problems).
pub fn accuracy<T: Real>(set: DataView, y: &[T]) -> f64 {
    let _ = (set, y);
    todo!()
}
