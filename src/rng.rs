//! Counter-based random numbers (Philox4x32-10).
//!
//! Every random number of a lane is a pure function of (seed, stream, step, slot), so batch
//! indices do not depend on scheduling and a neighbour lane draws exactly what its base lane
//! draws. Counter layout: `[slot, step_lo, step_hi, stream]`, key `[seed_lo, seed_hi]`.
//! `shaders/rng.wgsl` is the bit-identical twin.
//!
//! Everything here is 32-bit integer arithmetic (the one 32x32->64 product lives in
//! [`mulhilo`]) so that the WGSL twin, which has no 64-bit integers, can match it bit for bit.
//! The only exception is [`LaneRng::uniform01_f64`], which is CPU-only by nature.
//!
//! Owns: the generator and batch sampling. Must not know: what the numbers are used for.

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
    /// The random truncation of a Neumann series (ttsa, bsa, sustain), one word per step.
    pub const TRUNCATION: u32 = 6;
    /// Choice of replaced sample and pool row for neighbours.
    pub const NEIGHBOUR: u32 = 8;
    /// A network lower model's initial weights (host-side, step 0, one draw per weight).
    pub const INIT: u32 = 10;
}

/// Philox4x32 round multipliers (Salmon et al. 2011, Random123 `PHILOX_M4x32_0/1`).
const PHILOX_M0: u32 = 0xD251_1F53;
const PHILOX_M1: u32 = 0xCD9E_8D57;
/// Key schedule increments (Weyl sequence: golden ratio and sqrt(3) - 1, Random123
/// `PHILOX_W32_0/1`).
const PHILOX_W0: u32 = 0x9E37_79B9;
const PHILOX_W1: u32 = 0xBB67_AE85;

/// SplitMix64 (Steele, Lea, Flood 2014): the golden-ratio increment of its state and its
/// finaliser. Host-side only, for derived seeds (per-seed data splits) and the analyses'
/// reproducible bootstrap draws; the lanes' randomness is Philox below.
pub const SPLITMIX_GAMMA: u64 = 0x9e37_79b9_7f4a_7c15;

/// SplitMix64's output function of a state `z`.
#[inline]
pub fn splitmix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The full 64-bit product of two u32, split as `(hi, lo)`.
///
/// Kept as its own function because it is the only place that needs more than 32 bits: the
/// WGSL twin has no u64 and computes the same `(hi, lo)` by splitting both operands into
/// 16-bit halves and summing the four partial products with explicit carries.
#[inline(always)]
pub fn mulhilo(a: u32, b: u32) -> (u32, u32) {
    let p = a as u64 * b as u64;
    ((p >> 32) as u32, p as u32)
}

#[inline(always)]
fn philox_round(c: [u32; 4], k: [u32; 2]) -> [u32; 4] {
    let (hi0, lo0) = mulhilo(PHILOX_M0, c[0]);
    let (hi1, lo1) = mulhilo(PHILOX_M1, c[2]);
    [hi1 ^ c[1] ^ k[0], lo1, hi0 ^ c[3] ^ k[1], lo0]
}

/// Philox4x32 with 10 rounds, exactly as in Random123 (checked against its published
/// known-answer vectors), so results can be cross-checked with any other implementation.
///
/// Ten rounds rather than the minimum seven that pass BigCrush: the reference default, and the
/// cost is negligible next to the gradient work each draw feeds.
pub fn philox4x32_10(ctr: [u32; 4], key: [u32; 2]) -> [u32; 4] {
    let mut c = ctr;
    let mut k = key;
    c = philox_round(c, k);
    for _ in 1..10 {
        k = [k[0].wrapping_add(PHILOX_W0), k[1].wrapping_add(PHILOX_W1)];
        c = philox_round(c, k);
    }
    c
}

/// Maps a uniform u32 to [0, n) by a 32x32->64 multiply-high (Lemire), reproducible in WGSL.
///
/// No rejection step: the bias is at most n / 2^32, far below anything a batch of a few
/// thousand draws can see, and rejection would make the number of words consumed data-dependent,
/// which the GPU twin could not follow without divergence. `n == 0` gives 0.
#[inline(always)]
pub fn bounded(u: u32, n: u32) -> u32 {
    mulhilo(u, n).0
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

    /// A uniform double in [0, 1) with 53 random bits, from words `2j` and `2j + 1` of
    /// (stream, step), so consecutive `j` never share a word.
    ///
    /// CPU-only (WGSL has no f64): use it for host-side choices such as data splits or pool
    /// rows, never for anything a GPU lane must reproduce. `j` must be below 2^31 (the word
    /// index `2j` is a u32).
    pub fn uniform01_f64(&self, stream: u32, step: u64, j: u32) -> f64 {
        let i = j.wrapping_mul(2);
        let b = self.block(stream, step, i / 4);
        let (a, c) = (b[(i % 4) as usize], b[(i % 4) as usize + 1]);
        // 27 high bits of the first word, 26 of the second: 53 bits, exactly representable.
        let m = (((a >> 5) as u64) << 26) | (c >> 6) as u64;
        m as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Batch indices uniform on [0, n), with replacement: `out[j] = bounded(word(j), n)`.
    ///
    /// One Philox call per 4 indices (a whole block), which is what the GPU twin does per
    /// invocation. `n == 0` (an empty dataset, a caller bug) fills zeros rather than panicking.
    pub fn batch_with_replacement(&self, stream: u32, step: u64, n: u32, out: &mut [u32]) {
        for (slot, chunk) in out.chunks_mut(4).enumerate() {
            let b = self.block(stream, step, slot as u32);
            for (o, &w) in chunk.iter_mut().zip(b.iter()) {
                *o = bounded(w, n);
            }
        }
    }

    /// Batch indices without replacement within the batch (Floyd's algorithm, `out.len() <= n`),
    /// in insertion order.
    ///
    /// Floyd's algorithm uses exactly one word per index (word `i` for `out[i]`) and no
    /// scratch memory, so the GPU twin can run it with a fixed word budget; the O(k^2)
    /// membership scan is cheap for minibatch sizes. Insertion order is kept (not sorted) so the
    /// result is a pure function of the words, identical on both sides.
    ///
    /// Only the *set* is uniform over k-subsets; the order is not a uniform random order
    /// (`out[0] <= n - k`, for one), so never use a prefix of such a batch as a smaller batch.
    ///
    /// `out.len() > n` is a caller bug (caught by `debug_assert!`); in release the first `n`
    /// entries are a permutation of [0, n) and the rest are drawn with replacement from the
    /// following words, so every entry is still a valid index whenever `n > 0`.
    pub fn batch_without_replacement(&self, stream: u32, step: u64, n: u32, out: &mut [u32]) {
        debug_assert!(
            out.len() <= n as usize,
            "batch of {} without replacement from only {} samples",
            out.len(),
            n
        );
        let k = out.len().min(n as usize);
        // k <= n <= u32::MAX, so the cast is lossless.
        let base = n - k as u32;
        let mut b = [0u32; 4];
        for i in 0..out.len() {
            if i % 4 == 0 {
                b = self.block(stream, step, (i / 4) as u32);
            }
            let w = b[i % 4];
            out[i] = if i < k {
                let j = base + i as u32;
                // j <= n - 1, so j + 1 cannot overflow.
                let t = bounded(w, j + 1);
                if out[..i].contains(&t) {
                    j
                } else {
                    t
                }
            } else {
                bounded(w, n)
            };
        }
    }
}
