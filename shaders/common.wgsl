// Shared declarations of every lane kernel: specialisation constants, bindings, the lane
// descriptor and the workgroup state of one lane. One workgroup owns one lane for a whole
// dispatch; x, y, v and the batch live in workgroup memory, the datasets in one storage buffer
// shared by all lanes.

// ---- specialisation (pipeline-creation constants, one pipeline per combination) ----
override LOSS: u32;            // 0 squared, 1 logistic
override COUPLING: u32;        // 0 prior, 1 logweight, 2 nonconvex
override HYPER: u32;           // 0 per_feature (P = D), 1 scalar (P = 1)
override D: u32;               // dimension of y
override P: u32;               // dimension of x
override BL: u32;              // lower batch size (the whole set when FULL_L)
override BU: u32;              // upper batch size (the whole set when FULL_U)
override FULL_L: bool = false;
override FULL_U: bool = false;
override WR: bool = false;     // batches without replacement (Floyd)
override WG: u32 = 64u;        // threads per lane (a power of two)
override MU: f32 = 0.0;
override LAM_Y: f32 = 0.0;
override NU: f32 = 0.0;
override T_INNER: u32 = 1u;    // T (tsgd, ud) or D (stocbio, aid-cg)
override Q_TERMS: u32 = 1u;    // Neumann terms or CG iterations
override INDEP_H: bool = false;// ssaid: independent Hessian batch
override RESET: bool = false;  // ud: restart y from y0 at every outer step
override CLIP: bool = false;   // ssaid: project v onto a ball of radius v_radius
override ALGO_CG: bool = false;// stocbio / aid-cg: conjugate gradient instead of Neumann

// Random streams (`rng::stream`).
const S_LOWER: u32 = 0u;
const S_UPPER: u32 = 1u;
const S_HVP: u32 = 2u;
const S_NEUMANN: u32 = 4u;

const NO_REPLACEMENT: u32 = 0xffffffffu;

// ---- bindings ----
struct Params {
    t0: u32,              // outer step of the first iteration of this dispatch
    n_steps: u32,         // outer steps to take
    lane_offset: u32,     // first lane of this dispatch
    n_lanes: u32,         // lanes in this dispatch
    n_lower: u32,
    n_upper: u32,
    row_lower: u32,       // first row of each set in `feats` / `labels`
    row_upper: u32,
    row_pool: u32,
    groups_x: u32,        // workgroups along x (lanes = y * groups_x + x)
    scratch_stride: u32,  // floats of scratch per lane
    n_test: u32,
    row_test: u32,
    n_pool: u32,
    group_size: u32,      // lanes per (configuration, seed) group: 1 + neighbours
    _pad1: u32,
    alpha: vec4<f32>,     // (kind, c, e, 0): kind 0 constant, 1 poly, 2 inv
    beta: vec4<f32>,
    gamma: vec4<f32>,
    eta: f32,
    v_radius: f32,
    y0: f32,
    _pad2: f32,
}

// One lane: its seed and which sample of each set it replaces by which pool row.
struct Lane {
    seed_lo: u32,
    seed_hi: u32,
    rep_lower: u32,       // replaced lower index, or NO_REPLACEMENT
    pool_lower: u32,      // pool row (relative to the pool) that replaces it
    rep_upper: u32,
    pool_upper: u32,
    base: u32,            // index of this lane's base lane (itself for a base lane)
    _pad: u32,
}

@group(0) @binding(0) var<uniform> prm: Params;
@group(0) @binding(1) var<storage, read> feats: array<f32>;
@group(0) @binding(2) var<storage, read> labels: array<f32>;
@group(0) @binding(3) var<storage, read> lanes: array<Lane>;
// Per lane, `P + 2 D` floats: x, then y, then v.
@group(0) @binding(4) var<storage, read_write> state: array<f32>;
// Per lane, `scratch_stride` floats (tsgd/ud: the unrolled inner iterates).
@group(0) @binding(5) var<storage, read_write> scratch: array<f32>;

// ---- workgroup state of the lane ----
const NB_EXTRA: u32 = 1u;
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
var<workgroup> za: array<f32, 2u * BL + BU>;
var<workgroup> zb: array<f32, 2u * BL + BU>;
// Reductions.
var<workgroup> part: array<f32, 2u * WG>;
var<workgroup> red: array<f32, WG>;
var<workgroup> uni: f32;

// Index of the hyperparameter coupled to coordinate j of y.
fn kx(j: u32) -> u32 {
    if (HYPER == 0u) { return j; }
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
