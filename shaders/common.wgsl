// Shared declarations of every lane kernel: bindings and the workgroup state of one lane.
// One workgroup owns one lane for a whole dispatch; x, y, v and the batch live in workgroup memory, the datasets in one storage buffer
// shared by all lanes.

// The override constants, the enum codes, the random streams and the structs `Params`,
// `Lane` and `RecordHead` are generated from `src/gpu/contract.rs` and composed in front of
// this file.

// ---- bindings ----
@group(0) @binding(0) var<uniform> prm: Params;
@group(0) @binding(1) var<storage, read> feats: array<f32>;
@group(0) @binding(2) var<storage, read> labels: array<f32>;
@group(0) @binding(3) var<storage, read> lanes: array<Lane>;
// Per lane, `P + 2 D` floats: x, then y, then v.
@group(0) @binding(4) var<storage, read_write> state: array<f32>;
// Per lane, `scratch_stride` floats: tsgd/ud's unrolled inner iterates, then the network's
// per-(slot, unit) values (`net.wgsl`).
@group(0) @binding(5) var<storage, read_write> scratch: array<f32>;
// Per seed (one block when seeds share their data), the rows of `feats` that make its lower,
// upper, pool and test sets, starting at prm.row_lower, row_upper, row_pool, row_test.
@group(0) @binding(7) var<storage, read> rowmap: array<u32>;

// ---- workgroup state of the lane ----
var<workgroup> sx: array<f32, P>;
var<workgroup> sy: array<f32, D>;
var<workgroup> sv: array<f32, D>;
var<workgroup> sh: array<f32, P>;
// Work vectors: `pt` and `sw` are the vectors the data pass dots with; ga, gb, gc receive
// its per-feature sums; su, sr, sd are algorithm-specific (u, residual, direction).
var<workgroup> pt: array<f32, D>;
var<workgroup> sw: array<f32, D>;
var<workgroup> ga: array<f32, D>;
var<workgroup> gb: array<f32, D>;
var<workgroup> gc: array<f32, D>;
var<workgroup> su: array<f32, D>;
var<workgroup> sr: array<f32, D>;
// The batch: lower rows at [0, BL), upper rows at [BL, BL + BU), an independent lower batch
// at [BL + BU, 2 BL + BU). Global row indices, the drawn sample indices, and the two dot
// products of each row, which the kernels overwrite in place with the per-sample
// coefficients (l'(z), l''(z) a.v) once read: 16 bytes of workgroup memory per slot.
var<workgroup> rows: array<u32, 2u * BL + BU>;
var<workgroup> picks: array<u32, 2u * BL + BU>;
var<workgroup> za: array<f32, (2u * BL + BU) * C>;
var<workgroup> zb: array<f32, (2u * BL + BU) * C>;
// Per-sample weights (data hyper-cleaning): each lower slot's J v term sigmoid'(x_i)
// grad_z l . (a . v), ZJ = 2 BL + BU slots (1 when x does not weigh the samples).
var<workgroup> zj: array<f32, ZJ>;
// Reductions.
var<workgroup> part: array<f32, 2u * WG>;
var<workgroup> red: array<f32, WG>;
var<workgroup> uni: f32;
// The lane's index within its dispatch (`ll`: its slice of the per-lane scratch), set by the
// lane loop before the first step.
var<private> lane_ll: u32;

// Whether x weighs the lower samples (data hyper-cleaning: P = n_lower, no coupling r).
fn weighted() -> bool {
    return COUPLING == COUPLING_SAMPLE_WEIGHT;
}

// Index of the hyperparameter coupled to coordinate j of y (class j / F, feature j % F when
// there are C > 1 classes: a per-feature x is shared by the classes, a per-class x by the
// features of its class).
fn kx(j: u32) -> u32 {
    if (HYPER == HYPER_PER_FEATURE) {
        if (C == 1u) { return j; }
        return j % F;
    }
    if (HYPER == HYPER_PER_CLASS) { return j / F; }
    return 0u;
}

// A step-size schedule at outer step t (`Schedule::at`).
fn sched(s: vec4<f32>, t: u32) -> f32 {
    let t1 = f32(t) + 1.0;
    if (s.x == 1.0) { return s.y / pow(t1, s.z); }
    if (s.x == 2.0) { return s.y / t1; }
    return s.y;
}

// The lane of this workgroup (uniform across the workgroup).
fn lane_index(wid: vec3<u32>) -> u32 {
    return prm.lane_offset + wid.y * prm.groups_x + wid.x;
}

fn state_base(lane: u32) -> u32 {
    return lane * (P + 2u * D);
}

fn load_state(tid: u32, lane: u32) {
    let b = state_base(lane);
    for (var j = tid; j < P; j += WG) { sx[j] = state[b + j]; }
    for (var j = tid; j < D; j += WG) {
        sy[j] = state[b + P + j];
        sv[j] = state[b + P + D + j];
    }
}

fn store_state(tid: u32, lane: u32) {
    let b = state_base(lane);
    for (var j = tid; j < P; j += WG) { state[b + j] = sx[j]; }
    for (var j = tid; j < D; j += WG) {
        state[b + P + j] = sy[j];
        state[b + P + D + j] = sv[j];
    }
}

// Sum of `v` over the workgroup, the same value returned to every thread (a uniform value,
// so it may steer loops that contain barriers). Fixed tree order: deterministic.
fn wg_sum(tid: u32, v: f32) -> f32 {
    red[tid] = v;
    workgroupBarrier();
    for (var s = WG / 2u; s > 0u; s = s >> 1u) {
        if (tid < s) { red[tid] = red[tid] + red[tid + s]; }
        workgroupBarrier();
    }
    if (tid == 0u) { uni = red[0]; }
    let r = workgroupUniformLoad(&uni);
    return r;
}
