//! The multinomial loss against independent truth: central finite differences (f64) of a
//! softmax cross-entropy written here from its definition, the C = 2 identity with the
//! logistic loss, the exact module's dense Hessian against the oracle, and the exact
//! hypergradient against finite differences of F(x) = f(x, y*(x)).
//!
//! Tolerance: |oracle - fd| <= ABS + REL * max(|oracle|, |fd|), FD step `common::fd::H`.

mod common;
use common::fd::{fd, fd_vec, unit};
use common::Gen;
use sbo::data::Dataset;
use sbo::problem::{
    accuracy, data_loss, exact, Batch, Coupling, HyperShape, Loss, Oracles, ProblemSpec,
};

const REL: f64 = 1e-6;
const ABS: f64 = 1e-7;
const C: usize = 3;
const F: usize = 4;

fn spec(coupling: Coupling, hyper: HyperShape, classes: usize) -> ProblemSpec {
    ProblemSpec {
        loss: Loss::Multinomial,
        coupling,
        hyper,
        mu: 0.7,
        lam_y: 0.3,
        nu: 0.2,
        x_box: None,
        classes,
        ..ProblemSpec::default()
    }
}

/// Rows in [-1, 1], labels 0..classes-1.
fn dataset(g: &mut Gen, n: usize, classes: usize) -> Dataset {
    let features = (0..n * F).map(|_| g.unif(-1.0, 1.0) as f32).collect();
    let labels = (0..n)
        .map(|_| (g.next_u64() % classes as u64) as f32)
        .collect();
    Dataset::new(F, features, labels).expect("fixture")
}

/// The hyperparameter of coordinate j (class j / F, feature j % F), from the definition.
fn k_of(hyper: HyperShape, j: usize) -> usize {
    match hyper {
        HyperShape::PerFeature => j % F,
        HyperShape::Scalar => 0,
        HyperShape::PerClass => j / F,
        HyperShape::PerSample => unreachable!("tests/hyper_cleaning.rs covers it"),
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

/// (1/n) sum_i [ln sum_c exp(a_i . y_c) - a_i . y_{b_i}], naively (moderate scores only).
fn naive_loss(data: &Dataset, y: &[f64], classes: usize) -> f64 {
    let mut t = 0.0;
    for i in 0..data.n {
        let z: Vec<f64> = (0..classes)
            .map(|c| {
                data.row(i)
                    .iter()
                    .zip(&y[c * F..(c + 1) * F])
                    .map(|(a, w)| *a as f64 * w)
                    .sum()
            })
            .collect();
        let lse = z.iter().map(|v| v.exp()).sum::<f64>().ln();
        t += lse - z[data.label(i) as usize];
    }
    t / data.n as f64
}

fn naive_g(s: &ProblemSpec, data: &Dataset, x: &[f64], y: &[f64]) -> f64 {
    let r: f64 = y
        .iter()
        .enumerate()
        .map(|(j, yj)| naive_r(s.coupling, s.mu, x[k_of(s.hyper, j)], *yj))
        .sum();
    naive_loss(data, y, s.classes) + r + 0.5 * s.lam_y * y.iter().map(|v| v * v).sum::<f64>()
}

fn naive_f(s: &ProblemSpec, data: &Dataset, x: &[f64], y: &[f64]) -> f64 {
    naive_loss(data, y, s.classes) + 0.5 * s.nu * x.iter().map(|v| v * v).sum::<f64>()
}

fn close(a: f64, b: f64, abs: f64, rel: f64) -> bool {
    (a - b).abs() <= abs + rel * a.abs().max(b.abs())
}

fn check(label: &str, what: &str, got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len(), "{label} {what}: length");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            close(*g, *w, ABS, REL),
            "{label} {what}[{i}]: oracle {g:.12e} vs finite difference {w:.12e} \
             (tolerance {ABS:e} + {REL:e} * max)"
        );
    }
}

