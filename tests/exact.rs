//! Exact (f64) quantities against independent truth: dense solves written here and central
//! finite differences of F(x) = f(x, y*(x)).

mod common;
use nalgebra::{DMatrix, DVector};
use sbo::data::Dataset;
use sbo::problem::exact::{full_hessian, hypergradient, quadratic_optimum, solve_inner};
use sbo::problem::{Batch, Coupling, HyperShape, Loss, Oracles, ProblemSpec};
use sbo::SboError;

use common::Gen;

const D: usize = 5;
const TOL: f64 = 1e-12;

fn spec(loss: Loss, coupling: Coupling, hyper: HyperShape, lam_y: f64, nu: f64) -> ProblemSpec {
    ProblemSpec {
        loss,
        coupling,
        hyper,
        mu: 0.8,
        lam_y,
        nu,
        x_box: None,
        classes: 0,
        ..ProblemSpec::default()
    }
}

fn norm(v: &[f64]) -> f64 {
    v.iter().map(|a| a * a).sum::<f64>().sqrt()
}

fn grad_g(s: &ProblemSpec, data: &Dataset, x: &[f64], y: &[f64]) -> Vec<f64> {
    let o = Oracles {
        spec: s,
        lower: data.view(),
        upper: data.view(),
    };
    let mut g = vec![0.0; y.len()];
    o.grad_y_g(x, y, Batch::Full, &mut g);
    g
}

/// Every loss x coupling x shape (lam_y > 0 so the nonconvex coupling has a minimiser).
fn all_specs() -> Vec<ProblemSpec> {
    let mut v = vec![];
    for loss in [Loss::Squared, Loss::Logistic] {
        for c in [
            Coupling::Prior,
            Coupling::Logweight,
            Coupling::Nonconvex,
            Coupling::Bilinear,
        ] {
            for h in [HyperShape::PerFeature, HyperShape::Scalar] {
                v.push(spec(loss, c, h, 0.1, 0.2));
            }
        }
    }
    v
}

#[test]
fn solve_inner_reaches_tolerance() {
    let mut g = Gen(21);
    for s in all_specs() {
        let data = g.dataset(12, D);
        let x = g.vec(s.p(D, 0), -1.0, 1.0);
        let y0 = g.vec(D, -2.0, 2.0);
        let y = solve_inner(&s, data.view(), &x, &y0, TOL).unwrap_or_else(|e| panic!("{s:?}: {e}"));
        let g0 = norm(&grad_g(&s, &data, &x, &y0));
        let gn = norm(&grad_g(&s, &data, &x, &y));
        assert!(
            gn <= TOL * g0.max(1.0),
            "{:?}/{:?}/{:?}: |grad| = {gn:e} > {TOL:e} * max(1, {g0:e})",
            s.loss,
            s.coupling,
            s.hyper
        );
        // A local minimum: the Hessian there is positive definite.
        let h = full_hessian(&s, data.view(), &x, &y);
        assert!(h.cholesky().is_some(), "{s:?}: Hessian at y* not PD");
    }
}

#[test]
fn c_c_preset_without_regularisation_converges() {
    let mut g = Gen(22);
    let s = ProblemSpec::preset("c-c").unwrap();
    let data = g.dataset(30, D);
    let x = g.vec(D, -1.0, 1.0);
    let y = solve_inner(&s, data.view(), &x, &[0.0; D], 1e-11).unwrap();
    assert!(norm(&grad_g(&s, &data, &x, &y)) <= 1e-11);
}

/// Dense normal equations, written independently of the crate.
fn dense_ridge(data: &Dataset, diag: &[f64], rhs_extra: &[f64]) -> Vec<f64> {
    let (n, d) = (data.n, data.d);
    let a = DMatrix::from_fn(n, d, |i, j| data.row(i)[j] as f64);
    let b = DVector::from_fn(n, |i, _| data.label(i) as f64);
    let mut m = a.transpose() * &a / n as f64;
    for j in 0..d {
        m[(j, j)] += diag[j];
    }
    let rhs = a.transpose() * b / n as f64 + DVector::from_column_slice(rhs_extra);
    m.lu().solve(&rhs).unwrap().iter().copied().collect()
}

