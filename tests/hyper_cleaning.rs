//! Data hyper-cleaning (per-sample weights sigmoid(x_i) on the lower loss) against independent
//! truth: central finite differences (f64) of the weighted objective written here from its
//! definition, for the binary and the multinomial loss, on full sets and on batches with
//! repeats; the closed identity between constant weights and a rescaled ridge; and a
//! full-batch f64 run that drives |grad F|^2 below 1e-8 and down-weights the corrupted samples.
//!
//! Tolerance: |oracle - fd| <= ABS + REL * max(|oracle|, |fd|), FD step `common::fd::H`.

mod common;
use common::fd::{fd, fd_vec, unit};
use common::Gen;
use sbo::data::Dataset;
use sbo::problem::{exact, Batch, Coupling, HyperShape, Loss, Oracles, ProblemSpec};

const REL: f64 = 1e-6;
const ABS: f64 = 1e-7;
const F: usize = 4;

fn spec(loss: Loss, classes: usize) -> ProblemSpec {
    ProblemSpec {
        classes,
        loss,
        ..ProblemSpec::preset("hyper-cleaning").expect("preset")
    }
}

fn sigmoid(t: f64) -> f64 {
    1.0 / (1.0 + (-t).exp())
}

/// Labels +-1 (classes = 0) or 0..classes-1.
fn dataset(g: &mut Gen, n: usize, classes: usize) -> Dataset {
    let features = (0..n * F).map(|_| g.unif(-1.0, 1.0) as f32).collect();
    let labels = (0..n)
        .map(|_| {
            if classes == 0 {
                if g.next_u64() & 1 == 1 {
                    1.0
                } else {
                    -1.0
                }
            } else {
                (g.next_u64() % classes as u64) as f32
            }
        })
        .collect();
    Dataset::new(F, features, labels).expect("fixture")
}

/// l(a . y, b) of one sample from the definitions (moderate scores only).
fn naive_l(s: &ProblemSpec, row: &[f32], b: f32, y: &[f64]) -> f64 {
    let score = |c: usize| -> f64 {
        row.iter()
            .zip(&y[c * F..(c + 1) * F])
            .map(|(a, w)| *a as f64 * w)
            .sum()
    };
    if s.loss == Loss::Multinomial {
        let z: Vec<f64> = (0..s.classes).map(score).collect();
        z.iter().map(|v| v.exp()).sum::<f64>().ln() - z[b as usize]
    } else {
        (1.0 + (-(b as f64) * score(0)).exp()).ln()
    }
}

/// g_B(x, y) = (1/|B|) sum_{k} sigmoid(x_{i_k}) l_{i_k} + (lam/2)|y|^2 over the draws i_k.
fn naive_g(s: &ProblemSpec, data: &Dataset, draws: &[usize], x: &[f64], y: &[f64]) -> f64 {
    let mut t = 0.0;
    for &i in draws {
        t += sigmoid(x[i]) * naive_l(s, data.row(i), data.label(i), y);
    }
    t / draws.len() as f64 + 0.5 * s.lam_y * y.iter().map(|v| v * v).sum::<f64>()
}

fn naive_f(s: &ProblemSpec, data: &Dataset, draws: &[usize], y: &[f64]) -> f64 {
    draws
        .iter()
        .map(|&i| naive_l(s, data.row(i), data.label(i), y))
        .sum::<f64>()
        / draws.len() as f64
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= ABS + REL * a.abs().max(b.abs())
}

fn check(label: &str, what: &str, got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len(), "{label} {what}: length");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            close(*g, *w),
            "{label} {what}[{i}]: oracle {g:.12e} vs finite difference {w:.12e}"
        );
    }
}

