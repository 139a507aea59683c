//! Algorithms against independent truth: exact equalities the design promises, dense linear
//! solves for CG and Neumann, and the closed-form optimum of the quadratic problem.

mod common;

use nalgebra::{DMatrix, DVector};
use sbo::algo::{advance, AlgoConfig, AlgoKind, BatchSize, LaneState, Schedule};
use sbo::data::{DataView, Dataset, Replacement};
use sbo::problem::{exact, Coupling, HyperShape, Loss, Oracles, ProblemSpec};
use sbo::rng::LaneRng;

fn spec(loss: Loss, coupling: Coupling, hyper: HyperShape) -> ProblemSpec {
    ProblemSpec {
        loss,
        coupling,
        hyper,
        mu: 0.7,
        lam_y: 0.05,
        nu: 0.1,
        x_box: None,
        classes: 0,
        ..ProblemSpec::default()
    }
}

fn run<T: sbo::algo::StepReal>(
    cfg: &AlgoConfig,
    o: &Oracles,
    seed: u64,
    steps: u64,
    x0: f64,
) -> LaneState<T> {
    let p = o.p();
    let d = o.d();
    let mut lane = LaneState::new(cfg, o, &vec![T::of(x0); p], &vec![T::zero(); d]);
    advance(cfg, o, &LaneRng::new(seed), &mut lane, steps);
    lane
}

#[test]
fn tsgd_with_one_inner_step_equals_ssgd_bit_for_bit() {
    let lower = common::dataset(40, 6, 1, true);
    let upper = common::dataset(25, 6, 2, true);
    for (loss, coupling) in [
        (Loss::Logistic, Coupling::Nonconvex),
        (Loss::Logistic, Coupling::Logweight),
        (Loss::Squared, Coupling::Prior),
    ] {
        for hyper in [HyperShape::PerFeature, HyperShape::Scalar] {
            let s = spec(loss, coupling, hyper);
            let o = Oracles {
                spec: &s,
                lower: lower.view(),
                upper: upper.view(),
            };
            let mut a = AlgoConfig::new(AlgoKind::SSGD);
            a.alpha = Schedule::Poly(0.3, 0.6);
            a.beta = Schedule::Poly(0.2, 0.4);
            a.batch_lower = BatchSize::Size(8);
            a.batch_upper = BatchSize::Size(5);
            let mut b = a.clone();
            b.kind = AlgoKind::TSGD;
            b.inner_steps = 1;
            let l1 = run::<f64>(&a, &o, 7, 60, 0.1);
            let l2 = run::<f64>(&b, &o, 7, 60, 0.1);
            assert_eq!(l1.x, l2.x, "{loss:?} {coupling:?} {hyper:?}: x differs");
            assert_eq!(l1.y, l2.y, "{loss:?} {coupling:?} {hyper:?}: y differs");
            assert_eq!(l1.counts, l2.counts);
            let l1 = run::<f32>(&a, &o, 9, 60, 0.1);
            let l2 = run::<f32>(&b, &o, 9, 60, 0.1);
            assert_eq!(l1.x, l2.x, "f32 {loss:?} {coupling:?} {hyper:?}: x differs");
            assert_eq!(l1.y, l2.y);
        }
    }
}

/// Dense lower Hessian of the squared-loss prior-coupling problem on the full set, written
/// independently of the oracles: A^T A / n + (mu + lam_y) I.
fn dense_quadratic_hessian(s: &ProblemSpec, set: &Dataset) -> DMatrix<f64> {
    let a = DMatrix::from_fn(set.n, set.d, |i, j| set.row(i)[j] as f64);
    a.transpose() * &a / set.n as f64 + DMatrix::identity(set.d, set.d) * (s.mu + s.lam_y)
}

fn dense_upper_grad(set: &Dataset, y: &[f64]) -> DVector<f64> {
    let a = DMatrix::from_fn(set.n, set.d, |i, j| set.row(i)[j] as f64);
    let b = DVector::from_fn(set.n, |i, _| set.label(i) as f64);
    a.transpose() * (&a * DVector::from_column_slice(y) - b) / set.n as f64
}

