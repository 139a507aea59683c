//! Oracles against independent truth: central finite differences (f64) of the value functions,
//! and value functions against a naive re-implementation written here.
//!
//! Tolerance: |oracle - fd| <= ABS + REL * max(|oracle|, |fd|), FD step H.

mod common;
use sbo::data::{DataView, Dataset, Replacement};
use sbo::problem::{accuracy, data_loss, Batch, Coupling, HyperShape, Loss, Oracles, ProblemSpec};

const H: f64 = 1e-6;
const REL: f64 = 1e-6;
const ABS: f64 = 1e-7;

use common::Gen;

const LOSSES: [Loss; 2] = [Loss::Squared, Loss::Logistic];
const COUPLINGS: [Coupling; 4] = [
    Coupling::Prior,
    Coupling::Logweight,
    Coupling::Nonconvex,
    Coupling::Bilinear,
];
const SHAPES: [HyperShape; 2] = [HyperShape::PerFeature, HyperShape::Scalar];

fn spec(loss: Loss, coupling: Coupling, hyper: HyperShape) -> ProblemSpec {
    ProblemSpec {
        loss,
        coupling,
        hyper,
        mu: 0.7,
        lam_y: 0.3,
        nu: 0.2,
        x_box: None,
        classes: 0,
        ..ProblemSpec::default()
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= ABS + REL * a.abs().max(b.abs())
}

fn check(label: &str, what: &str, got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len(), "{label} {what}: length");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            close(*g, *w),
            "{label} {what}[{i}]: oracle {g:.12e} vs finite difference {w:.12e} \
             (tolerance {ABS:e} + {REL:e} * max)"
        );
    }
}

fn plus(a: &[f64], t: f64, dir: &[f64]) -> Vec<f64> {
    a.iter().zip(dir).map(|(a, b)| a + t * b).collect()
}

fn unit(n: usize, k: usize) -> Vec<f64> {
    let mut e = vec![0.0; n];
    e[k] = 1.0;
    e
}

/// Central difference of a scalar function along `dir`.
fn fd(f: impl Fn(&[f64]) -> f64, at: &[f64], dir: &[f64]) -> f64 {
    (f(&plus(at, H, dir)) - f(&plus(at, -H, dir))) / (2.0 * H)
}

/// Central difference of a vector function along `dir`.
fn fd_vec(f: impl Fn(&[f64]) -> Vec<f64>, at: &[f64], dir: &[f64]) -> Vec<f64> {
    let a = f(&plus(at, H, dir));
    let b = f(&plus(at, -H, dir));
    a.iter().zip(&b).map(|(a, b)| (a - b) / (2.0 * H)).collect()
}

/// Naive loss, written independently of the crate (moderate arguments only).
fn naive_loss(loss: Loss, z: f64, b: f64) -> f64 {
    match loss {
        Loss::Squared => 0.5 * (z - b) * (z - b),
        Loss::Logistic => (1.0 + (-b * z).exp()).ln(),
        Loss::Multinomial => unreachable!("tests/multinomial.rs covers the multiclass loss"),
    }
}

fn naive_r(c: Coupling, mu: f64, x: f64, y: f64) -> f64 {
    match c {
        Coupling::Prior => 0.5 * mu * (y - x).powi(2),
        Coupling::Logweight => x.exp() * y * y / 2.0,
        Coupling::Nonconvex => x.exp() * y * y / (1.0 + y * y),
        Coupling::Bilinear => -mu * x * y,
        Coupling::SampleWeight => unreachable!("tests/hyper_cleaning.rs covers it"),
    }
}

fn naive_mean_loss(s: &ProblemSpec, data: &Dataset, y: &[f64]) -> f64 {
    let mut t = 0.0;
    for i in 0..data.n {
        let z: f64 = data.row(i).iter().zip(y).map(|(a, b)| *a as f64 * b).sum();
        t += naive_loss(s.loss, z, data.label(i) as f64);
    }
    t / data.n as f64
}

