//! Counter-based random numbers (Philox4x32-10). STUB: filled in by the RNG work.
//!
//! Every random number of a lane is a pure function of (seed, stream, step, slot), so batch
//! indices do not depend on scheduling and a neighbour lane draws exactly what its base lane
//! draws. Counter layout: `[slot, step_lo, step_hi, stream]`, key `[seed_lo, seed_hi]`.
//! `shaders/rng.wgsl` is the bit-identical twin.

/// Stream ids: one per kind of draw, so adding a draw of one kind never shifts another.
pub mod stream {
    /// Lower-level batches (y steps; ssgd/tsgd also reuse them for H and J).
    pub const LOWER: u32 = 0;
    /// Upper-level batches.
    pub const UPPER: u32 = 1;
    /// Independent Hessian batches (ssaid option, aid-cg's fixed CG batch).
    pub const HVP: u32 = 2;
    /// Independent Jacobian batches (ssaid option).
    pub const JVP: u32 = 3;
    /// stocBiO Neumann-series batches, one per term.
    pub const NEUMANN: u32 = 4;
    /// Choice of replaced sample and pool row for neighbours.
    pub const NEIGHBOUR: u32 = 8;
}

pub fn philox4x32_10(ctr: [u32; 4], key: [u32; 2]) -> [u32; 4] {
    let _ = (ctr, key);
    todo!()
}

/// Maps a uniform u32 to [0, n) by a 32x32->64 multiply-high (Lemire), reproducible in WGSL.
#[inline(always)]
pub fn bounded(u: u32, n: u32) -> u32 {
    ((u as u64 * n as u64) >> 32) as u32
}

/// A lane's generator: the key derived from its seed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LaneRng {
    pub key: [u32; 2],
}

impl LaneRng {
    pub fn new(seed: u64) -> Self {
        LaneRng {
            key: [seed as u32, (seed >> 32) as u32],
        }
    }

    /// The 4 words of block `slot` of (stream, step).
    pub fn block(&self, stream: u32, step: u64, slot: u32) -> [u32; 4] {
        philox4x32_10([slot, step as u32, (step >> 32) as u32, stream], self.key)
    }

    /// Word `j` of the sequence of (stream, step): block `j / 4`, word `j % 4`.
    pub fn word(&self, stream: u32, step: u64, j: u32) -> u32 {
        self.block(stream, step, j / 4)[(j % 4) as usize]
    }

    /// Batch indices uniform on [0, n), with replacement: `out[j] = bounded(word(j), n)`.
    pub fn batch_with_replacement(&self, stream: u32, step: u64, n: u32, out: &mut [u32]) {
        let _ = (stream, step, n, out);
        todo!()
    }

    /// Batch indices without replacement within the batch (Floyd's algorithm, `out.len() <= n`),
    /// in insertion order.
    pub fn batch_without_replacement(&self, stream: u32, step: u64, n: u32, out: &mut [u32]) {
        let _ = (stream, step, n, out);
        todo!()
    }
}