#[test]
fn cg_and_neumann_solves_match_a_dense_solve() {
    let lower = common::dataset(60, 5, 3, false);
    let upper = common::dataset(30, 5, 4, false);
    let s = spec(Loss::Squared, Coupling::Prior, HyperShape::PerFeature);
    let o = Oracles {
        spec: &s,
        lower: lower.view(),
        upper: upper.view(),
    };
    let h = dense_quadratic_hessian(&s, &lower);

    for (kind, q, tol) in [
        (AlgoKind::AID_CG, 5, 1e-10),
        (AlgoKind::STOCBIO, 3000, 1e-8),
    ] {
        let mut c = AlgoConfig::new(kind);
        c.batch_lower = BatchSize::Full;
        c.batch_upper = BatchSize::Full;
        c.inner_steps = 3;
        c.terms = q;
        c.eta = 0.5;
        c.beta = Schedule::Constant(0.3);
        let lane = run::<f64>(&c, &o, 1, 1, 0.2);
        // v solves H v = grad_y f at the y the x step used (y after the inner steps).
        let b = dense_upper_grad(&upper, &lane.y);
        let truth = h.clone().lu().solve(&b).expect("H is positive definite");
        for (i, (v, t)) in lane.v.iter().zip(truth.iter()).enumerate() {
            assert!(
                (v - t).abs() <= tol * (1.0 + t.abs()),
                "{kind}: v[{i}] = {v}, dense solve {t}, tol {tol}"
            );
        }
    }
}

#[test]
fn aid_cg_full_batch_reaches_the_closed_form_optimum() {
    let lower = common::dataset(80, 4, 5, false);
    let upper = common::dataset(40, 4, 6, false);
    for hyper in [HyperShape::PerFeature, HyperShape::Scalar] {
        let s = ProblemSpec {
            loss: Loss::Squared,
            coupling: Coupling::Prior,
            hyper,
            mu: 1.0,
            lam_y: 0.0,
            nu: 0.1,
            x_box: None,
            classes: 0,
            ..ProblemSpec::default()
        };
        let o = Oracles {
            spec: &s,
            lower: lower.view(),
            upper: upper.view(),
        };
        let (x_star, y_star) = exact::quadratic_optimum(&s, lower.view(), upper.view()).unwrap();
        let mut c = AlgoConfig::new(AlgoKind::AID_CG);
        c.batch_lower = BatchSize::Full;
        c.batch_upper = BatchSize::Full;
        c.inner_steps = 20;
        c.terms = 4;
        c.alpha = Schedule::Constant(1.0);
        c.beta = Schedule::Constant(0.5);
        let lane = run::<f64>(&c, &o, 0, 400, 0.0);
        let rel = |a: &[f64], b: &[f64]| {
            let num: f64 = a
                .iter()
                .zip(b)
                .map(|(u, v)| (u - v).powi(2))
                .sum::<f64>()
                .sqrt();
            num / b.iter().map(|v| v * v).sum::<f64>().sqrt().max(1e-300)
        };
        assert!(
            rel(&lane.x, &x_star) < 1e-6,
            "{hyper:?}: x {:?} vs x* {:?}",
            lane.x,
            x_star
        );
        assert!(
            rel(&lane.y, &y_star) < 1e-6,
            "{hyper:?}: y {:?} vs y* {:?}",
            lane.y,
            y_star
        );
    }
}

