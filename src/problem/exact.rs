//! Exact f64 quantities used as ground truth. STUB: filled in by the problem work.
use crate::data::DataView;
use crate::error::Result;
use crate::problem::ProblemSpec;

/// The exact hypergradient at x and what it was computed from.
#[derive(Clone, Debug)]
pub struct ExactHypergradient {
    pub grad: Vec<f64>,
    /// y*(x), the inner solution used.
    pub y_star: Vec<f64>,
    /// F(x) = f(x, y*(x)).
    pub value: f64,
}

/// y*(x) = argmin_y g(x, y) on the full lower set, solved to `tol` on |grad_y g| by damped
/// Newton from `y0` (closed form for squared loss with the prior coupling).
pub fn solve_inner(
    spec: &ProblemSpec,
    lower: DataView,
    x: &[f64],
    y0: &[f64],
    tol: f64,
) -> Result<Vec<f64>> {
    let _ = (spec, lower, x, y0, tol);
    todo!()
}

/// grad F(x) = grad_x f - J (H^-1 grad_y f) at y = y*(x), full sets, f64.
pub fn hypergradient(
    spec: &ProblemSpec,
    lower: DataView,
    upper: DataView,
    x: &[f64],
    y0: &[f64],
    tol: f64,
) -> Result<ExactHypergradient> {
    let _ = (spec, lower, upper, x, y0, tol);
    todo!()
}

/// The closed-form bilevel optimum (x*, y*(x*)) of a squared-loss prior-coupling problem.
pub fn quadratic_optimum(
    spec: &ProblemSpec,
    lower: DataView,
    upper: DataView,
) -> Result<(Vec<f64>, Vec<f64>)> {
    let _ = (spec, lower, upper);
    todo!()
}
