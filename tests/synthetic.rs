//! The synthetic `quadratic` generator: determinism, covariance, spectrum, exact risk.
use nalgebra::{DMatrix, SymmetricEigen};
use sbo::data::{generate_quadratic, Dataset, Population, SyntheticSpec};
use sbo::SboError;

fn spec(d: usize, n: usize, s_min: f64, s_max: f64, sigma: f64, seed: u64) -> SyntheticSpec {
    SyntheticSpec {
        d,
        n_lower: n,
        n_upper: 100,
        n_test: n,
        n_pool: 50,
        s_min,
        s_max,
        sigma,
        seed,
    }
}

fn cov_matrix(p: &Population) -> DMatrix<f64> {
    DMatrix::from_row_slice(p.d, p.d, &p.cov)
}

fn sorted_eigenvalues(p: &Population) -> Vec<f64> {
    let mut ev: Vec<f64> = SymmetricEigen::new(cov_matrix(p))
        .eigenvalues
        .iter()
        .copied()
        .collect();
    ev.sort_by(f64::total_cmp);
    ev
}

#[test]
fn deterministic_in_seed() {
    let s = spec(5, 300, 0.1, 10.0, 0.5, 42);
    let (a, pa) = generate_quadratic(&s).unwrap();
    let (b, pb) = generate_quadratic(&s).unwrap();
    for (x, y) in [
        (&a.lower, &b.lower),
        (&a.upper, &b.upper),
        (&a.test, &b.test),
        (&a.pool, &b.pool),
    ] {
        assert_eq!(x, y);
    }
    assert_eq!(pa.cov, pb.cov);
    assert_eq!(pa.w_star, pb.w_star);

    let (c, pc) = generate_quadratic(&SyntheticSpec {
        seed: 43,
        ..s.clone()
    })
    .unwrap();
    assert_ne!(a.lower.features, c.lower.features);
    assert_ne!(pa.w_star, pc.w_star);

    // Sizes, and independent parts: no two parts share a row.
    assert_eq!(
        (a.lower.n, a.upper.n, a.test.n, a.pool.n),
        (300, 100, 300, 50)
    );
    assert_eq!(a.lower.d, 5);
    assert_ne!(a.lower.row(0), a.test.row(0));
    assert_ne!(a.lower.row(0), a.pool.row(0));

    // Each part has its own random stream: resizing one part leaves the others alone.
    let (e, _) = generate_quadratic(&SyntheticSpec {
        n_lower: 10,
        ..s.clone()
    })
    .unwrap();
    assert_eq!(e.test, a.test);
    assert_eq!(e.pool, a.pool);
    assert_eq!(e.lower.features[..], a.lower.features[..10 * 5]);
}

#[test]
fn empirical_covariance_approaches_s() {
    // d = 8, n = 200k. The relative Frobenius error of the sample covariance has standard
    // deviation about sqrt((tr S)^2 + |S|_F^2) / (sqrt(n) |S|_F), here ~0.005; we allow 0.02.
    let (d, n) = (8, 200_000);
    let (sp, pop) = generate_quadratic(&spec(d, n, 0.1, 10.0, 0.3, 7)).unwrap();
    let x: &Dataset = &sp.lower;
    let mut c = DMatrix::<f64>::zeros(d, d);
    let mut ab = vec![0.0f64; d];
    for i in 0..n {
        let r = x.row(i);
        for j in 0..d {
            ab[j] += r[j] as f64 * x.labels[i] as f64;
            for k in 0..d {
                c[(j, k)] += r[j] as f64 * r[k] as f64;
            }
        }
    }
    c /= n as f64;
    let s = cov_matrix(&pop);
    let rel = (&c - &s).norm() / s.norm();
    assert!(rel < 0.02, "relative Frobenius error {rel}");

    // E[a b] = S w*.
    let sw = &s * nalgebra::DVector::from_column_slice(&pop.w_star);
    let ab = nalgebra::DVector::from_vec(ab) / n as f64;
    let rel = (&ab - &sw).norm() / sw.norm();
    assert!(rel < 0.05, "E[a b] relative error {rel}");
}