#[test]
fn closed_form_and_newton_match_dense_solves() {
    let mut g = Gen(23);
    for hyper in [HyperShape::PerFeature, HyperShape::Scalar] {
        let data = g.dataset(9, D);
        // squared + prior: closed form.
        let s = spec(Loss::Squared, Coupling::Prior, hyper, 0.3, 0.1);
        let x = g.vec(s.p(D, 0), -1.0, 1.0);
        let y = solve_inner(&s, data.view(), &x, &[0.0; D], TOL).unwrap();
        let diag = vec![s.mu + s.lam_y; D];
        let extra: Vec<f64> = (0..D).map(|j| s.mu * x[s.k(j, D)]).collect();
        let want = dense_ridge(&data, &diag, &extra);
        for j in 0..D {
            assert!(
                (y[j] - want[j]).abs() < 1e-12,
                "{hyper:?} prior y[{j}]: {} vs {}",
                y[j],
                want[j]
            );
        }
        // squared + logweight: the Newton path, also a ridge problem.
        let s = spec(Loss::Squared, Coupling::Logweight, hyper, 0.3, 0.1);
        let x = g.vec(s.p(D, 0), -1.0, 1.0);
        let y = solve_inner(&s, data.view(), &x, &g.vec(D, -3.0, 3.0), TOL).unwrap();
        let diag: Vec<f64> = (0..D).map(|j| x[s.k(j, D)].exp() + s.lam_y).collect();
        let want = dense_ridge(&data, &diag, &[0.0; D]);
        for j in 0..D {
            assert!(
                (y[j] - want[j]).abs() < 1e-11,
                "{hyper:?} logweight y[{j}]: {} vs {}",
                y[j],
                want[j]
            );
        }
    }
}

/// F(x) = f(x, y*(x)), y* by solve_inner warm-started at `y0`.
fn big_f(s: &ProblemSpec, lower: &Dataset, upper: &Dataset, x: &[f64], y0: &[f64]) -> f64 {
    let y = solve_inner(s, lower.view(), x, y0, 1e-14).unwrap();
    let o = Oracles {
        spec: s,
        lower: lower.view(),
        upper: upper.view(),
    };
    o.upper_value(x, &y)
}

#[test]
fn hypergradient_matches_finite_differences_of_f() {
    const H: f64 = 1e-5;
    const REL: f64 = 1e-6;
    const ABS: f64 = 1e-8;
    let mut g = Gen(24);
    let mut specs = vec![];
    for hyper in [HyperShape::PerFeature, HyperShape::Scalar] {
        let mut sc = ProblemSpec::preset("sc-sc").unwrap();
        sc.hyper = hyper;
        specs.push(sc);
        specs.push(spec(Loss::Logistic, Coupling::Logweight, hyper, 0.0, 0.0));
        specs.push(spec(Loss::Logistic, Coupling::Logweight, hyper, 0.05, 0.3));
        specs.push(spec(Loss::Squared, Coupling::Nonconvex, hyper, 0.2, 0.1));
    }
    for s in specs {
        let lower = g.dataset(15, D);
        let upper = g.dataset(11, D);
        let p = s.p(D, 0);
        let x = g.vec(p, -1.0, 1.0);
        let y0 = vec![0.0; D];
        let hg = hypergradient(&s, lower.view(), upper.view(), &x, &y0, 1e-14)
            .unwrap_or_else(|e| panic!("{s:?}: {e}"));
        let f0 = big_f(&s, &lower, &upper, &x, &hg.y_star);
        assert!((f0 - hg.value).abs() <= 1e-12 * f0.abs().max(1.0));
        for k in 0..p {
            let mut xp = x.clone();
            xp[k] += H;
            let mut xm = x.clone();
            xm[k] -= H;
            let fd = (big_f(&s, &lower, &upper, &xp, &hg.y_star)
                - big_f(&s, &lower, &upper, &xm, &hg.y_star))
                / (2.0 * H);
            let got = hg.grad[k];
            assert!(
                (got - fd).abs() <= ABS + REL * got.abs().max(fd.abs()),
                "{:?}/{:?}/{:?} grad F[{k}]: exact {got:.12e} vs FD {fd:.12e} (tol {ABS:e} + {REL:e} rel)",
                s.loss,
                s.coupling,
                s.hyper
            );
        }
    }
}

#[test]
fn quadratic_optimum_is_stationary_and_minimal() {
    let mut g = Gen(25);
    for (coupling, hyper) in [
        (Coupling::Prior, HyperShape::PerFeature),
        (Coupling::Prior, HyperShape::Scalar),
        (Coupling::Bilinear, HyperShape::PerFeature),
        (Coupling::Bilinear, HyperShape::Scalar),
    ] {
        for (nu, lam_y) in [(0.1, 0.0), (0.0, 0.2), (0.5, 0.1)] {
            let s = spec(Loss::Squared, coupling, hyper, lam_y, nu);
            let lower = g.dataset(14, D);
            let upper = g.dataset(10, D); // m >= p, so nu = 0 is still well posed
            let (xs, ys) = quadratic_optimum(&s, lower.view(), upper.view()).unwrap();
            let hg = hypergradient(&s, lower.view(), upper.view(), &xs, &[0.0; D], 1e-13).unwrap();
            for (a, b) in hg.y_star.iter().zip(&ys) {
                assert!(
                    (a - b).abs() < 1e-10,
                    "{hyper:?}: y*(x*) mismatch {a} vs {b}"
                );
            }
            let gn = norm(&hg.grad);
            assert!(gn < 1e-9, "{hyper:?} nu={nu}: |grad F(x*)| = {gn:e}");
            let f_star = hg.value;
            for _ in 0..20 {
                let dx = g.vec(xs.len(), -1e-3, 1e-3);
                let x: Vec<f64> = xs.iter().zip(&dx).map(|(a, b)| a + b).collect();
                let f = big_f(&s, &lower, &upper, &x, &ys);
                assert!(
                    f >= f_star - 1e-14,
                    "{hyper:?}: F(x* + dx) = {f} < F(x*) = {f_star}"
                );
            }
        }
    }
}