#[test]
fn every_oracle_matches_finite_differences_of_the_weighted_objective() {
    let mut g = Gen(31);
    for (loss, classes) in [(Loss::Logistic, 0), (Loss::Multinomial, 3)] {
        let s = spec(loss, classes);
        let (n, m) = (8, 5);
        let (lower, upper) = (dataset(&mut g, n, classes), dataset(&mut g, m, classes));
        let o = Oracles {
            spec: &s,
            lower: lower.view(),
            upper: upper.view(),
        };
        let (d, p) = (o.d(), o.p());
        assert_eq!(p, n, "one weight per lower sample");
        let x = g.vec(p, -2.0, 2.0);
        let y = g.vec(d, -1.5, 1.5);
        let v = g.vec(d, -1.0, 1.0);
        let idx = [3u32, 0, 7, 3, 5];
        let uidx = [4u32, 1, 1];
        let all: Vec<usize> = (0..n).collect();
        let all_u: Vec<usize> = (0..m).collect();
        let as_usize = |b: &[u32]| b.iter().map(|&i| i as usize).collect::<Vec<_>>();
        for (batch, ubatch, draws, udraws, bl) in [
            (Batch::Full, Batch::Full, all.clone(), all_u.clone(), "full"),
            (
                Batch::Idx(&idx),
                Batch::Idx(&uidx),
                as_usize(&idx),
                as_usize(&uidx),
                "batch",
            ),
        ] {
            let label = format!("{loss:?}/{bl}");
            let grad_g = |x: &[f64], y: &[f64]| {
                let mut out = vec![0.0; d];
                o.grad_y_g(x, y, batch, &mut out);
                out
            };
            let gy = grad_g(&x, &y);
            let want: Vec<f64> = (0..d)
                .map(|j| fd(|yy| naive_g(&s, &lower, &draws, &x, yy), &y, &unit(d, j)))
                .collect();
            check(&label, "grad_y_g", &gy, &want);
            let mut hv = vec![0.0; d];
            o.hvp(&x, &y, &v, batch, &mut hv);
            check(&label, "hvp", &hv, &fd_vec(|yy| grad_g(&x, yy), &y, &v));
            let (mut g2, mut h2) = (vec![0.0; d], vec![0.0; d]);
            o.grad_and_hvp(&x, &y, &v, batch, &mut g2, &mut h2);
            assert_eq!((g2, h2), (gy, hv.clone()), "{label}: fused oracle");
            // J v = d/dx (grad_y g . v), on the same batch.
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
                .map(|k| fd(|xx| naive_g(&s, &lower, &draws, xx, &y), &x, &unit(p, k)))
                .collect();
            check(&label, "grad_x_g", &gx, &want);
            // A sample outside the batch gets no x-gradient.
            if bl == "batch" {
                assert_eq!((jv[1], gx[1]), (0.0, 0.0), "{label}: undrawn sample 1");
            }
            let mut gf = vec![0.0; d];
            o.grad_y_f(&x, &y, ubatch, &mut gf);
            let want: Vec<f64> = (0..d)
                .map(|j| fd(|yy| naive_f(&s, &upper, &udraws, yy), &y, &unit(d, j)))
                .collect();
            check(&label, "grad_y_f (clean, unweighted)", &gf, &want);
        }
        let gv = o.lower_value(&x, &y);
        let gn = naive_g(&s, &lower, &all, &x, &y);
        assert!(
            (gv - gn).abs() <= 1e-12 * gn.abs(),
            "{loss:?} g: {gv} vs {gn}"
        );
        // The exact module's dense Hessian is the oracle's.
        let h = exact::full_hessian(&s, lower.view(), &x, &y);
        for j in 0..d {
            let mut col = vec![0.0; d];
            o.hvp(&x, &y, &unit(d, j), Batch::Full, &mut col);
            for i in 0..d {
                assert!(
                    (h[(i, j)] - col[i]).abs() <= 1e-13,
                    "{loss:?} H[{i}, {j}]: {} vs {}",
                    h[(i, j)],
                    col[i]
                );
            }
        }
    }
}

/// Equal weights sigmoid(c) scale the data term: the inner solution is the unweighted
/// problem's with ridge lam / sigmoid(c), and F's gradient is the same in every coordinate's
/// direction only through its own sample (checked against finite differences of F).
#[test]
fn constant_weights_are_a_rescaled_ridge_and_the_exact_hypergradient_is_the_fd_of_f() {
    let mut g = Gen(4);
    let s = spec(Loss::Logistic, 0);
    let (lower, upper) = (dataset(&mut g, 12, 0), dataset(&mut g, 9, 0));
    let c = 0.7;
    let x = vec![c; 12];
    let y0 = vec![0.0; F];
    let weighted = exact::solve_inner(&s, lower.view(), &x, &y0, 1e-13).expect("weighted");
    let ridge = ProblemSpec {
        coupling: Coupling::Prior,
        hyper: HyperShape::Scalar,
        mu: 0.0,
        lam_y: s.lam_y / sigmoid(c),
        ..spec(Loss::Logistic, 0)
    };
    let plain = exact::solve_inner(&ridge, lower.view(), &[0.0], &y0, 1e-13).expect("plain");
    for (a, b) in weighted.iter().zip(&plain) {
        assert!((a - b).abs() <= 1e-9 * b.abs().max(1.0), "{a} vs {b}");
    }
    let x: Vec<f64> = g.vec(12, -1.0, 1.0);
    let hg = exact::hypergradient(&s, lower.view(), upper.view(), &x, &y0, 1e-13).expect("grad");
    let all: Vec<usize> = (0..9).collect();
    let big_f = |xx: &[f64]| {
        let ys = exact::solve_inner(&s, lower.view(), xx, &y0, 1e-13).expect("inner");
        naive_f(&s, &upper, &all, &ys)
    };
    for k in 0..12 {
        let want = fd(big_f, &x, &unit(12, k));
        assert!(
            (hg.grad[k] - want).abs() <= 1e-8 + 1e-5 * want.abs(),
            "grad F[{k}]: exact {:e} vs finite difference {want:e}",
            hg.grad[k]
        );
    }
}

