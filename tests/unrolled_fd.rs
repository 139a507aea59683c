//! The T-step unrolled hypergradient of `tsgd` (and `ud`) against central finite differences,
//! on logistic loss, where the lower Hessian and the cross derivative change with y.
//!
//! With full batches and f64 everything is deterministic. For a starting y^0 held fixed,
//!
//!     y^{s+1}(x) = y^s(x) - beta grad_y g(x, y^s(x)),  s = 0..T-1,     Phi(x) = f(x, y^T(x)),
//!
//! and the hypergradient tsgd steps along is exactly grad Phi(x) (DESIGN section 3: reverse
//! mode through the T inner steps, direct term grad_x f included, Hessian and Jacobian of
//! step s taken at y^s). On a quadratic lower level the Hessian is constant, so taking it at
//! y^{s+1} instead of y^s goes unnoticed there (checked below); on logistic loss it does not.
//!
//! What is independent of the crate: the reference (logistic loss, couplings, the inner loop,
//! Phi and a hand-written reverse pass) is written here from the formulas of DESIGN section 2,
//! reading only the raw rows of the datasets. tsgd's hypergradient is read from one outer step
//! with alpha = 1: x_1 = x_0 - h, so h = x_0 - x_1 up to one rounding of x_1
//! (|error| <= eps max(|x_0|, |x_1|) ~ 1e-16 here); a smaller alpha would only lose digits.
//!
//! Tolerances (see `close`): the finite difference with step H = 1e-5 has truncation error
//! H^2/6 |Phi'''| ~ 2e-11 |Phi'''| and rounding error ~ eps |Phi| / H ~ 1e-11 (Phi ~ 0.7,
//! evaluated to a few ulps), so FD is good to ~1e-10 absolute; gradients here are 1e-3..1e-1,
//! so `|a - b| <= 1e-9 + 1e-6 max(|a|, |b|)` leaves two to three orders of margin (the
//! observed worst error is printed by the tests). tsgd against the hand-written reverse pass
//! is the same arithmetic in a different summation order: 1e-12 + 1e-10 max. The deliberately
//! wrong variants must miss FD by at least MARGIN times this tolerance, so the comparison is
//! shown able to fail by a wide margin, not by a hair.

mod common;

use sbo::algo::{advance, AlgoConfig, AlgoKind, BatchSize, LaneState, Schedule};
use sbo::data::Dataset;
use sbo::problem::{Coupling, HyperShape, Loss, Oracles, ProblemSpec};
use sbo::rng::LaneRng;

/// Central-difference step in x.
const H: f64 = 1e-5;
/// FD comparison: |a - b| <= ABS + REL max(|a|, |b|).
const REL: f64 = 1e-6;
const ABS: f64 = 1e-9;
/// tsgd against the hand-written reverse pass (same math, other summation order).
const REL_TIGHT: f64 = 1e-10;
const ABS_TIGHT: f64 = 1e-12;
/// A wrong variant must miss FD by at least this many FD tolerances in some coordinate.
const MARGIN: f64 = 100.0;

/// Inner step size: large enough that y moves visibly in T steps (so the evaluation point
/// matters), small enough to keep the inner iteration tame.
const BETA: f64 = 0.5;

const COUPLINGS: [Coupling; 3] = [Coupling::Logweight, Coupling::Nonconvex, Coupling::Prior];
const SHAPES: [HyperShape; 2] = [HyperShape::PerFeature, HyperShape::Scalar];
const INNER: [usize; 3] = [1, 2, 5];
const D: usize = 4;

fn spec(loss: Loss, coupling: Coupling, hyper: HyperShape) -> ProblemSpec {
    ProblemSpec {
        loss,
        coupling,
        hyper,
        mu: 0.7,
        lam_y: 0.05,
        // nu > 0 and x away from 0: the direct term grad_x f = nu x is visible.
        nu: 0.1,
        x_box: None,
        classes: 0,
        ..ProblemSpec::default()
    }
}

// ---------------------------------------------------------------------------------------------
// The reference, written from DESIGN section 2 without the crate's oracles.

fn sigmoid(t: f64) -> f64 {
    if t >= 0.0 {
        1.0 / (1.0 + (-t).exp())
    } else {
        let e = t.exp();
        e / (1.0 + e)
    }
}

