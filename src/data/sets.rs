//! A study's data as the engines see it: one table of rows, stored (and uploaded to a GPU)
//! once, and for every seed the rows of that table that make its lower, upper, pool and test
//! sets.
//!
//! Without resampling every seed shares one set of row maps: the algorithm's randomness
//! (batches, neighbour choice) is all that differs between seeds. With `run.resample = "data"`
//! each seed has its own maps (a fresh split of a real dataset, or a fresh synthetic sample
//! stacked into the table), so averages over seeds estimate expectations over the dataset too,
//! as the definitions of on-average stability and of the generalization gap take them.
use crate::data::split::{seeded_permutation, uniform_below};
use crate::data::{DataView, Dataset, Splits};
use crate::error::{Result, SboError};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// The ChaCha stream of `data.corrupt`'s choice of samples: one no split or synthetic draw
/// uses.
pub const CORRUPT_STREAM: u64 = 5;

/// The stream of the new classes of corrupted multiclass samples.
pub const CORRUPT_CLASS_STREAM: u64 = 6;

/// Which rows of the table make each set of one seed, in the set's order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RowMaps {
    pub lower: Vec<u32>,
    pub upper: Vec<u32>,
    pub pool: Vec<u32>,
    pub test: Vec<u32>,
}

impl RowMaps {
    /// The four maps in the order the GPU stores them: lower, upper, pool, test.
    pub fn parts(&self) -> [&[u32]; 4] {
        [&self.lower, &self.upper, &self.pool, &self.test]
    }

    pub fn rows(&self) -> usize {
        self.parts().iter().map(|p| p.len()).sum()
    }

    /// Maps onto `first..first + n` for parts of the given sizes, back to back.
    fn consecutive(first: u32, sizes: [usize; 4]) -> RowMaps {
        let mut next = first;
        let mut part = |n: usize| {
            let p: Vec<u32> = (next..next + n as u32).collect();
            next += n as u32;
            p
        };
        RowMaps {
            lower: part(sizes[0]),
            upper: part(sizes[1]),
            pool: part(sizes[2]),
            test: part(sizes[3]),
        }
    }
}

/// The sizes every seed's sets share.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SetSizes {
    pub lower: usize,
    pub upper: usize,
    pub pool: usize,
    pub test: usize,
}

/// One seed's four sets, as views of the table.
#[derive(Clone, Copy, Debug)]
pub struct SeedSets<'a> {
    pub lower: DataView<'a>,
    pub upper: DataView<'a>,
    pub pool: DataView<'a>,
    pub test: DataView<'a>,
}

#[derive(Clone, Debug)]
enum SeedMaps {
    Shared(RowMaps),
    /// The maps of seeds `first, first + 1, ...`.
    PerSeed {
        first: u64,
        maps: Vec<RowMaps>,
    },
}

/// A study's rows and, per seed, which of them make its sets (see the module documentation).
#[derive(Clone, Debug)]
pub struct StudyData {
    pub table: Dataset,
    maps: SeedMaps,
    /// Per slot (as [`StudyData::slots`]), the positions in the lower set whose labels
    /// [`StudyData::corrupt_lower`] flipped, ascending; empty without corruption.
    corrupted: Vec<Vec<u32>>,
    /// Multiclass data: the file label of each class (class c was written `classes[c]`); empty
    /// when labels are not classes 0..C-1.
    pub classes: Vec<f32>,
    /// Named labels (a CSV label column of names): class c's name is `class_names[c]`
    /// (logistic: `class_names[0]` is -1, `class_names[1]` is +1); empty for numeric labels.
    pub class_names: Vec<String>,
}

impl StudyData {
    /// Every seed uses `maps`. Errors: [`SboError::Dimension`] when a map points past the table.
    pub fn shared(table: Dataset, maps: RowMaps) -> Result<StudyData> {
        check_maps(&table, std::slice::from_ref(&maps))?;
        Ok(StudyData {
            table,
            maps: SeedMaps::Shared(maps),
            corrupted: Vec::new(),
            classes: Vec::new(),
            class_names: Vec::new(),
        })
    }

