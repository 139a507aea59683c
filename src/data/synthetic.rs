//! The synthetic `quadratic` generator (DESIGN.md section 2, "Synthetic data").
//!
//! Model: a ~ N(0, S) with S = U diag(s) U^T, U a Haar-random orthogonal matrix and s
//! log-spaced in [s_min, s_max] (so the condition number of S is s_max / s_min); labels
//! b = a . w* + sigma e with e ~ N(0, 1) and w* ~ N(0, I/d) (so |w*| is about 1).
//!
//! Reproducibility contract. All randomness comes from `ChaCha8Rng::seed_from_u64(seed)`, one
//! ChaCha stream (`set_stream`) per purpose so that changing one part's size never changes
//! another part:
//!
//! * stream 0: the d x d Gaussian matrix G (row-major), then w* (d values, scaled by 1/sqrt d);
//! * stream 1: lower set, 2: upper set, 3: test set, 4: replacement pool; per sample, the d
//!   entries of z then the noise e.
//!
//! Standard normals come from Box-Muller on pairs of uniforms: u1 = (1 + (x >> 11)) 2^-53 in
//! (0, 1], u2 = (y >> 11) 2^-53 in [0, 1) for consecutive words x, y of `next_u64`, giving
//! r cos(2 pi u2) then r sin(2 pi u2) with r = sqrt(-2 ln u1). U is the Q factor of G's QR
//! decomposition (nalgebra), with column j multiplied by sign(R_jj) so that U is Haar
//! distributed. s_k = s_min (s_max / s_min)^(k / (d - 1)), k = 0..d-1, s_{d-1} = s_max exactly
//! (d = 1: s = `[s_max]`); column k of U carries s_k. A sample is a = U diag(sqrt s) z (computed in
//! f64, stored as f32), and its label uses the stored f32 features: b = a_f32 . w* + sigma e,
//! so w* is exactly the population minimiser of the squared loss on the stored data.
use crate::data::{Dataset, Splits};
use crate::error::{Result, SboError};
use nalgebra::{DMatrix, DVector};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

#[derive(Clone, Debug, PartialEq)]
pub struct SyntheticSpec {
    pub d: usize,
    pub n_lower: usize,
    pub n_upper: usize,
    pub n_test: usize,
    pub n_pool: usize,
    /// Spectrum of the feature covariance S, log-spaced in [s_min, s_max].
    pub s_min: f64,
    pub s_max: f64,
    /// Label noise standard deviation.
    pub sigma: f64,
    pub seed: u64,
}

/// The distribution the synthetic samples come from, for exact population risk.
#[derive(Clone, Debug)]
pub struct Population {
    pub d: usize,
    /// Covariance S, row-major d x d.
    pub cov: Vec<f64>,
    pub w_star: Vec<f64>,
    pub sigma: f64,
}

impl Population {
    /// E l(a.y, b) for squared loss: (y - w*)^T S (y - w*) / 2 + sigma^2 / 2.
    ///
    /// `y` must have `d` entries (an internal invariant; a mismatch panics).
    pub fn squared_risk(&self, y: &[f64]) -> f64 {
        let d = self.d;
        assert_eq!(y.len(), d, "squared_risk: y has the wrong length");
        let mut q = 0.0;
        for i in 0..d {
            let ri = y[i] - self.w_star[i];
            let row = &self.cov[i * d..(i + 1) * d];
            let mut s = 0.0;
            for j in 0..d {
                s += row[j] * (y[j] - self.w_star[j]);
            }
            q += ri * s;
        }
        0.5 * q + 0.5 * self.sigma * self.sigma
    }
}

/// Standard normals by Box-Muller (see the module documentation).
struct Gauss {
    rng: ChaCha8Rng,
    spare: Option<f64>,
}

impl Gauss {
    fn new(seed: u64, stream: u64) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(stream);
        Gauss { rng, spare: None }
    }

    fn next(&mut self) -> f64 {
        if let Some(z) = self.spare.take() {
            return z;
        }
        const SCALE: f64 = 1.0 / (1u64 << 53) as f64;
        let u1 = ((self.rng.next_u64() >> 11) + 1) as f64 * SCALE; // (0, 1]
        let u2 = (self.rng.next_u64() >> 11) as f64 * SCALE; // [0, 1)
        let r = (-2.0 * u1.ln()).sqrt();
        let (s, c) = (std::f64::consts::TAU * u2).sin_cos();
        self.spare = Some(r * s);
        r * c
    }
}

/// The spectrum s_k = s_min (s_max / s_min)^(k / (d - 1)), increasing, with exact endpoints.
pub fn log_spaced_spectrum(d: usize, s_min: f64, s_max: f64) -> Vec<f64> {
    match d {
        0 => vec![],
        1 => vec![s_max],
        _ => {
            let ratio = s_max / s_min;
            (0..d)
                .map(|k| {
                    if k == 0 {
                        s_min
                    } else if k == d - 1 {
                        s_max
                    } else {
                        s_min * ratio.powf(k as f64 / (d - 1) as f64)
                    }
                })
                .collect()
        }
    }
}

