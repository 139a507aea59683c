// Test-only kernels for tests/gpu_rng.rs: write Philox words and batch indices so the host can
// compare them bit for bit with `sbo::rng`. Composed after shaders/rng.wgsl.

struct Case {
    seed_lo: u32,
    seed_hi: u32,
    stream: u32,
    step_lo: u32,
    step_hi: u32,
    // Population size for batches; second operand of the mulhilo test.
    n: u32,
    // Batch length.
    len: u32,
    // Where this case's batch starts in `out`.
    out_off: u32,
}

@group(0) @binding(0) var<storage, read> cases: array<Case>;
@group(0) @binding(1) var<storage, read_write> out: array<u32>;

override WG: u32 = 64u;
// Words per case for `words`, blocks per case for `blocks`, 4-index slots per case for
// `with_replacement`.
override PER_CASE: u32 = 16u;

fn key_of(c: Case) -> vec2<u32> {
    return rng_key(c.seed_lo, c.seed_hi);
}

// (case, slot) -> the 4 words of block `slot`, through philox4x32_10 directly.
@compute @workgroup_size(WG)
fn blocks(@builtin(global_invocation_id) gid: vec3<u32>) {
    let t = gid.x;
    if (t >= arrayLength(&cases) * PER_CASE) {
        return;
    }
    let c = cases[t / PER_CASE];
    let slot = t % PER_CASE;
    let b = philox4x32_10(vec4<u32>(slot, c.step_lo, c.step_hi, c.stream), key_of(c));
    out[4u * t] = b.x;
    out[4u * t + 1u] = b.y;
    out[4u * t + 2u] = b.z;
    out[4u * t + 3u] = b.w;
}

// (case, j) -> word j, through rng_word.
@compute @workgroup_size(WG)
fn words(@builtin(global_invocation_id) gid: vec3<u32>) {
    let t = gid.x;
    if (t >= arrayLength(&cases) * PER_CASE) {
        return;
    }
    let c = cases[t / PER_CASE];
    out[t] = rng_word(key_of(c), c.stream, c.step_lo, c.step_hi, t % PER_CASE);
}

// case -> (hi, lo) of seed_lo * n.
@compute @workgroup_size(WG)
fn mulhilo_test(@builtin(global_invocation_id) gid: vec3<u32>) {
    let t = gid.x;
    if (t >= arrayLength(&cases)) {
        return;
    }
    let c = cases[t];
    let p = mulhilo(c.seed_lo, c.n);
    out[2u * t] = p.x;
    out[2u * t + 1u] = p.y;
}

// (case, slot) -> indices 4 slot .. 4 slot + 3 of a batch with replacement, one Philox call
// per 4 indices as on the CPU.
@compute @workgroup_size(WG)
fn with_replacement(@builtin(global_invocation_id) gid: vec3<u32>) {
    let t = gid.x;
    if (t >= arrayLength(&cases) * PER_CASE) {
        return;
    }
    let c = cases[t / PER_CASE];
    let slot = t % PER_CASE;
    if (4u * slot >= c.len) {
        return;
    }
    var b = rng_block(key_of(c), c.stream, c.step_lo, c.step_hi, slot);
    for (var w = 0u; w < 4u; w = w + 1u) {
        let i = 4u * slot + w;
        if (i < c.len) {
            out[c.out_off + i] = bounded(b[w], c.n);
        }
    }
}

// case -> a whole batch without replacement (Floyd), single-threaded per batch.
@compute @workgroup_size(WG)
fn without_replacement(@builtin(global_invocation_id) gid: vec3<u32>) {
    let t = gid.x;
    if (t >= arrayLength(&cases)) {
        return;
    }
    let c = cases[t];
    let key = key_of(c);
    let k = min(c.len, c.n);
    var b = vec4<u32>(0u);
    for (var i = 0u; i < c.len; i = i + 1u) {
        if ((i & 3u) == 0u) {
            b = rng_block(key, c.stream, c.step_lo, c.step_hi, i >> 2u);
        }
        let pick = rng_floyd_pick(b[i & 3u], c.n, k, i);
        var seen = false;
        for (var m = 0u; m < i; m = m + 1u) {
            if (out[c.out_off + m] == pick.x) {
                seen = true;
                break;
            }
        }
        out[c.out_off + i] = select(pick.x, pick.y, seen);
    }
}
