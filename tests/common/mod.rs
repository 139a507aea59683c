//! Small deterministic fixtures shared by the integration tests.
#![allow(dead_code)]

use sbo::data::Dataset;

/// A tiny linear congruential generator: test inputs that do not depend on any crate's RNG.
pub struct Lcg(pub u64);

impl Lcg {
    pub fn next_f64(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 11) as f64) / ((1u64 << 53) as f64)
    }
    /// Uniform on [-1, 1).
    pub fn sym(&mut self) -> f64 {
        2.0 * self.next_f64() - 1.0
    }
}

/// n x d features uniform in [-1, 1]; labels +-1 (logistic) or a noisy linear target.
pub fn dataset(n: usize, d: usize, seed: u64, pm1: bool) -> Dataset {
    let mut r = Lcg(seed);
    let w: Vec<f64> = (0..d).map(|_| r.sym()).collect();
    let mut f = Vec::with_capacity(n * d);
    let mut l = Vec::with_capacity(n);
    for _ in 0..n {
        let row: Vec<f64> = (0..d).map(|_| r.sym()).collect();
        let z: f64 = row.iter().zip(&w).map(|(a, b)| a * b).sum::<f64>() + 0.3 * r.sym();
        f.extend(row.iter().map(|v| *v as f32));
        l.push(if pm1 {
            if z > 0.0 {
                1.0
            } else {
                -1.0
            }
        } else {
            z as f32
        });
    }
    Dataset::new(d, f, l).expect("consistent fixture")
}

/// SplitMix64: a tiny deterministic generator.
pub struct Gen(pub u64);
impl Gen {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn unif(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * ((self.next_u64() >> 11) as f64 / (1u64 << 53) as f64)
    }
    pub fn vec(&mut self, n: usize, lo: f64, hi: f64) -> Vec<f64> {
        (0..n).map(|_| self.unif(lo, hi)).collect()
    }
    pub fn dataset(&mut self, n: usize, d: usize) -> Dataset {
        let features = (0..n * d).map(|_| self.unif(-1.0, 1.0) as f32).collect();
        let labels = (0..n)
            .map(|_| if self.next_u64() & 1 == 1 { 1.0 } else { -1.0 })
            .collect();
        Dataset::new(d, features, labels).unwrap()
    }
}

/// Central finite differences with step 1e-6 (f64), shared by the oracle tests.
pub mod fd {
    pub const H: f64 = 1e-6;

    pub fn plus(a: &[f64], t: f64, dir: &[f64]) -> Vec<f64> {
        a.iter().zip(dir).map(|(a, b)| a + t * b).collect()
    }

    pub fn unit(n: usize, k: usize) -> Vec<f64> {
        let mut e = vec![0.0; n];
        e[k] = 1.0;
        e
    }

    /// Central difference of a scalar function along `dir`.
    pub fn fd(f: impl Fn(&[f64]) -> f64, at: &[f64], dir: &[f64]) -> f64 {
        (f(&plus(at, H, dir)) - f(&plus(at, -H, dir))) / (2.0 * H)
    }

    /// Central difference of a vector function along `dir`.
    pub fn fd_vec(f: impl Fn(&[f64]) -> Vec<f64>, at: &[f64], dir: &[f64]) -> Vec<f64> {
        let a = f(&plus(at, H, dir));
        let b = f(&plus(at, -H, dir));
        a.iter().zip(&b).map(|(a, b)| (a - b) / (2.0 * H)).collect()
    }
}