#[test]
fn identical_neighbour_gives_zero_distance_and_a_real_one_does_not() {
    let lower = common::dataset(50, 5, 7, true);
    let upper = common::dataset(30, 5, 8, true);
    let pool = common::dataset(10, 5, 9, true);
    let s = spec(Loss::Logistic, Coupling::Logweight, HyperShape::PerFeature);
    for &kind in AlgoKind::ALL {
        let mut c = AlgoConfig::new(kind);
        c.batch_lower = BatchSize::Size(16);
        c.batch_upper = BatchSize::Size(16);
        c.inner_steps = 2;
        c.terms = 3;
        c.alpha = Schedule::Constant(0.2);
        for upper_side in [true, false] {
            let set = if upper_side { &upper } else { &lower };
            let same = Replacement {
                index: 3,
                row: set.row(3),
                label: set.label(3),
            };
            let other = Replacement {
                index: 3,
                row: pool.row(0),
                label: -set.label(3),
            };
            let view = |r| {
                let (l, u) = if upper_side {
                    (None, Some(r))
                } else {
                    (Some(r), None)
                };
                Oracles {
                    spec: &s,
                    lower: DataView::with_replacement(&lower, l),
                    upper: DataView::with_replacement(&upper, u),
                }
            };
            let base = Oracles {
                spec: &s,
                lower: lower.view(),
                upper: upper.view(),
            };
            let rng = LaneRng::new(11);
            let mk = || LaneState::<f64>::new(&c, &base, &[0.0; 5], &[0.0; 5]);
            let (mut b, mut n0, mut n1) = (mk(), mk(), mk());
            let mut moved = false;
            for step in 0..40 {
                advance(&c, &base, &rng, &mut b, 1);
                advance(&c, &view(same), &rng, &mut n0, 1);
                advance(&c, &view(other), &rng, &mut n1, 1);
                assert_eq!(b.x, n0.x, "{kind} step {step}: identical neighbour moved x");
                assert_eq!(b.y, n0.y, "{kind} step {step}: identical neighbour moved y");
                moved |= b.x != n1.x || b.y != n1.y;
            }
            assert!(
                moved,
                "{kind}: a real neighbour (upper side: {upper_side}) never moved"
            );
        }
    }
}

#[test]
fn oracle_counts_follow_the_algorithm_definitions() {
    let lower = common::dataset(40, 3, 1, true);
    let upper = common::dataset(20, 3, 2, true);
    let s = spec(Loss::Logistic, Coupling::Logweight, HyperShape::Scalar);
    let o = Oracles {
        spec: &s,
        lower: lower.view(),
        upper: upper.view(),
    };
    let mut c = AlgoConfig::new(AlgoKind::TSGD);
    c.inner_steps = 4;
    c.batch_lower = BatchSize::Size(8);
    c.batch_upper = BatchSize::Size(5);
    let l = run::<f64>(&c, &o, 0, 10, 0.0);
    assert_eq!(l.counts.grad_g, 40);
    assert_eq!(l.counts.hvp, 30);
    assert_eq!(l.counts.jvp, 40);
    assert_eq!(l.counts.grad_f, 10);
    // Samples counted when drawn: the backward pass reuses the forward batches.
    assert_eq!(l.counts.samples, 10 * (4 * 8 + 5));
    c.kind = AlgoKind::STOCBIO;
    c.inner_steps = 2;
    c.terms = 5;
    let l = run::<f64>(&c, &o, 0, 10, 0.0);
    assert_eq!(
        (l.counts.grad_g, l.counts.hvp, l.counts.grad_f),
        (20, 40, 10)
    );
    // srba: full-batch directions every (40 + 20) / (2 * 8) = 3 steps (steps 0, 3, 6 of 7):
    // each reads the 60 samples once; the 4 others evaluate their 8 + 5 samples at two points.
    c.kind = AlgoKind::parse("srba").unwrap();
    let l = run::<f64>(&c, &o, 0, 7, 0.0);
    assert_eq!(
        (l.counts.grad_g, l.counts.hvp, l.counts.samples),
        (3 + 2 * 4, 3 + 2 * 4, 3 * 60 + 4 * 13)
    );
    // vrbo, refreshed every 2 of 4 outer steps, 2 inner steps each, Q = 5: a refresh reads
    // both sets once and the lower set for each of its 4 Hessian products; an inner step
    // evaluates both points, each with 4 products, on 8 + 5 + 4 * 8 samples.
    c.kind = AlgoKind::parse("vrbo").unwrap();
    c.period = 2;
    let l = run::<f64>(&c, &o, 0, 4, 0.0);
    assert_eq!(
        (l.counts.grad_g, l.counts.hvp, l.counts.samples),
        (
            2 + 8 * 2,
            2 * 4 + 8 * 2 * 4,
            2 * (60 + 4 * 40) + 8 * (8 + 5 + 4 * 8)
        )
    );
}