/// l(z, b) and its derivatives in z.
fn loss(l: Loss, z: f64, b: f64) -> f64 {
    match l {
        Loss::Squared => 0.5 * (z - b) * (z - b),
        // ln(1 + exp(t)), t = -b z, stably.
        Loss::Logistic => {
            let t = -b * z;
            t.max(0.0) + (-t.abs()).exp().ln_1p()
        }
        Loss::Multinomial => unreachable!("this reference has one output per sample"),
    }
}
fn loss_d1(l: Loss, z: f64, b: f64) -> f64 {
    match l {
        Loss::Squared => z - b,
        Loss::Logistic => -b * sigmoid(-b * z),
        Loss::Multinomial => unreachable!("this reference has one output per sample"),
    }
}
fn loss_d2(l: Loss, z: f64, b: f64) -> f64 {
    match l {
        Loss::Squared => 1.0,
        Loss::Logistic => sigmoid(b * z) * sigmoid(-b * z),
        Loss::Multinomial => unreachable!("this reference has one output per sample"),
    }
}

/// dr/dy, d2r/dy2 and d2r/dxdy of the coupling r(x, y).
fn r_dy(c: Coupling, mu: f64, x: f64, y: f64) -> f64 {
    match c {
        Coupling::Prior => mu * (y - x),
        Coupling::Logweight => x.exp() * y,
        Coupling::Nonconvex => x.exp() * 2.0 * y / (1.0 + y * y).powi(2),
        Coupling::Bilinear => -mu * x,
        Coupling::SampleWeight => unreachable!("tests/hyper_cleaning.rs covers it"),
    }
}
fn r_dyy(c: Coupling, mu: f64, x: f64, y: f64) -> f64 {
    match c {
        Coupling::Prior => mu,
        Coupling::Logweight => x.exp(),
        Coupling::Nonconvex => x.exp() * (2.0 - 6.0 * y * y) / (1.0 + y * y).powi(3),
        Coupling::Bilinear => 0.0,
        Coupling::SampleWeight => unreachable!("tests/hyper_cleaning.rs covers it"),
    }
}
fn r_dxy(c: Coupling, mu: f64, x: f64, y: f64) -> f64 {
    match c {
        Coupling::Prior => -mu,
        Coupling::Logweight => x.exp() * y,
        Coupling::Nonconvex => x.exp() * 2.0 * y / (1.0 + y * y).powi(2),
        Coupling::Bilinear => -mu,
        Coupling::SampleWeight => unreachable!("tests/hyper_cleaning.rs covers it"),
    }
}

/// Which reverse pass to run: the correct one, or one with a deliberate mistake.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Variant {
    Correct,
    /// H of step s taken at y^{s+1} instead of y^s.
    HessianAtNext,
    /// J of step s taken at y^{s+1} instead of y^s.
    JacobianAtNext,
    /// grad_x f left out.
    NoDirectTerm,
}

struct Reference<'a> {
    s: &'a ProblemSpec,
    lower: &'a Dataset,
    upper: &'a Dataset,
}

fn row(set: &Dataset, i: usize) -> (Vec<f64>, f64) {
    (
        set.row(i).iter().map(|&a| a as f64).collect(),
        set.label(i) as f64,
    )
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(a, b)| a * b).sum()
}

