// The thread-per-lane form of a step kernel (`run.gpu_lane_threads`): one thread owns a lane
// for the whole dispatch, its x, y, v in private memory, with no barrier at all; a seed's base
// lane and its neighbours are consecutive lanes, so they run in neighbouring threads and read
// the same batch rows together. The algorithm's file defines `fn lt_step(ln, ll, t)` (ll: the
// lane's index within the dispatch, for its scratch). For the linear model with a scalar loss,
// a per-feature or scalar x, batches drawn with replacement and d <= LT_D (the engine picks
// this form only then: `uses_lane_threads`).

// The largest d this kernel takes: private arrays need a size fixed at shader creation.
const LT_D: u32 = 32u;

var<private> lx: array<f32, LT_D>;
var<private> ly: array<f32, LT_D>;
var<private> lv: array<f32, LT_D>;
// Work vectors of the step (ssaid: grad_y g, H v, grad_y f; tsgd: an iterate, H u, u, h).
var<private> lg: array<f32, LT_D>;
var<private> lh: array<f32, LT_D>;
var<private> lu: array<f32, LT_D>;
var<private> lw: array<f32, LT_D>;

// Global row of slot i of the batch of `stream` at step counter `step` on the lower or upper set, as
// this lane sees it (its replaced sample swapped in): `draw` of batch.wgsl for one thread.
fn lt_row(ln: Lane, upper: bool, stream: u32, step: vec2<u32>, i: u32) -> u32 {
    let n = select(prm.n_lower, prm.n_upper, upper);
    let w = rng_word(rng_key(ln.seed_lo, ln.seed_hi), stream, step.x, step.y, i);
    return lane_row(ln, upper, bounded(w, n));
}

// The data sums of one batch (`stream` at `step`, BL lower or BU upper slots) at y, and v:
// l'(a . y, b) a into g (`grad`) and l''(a . y, b) (a . v) a into h (`hess`), each in slot
// order from zero, not yet divided by the batch size (the oracles' linear pass for one lane).
// An output not asked for is neither cleared nor written (WGSL forbids aliased arguments, so
// callers pass some other array there).
fn lt_pass(ln: Lane, upper: bool, stream: u32, step: vec2<u32>,
           y: ptr<private, array<f32, LT_D>>, v: ptr<private, array<f32, LT_D>>,
           g: ptr<private, array<f32, LT_D>>, h: ptr<private, array<f32, LT_D>>,
           grad: bool, hess: bool) {
    for (var j = 0u; j < D; j++) {
        if (grad) { (*g)[j] = 0.0; }
        if (hess) { (*h)[j] = 0.0; }
    }
    let count = select(BL, BU, upper);
    for (var s = 0u; s < count; s++) {
        let r = lt_row(ln, upper, stream, step, s);
        let base = r * F;
        var z = 0.0;
        var av = 0.0;
        for (var j = 0u; j < D; j++) {
            let a = feats[base + j];
            z = z + a * (*y)[j];
            if (hess) { av = av + a * (*v)[j]; }
        }
        let b = labels[r];
        // Only the coefficients asked for (each costs exponentials).
        var c1 = 0.0;
        var c2 = 0.0;
        if (grad) { c1 = loss_d1(z, b); }
        if (hess) { c2 = loss_d2(z, b) * av; }
        for (var j = 0u; j < D; j++) {
            let a = feats[base + j];
            if (grad) { (*g)[j] = (*g)[j] + c1 * a; }
            if (hess) { (*h)[j] = (*h)[j] + c2 * a; }
        }
    }
}

// The coupled hyperparameter of coordinate j (`kx` for the shapes this form takes).
fn lt_kx(j: u32) -> u32 {
    return select(0u, j, HYPER == HYPER_PER_FEATURE);
}

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
    let lane = prm.lane_offset + (wid.y * prm.groups_x + wid.x) * WG + lid.x;
    if (lane >= prm.lane_offset + prm.n_lanes) { return; }
    let ln = lanes[lane];
    if (ln.dead != 0u) { return; }
    let b = state_base(lane);
    for (var j = 0u; j < P; j++) { lx[j] = state[b + j]; }
    for (var j = 0u; j < D; j++) {
        ly[j] = state[b + P + j];
        lv[j] = state[b + P + D + j];
    }
    for (var it = 0u; it < prm.n_steps; it++) {
        lt_step(ln, lane - prm.lane_offset, prm.t0 + it);
        // problem.x_box (`ProblemSpec::project_x`); comparisons keep a NaN a NaN.
        if (X_BOX) {
            for (var j = 0u; j < P; j++) {
                let v = lx[j];
                lx[j] = select(select(v, X_HI, v > X_HI), X_LO, v < X_LO);
            }
        }
    }
    for (var j = 0u; j < P; j++) { state[b + j] = lx[j]; }
    for (var j = 0u; j < D; j++) {
        state[b + P + j] = ly[j];
        state[b + P + D + j] = lv[j];
    }
    limit_probe();
}