#[test]
fn every_oracle_matches_finite_differences_of_the_naive_loss() {
    let mut g = Gen(23);
    for coupling in [
        Coupling::Prior,
        Coupling::Logweight,
        Coupling::Nonconvex,
        Coupling::Bilinear,
    ] {
        for hyper in [
            HyperShape::PerFeature,
            HyperShape::Scalar,
            HyperShape::PerClass,
        ] {
            let s = spec(coupling, hyper, C);
            let label = format!("{coupling:?}/{hyper:?}");
            let (lower, upper) = (dataset(&mut g, 9, C), dataset(&mut g, 6, C));
            let o = Oracles {
                spec: &s,
                lower: lower.view(),
                upper: upper.view(),
            };
            let (d, p) = (o.d(), o.p());
            assert_eq!(d, C * F, "{label}: y is one weight vector per class");
            assert_eq!(p, s.p(F, 0), "{label}");
            let x = g.vec(p, -1.0, 1.0);
            let y = g.vec(d, -1.5, 1.5);
            let v = g.vec(d, -1.0, 1.0);
            // A batch with a repeat, in an order of its own.
            let idx = [4u32, 0, 8, 4, 2];
            let sub = lower.select(&idx.iter().map(|&i| i as usize).collect::<Vec<_>>());
            let uidx = [5u32, 1, 1];
            let usub = upper.select(&uidx.iter().map(|&i| i as usize).collect::<Vec<_>>());
            for (batch, lo, up, bl) in [
                (Batch::Full, &lower, &upper, "full"),
                (Batch::Idx(&idx), &sub, &usub, "batch"),
            ] {
                let label = format!("{label}/{bl}");
                let batch_u = match batch {
                    Batch::Full => Batch::Full,
                    Batch::Idx(_) => Batch::Idx(&uidx),
                };
                let grad_g = |x: &[f64], y: &[f64]| {
                    let mut out = vec![0.0; d];
                    o.grad_y_g(x, y, batch, &mut out);
                    out
                };
                let got = grad_g(&x, &y);
                let want: Vec<f64> = (0..d)
                    .map(|j| fd(|yy| naive_g(&s, lo, &x, yy), &y, &unit(d, j)))
                    .collect();
                check(&label, "grad_y_g", &got, &want);

                let mut hv = vec![0.0; d];
                o.hvp(&x, &y, &v, batch, &mut hv);
                check(&label, "hvp", &hv, &fd_vec(|yy| grad_g(&x, yy), &y, &v));

                // The fused oracle is the two separate ones, bit for bit.
                let (mut g2, mut h2) = (vec![0.0; d], vec![0.0; d]);
                o.grad_and_hvp(&x, &y, &v, batch, &mut g2, &mut h2);
                assert_eq!(g2, got, "{label}: grad_and_hvp's gradient");
                assert_eq!(h2, hv, "{label}: grad_and_hvp's Hessian product");

                let mut jv = vec![0.0; p];
                o.jvp(&x, &y, &v, batch, &mut jv);
                let want: Vec<f64> = (0..p)
                    .map(|k| {
                        fd(
                            |xx| grad_g(xx, &y).iter().zip(&v).map(|(a, b)| a * b).sum(),
                            &x,
                            &unit(p, k),
                        )
                    })
                    .collect();
                check(&label, "jvp", &jv, &want);

                let mut gx = vec![0.0; p];
                o.grad_x_g(&x, &y, batch, &mut gx);
                let want: Vec<f64> = (0..p)
                    .map(|k| fd(|xx| naive_g(&s, lo, xx, &y), &x, &unit(p, k)))
                    .collect();
                check(&label, "grad_x_g", &gx, &want);

                let mut gf = vec![0.0; d];
                o.grad_y_f(&x, &y, batch_u, &mut gf);
                let want: Vec<f64> = (0..d)
                    .map(|j| fd(|yy| naive_f(&s, up, &x, yy), &y, &unit(d, j)))
                    .collect();
                check(&label, "grad_y_f", &gf, &want);
            }
            // Values: the crate's against the naive ones.
            let gv = o.lower_value(&x, &y);
            let gn = naive_g(&s, &lower, &x, &y);
            assert!(close(gv, gn, 0.0, 1e-12), "{label} g: {gv} vs {gn}");
            let fv = o.upper_value(&x, &y);
            let fnv = naive_f(&s, &upper, &x, &y);
            assert!(close(fv, fnv, 0.0, 1e-12), "{label} f: {fv} vs {fnv}");
        }
    }
}

