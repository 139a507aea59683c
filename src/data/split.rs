//! Deterministic seeded splits of a training file (and optional test, validation and pool
//! files) into the lower training set, the upper validation set, the test set and the
//! replacement pool.
//!
//! Reproducibility contract: the permutation of the training rows is a Fisher-Yates shuffle
//! driven by `ChaCha8Rng::seed_from_u64(seed)` (stream 0) and [`uniform_below`]. The parts that
//! come from the training file are consecutive blocks of its permutation: lower, then upper,
//! then pool, then test (each only when it has no file of its own). A part with its own file
//! takes all of it in file order ([`ALL`]), or the first `n` rows of that file's permutation
//! with the same seed on ChaCha stream 1 (test), 2 (validation) or 3 (pool). The rows of each
//! part keep the permutation's order.
use crate::data::{Dataset, RowMaps};
use crate::error::{Result, SboError};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// How many rows each part takes. Rows are drawn without overlap from a seeded permutation of
/// the training file; the test part comes from the test file when there is one, otherwise from
/// the training file's remaining rows.
#[derive(Clone, Debug, PartialEq)]
pub struct SplitSpec {
    /// [`ALL`]: every training row the parts drawn from the training file leave.
    pub n_lower: usize,
    /// [`ALL`] only with a validation file: all of it.
    pub n_upper: usize,
    /// `None`: all test-file rows (or all remaining training rows).
    pub n_test: Option<usize>,
    /// [`ALL`] only with a pool file: all of it.
    pub n_pool: usize,
    pub seed: u64,
}

/// A set size meaning "every row its source has" (`"all"` in a config).
pub const ALL: usize = usize::MAX;

/// The files a split draws from: the training file and, for the parts that have their own,
/// the test, validation (upper set) and pool files.
#[derive(Clone, Copy, Debug)]
pub struct SplitFiles<'a> {
    pub train: &'a Dataset,
    pub test: Option<&'a Dataset>,
    pub validation: Option<&'a Dataset>,
    pub pool: Option<&'a Dataset>,
}

/// Row counts of [`SplitFiles`]; [`file_rows`] indexes one table that stacks the files in the
/// order train, test, validation, pool.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FileRows {
    pub train: usize,
    pub test: Option<usize>,
    pub validation: Option<usize>,
    pub pool: Option<usize>,
}

impl SplitFiles<'_> {
    pub fn rows(&self) -> FileRows {
        FileRows {
            train: self.train.n,
            test: self.test.map(|t| t.n),
            validation: self.validation.map(|t| t.n),
            pool: self.pool.map(|t| t.n),
        }
    }

    /// The files in table order, with the config field each came from.
    fn stacked(&self) -> impl Iterator<Item = (&'static str, &Dataset)> {
        [
            ("data.train", Some(self.train)),
            ("data.test", self.test),
            ("data.validation", self.validation),
            ("data.pool", self.pool),
        ]
        .into_iter()
        .filter_map(|(f, d)| d.map(|d| (f, d)))
    }
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
    split_files(
        &SplitFiles {
            train,
            test,
            ..SplitFiles::default_for(train)
        },
        spec,
    )
}