#[test]
fn ud_restarts_the_inner_variable_and_tsgd_does_not() {
    let lower = common::dataset(40, 3, 1, false);
    let upper = common::dataset(20, 3, 2, false);
    let s = spec(Loss::Squared, Coupling::Prior, HyperShape::PerFeature);
    let o = Oracles {
        spec: &s,
        lower: lower.view(),
        upper: upper.view(),
    };
    let mut c = AlgoConfig::new(AlgoKind::UD);
    c.inner_steps = 2;
    c.batch_lower = BatchSize::Full;
    c.batch_upper = BatchSize::Full;
    c.alpha = Schedule::Constant(1e-12);
    // With x frozen (tiny alpha), ud's y after k outer steps is always the 2-step iterate from
    // y_init, while tsgd keeps going: 10 tsgd steps = 20 inner steps.
    let u1 = run::<f64>(&c, &o, 0, 1, 0.0);
    let u10 = run::<f64>(&c, &o, 0, 10, 0.0);
    for (a, b) in u1.y.iter().zip(&u10.y) {
        assert!((a - b).abs() < 1e-9);
    }
    c.kind = AlgoKind::TSGD;
    let t10 = run::<f64>(&c, &o, 0, 10, 0.0);
    c.inner_steps = 20;
    let t1 = run::<f64>(&c, &o, 0, 1, 0.0);
    for (a, b) in t10.y.iter().zip(&t1.y) {
        assert!((a - b).abs() < 1e-9);
    }
    assert!(t10.y.iter().zip(&u10.y).any(|(a, b)| (a - b).abs() > 1e-6));
}

#[test]
fn nominal_counts_match_what_the_cpu_lanes_count() {
    use sbo::algo::OracleCounts;
    let lower = common::dataset(40, 3, 1, false);
    let upper = common::dataset(20, 3, 2, false);
    let s = spec(Loss::Squared, Coupling::Prior, HyperShape::PerFeature);
    let o = Oracles {
        spec: &s,
        lower: lower.view(),
        upper: upper.view(),
    };
    for &kind in AlgoKind::ALL {
        let mut c = AlgoConfig::new(kind);
        c.inner_steps = 3;
        c.terms = 2; // CG with 2 iterations on d = 3 never stops early
        c.batch_lower = BatchSize::Size(8);
        c.batch_upper = BatchSize::Size(5);
        let l = run::<f64>(&c, &o, 0, 7, 0.0);
        assert_eq!(
            l.counts,
            OracleCounts::through(&c, &LaneRng::new(0), 40, 20, 7),
            "{kind}"
        );
        if kind.descriptor().extra_counts.is_none() {
            assert_eq!(
                l.counts,
                OracleCounts::nominal_per_step(&c, 40, 20).times(7)
            );
        }
    }
}

#[test]
fn fused_gradient_and_hvp_equal_the_separate_oracles_bit_for_bit() {
    use sbo::problem::Batch;
    let lower = common::dataset(30, 6, 3, true);
    let upper = common::dataset(10, 6, 4, true);
    let idx: Vec<u32> = vec![3, 7, 7, 0, 29, 12];
    for (loss, coupling) in [
        (Loss::Logistic, Coupling::Nonconvex),
        (Loss::Squared, Coupling::Prior),
    ] {
        for hyper in [HyperShape::PerFeature, HyperShape::Scalar] {
            let s = spec(loss, coupling, hyper);
            let o = Oracles {
                spec: &s,
                lower: lower.view(),
                upper: upper.view(),
            };
            let p = o.p();
            let x: Vec<f64> = (0..p).map(|i| 0.1 * i as f64 - 0.2).collect();
            let y: Vec<f64> = (0..6).map(|i| 0.3 * i as f64 - 0.7).collect();
            let v: Vec<f64> = (0..6).map(|i| 1.0 - 0.25 * i as f64).collect();
            for batch in [Batch::Full, Batch::Idx(&idx)] {
                let (mut g1, mut h1, mut g2, mut h2) =
                    (vec![0.0; 6], vec![0.0; 6], vec![0.0; 6], vec![0.0; 6]);
                o.grad_y_g(&x, &y, batch, &mut g1);
                o.hvp(&x, &y, &v, batch, &mut h1);
                o.grad_and_hvp(&x, &y, &v, batch, &mut g2, &mut h2);
                assert_eq!(g1, g2, "{loss:?} {coupling:?} {hyper:?}");
                assert_eq!(h1, h2, "{loss:?} {coupling:?} {hyper:?}");
            }
        }
    }
}