/// With two classes, softmax cross-entropy on scores (z0, z1) is the logistic loss of
/// w . a = z1 - z0 with label +1 for class 1 and -1 for class 0: the same loss, gradients
/// that are +- the logistic one in the two blocks, and H v whose class-1 block is the logistic
/// H (v1 - v0).
#[test]
fn two_classes_are_the_logistic_loss_of_the_score_difference() {
    let mut g = Gen(5);
    let multi = spec(Coupling::Prior, HyperShape::PerFeature, 2);
    let logi = ProblemSpec {
        loss: Loss::Logistic,
        mu: 0.0,
        lam_y: 0.0,
        classes: 0,
        ..multi.clone()
    };
    let multi = ProblemSpec {
        mu: 0.0,
        lam_y: 0.0,
        ..multi
    };
    let data = dataset(&mut g, 40, 2);
    let mut pm1 = data.clone();
    pm1.labels
        .iter_mut()
        .for_each(|b| *b = if *b == 1.0 { 1.0 } else { -1.0 });
    let y = g.vec(2 * F, -2.0, 2.0);
    let v = g.vec(2 * F, -1.0, 1.0);
    let w: Vec<f64> = (0..F).map(|j| y[F + j] - y[j]).collect();
    let vd: Vec<f64> = (0..F).map(|j| v[F + j] - v[j]).collect();
    let (lm, ll) = (
        data_loss(&multi, data.view(), &y),
        data_loss(&logi, pm1.view(), &w),
    );
    assert!(close(lm, ll, 0.0, 1e-13), "loss {lm} vs {ll}");
    assert_eq!(
        accuracy(&multi, data.view(), &y),
        accuracy(&logi, pm1.view(), &w)
    );
    let om = Oracles {
        spec: &multi,
        lower: data.view(),
        upper: data.view(),
    };
    let ol = Oracles {
        spec: &logi,
        lower: pm1.view(),
        upper: pm1.view(),
    };
    let x = vec![0.0; F];
    let (mut gm, mut hm) = (vec![0.0; 2 * F], vec![0.0; 2 * F]);
    om.grad_and_hvp(&x, &y, &v, Batch::Full, &mut gm, &mut hm);
    let (mut gl, mut hl) = (vec![0.0; F], vec![0.0; F]);
    ol.grad_and_hvp(&x, &w, &vd, Batch::Full, &mut gl, &mut hl);
    for j in 0..F {
        for (what, a, b) in [
            ("grad class 1", gm[F + j], gl[j]),
            ("grad class 0", -gm[j], gl[j]),
            ("hvp class 1", hm[F + j], hl[j]),
            ("hvp class 0", -hm[j], hl[j]),
        ] {
            assert!(close(a, b, 1e-14, 1e-12), "{what}[{j}]: {a} vs {b}");
        }
    }
}