fn check_spec(spec: &SyntheticSpec) -> Result<()> {
    if spec.d == 0 {
        return Err(SboError::config(
            "data.d",
            "the dimension must be at least 1",
        ));
    }
    if !(spec.s_min.is_finite() && spec.s_min > 0.0) {
        return Err(SboError::config(
            "data.s_min",
            format!("must be a finite number > 0, got {}", spec.s_min),
        ));
    }
    if !(spec.s_max.is_finite() && spec.s_max > 0.0) {
        return Err(SboError::config(
            "data.s_max",
            format!("must be a finite number > 0, got {}", spec.s_max),
        ));
    }
    if spec.s_min > spec.s_max {
        return Err(SboError::config(
            "data.s_min",
            format!(
                "s_min = {} must not exceed s_max = {}",
                spec.s_min, spec.s_max
            ),
        ));
    }
    if !(spec.sigma.is_finite() && spec.sigma >= 0.0) {
        return Err(SboError::config(
            "data.sigma",
            format!("must be a finite number >= 0, got {}", spec.sigma),
        ));
    }
    let rows = spec
        .n_lower
        .checked_add(spec.n_upper)
        .and_then(|v| v.checked_add(spec.n_test))
        .and_then(|v| v.checked_add(spec.n_pool));
    if rows.and_then(|r| r.checked_mul(spec.d)).is_none() {
        return Err(SboError::config(
            "data",
            "the requested number of samples x dimension is too large",
        ));
    }
    Ok(())
}

/// Draws `n` samples on ChaCha stream `stream`: `m` = U diag(sqrt s) (row-major d x d).
fn draw(
    n: usize,
    m: &[f64],
    w_star: &[f64],
    sigma: f64,
    seed: u64,
    stream: u64,
) -> Result<Dataset> {
    let d = w_star.len();
    let mut g = Gauss::new(seed, stream);
    let mut features = Vec::with_capacity(n * d);
    let mut labels = Vec::with_capacity(n);
    let mut z = vec![0.0f64; d];
    for _ in 0..n {
        for zj in z.iter_mut() {
            *zj = g.next();
        }
        let e = g.next();
        let mut b = 0.0f64;
        for i in 0..d {
            let row = &m[i * d..(i + 1) * d];
            let a: f64 = row.iter().zip(&z).map(|(x, y)| x * y).sum();
            let a32 = a as f32;
            features.push(a32);
            b += a32 as f64 * w_star[i];
        }
        labels.push((b + sigma * e) as f32);
    }
    Dataset::new(d, features, labels)
}

/// Generates the lower, upper, test and pool sets (independent draws) and the population they
/// come from. Deterministic in `spec.seed` (see the module documentation for the exact
/// recipe). Errors: [`SboError::Config`] naming `data.d`, `data.s_min`, `data.s_max` or
/// `data.sigma` for an impossible value.
pub fn generate_quadratic(spec: &SyntheticSpec) -> Result<(Splits, Population)> {
    let model = QuadraticModel::new(spec)?;
    let splits = model.draw_sets(spec.seed)?;
    Ok((splits, model.population))
}

/// The population of the synthetic generator (U, the spectrum and w*, all from `spec.seed`'s
/// stream 0), from which any number of independent samples can be drawn.
pub struct QuadraticModel {
    spec: SyntheticSpec,
    /// U diag(sqrt s), row-major d x d.
    m: Vec<f64>,
    pub population: Population,
}

impl QuadraticModel {
    /// Errors as [`generate_quadratic`].
    pub fn new(spec: &SyntheticSpec) -> Result<QuadraticModel> {
        check_spec(spec)?;
        let d = spec.d;
        let s = log_spaced_spectrum(d, spec.s_min, spec.s_max);

        // U: Haar orthogonal from the QR of a Gaussian matrix (stream 0), then w*.
        let mut g0 = Gauss::new(spec.seed, 0);
        let mut gm = DMatrix::<f64>::zeros(d, d);
        for i in 0..d {
            for j in 0..d {
                gm[(i, j)] = g0.next();
            }
        }
        let inv_sqrt_d = 1.0 / (d as f64).sqrt();
        let w_star: Vec<f64> = (0..d).map(|_| g0.next() * inv_sqrt_d).collect();
        let qr = gm.qr();
        let r = qr.r();
        let mut u = qr.q();
        for j in 0..d {
            if r[(j, j)] < 0.0 {
                for i in 0..d {
                    u[(i, j)] = -u[(i, j)];
                }
            }
        }

        // S = U diag(s) U^T (symmetrised against rounding) and M = U diag(sqrt s).
        let sd = DVector::from_vec(s.clone());
        let us = &u * DMatrix::from_diagonal(&sd);
        let smat = &us * u.transpose();
        let mut cov = vec![0.0f64; d * d];
        let mut m = vec![0.0f64; d * d];
        for i in 0..d {
            for j in 0..d {
                cov[i * d + j] = 0.5 * (smat[(i, j)] + smat[(j, i)]);
                m[i * d + j] = u[(i, j)] * s[j].sqrt();
            }
        }
        Ok(QuadraticModel {
            spec: spec.clone(),
            m,
            population: Population {
                d,
                cov,
                w_star,
                sigma: spec.sigma,
            },
        })
    }

    /// The four sets drawn on streams 1-4 of `seed` (`spec.seed` gives
    /// [`generate_quadratic`]'s sets; another seed an independent sample of the same
    /// population).
    pub fn draw_sets(&self, seed: u64) -> Result<Splits> {
        let (spec, pop) = (&self.spec, &self.population);
        let part = |n: usize, stream: u64| draw(n, &self.m, &pop.w_star, spec.sigma, seed, stream);
        Ok(Splits {
            lower: part(spec.n_lower, 1)?,
            upper: part(spec.n_upper, 2)?,
            test: part(spec.n_test, 3)?,
            pool: part(spec.n_pool, 4)?,
        })
    }
}
