//! Exact f64 quantities used as ground truth: the inner solution y*(x), the hypergradient
//! grad F(x) and, for squared loss with the prior coupling, the closed-form bilevel optimum.
//!
//! Everything here works on the full lower/upper sets with dense d x d matrices (nalgebra).
use crate::data::DataView;
use crate::error::{Result, SboError};
use crate::problem::{coupling, gram, loss, Batch, HyperShape, Loss, Oracles, ProblemSpec};
use nalgebra::{DMatrix, DVector};

/// Maximal number of Newton iterations of [`solve_inner`].
pub const MAX_NEWTON_ITERS: usize = 200;

/// Reciprocal condition number below which a dense system is declared singular.
const RCOND_MIN: f64 = 1e-13;

/// The exact hypergradient at x and what it was computed from.
#[derive(Clone, Debug)]
pub struct ExactHypergradient {
    pub grad: Vec<f64>,
    /// y*(x), the inner solution used.
    pub y_star: Vec<f64>,
    /// F(x) = f(x, y*(x)).
    pub value: f64,
}

fn check_dims(spec: &ProblemSpec, lower: DataView, x: &[f64], y: &[f64]) -> Result<()> {
    let d = spec.y_len(lower.d());
    if x.len() != spec.p(lower.d(), lower.n()) {
        return Err(SboError::Dimension {
            what: "x (hyperparameters)".into(),
            expected: spec.p(lower.d(), lower.n()),
            got: x.len(),
        });
    }
    if y.len() != d {
        return Err(SboError::Dimension {
            what: "y (inner variable)".into(),
            expected: d,
            got: y.len(),
        });
    }
    Ok(())
}

fn norm(v: &[f64]) -> f64 {
    v.iter().map(|a| a * a).sum::<f64>().sqrt()
}

/// The full lower Hessian, dense d x d, f64: grad2_yy g(x, y) = (1/n) sum_i l''(a_i.y, b_i)
/// a_i a_i^T plus diag(d2r/dy2(j) + lam_y). Multinomial (C classes, y class-major): block
/// (c, c') of the data term is (1/n) sum_i (p_ic [c = c'] - p_ic p_ic') a_i a_i^T.
pub fn full_hessian(spec: &ProblemSpec, lower: DataView, x: &[f64], y: &[f64]) -> DMatrix<f64> {
    if spec.net(lower.d()).is_some() {
        return network_hessian(spec, lower, x, y);
    }
    let (n, f) = (lower.n(), lower.d());
    // Hyper-cleaning weighs sample i by sigmoid(x_i).
    let weight = |i: usize| {
        if spec.weighs_samples() {
            loss::sigmoid(x[i])
        } else {
            1.0
        }
    };
    let mut h = if spec.loss == Loss::Multinomial {
        multinomial_data_hessian(spec.outputs(), lower, y, weight)
    } else {
        // Rows scaled by sqrt(l'') (l'' >= 0 for every loss), then H = W^T W / n.
        let mut w = vec![0.0f64; n * f];
        for (i, wi) in w.chunks_exact_mut(f.max(1)).take(n).enumerate() {
            let (row, b) = lower.sample(i);
            let z: f64 = row.iter().zip(y).map(|(a, yj)| *a as f64 * yj).sum();
            let s = (weight(i) * loss::d2(spec.loss, z, b as f64))
                .max(0.0)
                .sqrt();
            for (o, a) in wi.iter_mut().zip(row) {
                *o = s * *a as f64;
            }
        }
        gram::gram(&w, f)
    };
    if n > 0 {
        h /= n as f64;
    }
    for j in 0..y.len() {
        h[(j, j)] += coupling::dyy(spec.coupling, spec.mu, x[spec.k(j, f)], y[j]) + spec.lam_y;
    }
    h
}