fn naive_g(s: &ProblemSpec, data: &Dataset, x: &[f64], y: &[f64]) -> f64 {
    let mut r = 0.0;
    for (j, yj) in y.iter().enumerate() {
        let k = if s.hyper == HyperShape::Scalar { 0 } else { j };
        r += naive_r(s.coupling, s.mu, x[k], *yj);
    }
    naive_mean_loss(s, data, y) + r + 0.5 * s.lam_y * y.iter().map(|v| v * v).sum::<f64>()
}

fn naive_f(s: &ProblemSpec, data: &Dataset, x: &[f64], y: &[f64]) -> f64 {
    naive_mean_loss(s, data, y) + 0.5 * s.nu * x.iter().map(|v| v * v).sum::<f64>()
}

struct Case {
    lower: Dataset,
    upper: Dataset,
    x: Vec<f64>,
    y: Vec<f64>,
    v: Vec<f64>,
}

const D: usize = 5;

fn case(g: &mut Gen, s: &ProblemSpec) -> Case {
    let lower = g.dataset(7, D);
    let upper = g.dataset(6, D);
    let p = s.p(D, 0);
    Case {
        lower,
        upper,
        x: g.vec(p, -1.0, 1.0),
        y: g.vec(D, -1.5, 1.5),
        v: g.vec(D, -1.0, 1.0),
    }
}

/// All oracles of `o` on `batch` against finite differences of the value functions of
/// `o_truth` (whose full sets are exactly the batch rows).
fn check_against_fd(label: &str, s: &ProblemSpec, c: &Case, batch: Batch, truth: &Oracles) {
    let o = Oracles {
        spec: s,
        lower: c.lower.view(),
        upper: c.upper.view(),
    };
    let (d, p) = (o.d(), o.p());
    let (x, y, v) = (&c.x[..], &c.y[..], &c.v[..]);

    let grad_g = |x: &[f64], y: &[f64]| {
        let mut out = vec![0.0; d];
        o.grad_y_g(x, y, batch, &mut out);
        out
    };

    // grad_y g
    let got = grad_g(x, y);
    let want: Vec<f64> = (0..d)
        .map(|j| fd(|yy| truth.lower_value(x, yy), y, &unit(d, j)))
        .collect();
    check(label, "grad_y_g", &got, &want);

    // H v = d/dt grad_y g(y + t v)
    let mut got = vec![0.0; d];
    o.hvp(x, y, v, batch, &mut got);
    // (FD of the gradient oracle, itself checked above against FD of the values.)
    let want = fd_vec(|yy| grad_g(x, yy), y, v);
    check(label, "hvp", &got, &want);

    // J v: (J v)_k = d/dx_k (grad_y g(x, y) . v)
    let mut got = vec![0.0; p];
    o.jvp(x, y, v, batch, &mut got);
    let want: Vec<f64> = (0..p)
        .map(|k| {
            fd(
                |xx| grad_g(xx, y).iter().zip(v).map(|(a, b)| a * b).sum(),
                x,
                &unit(p, k),
            )
        })
        .collect();
    check(label, "jvp", &got, &want);

    // grad_x g: central differences of g's value in x (the first-order methods' x-gradient).
    let mut got = vec![0.0; p];
    o.grad_x_g(x, y, batch, &mut got);
    let want: Vec<f64> = (0..p)
        .map(|k| fd(|xx| truth.lower_value(xx, y), x, &unit(p, k)))
        .collect();
    check(label, "grad_x_g", &got, &want);

    // grad_y f, grad_x f
    let mut got = vec![0.0; d];
    o.grad_y_f(x, y, batch, &mut got);
    let want: Vec<f64> = (0..d)
        .map(|j| fd(|yy| truth.upper_value(x, yy), y, &unit(d, j)))
        .collect();
    check(label, "grad_y_f", &got, &want);

    let mut got = vec![0.0; p];
    o.grad_x_f(x, y, &mut got);
    let want: Vec<f64> = (0..p)
        .map(|k| fd(|xx| truth.upper_value(xx, y), x, &unit(p, k)))
        .collect();
    check(label, "grad_x_f", &got, &want);
}