impl Reference<'_> {
    fn p(&self) -> usize {
        match self.s.hyper {
            HyperShape::PerFeature => D,
            HyperShape::Scalar | HyperShape::PerClass => 1,
            HyperShape::PerSample => unreachable!("tests/hyper_cleaning.rs covers it"),
        }
    }
    /// The hyperparameter coordinate feature j is coupled to.
    fn k(&self, j: usize) -> usize {
        match self.s.hyper {
            HyperShape::PerFeature => j,
            HyperShape::Scalar | HyperShape::PerClass | HyperShape::PerSample => 0,
        }
    }

    /// grad_y g(x, y) on the full lower set.
    fn grad_g(&self, x: &[f64], y: &[f64]) -> Vec<f64> {
        let s = self.s;
        let mut out = [0.0; D];
        for i in 0..self.lower.n {
            let (a, b) = row(self.lower, i);
            let c = loss_d1(s.loss, dot(&a, y), b);
            for (o, aj) in out.iter_mut().zip(&a) {
                *o += c * aj;
            }
        }
        let n = self.lower.n as f64;
        (0..D)
            .map(|j| out[j] / n + r_dy(s.coupling, s.mu, x[self.k(j)], y[j]) + s.lam_y * y[j])
            .collect()
    }

    /// grad2_yy g(x, y) v on the full lower set.
    fn hess_vec(&self, x: &[f64], y: &[f64], v: &[f64]) -> Vec<f64> {
        let s = self.s;
        let mut out = [0.0; D];
        for i in 0..self.lower.n {
            let (a, b) = row(self.lower, i);
            let c = loss_d2(s.loss, dot(&a, y), b) * dot(&a, v);
            for (o, aj) in out.iter_mut().zip(&a) {
                *o += c * aj;
            }
        }
        let n = self.lower.n as f64;
        (0..D)
            .map(|j| out[j] / n + (r_dyy(s.coupling, s.mu, x[self.k(j)], y[j]) + s.lam_y) * v[j])
            .collect()
    }

    /// grad2_xy g(x, y) v (len p): only the coupling depends on x.
    fn cross(&self, x: &[f64], y: &[f64], v: &[f64]) -> Vec<f64> {
        let mut out = vec![0.0; self.p()];
        for j in 0..D {
            let k = self.k(j);
            out[k] += r_dxy(self.s.coupling, self.s.mu, x[k], y[j]) * v[j];
        }
        out
    }

    /// f(x, y) on the full upper set.
    fn f(&self, x: &[f64], y: &[f64]) -> f64 {
        let m = self.upper.n;
        let data: f64 = (0..m)
            .map(|i| {
                let (a, b) = row(self.upper, i);
                loss(self.s.loss, dot(&a, y), b)
            })
            .sum::<f64>()
            / m as f64;
        data + 0.5 * self.s.nu * dot(x, x)
    }

    /// grad_y f(x, y) on the full upper set.
    fn grad_y_f(&self, y: &[f64]) -> Vec<f64> {
        let mut out = [0.0; D];
        for i in 0..self.upper.n {
            let (a, b) = row(self.upper, i);
            let c = loss_d1(self.s.loss, dot(&a, y), b);
            for (o, aj) in out.iter_mut().zip(&a) {
                *o += c * aj;
            }
        }
        out.iter().map(|o| o / self.upper.n as f64).collect()
    }

    /// y^0..y^T of T full-batch gradient steps from y0.
    fn inner(&self, x: &[f64], y0: &[f64], beta: f64, t: usize) -> Vec<Vec<f64>> {
        let mut ys = vec![y0.to_vec()];
        for s in 0..t {
            let g = self.grad_g(x, &ys[s]);
            let next = ys[s].iter().zip(&g).map(|(y, g)| y - beta * g).collect();
            ys.push(next);
        }
        ys
    }

    /// Phi(x) = f(x, y^T(x)), y^0 held fixed.
    fn phi(&self, x: &[f64], y0: &[f64], beta: f64, t: usize) -> f64 {
        let ys = self.inner(x, y0, beta, t);
        self.f(x, &ys[t])
    }

    /// Central differences of Phi in each coordinate of x.
    fn fd_grad(&self, x: &[f64], y0: &[f64], beta: f64, t: usize) -> Vec<f64> {
        (0..x.len())
            .map(|k| {
                let mut xp = x.to_vec();
                let mut xm = x.to_vec();
                xp[k] += H;
                xm[k] -= H;
                (self.phi(&xp, y0, beta, t) - self.phi(&xm, y0, beta, t)) / (2.0 * H)
            })
            .collect()
    }

    /// Reverse mode through the T steps (chain rule on y^{s+1} = y^s - beta grad_y g(x, y^s)):
    ///   u = grad_y f(y^T);  h = grad_x f
    ///   for s = T-1 .. 0:  h -= beta J(x, y^s) u;  u -= beta H(x, y^s) u
    /// with the mistake `v` makes.
    fn reverse(&self, x: &[f64], y0: &[f64], beta: f64, t: usize, v: Variant) -> Vec<f64> {
        let ys = self.inner(x, y0, beta, t);
        let mut u = self.grad_y_f(&ys[t]);
        let mut h: Vec<f64> = if v == Variant::NoDirectTerm {
            vec![0.0; x.len()]
        } else {
            x.iter().map(|xk| self.s.nu * xk).collect()
        };
        for s in (0..t).rev() {
            let at_j = if v == Variant::JacobianAtNext {
                &ys[s + 1]
            } else {
                &ys[s]
            };
            for (hk, jk) in h.iter_mut().zip(self.cross(x, at_j, &u)) {
                *hk -= beta * jk;
            }
            let at_h = if v == Variant::HessianAtNext {
                &ys[s + 1]
            } else {
                &ys[s]
            };
            let hu = self.hess_vec(x, at_h, &u);
            for (uj, hj) in u.iter_mut().zip(hu) {
                *uj -= beta * hj;
            }
        }
        h
    }
}