/// A network's lower Hessian, column j = H e_j from the f64 oracle (its exact
/// forward-over-reverse product, which the finite-difference tests check), symmetrised:
/// d oracle calls, O(n d^2) work, what the `run.exact` size limit keeps small.
fn network_hessian(spec: &ProblemSpec, lower: DataView, x: &[f64], y: &[f64]) -> DMatrix<f64> {
    let d = y.len();
    let o = Oracles {
        spec,
        lower,
        upper: lower,
    };
    let mut h = DMatrix::<f64>::zeros(d, d);
    let (mut e, mut col) = (vec![0.0; d], vec![0.0; d]);
    for j in 0..d {
        e[j] = 1.0;
        o.hvp(x, y, &e, Batch::Full, &mut col);
        e[j] = 0.0;
        h.column_mut(j).copy_from_slice(&col);
    }
    (&h + h.transpose()) * 0.5
}

/// sum_i S_i (x) a_i a_i^T with S_i = diag(p_i) - p_i p_i^T, written entry by entry from the
/// definition (no factorisation), so that it checks the oracles' per-sample algebra.
fn multinomial_data_hessian(
    classes: usize,
    lower: DataView,
    y: &[f64],
    weight: impl Fn(usize) -> f64,
) -> DMatrix<f64> {
    let f = lower.d();
    let mut h = DMatrix::<f64>::zeros(classes * f, classes * f);
    let mut p = vec![0.0; classes];
    for i in 0..lower.n() {
        let (row, _) = lower.sample(i);
        for (c, pc) in p.iter_mut().enumerate() {
            *pc = row
                .iter()
                .zip(&y[c * f..(c + 1) * f])
                .map(|(a, w)| *a as f64 * w)
                .sum();
        }
        let m = p.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let s: f64 = p.iter().map(|z| (z - m).exp()).sum();
        for pc in p.iter_mut() {
            *pc = (*pc - m).exp() / s;
        }
        for c in 0..classes {
            for c2 in 0..classes {
                let sc = weight(i) * (if c == c2 { p[c] } else { 0.0 } - p[c] * p[c2]);
                for (j, a) in row.iter().enumerate() {
                    for (j2, a2) in row.iter().enumerate() {
                        h[(c * f + j, c2 * f + j2)] += sc * *a as f64 * *a2 as f64;
                    }
                }
            }
        }
    }
    h
}

/// The cross derivative J = grad2_xy g(x, y) as a dense p x d matrix: J[k(j), j] = d2r/dxdy(j),
/// for data with `features` columns.
/// (Per-sample weights read the data: their J v comes from the oracle, not from here.)
pub fn cross_matrix(spec: &ProblemSpec, features: usize, x: &[f64], y: &[f64]) -> DMatrix<f64> {
    let d = y.len();
    let mut j_mat = DMatrix::<f64>::zeros(x.len(), d);
    for (j, &yj) in y.iter().enumerate() {
        let k = spec.k(j, features);
        j_mat[(k, j)] += coupling::dxy(spec.coupling, spec.mu, x[k], yj);
    }
    j_mat
}

/// Solves a dense system by SVD, refusing (numerical error) a singular or ill-posed one
/// (reciprocal condition number below 1e-13) or a non-finite result.
fn solve_checked(m: DMatrix<f64>, rhs: DVector<f64>, what: &str) -> Result<DVector<f64>> {
    if m.iter().chain(rhs.iter()).any(|v| !v.is_finite()) {
        return Err(SboError::numerical(
            what,
            "non-finite matrix or right-hand side",
        ));
    }
    if m.nrows() == 0 {
        return Ok(rhs);
    }
    let svd = m.svd(true, true);
    let smax = svd.singular_values.max();
    let smin = svd.singular_values.min();
    if smax.is_nan() || smax <= 0.0 || smin <= RCOND_MIN * smax {
        return Err(SboError::numerical(
            what,
            format!("singular system (singular values {smin:e} .. {smax:e})"),
        ));
    }
    let sol = svd
        .solve(&rhs, 0.0)
        .map_err(|e| SboError::numerical(what, e.to_string()))?;
    if sol.iter().any(|v| !v.is_finite()) {
        return Err(SboError::numerical(what, "non-finite solution"));
    }
    Ok(sol)
}