#[test]
fn values_match_naive_formulas() {
    let mut g = Gen(11);
    for loss in LOSSES {
        for coupling in COUPLINGS {
            for hyper in SHAPES {
                let s = spec(loss, coupling, hyper);
                let c = case(&mut g, &s);
                let o = Oracles {
                    spec: &s,
                    lower: c.lower.view(),
                    upper: c.upper.view(),
                };
                let label = format!("{loss:?}/{coupling:?}/{hyper:?}");
                let gv = o.lower_value(&c.x, &c.y);
                let gn = naive_g(&s, &c.lower, &c.x, &c.y);
                assert!(
                    (gv - gn).abs() <= 1e-12 * gn.abs().max(1.0),
                    "{label} g: {gv} vs {gn}"
                );
                let fv = o.upper_value(&c.x, &c.y);
                let fnv = naive_f(&s, &c.upper, &c.x, &c.y);
                assert!(
                    (fv - fnv).abs() <= 1e-12 * fnv.abs().max(1.0),
                    "{label} f: {fv} vs {fnv}"
                );
                let dl = data_loss(&s, c.upper.view(), &c.y);
                let dn = naive_mean_loss(&s, &c.upper, &c.y);
                assert!(
                    (dl - dn).abs() <= 1e-12 * dn.abs().max(1.0),
                    "{label} data_loss"
                );
            }
        }
    }
}

#[test]
fn oracles_match_finite_differences_full_batch() {
    let mut g = Gen(1);
    for loss in LOSSES {
        for coupling in COUPLINGS {
            for hyper in SHAPES {
                let s = spec(loss, coupling, hyper);
                let c = case(&mut g, &s);
                let truth = Oracles {
                    spec: &s,
                    lower: c.lower.view(),
                    upper: c.upper.view(),
                };
                let label = format!("{loss:?}/{coupling:?}/{hyper:?} Full");
                check_against_fd(&label, &s, &c, Batch::Full, &truth);
            }
        }
    }
}

#[test]
fn oracles_match_finite_differences_index_batch_with_repeats() {
    let mut g = Gen(2);
    // Valid for both sets (lower n = 7, upper n = 6); repeats and arbitrary order.
    let idx: [u32; 8] = [3, 1, 3, 0, 5, 3, 2, 1];
    let idx_usize: Vec<usize> = idx.iter().map(|&i| i as usize).collect();
    for loss in LOSSES {
        for coupling in COUPLINGS {
            for hyper in SHAPES {
                let s = spec(loss, coupling, hyper);
                let c = case(&mut g, &s);
                let lower_b = c.lower.select(&idx_usize);
                let upper_b = c.upper.select(&idx_usize);
                let truth = Oracles {
                    spec: &s,
                    lower: lower_b.view(),
                    upper: upper_b.view(),
                };
                let label = format!("{loss:?}/{coupling:?}/{hyper:?} Idx");
                check_against_fd(&label, &s, &c, Batch::Idx(&idx), &truth);
            }
        }
    }
}