// ---------------------------------------------------------------------------------------------
// tsgd / ud as the crate runs them.

/// The hypergradients of the first `steps` outer steps of `kind` from (x0, y0), full batches,
/// alpha = 1 (so h_k = x_k - x_{k+1}), and the lane after them.
fn crate_steps(
    o: &Oracles,
    kind: AlgoKind,
    beta: Schedule,
    t: usize,
    x0: &[f64],
    y0: &[f64],
    steps: usize,
) -> (Vec<Vec<f64>>, LaneState<f64>) {
    let mut c = AlgoConfig::new(kind);
    c.inner_steps = t;
    c.batch_lower = BatchSize::Full;
    c.batch_upper = BatchSize::Full;
    c.alpha = Schedule::Constant(1.0);
    c.beta = beta;
    let mut lane = LaneState::<f64>::new(&c, o, x0, y0);
    let rng = LaneRng::new(3);
    let mut hs = Vec::new();
    for _ in 0..steps {
        let before = lane.x.clone();
        advance(&c, o, &rng, &mut lane, 1);
        hs.push(before.iter().zip(&lane.x).map(|(a, b)| a - b).collect());
    }
    (hs, lane)
}

// ---------------------------------------------------------------------------------------------
// Comparisons.

fn close(a: f64, b: f64, abs: f64, rel: f64) -> bool {
    (a - b).abs() <= abs + rel * a.abs().max(b.abs())
}

/// |a - b| in units of the FD tolerance, worst coordinate.
fn worst_ratio(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(a, b)| (a - b).abs() / (ABS + REL * a.abs().max(b.abs())))
        .fold(0.0, f64::max)
}

fn assert_all_close(label: &str, what: &str, got: &[f64], want: &[f64], abs: f64, rel: f64) {
    assert_eq!(got.len(), want.len(), "{label} {what}: length");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            close(*g, *w, abs, rel),
            "{label} {what}[{i}]: {g:.15e} vs {w:.15e} (difference {:.3e}, tolerance \
             {abs:e} + {rel:e} * max)\n  got  {got:?}\n  want {want:?}",
            (g - w).abs()
        );
    }
}

struct Fixture {
    lower: Dataset,
    upper: Dataset,
}

fn fixture() -> Fixture {
    Fixture {
        lower: common::dataset(30, D, 101, true),
        upper: common::dataset(20, D, 202, true),
    }
}

/// A starting point away from the optimum, so the inner steps move y by a visible amount.
fn start(p: usize) -> (Vec<f64>, Vec<f64>) {
    let mut g = common::Gen(17);
    let x = g.vec(p, -0.6, 0.6);
    let y = g.vec(D, -1.5, 1.5);
    (x, y)
}

/// Whether a wrong variant differs from the correct pass in principle on this problem: the
/// Hessian point needs T >= 2 (the s = 0 Hessian product never reaches h), the Jacobian point
/// needs a coupling whose cross derivative depends on y (not `prior`).
fn applies(v: Variant, coupling: Coupling, t: usize) -> bool {
    match v {
        Variant::Correct => true,
        Variant::HessianAtNext => t >= 2,
        Variant::JacobianAtNext => coupling != Coupling::Prior,
        Variant::NoDirectTerm => true,
    }
}

const WRONG: [Variant; 3] = [
    Variant::HessianAtNext,
    Variant::JacobianAtNext,
    Variant::NoDirectTerm,
];