/// Newton direction -(H + lambda I)^-1 grad, lambda = 0 when H is positive definite (Cholesky),
/// else the smallest Levenberg-Marquardt damping 1e-8 (1 + max|H_jj|) 10^t that makes it so.
fn newton_direction(h: &DMatrix<f64>, grad: &DVector<f64>) -> Option<DVector<f64>> {
    if let Some(ch) = h.clone().cholesky() {
        return Some(-ch.solve(grad));
    }
    let scale = 1.0 + h.diagonal().amax();
    let mut lambda = 1e-8 * scale;
    for _ in 0..40 {
        let mut hd = h.clone();
        for j in 0..hd.nrows() {
            hd[(j, j)] += lambda;
        }
        if let Some(ch) = hd.cholesky() {
            return Some(-ch.solve(grad));
        }
        lambda *= 10.0;
    }
    None
}

/// y*(x) = argmin_y g(x, y) on the full lower set.
///
/// Squared loss with the prior coupling: closed form, one dense solve of
/// (A^T A / n + (mu + lam_y) I) y = A^T b / n + mu P x. Every other problem: damped Newton from
/// `y0` with the dense Hessian (Cholesky; Levenberg-Marquardt damping where it is not positive
/// definite, as with the nonconvex coupling) and an Armijo backtracking line search on g (when
/// the predicted decrease of g is lost in rounding, a full step that reduces |grad_y g| is
/// accepted instead).
///
/// Convergence: |grad_y g(x, y)| <= tol * max(1, |grad_y g(x, y0)|) (relative to the initial
/// gradient, absolute below 1). The closed form is checked against the same criterion (and
/// polished by Newton steps if it misses it). Errors with `SboError::Numerical` after
/// [`MAX_NEWTON_ITERS`] iterations, on a NaN, or when no descent step can be found (which
/// includes a `tol` below what rounding allows, e.g. 0). For the
/// nonconvex coupling the result is a stationary point reached from `y0` (a local minimum in
/// practice), not necessarily the global one.
pub fn solve_inner(
    spec: &ProblemSpec,
    lower: DataView,
    x: &[f64],
    y0: &[f64],
    tol: f64,
) -> Result<Vec<f64>> {
    check_dims(spec, lower, x, y0)?;
    let what = "solve_inner";
    let d = spec.y_len(lower.d());
    let o = Oracles {
        spec,
        lower,
        upper: lower,
    };
    let grad_at = |y: &[f64]| {
        let mut g = vec![0.0; d];
        o.grad_y_g(x, y, Batch::Full, &mut g);
        g
    };
    let g0 = norm(&grad_at(y0));
    if !g0.is_finite() {
        return Err(SboError::numerical(what, "non-finite gradient at y0"));
    }
    let thresh = tol * g0.max(1.0);

    let mut y: Vec<f64> = y0.to_vec();
    if spec.is_quadratic() {
        let h = full_hessian(spec, lower, x, &y);
        let mut rhs = DVector::<f64>::zeros(d);
        for i in 0..lower.n() {
            let (row, b) = lower.sample(i);
            for (r, a) in rhs.iter_mut().zip(row) {
                *r += b as f64 * *a as f64;
            }
        }
        if lower.n() > 0 {
            rhs /= lower.n() as f64;
        }
        for j in 0..d {
            rhs[j] += spec.mu * x[spec.k(j, lower.d())];
        }
        let sol = match h.clone().cholesky() {
            Some(ch) => ch.solve(&rhs),
            None => solve_checked(h, rhs, what)?,
        };
        y = sol.iter().copied().collect();
    }

    let mut grad = grad_at(&y);
    for iter in 0..=MAX_NEWTON_ITERS {
        let gn = norm(&grad);
        if !gn.is_finite() || y.iter().any(|v| !v.is_finite()) {
            return Err(SboError::numerical(
                what,
                format!("NaN at iteration {iter}"),
            ));
        }
        if gn <= thresh {
            return Ok(y);
        }
        if iter == MAX_NEWTON_ITERS {
            break;
        }
        let h = full_hessian(spec, lower, x, &y);
        let gvec = DVector::from_column_slice(&grad);
        let step = newton_direction(&h, &gvec)
            .ok_or_else(|| SboError::numerical(what, "no positive definite damped Hessian"))?;
        let slope = gvec.dot(&step);
        let g_cur = o.lower_value(x, &y);
        let mut y_try = vec![0.0; d];
        let mut accepted = None;
        // Near the solution the predicted decrease of g (about -slope / 2) is lost in the
        // rounding of g: there, take the full step when it reduces |grad_y g|.
        if -slope <= 1e-10 * g_cur.abs().max(1.0) {
            for j in 0..d {
                y_try[j] = y[j] + step[j];
            }
            let g_new = grad_at(&y_try);
            if norm(&g_new) < gn {
                accepted = Some((y_try.clone(), g_new));
            }
        }
        // Armijo backtracking on g.
        let mut t = 1.0;
        for _ in 0..60 {
            if accepted.is_some() {
                break;
            }
            for j in 0..d {
                y_try[j] = y[j] + t * step[j];
            }
            let g_try = o.lower_value(x, &y_try);
            if g_try.is_finite() && g_try < g_cur + 1e-4 * t * slope {
                accepted = Some((y_try.clone(), grad_at(&y_try)));
            }
            t *= 0.5;
        }
        let Some((y_new, grad_new)) = accepted else {
            return Err(SboError::numerical(
                what,
                format!(
                    "no descent step at iteration {iter}: |grad| = {gn:e} > {thresh:e} \
                     (the tolerance may be below rounding)"
                ),
            ));
        };
        y = y_new;
        grad = grad_new;
    }
    Err(SboError::numerical(
        what,
        format!(
            "no convergence in {MAX_NEWTON_ITERS} Newton iterations: |grad| = {:e} > {thresh:e}",
            norm(&grad)
        ),
    ))
}