    /// Seed `first + k` uses `maps[k]`; every seed's sets have the same sizes. Errors:
    /// [`SboError::Engine`] without any maps, or with seeds past `u64::MAX`.
    pub fn per_seed(table: Dataset, first: u64, maps: Vec<RowMaps>) -> Result<StudyData> {
        if maps.is_empty() || first.checked_add(maps.len() as u64 - 1).is_none() {
            return Err(SboError::Engine {
                msg: format!("{} seeds' sets from seed {first}", maps.len()),
            });
        }
        check_maps(&table, &maps)?;
        Ok(StudyData {
            table,
            maps: SeedMaps::PerSeed { first, maps },
            corrupted: Vec::new(),
            classes: Vec::new(),
            class_names: Vec::new(),
        })
    }

    /// One split shared by every seed, its sets stacked into the table.
    pub fn from_splits(splits: &Splits) -> Result<StudyData> {
        StudyData::stacked(None, std::slice::from_ref(splits))
    }

    /// Seed `first + k` uses `splits[k]` (all of one width and the same set sizes), stacked
    /// into one table; with `first = None` there must be one split, which every seed shares.
    pub fn stacked(first: Option<u64>, splits: &[Splits]) -> Result<StudyData> {
        let d = splits.first().map_or(0, |s| s.lower.d);
        let mut table = Dataset {
            d,
            ..Dataset::default()
        };
        let mut maps = Vec::with_capacity(splits.len());
        for s in splits {
            let sets = [&s.lower, &s.upper, &s.pool, &s.test];
            let start = u32::try_from(table.n).map_err(|_| too_many_rows(table.n))?;
            for set in sets {
                if set.d != d {
                    return Err(SboError::Dimension {
                        what: "features of a stacked split".into(),
                        expected: d,
                        got: set.d,
                    });
                }
                table.features.extend_from_slice(&set.features);
                table.labels.extend_from_slice(&set.labels);
                table.n += set.n;
            }
            u32::try_from(table.n).map_err(|_| too_many_rows(table.n))?;
            maps.push(RowMaps::consecutive(start, sets.map(|x| x.n)));
        }
        match first {
            None if maps.len() == 1 => StudyData::shared(table, maps.remove(0)),
            None => Err(SboError::Engine {
                msg: format!("{} splits stacked without a first seed", maps.len()),
            }),
            Some(f) => StudyData::per_seed(table, f, maps),
        }
    }

    /// Whether seeds draw their own sets.
    pub fn resampled(&self) -> bool {
        matches!(self.maps, SeedMaps::PerSeed { .. })
    }

    pub fn d(&self) -> usize {
        self.table.d
    }

    pub fn sizes(&self) -> SetSizes {
        // `per_seed` refuses an empty list, so there is always a first slot.
        let empty = RowMaps::default();
        let m = self.slots().first().unwrap_or(&empty);
        SetSizes {
            lower: m.lower.len(),
            upper: m.upper.len(),
            pool: m.pool.len(),
            test: m.test.len(),
        }
    }

    /// Every distinct set of maps, in seed order (one when shared): what a GPU stores.
    pub fn slots(&self) -> &[RowMaps] {
        match &self.maps {
            SeedMaps::Shared(m) => std::slice::from_ref(m),
            SeedMaps::PerSeed { maps, .. } => maps,
        }
    }

    /// The index into [`slots`](Self::slots) of `seed`'s maps. Errors: [`SboError::Engine`]
    /// for a seed this data was not drawn for (a bug in the caller).
    pub fn slot(&self, seed: u64) -> Result<usize> {
        match &self.maps {
            SeedMaps::Shared(_) => Ok(0),
            SeedMaps::PerSeed { first, maps } => seed
                .checked_sub(*first)
                .map(|k| k as usize)
                .filter(|&k| k < maps.len())
                .ok_or_else(|| SboError::Engine {
                    msg: format!(
                        "seed {seed} has no data: the sets were drawn for seeds {first}..{}",
                        first + maps.len() as u64
                    ),
                }),
        }
    }