#[test]
fn replacement_is_seen_by_every_oracle() {
    let mut g = Gen(3);
    for loss in LOSSES {
        for coupling in COUPLINGS {
            for hyper in SHAPES {
                let s = spec(loss, coupling, hyper);
                let c = case(&mut g, &s);
                let new_row: Vec<f32> = (0..D).map(|_| g.unif(-2.0, 2.0) as f32).collect();
                let new_label = -c.lower.label(2);
                let rep = Replacement {
                    index: 2,
                    row: &new_row,
                    label: new_label,
                };
                let mut lower_phys = c.lower.clone();
                lower_phys.features[2 * D..3 * D].copy_from_slice(&new_row);
                lower_phys.labels[2] = new_label;
                let mut upper_phys = c.upper.clone();
                upper_phys.features[2 * D..3 * D].copy_from_slice(&new_row);
                upper_phys.labels[2] = new_label;

                let o_view = Oracles {
                    spec: &s,
                    lower: DataView::with_replacement(&c.lower, Some(rep)),
                    upper: DataView::with_replacement(&c.upper, Some(rep)),
                };
                let o_phys = Oracles {
                    spec: &s,
                    lower: lower_phys.view(),
                    upper: upper_phys.view(),
                };
                let o_base = Oracles {
                    spec: &s,
                    lower: c.lower.view(),
                    upper: c.upper.view(),
                };
                let label = format!("{loss:?}/{coupling:?}/{hyper:?}");
                let idx = [2u32, 0, 2, 4];
                for batch in [Batch::Full, Batch::Idx(&idx)] {
                    let run = |o: &Oracles| {
                        let mut a = vec![0.0; D];
                        let mut b = vec![0.0; D];
                        let mut e = vec![0.0; D];
                        o.grad_y_g(&c.x, &c.y, batch, &mut a);
                        o.hvp(&c.x, &c.y, &c.v, batch, &mut b);
                        o.grad_y_f(&c.x, &c.y, batch, &mut e);
                        (
                            a,
                            b,
                            e,
                            o.lower_value(&c.x, &c.y),
                            o.upper_value(&c.x, &c.y),
                        )
                    };
                    let rv = run(&o_view);
                    let rp = run(&o_phys);
                    assert_eq!(
                        rv, rp,
                        "{label} {batch:?}: replaced view != physical replacement"
                    );
                    assert_ne!(run(&o_base).0, rv.0, "{label}: replacement had no effect");
                }
                assert_eq!(
                    accuracy(o_view.spec, o_view.lower, &c.y),
                    accuracy(o_phys.spec, o_phys.lower, &c.y),
                    "{label}: accuracy"
                );
            }
        }
    }
}

#[test]
fn logistic_is_finite_for_large_margins() {
    use sbo::problem::loss;
    for z in [1000.0f64, -1000.0] {
        for b in [1.0f64, -1.0] {
            let (l, l1, l2) = (
                loss::value(Loss::Logistic, z, b),
                loss::d1(Loss::Logistic, z, b),
                loss::d2(Loss::Logistic, z, b),
            );
            assert!(
                l.is_finite() && l1.is_finite() && l2.is_finite(),
                "z={z} b={b}"
            );
            let bz = b * z;
            let want_l = if bz > 0.0 { 0.0 } else { -bz };
            assert!((l - want_l).abs() <= 1e-12, "l({z},{b}) = {l}");
            assert!((0.0..1e-300).contains(&l2), "l''({z},{b}) = {l2}");
            let lf = loss::value(Loss::Logistic, z as f32, b as f32);
            let l1f = loss::d1(Loss::Logistic, z as f32, b as f32);
            let l2f = loss::d2(Loss::Logistic, z as f32, b as f32);
            assert!(
                lf.is_finite() && l1f.is_finite() && l2f.is_finite(),
                "f32 z={z} b={b}"
            );
        }
    }
    // Through the oracles: rows scaled so that |a . y| = 1000.
    let data = Dataset::new(2, vec![500.0, 500.0, -500.0, -500.0], vec![1.0, 1.0]).unwrap();
    for hyper in SHAPES {
        let s = spec(Loss::Logistic, Coupling::Logweight, hyper);
        let o = Oracles {
            spec: &s,
            lower: data.view(),
            upper: data.view(),
        };
        let x = vec![0.0; s.p(2, 0)];
        let y = [1.0, 1.0];
        let mut out = [0.0f64; 2];
        o.grad_y_g(&x, &y, Batch::Full, &mut out);
        assert!(out.iter().all(|v| v.is_finite()));
        o.hvp(&x, &y, &[1.0, -0.5], Batch::Full, &mut out);
        assert!(out.iter().all(|v| v.is_finite()));
        let gv = o.lower_value(&x, &y);
        assert!(
            gv.is_finite() && (gv - (1000.0 / 2.0 + 1.0 + 0.3)).abs() < 1e-9,
            "g = {gv}"
        );
        let y32 = [1.0f32, 1.0];
        let x32 = vec![0.0f32; s.p(2, 0)];
        let mut out32 = [0.0f32; 2];
        o.grad_y_g(&x32, &y32, Batch::Full, &mut out32);
        assert!(out32.iter().all(|v| v.is_finite()));
    }
}

