//! Deterministic seeded splits of a training file (and optional test file) into the lower
//! training set, the upper validation set, the test set and the replacement pool.
//!
//! Reproducibility contract: the permutation of the training rows is a Fisher-Yates shuffle
//! driven by `ChaCha8Rng::seed_from_u64(seed)` (stream 0) and [`uniform_below`]; the permutation
//! of a test file (only when `n_test` is given) uses the same seed on ChaCha stream 1. Parts are
//! consecutive blocks of the training permutation: lower, then upper, then pool, then (without
//! a test file) test. The rows of each part keep the permutation's order.
use crate::data::Dataset;
use crate::error::{Result, SboError};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// How many rows each part takes. Rows are drawn without overlap from a seeded permutation of
/// the training file; the test part comes from the test file when there is one, otherwise from
/// the training file's remaining rows.
#[derive(Clone, Debug, PartialEq)]
pub struct SplitSpec {
    pub n_lower: usize,
    pub n_upper: usize,
    /// `None`: all test-file rows (or all remaining training rows).
    pub n_test: Option<usize>,
    pub n_pool: usize,
    pub seed: u64,
}

#[derive(Clone, Debug)]
pub struct Splits {
    pub lower: Dataset,
    pub upper: Dataset,
    pub test: Dataset,
    pub pool: Dataset,
}

/// A uniform integer in `[0, n)` (`n >= 1`), unbiased: Lemire's widening multiply with
/// rejection on 64-bit words.
pub fn uniform_below<R: Rng + ?Sized>(rng: &mut R, n: u64) -> u64 {
    debug_assert!(n > 0);
    let threshold = n.wrapping_neg() % n; // 2^64 mod n
    loop {
        let m = (rng.next_u64() as u128) * (n as u128);
        if (m as u64) >= threshold {
            return (m >> 64) as u64;
        }
    }
}

/// A seeded uniform permutation of `0..n`: Fisher-Yates (for i = n-1 down to 1, swap i with
/// [`uniform_below`]`(i + 1)`) on `ChaCha8Rng::seed_from_u64(seed)` set to ChaCha stream `stream`.
pub fn seeded_permutation(n: usize, seed: u64, stream: u64) -> Vec<usize> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stream);
    let mut perm: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        let j = uniform_below(&mut rng, i as u64 + 1) as usize;
        perm.swap(i, j);
    }
    perm
}

/// Splits `train` (and `test`, if given) as `spec` says. Deterministic in `spec.seed`.
///
/// Errors: [`SboError::Dimension`] when the test file's width differs from the training
/// file's; [`SboError::NotEnoughSamples`] naming the part that does not fit (lower, upper, pool,
/// test). Without a test file and with `n_test = None`, at least one training row must remain
/// for the test set.
pub fn split(train: &Dataset, test: Option<&Dataset>, spec: &SplitSpec) -> Result<Splits> {
    if let Some(t) = test {
        if t.d != train.d {
            return Err(SboError::Dimension {
                what: "test file features (columns) vs training file".into(),
                expected: train.d,
                got: t.d,
            });
        }
    }
    let have = train.n;
    // Part `what` takes rows start..end of the shuffled training file.
    let take = |what: &str, start: usize, len: usize| -> Result<usize> {
        let end = start.saturating_add(len);
        if end > have {
            Err(SboError::NotEnoughSamples {
                what: format!(
                    "{what} (rows {start}..{end} of the shuffled training file, which has {have})"
                ),
                need: end,
                have,
            })
        } else {
            Ok(end)
        }
    };
    let end_lower = take("lower set", 0, spec.n_lower)?;
    let end_upper = take("upper set", end_lower, spec.n_upper)?;
    let end_pool = take("replacement pool", end_upper, spec.n_pool)?;
    let end_test = match (test, spec.n_test) {
        (Some(_), _) => end_pool,
        (None, Some(k)) => take("test set", end_pool, k)?,
        (None, None) => {
            take("test set (at least one remaining row)", end_pool, 1)?;
            have
        }
    };

    let perm = seeded_permutation(have, spec.seed, 0);
    let lower = train.select(&perm[..end_lower]);
    let upper = train.select(&perm[end_lower..end_upper]);
    let pool = train.select(&perm[end_upper..end_pool]);
    let test = match test {
        None => train.select(&perm[end_pool..end_test]),
        Some(t) => match spec.n_test {
            None => t.clone(),
            Some(k) => {
                if k > t.n {
                    return Err(SboError::NotEnoughSamples {
                        what: format!("test set (test file has {} rows)", t.n),
                        need: k,
                        have: t.n,
                    });
                }
                let tperm = seeded_permutation(t.n, spec.seed, 1);
                t.select(&tperm[..k])
            }
        },
    };
    Ok(Splits {
        lower,
        upper,
        test,
        pool,
    })
}