    /// Flips the labels of a fraction `rate` of each slot's lower set (round(rate n_lower)
    /// samples; labels in {-1, +1}, or with [`StudyData::classes`] set, a uniformly drawn
    /// other class): the noisy training set of data hyper-cleaning. Slot k's
    /// positions are the first ones of a permutation of the lower set on `seed_of_slot(k)`,
    /// ChaCha stream [`CORRUPT_STREAM`] (splits use 0-3, the synthetic generator 0-4, so the
    /// choice is independent of the data). The table is shared by every seed's sets, so a
    /// corrupted sample is a flipped copy of its row appended to the table and the lower map
    /// points at the copy: no other set, and no other seed, sees the flip. The validation,
    /// pool and test sets stay clean.
    pub fn corrupt_lower(&mut self, rate: f64, seed_of_slot: impl Fn(usize) -> u64) -> Result<()> {
        let classes = self.classes.len();
        if !(0.0..=1.0).contains(&rate) {
            return Err(SboError::config(
                "data.corrupt",
                format!("must be a fraction in [0, 1], got {rate}"),
            ));
        }
        let n_lower = self.sizes().lower;
        let k = (rate * n_lower as f64).round() as usize;
        let d = self.table.d;
        let slots = match &mut self.maps {
            SeedMaps::Shared(m) => std::slice::from_mut(m),
            SeedMaps::PerSeed { maps, .. } => maps.as_mut_slice(),
        };
        let mut corrupted = Vec::with_capacity(slots.len());
        for (slot, m) in slots.iter_mut().enumerate() {
            let seed = seed_of_slot(slot);
            let mut pos: Vec<u32> = seeded_permutation(n_lower, seed, CORRUPT_STREAM)[..k]
                .iter()
                .map(|&i| i as u32)
                .collect();
            pos.sort_unstable();
            // Multiclass: each corrupted sample gets one of the other C - 1 classes, uniformly
            // (a stream of its own, so the choice of samples is the binary one).
            let mut other = ChaCha8Rng::seed_from_u64(seed);
            other.set_stream(CORRUPT_CLASS_STREAM);
            for &i in &pos {
                let r = m.lower[i as usize] as usize;
                let label = self.table.labels[r];
                let new = if classes >= 2 {
                    let shift = 1 + uniform_below(&mut other, classes as u64 - 1) as usize;
                    ((label as usize + shift) % classes) as f32
                } else if label == 1.0 || label == -1.0 {
                    -label
                } else {
                    return Err(SboError::config(
                        "data.corrupt",
                        format!("flips labels in {{-1, +1}}; a lower sample has label {label}"),
                    ));
                };
                let copy = u32::try_from(self.table.n).map_err(|_| too_many_rows(self.table.n))?;
                self.table.features.extend_from_within(r * d..(r + 1) * d);
                self.table.labels.push(new);
                self.table.n += 1;
                m.lower[i as usize] = copy;
            }
            corrupted.push(pos);
        }
        self.corrupted = corrupted;
        Ok(())
    }

    /// Positions in `seed`'s lower set whose labels were flipped (empty without corruption).
    pub fn corrupted(&self, seed: u64) -> Result<&[u32]> {
        let slot = self.slot(seed)?;
        Ok(self.corrupted.get(slot).map_or(&[], Vec::as_slice))
    }

    /// `seed`'s four sets (errors as [`slot`](Self::slot)).
    pub fn sets(&self, seed: u64) -> Result<SeedSets<'_>> {
        let m = &self.slots()[self.slot(seed)?];
        let t = &self.table;
        Ok(SeedSets {
            lower: DataView::of_rows(t, &m.lower),
            upper: DataView::of_rows(t, &m.upper),
            pool: DataView::of_rows(t, &m.pool),
            test: DataView::of_rows(t, &m.test),
        })
    }
}

