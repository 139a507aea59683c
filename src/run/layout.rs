//! Where every lane of a study sits, the same on every engine: groups of one configuration
//! and one seed, configuration-major; within a group the base lane, then its neighbours, each
//! neighbour replacing one sample by a pool row chosen from the seed alone.
//!
//! Owns: lane and group numbering, the replaced-sample choice. Must not know: engines.

use crate::data::{Replacement, SeedSets, SetSizes};
use crate::rng::{bounded, stream, LaneRng};
use crate::sweep::{ReplaceSide, Study};

/// The lanes of a study.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    pub configs: usize,
    pub seeds: usize,
    pub seed_base: u64,
    /// Lanes per group: the base lane and its neighbours.
    pub group_size: usize,
}

impl Layout {
    pub fn of(study: &Study) -> Layout {
        let run = &study.config.run;
        Layout {
            configs: study.configs.len(),
            seeds: run.seeds,
            seed_base: run.seed_base,
            group_size: run.neighbours + 1,
        }
    }

    pub fn groups(&self) -> usize {
        self.configs * self.seeds
    }

    pub fn lanes(&self) -> usize {
        self.groups() * self.group_size
    }

    /// (configuration, seed) of group `g`.
    pub fn group(&self, g: usize) -> (usize, u64) {
        (g / self.seeds, self.seed_base + (g % self.seeds) as u64)
    }

    /// (configuration, seed, neighbour) of lane `l` (neighbour 0: the base lane).
    pub fn lane(&self, l: usize) -> (usize, u64, usize) {
        let (c, s) = self.group(l / self.group_size);
        (c, s, l % self.group_size)
    }
}

/// Which sample neighbour `i` of seed `seed` replaces, and by which pool row: `(index,
/// pool_row)` for the lower and the upper set. A function of (seed, i) only, drawn from the
/// seed's generator on its own stream; the base lane (i = 0) replaces nothing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NeighbourChoice {
    pub lower: Option<(usize, usize)>,
    pub upper: Option<(usize, usize)>,
}

impl NeighbourChoice {
    pub fn new(sizes: SetSizes, side: ReplaceSide, seed: u64, i: usize) -> Self {
        let np = sizes.pool;
        if i == 0 || np == 0 {
            return NeighbourChoice::default();
        }
        let w = LaneRng::new(seed).block(stream::NEIGHBOUR, i as u64, 0);
        let pick = |n: usize, wi: u32, wp: u32| {
            (
                bounded(wi, n as u32) as usize,
                bounded(wp, np as u32) as usize,
            )
        };
        NeighbourChoice {
            lower: matches!(side, ReplaceSide::Lower | ReplaceSide::Both)
                .then(|| pick(sizes.lower, w[2], w[3])),
            upper: matches!(side, ReplaceSide::Upper | ReplaceSide::Both)
                .then(|| pick(sizes.upper, w[0], w[1])),
        }
    }
}

/// The (lower, upper) replacements of neighbour `i` of seed `seed` (see [`NeighbourChoice`]).
pub fn neighbour_replacements<'a>(
    sets: &SeedSets<'a>,
    side: ReplaceSide,
    seed: u64,
    i: usize,
) -> (Option<Replacement<'a>>, Option<Replacement<'a>>) {
    let sizes = SetSizes {
        lower: sets.lower.n(),
        upper: sets.upper.n(),
        pool: sets.pool.n(),
        test: sets.test.n(),
    };
    let c = NeighbourChoice::new(sizes, side, seed, i);
    let make = |(index, p): (usize, usize)| {
        let (row, label) = sets.pool.original(p);
        Replacement { index, row, label }
    };
    (c.lower.map(make), c.upper.map(make))
}