/// grad F(x) = grad_x f - J (H^-1 grad_y f) at y = y*(x), full sets, f64.
///
/// y* comes from [`solve_inner`] (from `y0`, to `tol`); H = [`full_hessian`] at y* is solved
/// densely (SVD; a singular H is a numerical error); J v comes from the oracle on the full sets
/// (the dense [`cross_matrix`] for couplings that read no data).
pub fn hypergradient(
    spec: &ProblemSpec,
    lower: DataView,
    upper: DataView,
    x: &[f64],
    y0: &[f64],
    tol: f64,
) -> Result<ExactHypergradient> {
    if upper.d() != lower.d() {
        return Err(SboError::Dimension {
            what: "upper set features".into(),
            expected: lower.d(),
            got: upper.d(),
        });
    }
    let y = solve_inner(spec, lower, x, y0, tol)?;
    let (d, p) = (spec.y_len(lower.d()), spec.p(lower.d(), lower.n()));
    let o = Oracles { spec, lower, upper };
    let h = full_hessian(spec, lower, x, &y);
    let mut gf = vec![0.0; d];
    o.grad_y_f(x, &y, Batch::Full, &mut gf);
    let v = solve_checked(h, DVector::from_vec(gf), "hypergradient: H^-1 grad_y f")?;
    let mut jv = vec![0.0; p];
    o.jvp(x, &y, v.as_slice(), Batch::Full, &mut jv);
    let mut grad = vec![0.0; p];
    o.grad_x_f(x, &y, &mut grad);
    for (g, j) in grad.iter_mut().zip(&jv) {
        *g -= j;
    }
    let value = o.upper_value(x, &y);
    if !value.is_finite() || grad.iter().any(|v| !v.is_finite()) {
        return Err(SboError::numerical("hypergradient", "non-finite result"));
    }
    Ok(ExactHypergradient {
        grad,
        y_star: y,
        value,
    })
}