#[test]
fn f32_matches_f64() {
    const TOL32: f64 = 1e-5;
    let mut g = Gen(4);
    let idx: [u32; 5] = [4, 4, 0, 5, 1];
    for loss in LOSSES {
        for coupling in COUPLINGS {
            for hyper in SHAPES {
                let s = spec(loss, coupling, hyper);
                let c = case(&mut g, &s);
                let o = Oracles {
                    spec: &s,
                    lower: c.lower.view(),
                    upper: c.upper.view(),
                };
                let label = format!("{loss:?}/{coupling:?}/{hyper:?}");
                let to32 = |v: &[f64]| v.iter().map(|a| *a as f32).collect::<Vec<f32>>();
                // Inputs rounded to f32 first, so both runs see the same point.
                let (x32, y32, v32) = (to32(&c.x), to32(&c.y), to32(&c.v));
                let up = |v: &[f32]| v.iter().map(|a| *a as f64).collect::<Vec<f64>>();
                let (x, y, v) = (up(&x32), up(&y32), up(&v32));
                let p = o.p();
                for batch in [Batch::Full, Batch::Idx(&idx)] {
                    let cmp = |what: &str, a: &[f32], b: &[f64]| {
                        let scale = b.iter().fold(1.0f64, |m, v| m.max(v.abs()));
                        for (i, (a, b)) in a.iter().zip(b).enumerate() {
                            assert!(
                                (*a as f64 - b).abs() <= TOL32 * scale,
                                "{label} {batch:?} {what}[{i}]: f32 {a} vs f64 {b} (tol {TOL32} rel)"
                            );
                        }
                    };
                    let (mut a32, mut a64) = (vec![0.0f32; D], vec![0.0f64; D]);
                    o.grad_y_g(&x32, &y32, batch, &mut a32);
                    o.grad_y_g(&x, &y, batch, &mut a64);
                    cmp("grad_y_g", &a32, &a64);
                    o.hvp(&x32, &y32, &v32, batch, &mut a32);
                    o.hvp(&x, &y, &v, batch, &mut a64);
                    cmp("hvp", &a32, &a64);
                    o.grad_y_f(&x32, &y32, batch, &mut a32);
                    o.grad_y_f(&x, &y, batch, &mut a64);
                    cmp("grad_y_f", &a32, &a64);
                    let (mut j32, mut j64) = (vec![0.0f32; p], vec![0.0f64; p]);
                    o.jvp(&x32, &y32, &v32, Batch::Full, &mut j32);
                    o.jvp(&x, &y, &v, Batch::Full, &mut j64);
                    cmp("jvp", &j32, &j64);
                    o.grad_x_f(&x32, &y32, &mut j32);
                    o.grad_x_f(&x, &y, &mut j64);
                    cmp("grad_x_f", &j32, &j64);
                }
                let (g32, g64) = (o.lower_value(&x32, &y32), o.lower_value(&x, &y));
                assert!(
                    (g32 - g64).abs() <= 1e-12 * g64.abs().max(1.0),
                    "{label} lower_value"
                );
            }
        }
    }
}

#[test]
fn accuracy_counts_zero_margin_as_wrong() {
    let data = Dataset::new(
        2,
        vec![1.0, 0.0, 0.0, 1.0, -1.0, 0.0, 1.0, -1.0],
        vec![1.0, 1.0, -1.0, 1.0],
    )
    .unwrap();
    let s = spec(Loss::Logistic, Coupling::Logweight, HyperShape::PerFeature);
    // z = [1, 0, -1, 0] for y = (1, 1)... with y = (1, 0): z = [1, 0, -1, 1].
    let acc = accuracy(&s, data.view(), &[1.0f64, 0.0]);
    assert!((acc - 0.75).abs() < 1e-15, "accuracy {acc}");
    let acc = accuracy(&s, data.view(), &[1.0f64, 1.0]);
    // z = [1, 1, -1, 0]: samples 0, 1, 2 right, 3 has z = 0 -> wrong.
    assert!((acc - 0.75).abs() < 1e-15, "accuracy {acc}");
    let acc = accuracy(&s, data.view(), &[0.0f64, 0.0]);
    assert_eq!(acc, 0.0);
}
