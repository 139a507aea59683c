//! Deterministic seeded splits of a training file (and optional test file) into the lower
//! training set, the upper validation set, the test set and the replacement pool.
//!
//! Reproducibility contract: the permutation of the training rows is a Fisher-Yates shuffle
//! driven by `ChaCha8Rng::seed_from_u64(seed)` (stream 0) and [`uniform_below`]; the permutation
//! of a test file (only when `n_test` is given) uses the same seed on ChaCha stream 1. Parts are
//! consecutive blocks of the training permutation: lower, then upper, then pool, then (without
//! a test file) test. The rows of each part keep the permutation's order.
use crate::data::{Dataset, RowMaps};
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
    let maps = split_rows(train.n, test.map(|t| t.n), spec)?;
    let pick = |rows: &[u32]| -> Dataset {
        let mut set = Dataset {
            d: train.d,
            ..Dataset::default()
        };
        for &r in rows {
            let r = r as usize;
            let (row, label) = match test {
                Some(t) if r >= train.n => (t.row(r - train.n), t.label(r - train.n)),
                _ => (train.row(r), train.label(r)),
            };
            set.features.extend_from_slice(row);
            set.labels.push(label);
            set.n += 1;
        }
        set
    };
    Ok(Splits {
        lower: pick(&maps.lower),
        upper: pick(&maps.upper),
        test: pick(&maps.test),
        pool: pick(&maps.pool),
    })
}

/// The rows [`split`] takes for each part, as indices into the training file's rows followed
/// by the test file's (`n_test_file` rows, if there is one). Same errors as [`split`] for the
/// sizes.
pub fn split_rows(n_train: usize, n_test_file: Option<usize>, spec: &SplitSpec) -> Result<RowMaps> {
    let have = n_train;
    if n_train
        .saturating_add(n_test_file.unwrap_or(0))
        .saturating_sub(1)
        > u32::MAX as usize
    {
        return Err(SboError::config(
            "data.train",
            format!("{n_train} rows are more than 32-bit row indices reach"),
        ));
    }
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
    let end_test = match (n_test_file, spec.n_test) {
        (Some(_), _) => end_pool,
        (None, Some(k)) => take("test set", end_pool, k)?,
        (None, None) => {
            take("test set (at least one remaining row)", end_pool, 1)?;
            have
        }
    };

    let perm = seeded_permutation(have, spec.seed, 0);
    let rows = |r: &[usize]| r.iter().map(|&i| i as u32).collect::<Vec<u32>>();
    let test = match n_test_file {
        None => rows(&perm[end_pool..end_test]),
        Some(nt) => {
            let offset = |i: usize| (n_train + i) as u32;
            match spec.n_test {
                None => (0..nt).map(offset).collect(),
                Some(k) => {
                    if k > nt {
                        return Err(SboError::NotEnoughSamples {
                            what: format!("test set (test file has {nt} rows)"),
                            need: k,
                            have: nt,
                        });
                    }
                    let tperm = seeded_permutation(nt, spec.seed, 1);
                    tperm[..k].iter().map(|&i| offset(i)).collect()
                }
            }
        }
    };
    Ok(RowMaps {
        lower: rows(&perm[..end_lower]),
        upper: rows(&perm[end_lower..end_upper]),
        pool: rows(&perm[end_upper..end_pool]),
        test,
    })
}