/// Design matrix (n x d) and labels of a set, f64, through `sample(i)`.
fn design(set: DataView) -> (DMatrix<f64>, DVector<f64>) {
    let (n, d) = (set.n(), set.d());
    let mut a = DMatrix::<f64>::zeros(n, d);
    let mut b = DVector::<f64>::zeros(n);
    for i in 0..n {
        let (row, label) = set.sample(i);
        for (j, v) in row.iter().enumerate() {
            a[(i, j)] = *v as f64;
        }
        b[i] = label as f64;
    }
    (a, b)
}

/// The closed-form bilevel optimum (x*, y*(x*)) of a quadratic problem (squared loss with the
/// prior or bilinear coupling).
///
/// With M = A^T A / n + (mu + lam_y) I (prior) or A^T A / n + lam_y I (bilinear),
/// c = A^T b / n and P = I (per feature) or the all-ones
/// d x 1 column (scalar): y*(x) = M^-1 (c + mu P x) = y0 + K x, and x* solves
/// (K^T G K + nu I) x = -K^T A'^T (A' y0 - b') / m with G = A'^T A' / m.
/// Any other loss or coupling is a `Config` error on field `problem`; a singular system
/// (e.g. nu = 0 with fewer upper samples than hyperparameters) a `Numerical` one.
pub fn quadratic_optimum(
    spec: &ProblemSpec,
    lower: DataView,
    upper: DataView,
) -> Result<(Vec<f64>, Vec<f64>)> {
    let q = solve_quadratic(spec, lower, upper)?;
    Ok((q.x.iter().copied().collect(), q.y.iter().copied().collect()))
}

/// The pieces of a quadratic bilevel problem that its optimum and its constants share.
struct Quadratic {
    /// The lower Hessian M.
    mm: DMatrix<f64>,
    /// K = M^-1 mu P: y*(x) = y0 + K x.
    k: DMatrix<f64>,
    /// G = A'^T A' / m and A'^T b' / m: grad_y f(y) = G y - that.
    g: DMatrix<f64>,
    atb_upper: DVector<f64>,
    x: DVector<f64>,
    y: DVector<f64>,
}

/// Builds and solves the systems of [`quadratic_optimum`] (same errors).
fn solve_quadratic(spec: &ProblemSpec, lower: DataView, upper: DataView) -> Result<Quadratic> {
    if !spec.is_quadratic() {
        return Err(SboError::config(
            "problem",
            "the closed-form bilevel optimum needs loss = squared and coupling = prior or \
             bilinear",
        ));
    }
    if upper.d() != lower.d() {
        return Err(SboError::Dimension {
            what: "upper set features".into(),
            expected: lower.d(),
            got: upper.d(),
        });
    }
    let what = "quadratic_optimum";
    let d = lower.d();
    let p = spec.p(d, lower.n());
    if lower.n() == 0 || upper.n() == 0 {
        return Err(SboError::numerical(what, "empty lower or upper set"));
    }
    let (a, b) = design(lower);
    let (au, bu) = design(upper);
    let n = lower.n() as f64;
    let m = upper.n() as f64;

    let mut mm = a.tr_mul(&a) / n;
    let curvature = spec.coupling_curvature().unwrap_or(0.0);
    for j in 0..d {
        mm[(j, j)] += curvature + spec.lam_y;
    }
    let c = a.tr_mul(&b) / n;
    let pmat = match spec.hyper {
        HyperShape::PerFeature => DMatrix::<f64>::identity(d, d),
        // One output: a per-class x is the scalar one (validation refuses it off multinomial).
        HyperShape::Scalar | HyperShape::PerClass | HyperShape::PerSample => {
            DMatrix::<f64>::from_element(d, 1, 1.0)
        }
    };
    // [y0 | K] = M^-1 [c | mu P], one factorisation.
    let mut rhs = DMatrix::<f64>::zeros(d, 1 + p);
    rhs.set_column(0, &c);
    rhs.columns_mut(1, p).copy_from(&(&pmat * spec.mu));
    let sol = {
        if mm.iter().any(|v| !v.is_finite()) {
            return Err(SboError::numerical(what, "non-finite lower Hessian"));
        }
        let svd = mm.clone().svd(true, true);
        let (smax, smin) = (svd.singular_values.max(), svd.singular_values.min());
        if smax.is_nan() || smax <= 0.0 || smin <= RCOND_MIN * smax {
            return Err(SboError::numerical(what, "singular lower Hessian"));
        }
        svd.solve(&rhs, 0.0)
            .map_err(|e| SboError::numerical(what, e.to_string()))?
    };
    let y0 = sol.column(0).into_owned();
    let k = sol.columns(1, p).into_owned();

    let ak = &au * &k; // m x p
    let mut lhs = ak.tr_mul(&ak) / m;
    for i in 0..p {
        lhs[(i, i)] += spec.nu;
    }
    let resid0 = &au * &y0 - &bu; // m
    let r = -(ak.tr_mul(&resid0) / m);
    let x = solve_checked(lhs, r, "quadratic_optimum: upper system")?;
    let y = &y0 + &k * &x;
    Ok(Quadratic {
        g: au.tr_mul(&au) / m,
        atb_upper: au.tr_mul(&bu) / m,
        mm,
        k,
        x,
        y,
    })
}