#[test]
fn the_dense_hessian_is_the_oracle_and_the_exact_hypergradient_is_the_fd_of_f() {
    let mut g = Gen(8);
    for hyper in [HyperShape::PerFeature, HyperShape::PerClass] {
        let s = spec(Coupling::Logweight, hyper, C);
        let (lower, upper) = (dataset(&mut g, 30, C), dataset(&mut g, 20, C));
        let d = C * F;
        let p = s.p(F, 0);
        let x = g.vec(p, -1.0, 0.5);
        let y = g.vec(d, -1.0, 1.0);
        let o = Oracles {
            spec: &s,
            lower: lower.view(),
            upper: upper.view(),
        };
        let h = exact::full_hessian(&s, lower.view(), &x, &y);
        for j in 0..d {
            let mut col = vec![0.0; d];
            o.hvp(&x, &y, &unit(d, j), Batch::Full, &mut col);
            for i in 0..d {
                assert!(
                    close(h[(i, j)], col[i], 1e-14, 1e-12),
                    "{hyper:?} H[{i}, {j}]: dense {} vs oracle {}",
                    h[(i, j)],
                    col[i]
                );
            }
        }
        let y0 = vec![0.0; d];
        let hg = exact::hypergradient(&s, lower.view(), upper.view(), &x, &y0, 1e-12)
            .expect("exact hypergradient");
        let big_f = |xx: &[f64]| {
            let ys = exact::solve_inner(&s, lower.view(), xx, &y0, 1e-12).expect("inner");
            naive_f(&s, &upper, xx, &ys)
        };
        let want: Vec<f64> = (0..p).map(|k| fd(big_f, &x, &unit(p, k))).collect();
        for (k, (a, b)) in hg.grad.iter().zip(&want).enumerate() {
            assert!(
                close(*a, *b, 1e-7, 1e-5),
                "{hyper:?} grad F[{k}]: exact {a:e} vs finite difference {b:e}"
            );
        }
    }
}

#[test]
fn multinomial_settings_are_validated() {
    for (s, field) in [
        (
            spec(Coupling::Prior, HyperShape::PerFeature, 1),
            "problem.classes",
        ),
        (
            spec(Coupling::Prior, HyperShape::PerFeature, 257),
            "problem.classes",
        ),
        (
            ProblemSpec {
                loss: Loss::Logistic,
                ..spec(Coupling::Prior, HyperShape::PerClass, 0)
            },
            "problem.hyper",
        ),
        (
            ProblemSpec {
                loss: Loss::Logistic,
                ..spec(Coupling::Prior, HyperShape::PerFeature, 3)
            },
            "problem.classes",
        ),
    ] {
        let e = s.validate().expect_err("invalid");
        assert!(e.to_string().contains(field), "{e}");
    }
    assert!(spec(Coupling::Prior, HyperShape::PerClass, 10)
        .validate()
        .is_ok());
}

/// A study on the shipped MNIST file: multinomial loss, `n` lower samples.
fn mnist(extra: &str) -> sbo::sweep::SweepConfig {
    sbo::sweep::SweepConfig::from_toml(&format!(
        r#"
[problem]
loss = "multinomial"
coupling = "logweight"
hyper = "per_class"
nu = 0.0
lam_y = 0.0
[data]
kind = "idx"
train = "data/t10k-images-idx3-ubyte.gz"
n_lower = 600
n_upper = 300
n_test = 300
n_pool = 50
[run]
backend = "cpu"
steps = 150
log_every = 50
seeds = 1
neighbours = 1
x0 = -3.0
[[algo]]
name = "ssaid"
alpha = 0.5
beta = 0.5
gamma = 0.5
batch = 32
{extra}
"#
    ))
    .expect("config")
}

/// MNIST end to end on the CPU: ten classes found and recorded, y = 10 x 784, and a model
/// far above chance (10 %) on the test rows after 150 steps.
#[test]
fn mnist_runs_end_to_end_and_learns() {
    let c = mnist("");
    let study = sbo::sweep::Study::prepare(&c, None).expect("prepare");
    assert_eq!(study.spec.classes, 10);
    assert_eq!(
        study.data.classes,
        (0..10).map(|c| c as f32).collect::<Vec<_>>()
    );
    assert_eq!((study.d(), study.p(), study.features()), (7840, 10, 784));
    assert_eq!(
        study.config.problem.classes,
        Some(10),
        "resolved config records C"
    );
    let r = sbo::run::run_study(
        &sbo::cpu::CpuEngine,
        &study,
        &sbo::run::RunOptions::default(),
    )
    .expect("run");
    assert_eq!(r.diverged(), 0);
    let acc = r.configs[0]
        .at(150, sbo::metrics::Metric::TestAccuracy)
        .expect("test accuracy")
        .mean;
    assert!(acc > 0.6, "test accuracy {acc}");
}