/// What the momentum methods' documentation promises, exactly:
/// - fsla: in sbo's problems the x direction reads no data, so the STORM correction cancels
///   and any rho gives the trajectory of rho = 1 (no momentum), bit for bit;
/// - ma-soba with rho = 1 keeps no average: it is ssaid, bit for bit;
/// - mrbo's momentum does change the trajectory on stochastic batches (rho < 1 differs
///   from rho = 1), so its corrections are not vacuous.
#[test]
fn momentum_methods_reduce_as_documented() {
    let lower = common::dataset(40, 5, 1, true);
    let upper = common::dataset(25, 5, 2, true);
    for (loss, coupling) in [
        (Loss::Logistic, Coupling::Nonconvex),
        (Loss::Squared, Coupling::Prior),
    ] {
        for hyper in [HyperShape::PerFeature, HyperShape::Scalar] {
            let s = spec(loss, coupling, hyper);
            let o = Oracles {
                spec: &s,
                lower: lower.view(),
                upper: upper.view(),
            };
            let what = format!("{loss:?} {coupling:?} {hyper:?}");
            let mut a = AlgoConfig::defaults_for(AlgoKind::parse("fsla").unwrap());
            a.alpha = Schedule::Constant(0.05);
            a.batch_lower = BatchSize::Size(8);
            a.batch_upper = BatchSize::Size(5);
            a.rho = Schedule::Poly(0.5, 0.5);
            let mut b = a.clone();
            b.rho = Schedule::Constant(1.0);
            let (la, lb) = (
                run::<f64>(&a, &o, 3, 40, 0.1),
                run::<f64>(&b, &o, 3, 40, 0.1),
            );
            assert_eq!(la.x, lb.x, "fsla {what}: the correction does not cancel");
            assert_eq!(la.y, lb.y, "fsla {what}");

            let mut a = AlgoConfig::new(AlgoKind::parse("ma-soba").unwrap());
            a.alpha = Schedule::Constant(0.05);
            a.batch_lower = BatchSize::Size(8);
            a.batch_upper = BatchSize::Size(5);
            a.rho = Schedule::Constant(1.0);
            let mut b = a.clone();
            b.kind = AlgoKind::SSAID;
            let (la, lb) = (
                run::<f64>(&a, &o, 4, 40, 0.1),
                run::<f64>(&b, &o, 4, 40, 0.1),
            );
            assert_eq!(la.x, lb.x, "ma-soba {what}: rho = 1 is not ssaid");
            assert_eq!(la.y, lb.y, "ma-soba {what}");
            assert_eq!(la.v, lb.v, "ma-soba {what}");

            let mut a = AlgoConfig::defaults_for(AlgoKind::parse("mrbo").unwrap());
            a.alpha = Schedule::Constant(0.05);
            a.terms = 3;
            a.batch_lower = BatchSize::Size(8);
            a.batch_upper = BatchSize::Size(5);
            a.rho = Schedule::Constant(0.5);
            let mut b = a.clone();
            b.rho = Schedule::Constant(1.0);
            let (la, lb) = (
                run::<f64>(&a, &o, 5, 40, 0.1),
                run::<f64>(&b, &o, 5, 40, 0.1),
            );
            let dy: f64 = la.y.iter().zip(&lb.y).map(|(p, q)| (p - q).abs()).sum();
            assert!(dy > 1e-6, "mrbo {what}: momentum changes nothing ({dy:e})");
        }
    }
}