#[test]
fn tsgd_hypergradient_matches_finite_differences_of_the_unrolled_objective_on_logistic_loss() {
    let fx = fixture();
    let mut worst_fd = 0.0f64;
    let mut weakest_control = f64::INFINITY;
    for coupling in COUPLINGS {
        for hyper in SHAPES {
            let s = spec(Loss::Logistic, coupling, hyper);
            let o = Oracles {
                spec: &s,
                lower: fx.lower.view(),
                upper: fx.upper.view(),
            };
            let r = Reference {
                s: &s,
                lower: &fx.lower,
                upper: &fx.upper,
            };
            let (x0, y0) = start(r.p());
            for t in INNER {
                let label = format!("logistic {coupling:?} {hyper:?} T={t}");
                let (hs, lane) =
                    crate_steps(&o, AlgoKind::TSGD, Schedule::Constant(BETA), t, &x0, &y0, 1);
                let h = &hs[0];
                let fd = r.fd_grad(&x0, &y0, BETA, t);
                let mine = r.reverse(&x0, &y0, BETA, t, Variant::Correct);

                // The forward pass: tsgd's new y is the reference's y^T.
                let ys = r.inner(&x0, &y0, BETA, t);
                assert_all_close(&label, "y_T", &lane.y, &ys[t], ABS_TIGHT, REL_TIGHT);

                // Independent truth: tsgd's direction is the gradient of Phi.
                assert_all_close(&label, "tsgd h vs FD", h, &fd, ABS, REL);
                // The hand-written reverse pass is too, and tsgd is that pass to rounding.
                assert_all_close(&label, "reference h vs FD", &mine, &fd, ABS, REL);
                assert_all_close(
                    &label,
                    "tsgd h vs reference h",
                    h,
                    &mine,
                    ABS_TIGHT,
                    REL_TIGHT,
                );
                worst_fd = worst_fd.max(worst_ratio(h, &fd));

                // Negative controls: each mistake that matters here is caught by the FD check.
                for v in WRONG {
                    if !applies(v, coupling, t) {
                        continue;
                    }
                    let wrong = r.reverse(&x0, &y0, BETA, t, v);
                    let ratio = worst_ratio(&wrong, &fd);
                    assert!(
                        ratio > MARGIN,
                        "{label}: the {v:?} variant is not rejected by the FD check: worst \
                         miss {ratio:.2} tolerances (needs > {MARGIN})\n  wrong {wrong:?}\n  \
                         fd    {fd:?}"
                    );
                    weakest_control = weakest_control.min(ratio);
                }
            }
        }
    }
    eprintln!(
        "tsgd vs FD: worst difference {worst_fd:.3e} of the tolerance; wrong variants: \
         smallest worst miss {weakest_control:.3e} tolerances"
    );
}

/// The Hessian-point mistake in isolation: on logistic loss with T >= 2 it is caught by FD
/// even with the `prior` coupling (constant cross derivative and coupling curvature, so the
/// loss Hessian is the only y-dependent second derivative), while tsgd passes.
#[test]
fn hessian_at_the_wrong_inner_iterate_is_caught_on_logistic_loss() {
    let fx = fixture();
    let s = spec(Loss::Logistic, Coupling::Prior, HyperShape::PerFeature);
    let o = Oracles {
        spec: &s,
        lower: fx.lower.view(),
        upper: fx.upper.view(),
    };
    let r = Reference {
        s: &s,
        lower: &fx.lower,
        upper: &fx.upper,
    };
    let (x0, y0) = start(r.p());
    for t in [2, 5] {
        let label = format!("logistic Prior PerFeature T={t}");
        let fd = r.fd_grad(&x0, &y0, BETA, t);
        let (hs, _) = crate_steps(&o, AlgoKind::TSGD, Schedule::Constant(BETA), t, &x0, &y0, 1);
        assert_all_close(&label, "tsgd h vs FD", &hs[0], &fd, ABS, REL);
        let wrong = r.reverse(&x0, &y0, BETA, t, Variant::HessianAtNext);
        let ratio = worst_ratio(&wrong, &fd);
        eprintln!("{label}: Hessian at y^(s+1) misses FD by {ratio:.3e} tolerances");
        assert!(
            ratio > MARGIN,
            "{label}: Hessian at y^(s+1) misses FD by only {ratio:.2} tolerances\n  wrong \
             {wrong:?}\n  fd    {fd:?}"
        );
    }
}