/// Labels that are not 0..C-1 map in increasing order, across every file; corruption gives
/// a corrupted sample another class; settings the multinomial loss cannot take are refused
/// by field.
#[test]
fn labels_map_to_classes_and_corruption_changes_the_class() {
    let dir = std::env::temp_dir().join(format!("sbo-multinomial-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("three.svm");
    let mut text = String::new();
    let mut g = Gen(3);
    for i in 0..300 {
        let label = [7, -2, 11][i % 3];
        text += &format!(
            "{label} 1:{:.3} 2:{:.3} 3:{:.3}\n",
            g.unif(-1.0, 1.0) + label as f64 / 10.0,
            g.unif(-1.0, 1.0),
            g.unif(-1.0, 1.0)
        );
    }
    std::fs::write(&file, text).expect("write");
    let base = format!(
        r#"
[problem]
loss = "multinomial"
coupling = "prior"
mu = 0.1
[data]
kind = "libsvm"
train = "{}"
n_lower = 150
n_upper = 60
n_test = 60
n_pool = 10
corrupt = 0.5
[run]
backend = "cpu"
steps = 4
[[algo]]
name = "ssgd"
"#,
        file.display()
    );
    let c = sbo::sweep::SweepConfig::from_toml(&base).expect("config");
    let study = sbo::sweep::Study::prepare(&c, None).expect("prepare");
    assert_eq!(study.data.classes, [-2.0, 7.0, 11.0]);
    let sets = study.data.sets(0).expect("sets");
    let lower = sets.lower.to_dataset();
    assert!(lower
        .labels
        .iter()
        .all(|&l| l == 0.0 || l == 1.0 || l == 2.0));
    let clean = {
        let mut c = c.clone();
        c.data.corrupt = 0.0;
        sbo::sweep::Study::prepare(&c, None).expect("prepare")
    };
    let clean_lower = clean.data.sets(0).expect("sets").lower.to_dataset();
    let flipped = study.data.corrupted(0).expect("corrupted");
    assert_eq!(flipped.len(), 75);
    let mut moved = [0usize; 3];
    for i in 0..lower.n {
        let (a, b) = (clean_lower.label(i), lower.label(i));
        if flipped.contains(&(i as u32)) {
            assert_ne!(a, b, "corrupted sample {i} kept its class");
            moved[((b - a).rem_euclid(3.0)) as usize] += 1;
        } else {
            assert_eq!(a, b, "clean sample {i} changed");
        }
    }
    // Both other classes are drawn (shift 1 and shift 2 mod 3).
    assert!(moved[1] > 15 && moved[2] > 15, "{moved:?}");

    let mut fewer = c.clone();
    fewer.problem.classes = Some(2);
    expect_config_error(&fewer, "problem.classes");
    std::fs::remove_dir_all(&dir).ok();
}

fn expect_config_error(c: &sbo::sweep::SweepConfig, field: &str) {
    match sbo::sweep::Study::prepare(c, None) {
        Err(sbo::SboError::Config { field: f, msg }) => assert_eq!(f, field, "{msg}"),
        other => panic!("expected a {field} error, got {:?}", other.map(|_| ())),
    }
}

/// What the multinomial loss cannot take yet is refused by field before anything runs.
#[test]
fn unsupported_multinomial_settings_are_refused() {
    let mut exact = mnist("");
    exact.run.exact = true;
    expect_config_error(&exact, "run.exact");
    expect_config_error(&mnist("[[algo]]\nname = \"saba\""), "algo[1] (saba)");
    let mut synthetic = mnist("");
    synthetic.data = Default::default();
    expect_config_error(&synthetic, "problem.loss");
}