/// The randomly truncated series of bsa, ttsa and sustain against a dense model: with full
/// batches and the squared loss, H is a constant matrix, and after one step (alpha = 0)
/// v must equal Q eta (I - eta H)^p b for exactly one p in 0..Q, with b = grad_y f at the
/// point the series was taken (bsa: after its inner step; sustain: before y moves), and the
/// lane must have counted p Hessian products per point. Over 400 seeds every p occurs,
/// their mean is (Q - 1) / 2 within 4 standard errors, and the mean estimate is stocBiO's
/// Q-term series (the truncation is unbiased) within 4 standard errors per coordinate.
#[test]
fn truncated_series_is_a_uniform_prefix_of_the_neumann_series() {
    let lower = common::dataset(40, 3, 1, false);
    let upper = common::dataset(20, 3, 2, false);
    let s = spec(Loss::Squared, Coupling::Prior, HyperShape::PerFeature);
    let o = Oracles {
        spec: &s,
        lower: lower.view(),
        upper: upper.view(),
    };
    let h = dense_quadratic_hessian(&s, &lower);
    let (q, eta) = (6usize, 0.3);
    let step = DMatrix::identity(3, 3) - &h * eta;
    // (algorithm, b taken before y moves, Hessian products counted per term)
    for (name, b_at_start, per_term) in [("bsa", false, 1u64), ("sustain", true, 2)] {
        let mut c = AlgoConfig::defaults_for(AlgoKind::parse(name).unwrap());
        c.alpha = Schedule::Constant(0.0);
        c.beta = Schedule::Constant(0.1);
        c.inner_steps = 1;
        c.terms = q;
        c.eta = eta;
        c.batch_lower = BatchSize::Full;
        c.batch_upper = BatchSize::Full;
        let seeds = 400u64;
        let mut hits = vec![0u64; q];
        let mut sum = DVector::zeros(3);
        let mut sum_sq = DVector::zeros(3);
        let mut neumann = DVector::zeros(3);
        for seed in 0..seeds {
            let l = run::<f64>(&c, &o, seed, 1, 0.0);
            let at = if b_at_start {
                vec![0.0; 3]
            } else {
                l.y.clone()
            };
            let b = DVector::from_vec({
                let mut out = vec![0.0; 3];
                o.grad_y_f(&l.x, &at, sbo::problem::Batch::Full, &mut out);
                out
            });
            let v = DVector::from_column_slice(&l.v);
            let mut term = b.clone();
            let mut matched = Vec::new();
            neumann.fill(0.0);
            for p in 0..q {
                if (&term * (q as f64 * eta) - &v).norm() <= 1e-12 * v.norm().max(1e-300) {
                    matched.push(p);
                }
                neumann += &term * eta;
                term = &step * term;
            }
            assert_eq!(
                matched.len(),
                1,
                "{name} seed {seed}: v matches the prefixes {matched:?}"
            );
            assert_eq!(
                l.counts.hvp,
                per_term * matched[0] as u64,
                "{name} seed {seed}: counted products"
            );
            hits[matched[0]] += 1;
            sum += &v;
            sum_sq += v.component_mul(&v);
        }
        assert!(
            hits.iter().all(|&k| k > 0),
            "{name}: some truncation never occurs: {hits:?}"
        );
        let n = seeds as f64;
        let mean_p = hits
            .iter()
            .enumerate()
            .map(|(p, k)| (p as u64 * k) as f64)
            .sum::<f64>()
            / n;
        let sd_p = ((q * q - 1) as f64 / 12.0).sqrt() / n.sqrt();
        let want_p = (q - 1) as f64 / 2.0;
        assert!(
            (mean_p - want_p).abs() < 4.0 * sd_p,
            "{name}: mean truncation {mean_p} vs {want_p} (sd {sd_p})"
        );
        let mean = &sum / n;
        for j in 0..3 {
            let var = (sum_sq[j] / n - mean[j] * mean[j]).max(0.0);
            let se = (var / n).sqrt();
            assert!(
                (mean[j] - neumann[j]).abs() <= 4.0 * se + 1e-12,
                "{name} coordinate {j}: mean estimate {} vs Neumann series {} (se {se:e})",
                mean[j],
                neumann[j]
            );
        }
    }
}

