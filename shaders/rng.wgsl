// Counter-based random numbers (Philox4x32-10): the bit-identical twin of `src/rng.rs`.
//
// Every random number of a lane is a pure function of (seed, stream, step, slot).
// Counter layout: [slot, step_lo, step_hi, stream], key [seed_lo, seed_hi].
// Steps are u64 on the CPU; WGSL has no 64-bit integers, so they travel as two u32 halves.
//
// Composed in front of kernels by `sbo::gpu::shader::compose` (WGSL has no #include); every
// name here starts with `rng_`, `philox` or is one of `mulhilo` / `bounded`, so kernels must
// not reuse those names.

// Philox4x32 round multipliers (Random123 PHILOX_M4x32_0/1).
const PHILOX_M0: u32 = 0xD2511F53u;
const PHILOX_M1: u32 = 0xCD9E8D57u;
// Key schedule increments (Random123 PHILOX_W32_0/1).
const PHILOX_W0: u32 = 0x9E3779B9u;
const PHILOX_W1: u32 = 0xBB67AE85u;

// The full 64-bit product of two u32 as vec2(hi, lo), from 16-bit halves (no u64 in WGSL).
//   a * b = hh 2^32 + (lh + hl) 2^16 + ll, each partial product < 2^32.
// The middle column (ll >> 16) + (lh & 0xFFFF) + (hl & 0xFFFF) < 3 * 2^16 cannot overflow, and
// the high word cannot either because the full product is < 2^64.
fn mulhilo(a: u32, b: u32) -> vec2<u32> {
    let a_lo = a & 0xFFFFu;
    let a_hi = a >> 16u;
    let b_lo = b & 0xFFFFu;
    let b_hi = b >> 16u;
    let ll = a_lo * b_lo;
    let lh = a_lo * b_hi;
    let hl = a_hi * b_lo;
    let hh = a_hi * b_hi;
    let mid = (ll >> 16u) + (lh & 0xFFFFu) + (hl & 0xFFFFu);
    let lo = (mid << 16u) | (ll & 0xFFFFu);
    let hi = hh + (lh >> 16u) + (hl >> 16u) + (mid >> 16u);
    return vec2<u32>(hi, lo);
}

fn philox_round(c: vec4<u32>, k: vec2<u32>) -> vec4<u32> {
    let p0 = mulhilo(PHILOX_M0, c.x);
    let p1 = mulhilo(PHILOX_M1, c.z);
    return vec4<u32>(p1.x ^ c.y ^ k.x, p1.y, p0.x ^ c.w ^ k.y, p0.y);
}

// Philox4x32 with 10 rounds, exactly as Random123 (and `rng::philox4x32_10`).
fn philox4x32_10(ctr: vec4<u32>, key: vec2<u32>) -> vec4<u32> {
    var c = philox_round(ctr, key);
    var k = key;
    for (var r = 1u; r < 10u; r = r + 1u) {
        k = k + vec2<u32>(PHILOX_W0, PHILOX_W1);
        c = philox_round(c, k);
    }
    return c;
}

// Maps a uniform u32 to [0, n) by multiply-high (Lemire, no rejection); n == 0 gives 0.
fn bounded(u: u32, n: u32) -> u32 {
    return mulhilo(u, n).x;
}

// The lane key from a u64 seed given as halves: [seed_lo, seed_hi] (`LaneRng::new`).
fn rng_key(seed_lo: u32, seed_hi: u32) -> vec2<u32> {
    return vec2<u32>(seed_lo, seed_hi);
}

// The 4 words of block `slot` of (stream, step) (`LaneRng::block`).
fn rng_block(key: vec2<u32>, stream: u32, step_lo: u32, step_hi: u32, slot: u32) -> vec4<u32> {
    return philox4x32_10(vec4<u32>(slot, step_lo, step_hi, stream), key);
}

// Word `j` of the sequence of (stream, step): block j / 4, word j % 4 (`LaneRng::word`).
fn rng_word(key: vec2<u32>, stream: u32, step_lo: u32, step_hi: u32, j: u32) -> u32 {
    var b = rng_block(key, stream, step_lo, step_hi, j >> 2u);
    return b[j & 3u];
}

// Index `j` of a batch drawn with replacement from [0, n) (`LaneRng::batch_with_replacement`):
// bounded(word(j), n). A kernel that needs a whole block should call `rng_block` once per 4
// indices instead.
fn rng_index_with_replacement(key: vec2<u32>, stream: u32, step_lo: u32, step_hi: u32, n: u32,
                              j: u32) -> u32 {
    return bounded(rng_word(key, stream, step_lo, step_hi, j), n);
}

// One step of Floyd's algorithm (`LaneRng::batch_without_replacement`), for a batch of
// `len` indices from [0, n), k = min(len, n), entry `i` drawn from word `w` = word(i).
// Returns vec2(t, f): the caller scans its own out[0..i] and stores `f` if `t` is already
// there, `t` otherwise. For i >= k (only when len > n, a caller bug) both are bounded(w, n),
// matching the CPU's release behaviour. WGSL cannot pass a storage or workgroup array to a
// function generically, which is why the membership scan stays in the kernel.
fn rng_floyd_pick(w: u32, n: u32, k: u32, i: u32) -> vec2<u32> {
    if (i < k) {
        let j = (n - k) + i;
        return vec2<u32>(bounded(w, j + 1u), j);
    }
    let t = bounded(w, n);
    return vec2<u32>(t, t);
}