/// [`split`] with any of the parts drawn from a file of its own. Errors as [`split`], and a
/// [`SboError::Dimension`] naming any file whose width differs from the training file's.
pub fn split_files(files: &SplitFiles<'_>, spec: &SplitSpec) -> Result<Splits> {
    for (field, f) in files.stacked() {
        if f.d != files.train.d {
            return Err(SboError::Dimension {
                what: format!("{field} features (columns) vs training file"),
                expected: files.train.d,
                got: f.d,
            });
        }
    }
    let maps = file_rows(&files.rows(), spec)?;
    let table: Vec<&Dataset> = files.stacked().map(|(_, d)| d).collect();
    let pick = |rows: &[u32]| -> Dataset {
        let mut set = Dataset {
            d: files.train.d,
            ..Dataset::default()
        };
        for &r in rows {
            let mut r = r as usize;
            for f in &table {
                if r < f.n {
                    set.features.extend_from_slice(f.row(r));
                    set.labels.push(f.label(r));
                    set.n += 1;
                    break;
                }
                r -= f.n;
            }
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

impl<'a> SplitFiles<'a> {
    /// Only the training file.
    pub fn default_for(train: &'a Dataset) -> Self {
        SplitFiles {
            train,
            test: None,
            validation: None,
            pool: None,
        }
    }
}

/// The rows [`split`] takes for each part, as indices into the training file's rows followed
/// by the test file's (`n_test_file` rows, if there is one). Same errors as [`split`] for the
/// sizes.
pub fn split_rows(n_train: usize, n_test_file: Option<usize>, spec: &SplitSpec) -> Result<RowMaps> {
    file_rows(
        &FileRows {
            train: n_train,
            test: n_test_file,
            ..FileRows::default()
        },
        spec,
    )
}

/// The rows [`split_files`] takes for each part, as indices into the table that stacks the
/// files in the order train, test, validation, pool. Same errors as [`split_files`] for the
/// sizes, and a [`SboError::Config`] for an [`ALL`] that has no meaning (`n_upper` or `n_pool`
/// drawn from the training file, `n_lower` when the test set takes the training file's rest).
pub fn file_rows(files: &FileRows, spec: &SplitSpec) -> Result<RowMaps> {
    let n_train = files.train;
    let total = [files.test, files.validation, files.pool]
        .iter()
        .fold(n_train, |a, n| a.saturating_add(n.unwrap_or(0)));
    if total.saturating_sub(1) > u32::MAX as usize {
        return Err(SboError::config(
            "data.train",
            format!("{total} rows are more than 32-bit row indices reach"),
        ));
    }
    let have = n_train;
    // Sizes of the parts the training file gives, other than lower.
    let from_train = |own: Option<usize>, n: usize, field: &str| -> Result<usize> {
        match (own, n) {
            (Some(_), _) => Ok(0),
            (None, ALL) => Err(SboError::config(
                field,
                "\"all\" takes a whole file of the set's own: give that file, or a number",
            )),
            (None, n) => Ok(n),
        }
    };
    let n_upper = from_train(files.validation, spec.n_upper, "data.n_upper")?;
    let n_pool = from_train(files.pool, spec.n_pool, "data.n_pool")?;
    let n_test = match (files.test, spec.n_test) {
        (Some(_), _) => Some(0),
        (None, k) => k,
    };
    let n_lower =
        match (spec.n_lower, n_test) {
            (ALL, None) => return Err(SboError::config(
                "data.n_lower",
                "\"all\" leaves no training rows for the test set: give data.n_test or data.test",
            )),
            (ALL, Some(k)) => have
                .checked_sub(n_upper.saturating_add(n_pool).saturating_add(k))
                .filter(|&n| n > 0)
                .ok_or_else(|| SboError::NotEnoughSamples {
                    what: format!(
                    "lower set (what the training file's {have} rows leave after the other parts)"
                ),
                    need: n_upper
                        .saturating_add(n_pool)
                        .saturating_add(k)
                        .saturating_add(1),
                    have,
                })?,
            (n, _) => n,
        };
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
    let end_lower = take("lower set", 0, n_lower)?;
    let end_upper = take("upper set", end_lower, n_upper)?;
    let end_pool = take("replacement pool", end_upper, n_pool)?;
    let end_test = match n_test {
        Some(k) => take("test set", end_pool, k)?,
        None => {
            take("test set (at least one remaining row)", end_pool, 1)?;
            have
        }
    };

    let perm = seeded_permutation(have, spec.seed, 0);
    let rows = |r: &[usize]| r.iter().map(|&i| i as u32).collect::<Vec<u32>>();
    // A part with its own file: all of it in file order, or the first k rows of its
    // permutation. `offset` is where the file starts in the stacked table.
    let own = |rows_in_file: usize, offset: usize, k: Option<usize>, stream: u64, what: &str| {
        let at = |i: usize| (offset + i) as u32;
        match k {
            None | Some(ALL) => Ok((0..rows_in_file).map(at).collect::<Vec<u32>>()),
            Some(k) if k > rows_in_file => Err(SboError::NotEnoughSamples {
                what: format!("{what} (its file has {rows_in_file} rows)"),
                need: k,
                have: rows_in_file,
            }),
            Some(k) => Ok(seeded_permutation(rows_in_file, spec.seed, stream)[..k]
                .iter()
                .map(|&i| at(i))
                .collect()),
        }
    };
    let off_test = n_train;
    let off_validation = off_test + files.test.unwrap_or(0);
    let off_pool = off_validation + files.validation.unwrap_or(0);
    let test = match files.test {
        None => rows(&perm[end_pool..end_test]),
        Some(nt) => own(nt, off_test, spec.n_test, 1, "test set")?,
    };
    let upper = match files.validation {
        None => rows(&perm[end_lower..end_upper]),
        Some(nv) => own(nv, off_validation, Some(spec.n_upper), 2, "upper set")?,
    };
    let pool = match files.pool {
        None => rows(&perm[end_upper..end_pool]),
        Some(np) => own(np, off_pool, Some(spec.n_pool), 3, "replacement pool")?,
    };
    if upper.is_empty() {
        return Err(SboError::config(
            "data.n_upper",
            "the upper set needs at least one sample",
        ));
    }
    Ok(RowMaps {
        lower: rows(&perm[..end_lower]),
        upper,
        pool,
        test,
    })
}