/// saba's tables stay consistent with their means: after 60 steps of batches of 12 drawn
/// with replacement from 40 lower and 25 upper samples (so samples repeat within batches),
/// each stored mean equals the mean recomputed from the per-sample table, (1/n) sum c_i a_i,
/// and every table entry is the scalar of its sample at some earlier iterate (nonzero for
/// the samples drawn at least once).
#[test]
fn saba_tables_agree_with_their_means_when_samples_repeat() {
    let lower = common::dataset(40, 5, 1, true);
    let upper = common::dataset(25, 5, 2, true);
    let s = spec(Loss::Logistic, Coupling::Logweight, HyperShape::PerFeature);
    let o = Oracles {
        spec: &s,
        lower: lower.view(),
        upper: upper.view(),
    };
    let mut c = AlgoConfig::new(AlgoKind::parse("saba").unwrap());
    c.batch_lower = BatchSize::Size(12);
    c.batch_upper = BatchSize::Size(12);
    let l = run::<f64>(&c, &o, 2, 60, 0.1);
    let (n, m, d) = (40, 25, 5);
    assert_eq!(l.m.len(), 2 * n + m + 3 * d);
    let mean_of = |table: &[f64], set: &Dataset| {
        let mut out = vec![0.0; d];
        for (i, ci) in table.iter().enumerate() {
            for (o, a) in out.iter_mut().zip(set.row(i)) {
                *o += ci * *a as f64;
            }
        }
        out.iter()
            .map(|v| v / table.len() as f64)
            .collect::<Vec<_>>()
    };
    let tables = [
        (&l.m[..n], &lower, 2 * n + m),
        (&l.m[n..2 * n], &lower, 2 * n + m + d),
        (&l.m[2 * n..2 * n + m], &upper, 2 * n + m + 2 * d),
    ];
    for (k, (table, set, at)) in tables.into_iter().enumerate() {
        let want = mean_of(table, set);
        for (j, (got, want)) in l.m[at..at + d].iter().zip(&want).enumerate() {
            assert!(
                (got - want).abs() <= 1e-12 * (1.0 + want.abs()),
                "table {k} mean [{j}]: stored {got:e}, recomputed {want:e}"
            );
        }
        assert!(table.iter().filter(|v| **v != 0.0).count() > table.len() / 2);
    }
}

/// The new settings' bad values are refused by field name, also when a program builds the
/// schedule in code (skipping the parser): a growing rho would flip the momentum's sign.
#[test]
fn momentum_and_penalty_settings_are_checked_by_field() {
    let base = AlgoConfig::new(AlgoKind::parse("mrbo").unwrap());
    let cases: Vec<(AlgoConfig, &str)> = vec![
        (
            AlgoConfig {
                rho: Schedule::Poly(0.5, -1.0),
                ..base.clone()
            },
            "algo.rho",
        ),
        (
            AlgoConfig {
                rho: Schedule::Constant(1.5),
                ..base.clone()
            },
            "algo.rho",
        ),
        (
            AlgoConfig {
                rho: Schedule::Constant(0.0),
                ..base.clone()
            },
            "algo.rho",
        ),
        (
            AlgoConfig {
                lambda0: 0.0,
                ..base.clone()
            },
            "algo.lambda0",
        ),
        (
            AlgoConfig {
                delta_lambda: Schedule::Poly(0.1, -0.5),
                ..base.clone()
            },
            "algo.delta_lambda",
        ),
        (
            AlgoConfig {
                delta_lambda: Schedule::Constant(-1.0),
                ..base.clone()
            },
            "algo.delta_lambda",
        ),
    ];
    for (c, field) in cases {
        let e = c.validate(40, 20, "algo").unwrap_err().to_string();
        assert!(e.contains(field), "{field}: {e}");
    }
    assert!(base.validate(40, 20, "algo").is_ok());
}