/// The constants the kappa bounds are stated in, computed exactly (f64, dense) on the sets of
/// a quadratic problem ([`ProblemSpec::is_quadratic`]): the sample, not the population, is
/// what the algorithms run on.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct QuadraticConstants {
    /// Largest and smallest eigenvalue of the lower Hessian M = A^T A / n + (curvature +
    /// lam_y) I: the smoothness L_g and the strong convexity mu_g of g in y.
    pub l_g: f64,
    pub mu_g: f64,
    /// L_g / mu_g.
    pub kappa: f64,
    /// |grad y*(x)| = |M^-1 mu P| (spectral): y* is affine, so also its Lipschitz constant.
    pub lip_y_star: f64,
    /// The largest eigenvalue of the hypergradient's Jacobian K^T G K + nu I (G = A'^T A' /
    /// m): the Lipschitz constant L_F of grad F.
    pub l_f: f64,
    /// |v*| = |M^-1 grad_y f(x*, y*)| at the bilevel optimum.
    pub v_star: f64,
}

/// [`QuadraticConstants`] of `spec` on `lower` and `upper`. Errors: `Config` on field
/// `problem` for a problem that is not quadratic; `Numerical` for a singular system.
pub fn quadratic_constants(
    spec: &ProblemSpec,
    lower: DataView,
    upper: DataView,
) -> Result<QuadraticConstants> {
    let q = solve_quadratic(spec, lower, upper)?;
    let eig = q.mm.clone().symmetric_eigen();
    let l_g = eig.eigenvalues.max();
    let mu_g = eig.eigenvalues.min();
    let lip_y_star = q.k.singular_values().max();
    let mut hf = q.k.tr_mul(&(&q.g * &q.k));
    for i in 0..hf.nrows() {
        hf[(i, i)] += spec.nu;
    }
    let hf = (&hf + hf.transpose()) * 0.5;
    let l_f = hf.symmetric_eigen().eigenvalues.max();
    let grad_f = &q.g * &q.y - &q.atb_upper;
    let v_star =
        q.mm.lu()
            .solve(&grad_f)
            .ok_or_else(|| SboError::numerical("quadratic_constants", "singular lower Hessian"))?
            .norm();
    Ok(QuadraticConstants {
        l_g,
        mu_g,
        kappa: l_g / mu_g,
        lip_y_star,
        l_f,
        v_star,
    })
}