#[test]
fn spectrum_is_requested_and_kappa_controlled() {
    for (d, s_min, s_max) in [
        (8, 0.1, 10.0),
        (20, 1e-3, 1.0),
        (3, 2.0, 2.0),
        (1, 0.5, 4.0),
    ] {
        let (_, pop) = generate_quadratic(&spec(d, 10, s_min, s_max, 0.1, 11)).unwrap();
        let s = cov_matrix(&pop);
        assert!((&s - s.transpose()).norm() == 0.0, "S is symmetric");
        let ev = sorted_eigenvalues(&pop);
        let want: Vec<f64> = if d == 1 {
            vec![s_max]
        } else {
            (0..d)
                .map(|k| s_min * (s_max / s_min).powf(k as f64 / (d - 1) as f64))
                .collect()
        };
        for (got, w) in ev.iter().zip(&want) {
            assert!(
                (got - w).abs() <= 1e-10 * s_max,
                "d={d}: eigenvalue {got} vs {w}"
            );
        }
        if d > 1 {
            let kappa = ev[d - 1] / ev[0];
            let want = s_max / s_min;
            assert!(
                (kappa - want).abs() <= 1e-6 * want,
                "kappa {kappa} vs {want}"
            );
        }
        // |w*|^2 has mean 1.
        let w2: f64 = pop.w_star.iter().map(|w| w * w).sum();
        assert!(w2 > 0.0 && w2 < 10.0);
    }
}

#[test]
fn w_star_norm_is_about_one() {
    let (_, pop) = generate_quadratic(&spec(2000, 1, 1.0, 1.0, 0.0, 5)).unwrap();
    let w2: f64 = pop.w_star.iter().map(|w| w * w).sum();
    // chi^2_2000 / 2000: standard deviation sqrt(2/2000) ~ 0.032.
    assert!((w2 - 1.0).abs() < 0.15, "|w*|^2 = {w2}");
}

#[test]
fn squared_risk_exact_and_monte_carlo() {
    let (d, n) = (6, 200_000);
    let sigma = 0.7;
    let (sp, pop) = generate_quadratic(&spec(d, n, 0.2, 5.0, sigma, 99)).unwrap();

    let at_opt = pop.squared_risk(&pop.w_star);
    assert!((at_opt - sigma * sigma / 2.0).abs() < 1e-15);

    let mc = |y: &[f64]| -> f64 {
        let t = &sp.test;
        let mut acc = 0.0;
        for i in 0..t.n {
            let p: f64 = t.row(i).iter().zip(y).map(|(&a, &w)| a as f64 * w).sum();
            let r = p - t.labels[i] as f64;
            acc += 0.5 * r * r;
        }
        acc / t.n as f64
    };
    // The loss is a scaled chi-square with one degree of freedom: relative standard error of
    // the mean sqrt(2 / n) ~ 0.0032; we allow 2%.
    let mut ys: Vec<Vec<f64>> = vec![pop.w_star.clone(), vec![0.0; d]];
    ys.push(
        pop.w_star
            .iter()
            .enumerate()
            .map(|(i, w)| w + 0.3 * (i as f64 - 2.5))
            .collect(),
    );
    for y in &ys {
        let exact = pop.squared_risk(y);
        let est = mc(y);
        assert!(
            (est - exact).abs() < 0.02 * exact,
            "Monte-Carlo {est} vs exact {exact}"
        );
    }
    // The exact risk grows away from w*.
    assert!(pop.squared_risk(&ys[1]) > at_opt);
}

#[test]
fn bad_specs_are_config_errors() {
    let ok = spec(4, 10, 0.1, 1.0, 0.1, 0);
    let cases = [
        (
            SyntheticSpec {
                s_min: 2.0,
                ..ok.clone()
            },
            "data.s_min",
        ),
        (
            SyntheticSpec {
                s_min: 0.0,
                ..ok.clone()
            },
            "data.s_min",
        ),
        (
            SyntheticSpec {
                s_min: f64::NAN,
                ..ok.clone()
            },
            "data.s_min",
        ),
        (
            SyntheticSpec {
                s_max: -1.0,
                ..ok.clone()
            },
            "data.s_max",
        ),
        (
            SyntheticSpec {
                s_max: f64::INFINITY,
                ..ok.clone()
            },
            "data.s_max",
        ),
        (
            SyntheticSpec {
                sigma: -0.1,
                ..ok.clone()
            },
            "data.sigma",
        ),
        (SyntheticSpec { d: 0, ..ok.clone() }, "data.d"),
    ];
    for (s, field) in cases {
        match generate_quadratic(&s) {
            Err(SboError::Config { field: f, .. }) => assert_eq!(f, field, "{s:?}"),
            other => panic!("{s:?}: expected a Config error, got {other:?}"),
        }
    }
}