/// Why the test needs a non-quadratic problem: with squared loss and the prior coupling the
/// lower Hessian is constant, and the wrong evaluation point passes the same FD check.
#[test]
fn on_a_quadratic_problem_the_hessian_point_is_invisible() {
    let fx = Fixture {
        lower: common::dataset(30, D, 101, false),
        upper: common::dataset(20, D, 202, false),
    };
    let s = spec(Loss::Squared, Coupling::Prior, HyperShape::PerFeature);
    let r = Reference {
        s: &s,
        lower: &fx.lower,
        upper: &fx.upper,
    };
    let (x0, y0) = start(r.p());
    // A smaller step: the squared-loss Hessian is larger than the logistic one.
    let beta = 0.2;
    for t in [2, 5] {
        let label = format!("squared Prior PerFeature T={t}");
        let fd = r.fd_grad(&x0, &y0, beta, t);
        let right = r.reverse(&x0, &y0, beta, t, Variant::Correct);
        let wrong = r.reverse(&x0, &y0, beta, t, Variant::HessianAtNext);
        assert_all_close(&label, "reference h vs FD", &right, &fd, ABS, REL);
        assert_all_close(&label, "Hessian at y^(s+1) vs FD", &wrong, &fd, ABS, REL);
    }
}

/// Across outer steps: tsgd warm-starts y^0 at the previous y^T and differentiates only
/// through the current T steps (the earlier ones are treated as constant); ud restarts from
/// y_init. Step k uses beta_k (a poly schedule makes beta_1 differ from beta_0). Each step's
/// h must be the FD gradient of its own Phi_k(x) = f(x, y^T(x; y^0_k, beta_k)) at x_k, and the
/// warm-started and restarted Phi_1 must have visibly different gradients.
#[test]
fn second_outer_step_differentiates_from_the_warm_start_for_tsgd_and_from_y_init_for_ud() {
    let fx = fixture();
    let beta = Schedule::Poly(0.6, 0.5);
    for coupling in [Coupling::Logweight, Coupling::Nonconvex] {
        for hyper in SHAPES {
            let s = spec(Loss::Logistic, coupling, hyper);
            let o = Oracles {
                spec: &s,
                lower: fx.lower.view(),
                upper: fx.upper.view(),
            };
            let r = Reference {
                s: &s,
                lower: &fx.lower,
                upper: &fx.upper,
            };
            let (x0, y0) = start(r.p());
            for t in [2, 5] {
                let label = format!("logistic {coupling:?} {hyper:?} T={t}");
                let (b0, b1) = (beta.at(0), beta.at(1));
                let x1: Vec<f64> = {
                    let h0 = r.reverse(&x0, &y0, b0, t, Variant::Correct);
                    x0.iter().zip(&h0).map(|(x, h)| x - h).collect()
                };
                let y1 = r.inner(&x0, &y0, b0, t).pop().unwrap();

                let (th, tlane) = crate_steps(&o, AlgoKind::TSGD, beta, t, &x0, &y0, 2);
                let (uh, ulane) = crate_steps(&o, AlgoKind::UD, beta, t, &x0, &y0, 2);
                let fd_warm = r.fd_grad(&x1, &y1, b1, t);
                let fd_reset = r.fd_grad(&x1, &y0, b1, t);

                assert_all_close(
                    &label,
                    "tsgd h_0 vs FD",
                    &th[0],
                    &r.fd_grad(&x0, &y0, b0, t),
                    ABS,
                    REL,
                );
                assert_all_close(
                    &label,
                    "tsgd h_1 vs FD (warm start)",
                    &th[1],
                    &fd_warm,
                    ABS,
                    REL,
                );
                assert_all_close(&label, "ud h_1 vs FD (y_init)", &uh[1], &fd_reset, ABS, REL);
                let warm_y2 = r.inner(&x1, &y1, b1, t).pop().unwrap();
                let reset_y2 = r.inner(&x1, &y0, b1, t).pop().unwrap();
                assert_all_close(&label, "tsgd y_2", &tlane.y, &warm_y2, ABS_TIGHT, REL_TIGHT);
                assert_all_close(&label, "ud y_2", &ulane.y, &reset_y2, ABS_TIGHT, REL_TIGHT);
                let ratio = worst_ratio(&fd_warm, &fd_reset);
                assert!(
                    ratio > MARGIN,
                    "{label}: warm-started and restarted Phi_1 have nearly the same gradient \
                     ({ratio:.2} tolerances apart): the check would not tell them apart"
                );
            }
        }
    }
}