#[test]
fn quadratic_optimum_errors() {
    let mut g = Gen(26);
    let lower = g.dataset(8, D);
    let upper = g.dataset(3, D); // m < p
    let s = ProblemSpec::preset("c-c").unwrap();
    match quadratic_optimum(&s, lower.view(), upper.view()) {
        Err(SboError::Config { field, .. }) => assert_eq!(field, "problem"),
        other => panic!("expected a config error, got {other:?}"),
    }
    let s = spec(
        Loss::Squared,
        Coupling::Prior,
        HyperShape::PerFeature,
        0.0,
        0.0,
    );
    match quadratic_optimum(&s, lower.view(), upper.view()) {
        Err(SboError::Numerical { .. }) => {}
        other => panic!("expected a numerical error for a singular system, got {other:?}"),
    }
}

#[test]
fn solve_inner_reports_failure() {
    let mut g = Gen(27);
    let data = g.dataset(10, D);
    let s = spec(
        Loss::Logistic,
        Coupling::Logweight,
        HyperShape::Scalar,
        0.0,
        0.0,
    );
    // A NaN hyperparameter.
    assert!(matches!(
        solve_inner(&s, data.view(), &[f64::NAN], &[0.0; D], 1e-10),
        Err(SboError::Numerical { .. })
    ));
    // tol = 0: either an exactly zero gradient or a reported stagnation, never a hang/panic.
    match solve_inner(&s, data.view(), &[0.3], &[0.0; D], 0.0) {
        Err(SboError::Numerical { .. }) => {}
        Ok(y) => assert_eq!(norm(&grad_g(&s, &data, &[0.3], &y)), 0.0),
        Err(other) => panic!("expected a numerical error, got {other:?}"),
    }
    // Wrong dimensions are reported, not a panic.
    assert!(matches!(
        solve_inner(&s, data.view(), &[0.0, 1.0], &[0.0; D], 1e-12),
        Err(SboError::Dimension { .. })
    ));
}

/// The constants of the bilinear family against closed forms on a diagonal design: with
/// A^T A / n = diag(s) and A'^T A' / m = diag(q), L_g = max s, mu_g = min s, |grad y*| =
/// mu / min s, L_F = max_j (mu^2 q_j / s_j^2 + nu); zero labels put the optimum at 0, so v* = 0.
#[test]
fn quadratic_constants_match_closed_forms() {
    use sbo::problem::exact::quadratic_constants;
    let diag = |vals: &[f64], labels: f64| {
        let d = vals.len();
        let n = d;
        let mut f = vec![0.0f32; n * d];
        for (j, v) in vals.iter().enumerate() {
            f[j * d + j] = (n as f64 * v).sqrt() as f32;
        }
        Dataset::new(d, f, vec![labels as f32; n]).unwrap()
    };
    let (s, q) = ([0.01, 0.5, 1.0], [2.0, 1.0, 0.25]);
    let (lower, upper) = (diag(&s, 0.0), diag(&q, 0.0));
    let (mu, nu) = (0.7, 0.05);
    let spec = ProblemSpec {
        loss: Loss::Squared,
        coupling: Coupling::Bilinear,
        hyper: HyperShape::PerFeature,
        mu,
        lam_y: 0.0,
        nu,
        x_box: None,
        classes: 0,
        ..ProblemSpec::default()
    };
    let c = quadratic_constants(&spec, lower.view(), upper.view()).unwrap();
    let close = |what: &str, got: f64, want: f64| {
        assert!(
            (got - want).abs() <= 1e-6 * want.abs().max(1e-12),
            "{what}: {got} vs closed form {want}"
        );
    };
    close("L_g", c.l_g, 1.0);
    close("mu_g", c.mu_g, 0.01);
    close("kappa", c.kappa, 100.0);
    close("|grad y*|", c.lip_y_star, mu / 0.01);
    let l_f = (0..3)
        .map(|j| mu * mu * q[j] / (s[j] * s[j]) + nu)
        .fold(0.0, f64::max);
    close("L_F", c.l_f, l_f);
    assert!(c.v_star.abs() < 1e-9, "v* = {}", c.v_star);
    // The prior coupling adds mu to the curvature and caps |grad y*| at 1.
    let prior = ProblemSpec {
        coupling: Coupling::Prior,
        ..spec.clone()
    };
    let c = quadratic_constants(&prior, lower.view(), upper.view()).unwrap();
    close("prior mu_g", c.mu_g, 0.01 + mu);
    close("prior |grad y*|", c.lip_y_star, mu / (0.01 + mu));
    assert!(quadratic_constants(
        &ProblemSpec::preset("c-c").unwrap(),
        lower.view(),
        upper.view()
    )
    .is_err());
}