/// A full-batch f64 AID run (aid-cg) on 40 ijcnn1 samples, a quarter of them flipped: the
/// exact |grad F|^2 falls below 1e-8, and the samples it down-weights (sigmoid(x_i) < 1/2) are
/// mostly the corrupted ones (precision >= 0.5, twice the base rate 0.25; recall >= 0.8).
#[test]
fn full_batch_aid_converges_and_down_weights_the_corrupted_samples() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/hyper_cleaning_full_batch.toml"
    ))
    .expect("config");
    let c = sbo::sweep::SweepConfig::from_toml(&text).expect("config");
    let study = sbo::sweep::Study::prepare(&c, None).expect("prepare");
    assert_eq!(study.p(), 40);
    let r = sbo::run::run_study(
        &sbo::cpu::CpuEngine,
        &study,
        &sbo::run::RunOptions::default(),
    )
    .expect("run");
    let at = |m| r.configs[0].at(3000, m).expect("metric").mean;
    use sbo::metrics::Metric;
    let g2 = at(Metric::HypergradNormSq);
    assert!(g2 < 1e-8, "|grad F|^2 = {g2:e}");
    let (p, rc) = (at(Metric::CleaningPrecision), at(Metric::CleaningRecall));
    assert!(p >= 0.5 && rc >= 0.8, "precision {p}, recall {rc}");
}

/// Hyper-cleaning's settings are checked by field: per-sample weights and the sample_weight
/// coupling go together, squared loss has nothing to clean, the variance-reduced solvers are
/// refused by name.
#[test]
fn hyper_cleaning_settings_are_validated() {
    let mut bad = spec(Loss::Logistic, 0);
    bad.hyper = HyperShape::PerFeature;
    assert!(bad
        .validate()
        .unwrap_err()
        .to_string()
        .contains("problem.hyper"));
    let mut bad = spec(Loss::Logistic, 0);
    bad.loss = Loss::Squared;
    assert!(bad
        .validate()
        .unwrap_err()
        .to_string()
        .contains("problem.loss"));
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/hyper_cleaning_full_batch.toml"
    ))
    .expect("config");
    let base = &text[..text.find("[[algo]]").expect("algo table")];
    for name in [
        "saba", "srba", "vrbo", "bome", "f2sa", "fsla", "mrbo", "sustain", "tsgd", "ud",
    ] {
        let c = sbo::sweep::SweepConfig::from_toml(&format!("{base}[[algo]]\nname = \"{name}\"\n"))
            .expect("config");
        match sbo::sweep::Study::prepare(&c, None) {
            Err(sbo::SboError::Config { field, .. }) => assert!(field.contains(name), "{field}"),
            other => panic!("{name}: expected a refusal, got {:?}", other.map(|_| ())),
        }
    }
}

/// Every solver that takes per-sample weights runs them with p = 40 > d = 22 (x-sized work
/// vectors must not borrow d-long ones) with minibatches, and stays finite.
#[test]
fn every_supporting_solver_runs_with_more_weights_than_features() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/hyper_cleaning_full_batch.toml"
    ))
    .expect("config");
    let base = &text[..text.find("[[algo]]").expect("algo table")];
    for name in [
        "ssgd", "ssaid", "ma-soba", "stocbio", "aid-cg", "amigo", "bsa", "ttsa",
    ] {
        let mut c = sbo::sweep::SweepConfig::from_toml(&format!(
            "{base}[[algo]]\nname = \"{name}\"\nalpha = 1.0\nbatch = 8\n"
        ))
        .expect("config");
        c.run.steps = 20;
        c.run.log_every = 10;
        c.run.exact = false;
        c.run.neighbours = 1;
        c.run.replace = sbo::sweep::ReplaceSide::Lower;
        let study = sbo::sweep::Study::prepare(&c, None).expect("prepare");
        let r = sbo::run::run_study(
            &sbo::cpu::CpuEngine,
            &study,
            &sbo::run::RunOptions::default(),
        )
        .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(r.diverged(), 0, "{name}");
        assert_eq!(r.lanes.len(), 2, "{name}");
    }
}