fn too_many_rows(n: usize) -> SboError {
    SboError::config(
        "run.resample",
        format!("the stacked data would have {n} rows, more than 32-bit row indices reach"),
    )
}

fn check_maps(table: &Dataset, maps: &[RowMaps]) -> Result<()> {
    let sizes = maps.first().map(|m| m.parts().map(<[u32]>::len));
    for m in maps {
        if Some(m.parts().map(<[u32]>::len)) != sizes {
            return Err(SboError::Engine {
                msg: "seeds' sets differ in size".into(),
            });
        }
        if let Some(&r) = m.parts().iter().flat_map(|p| p.iter()).max() {
            if r as usize >= table.n {
                return Err(SboError::Dimension {
                    what: "row map into the study's table".into(),
                    expected: table.n,
                    got: r as usize + 1,
                });
            }
        }
    }
    Ok(())
}

/// The seed of run seed `run_seed`'s own split or sample, from the configured `data_seed`:
/// SplitMix64's finaliser of the pair, so neighbouring run seeds get unrelated splits.
pub fn seed_of(data_seed: u64, run_seed: u64) -> u64 {
    use crate::rng::{splitmix64, SPLITMIX_GAMMA};
    splitmix64(data_seed ^ splitmix64(run_seed.wrapping_add(SPLITMIX_GAMMA)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(n: usize, base: f32) -> Dataset {
        let features = (0..n * 2).map(|k| base + k as f32).collect();
        let labels = (0..n).map(|k| base + k as f32).collect();
        Dataset::new(2, features, labels).unwrap()
    }

    #[test]
    fn stacked_splits_are_seen_as_they_were() {
        let a = Splits {
            lower: set(3, 0.0),
            upper: set(2, 100.0),
            pool: set(1, 200.0),
            test: set(4, 300.0),
        };
        let b = Splits {
            lower: set(3, 1000.0),
            upper: set(2, 1100.0),
            pool: set(1, 1200.0),
            test: set(4, 1300.0),
        };
        let data = StudyData::stacked(Some(7), &[a.clone(), b.clone()]).unwrap();
        assert!(data.resampled());
        assert_eq!(data.table.n, 20);
        for (seed, s) in [(7, &a), (8, &b)] {
            let v = data.sets(seed).unwrap();
            assert_eq!(v.lower.to_dataset(), s.lower);
            assert_eq!(v.upper.to_dataset(), s.upper);
            assert_eq!(v.pool.to_dataset(), s.pool);
            assert_eq!(v.test.to_dataset(), s.test);
        }
        assert!(data.sets(6).is_err());
        assert!(data.sets(9).is_err());
        let shared = StudyData::from_splits(&a).unwrap();
        assert_eq!(shared.sets(12345).unwrap().upper.to_dataset(), a.upper);
        assert_eq!(shared.slot(99).unwrap(), 0);
    }

    #[test]
    fn maps_past_the_table_or_of_other_sizes_are_refused() {
        let maps = RowMaps {
            lower: vec![0, 5],
            ..RowMaps::default()
        };
        assert!(StudyData::shared(set(5, 0.0), maps.clone()).is_err());
        let ok = RowMaps {
            lower: vec![0, 4],
            ..RowMaps::default()
        };
        let short = RowMaps {
            lower: vec![1],
            ..RowMaps::default()
        };
        assert!(StudyData::per_seed(set(5, 0.0), 0, vec![ok, short]).is_err());
    }

    #[test]
    fn run_seeds_get_distinct_split_seeds() {
        let seeds: std::collections::HashSet<u64> = (0..1000).map(|s| seed_of(0, s)).collect();
        assert_eq!(seeds.len(), 1000);
        assert_ne!(seed_of(0, 1), seed_of(1, 0));
    }
}
