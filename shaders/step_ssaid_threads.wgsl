// ssaid with one thread per lane (twin of `src/algo/methods/ssaid.rs`, as `step_ssaid.wgsl`
// but mapped otherwise): for small d a workgroup per lane leaves most of its threads idle in
// the per-feature phases and takes a barrier per phase, while a thread per lane keeps its
// lane's x, y, v in private memory and takes no barrier at all. A seed's base lane and its
// neighbours are consecutive lanes, so they sit in consecutive threads of one subgroup and
// read the same batch rows at the same time (one broadcast read instead of one per lane).
//   y+ = y - beta grad_y g_zeta(x, y)
//   v+ = v - gamma (H_zeta'(x, y) v - grad_y f_xi(x, y))
//   x+ = x - alpha (grad_x f - J(x, y) v)
// For the linear model with a scalar loss, a per-feature or scalar x and batches drawn with
// replacement, d <= LT_D (the engine picks this kernel only then: `GpuRunOptions::lane_threads`).
// Sums run in the CPU's order (samples, then features; J v of a scalar x in feature order).

// The largest d this kernel takes: private arrays need a size fixed at shader creation.
const LT_D: u32 = 32u;

var<private> lx: array<f32, LT_D>;
var<private> ly: array<f32, LT_D>;
var<private> lv: array<f32, LT_D>;
// grad_y g, H v and grad_y f of the step, per coordinate.
var<private> lg: array<f32, LT_D>;
var<private> lh: array<f32, LT_D>;
var<private> lu: array<f32, LT_D>;

// Global row of slot i of the batch of `stream` at outer step t on the lower or upper set, as
// this lane sees it (its replaced sample swapped in): `draw` of batch.wgsl for one thread.
fn lt_row(ln: Lane, upper: bool, stream: u32, t: u32, i: u32) -> u32 {
    let n = select(prm.n_lower, prm.n_upper, upper);
    let w = rng_word(rng_key(ln.seed_lo, ln.seed_hi), stream, t, 0u, i);
    return lane_row(ln, upper, bounded(w, n));
}

// The lower batch's data sums at (y, v): w l'(a.y, b) a into lg (`grad`) and l''(a.y, b)
// (a.v) a into lh (`hess`), not yet divided by the batch size.
fn lt_lower_pass(ln: Lane, stream: u32, t: u32, grad: bool, hess: bool) {
    for (var s = 0u; s < BL; s++) {
        let r = lt_row(ln, false, stream, t, s);
        let base = r * F;
        var z = 0.0;
        var av = 0.0;
        for (var j = 0u; j < D; j++) {
            let a = feats[base + j];
            z = z + a * ly[j];
            av = av + a * lv[j];
        }
        let b = labels[r];
        let c1 = loss_d1(z, b);
        let c2 = loss_d2(z, b) * av;
        for (var j = 0u; j < D; j++) {
            let a = feats[base + j];
            if (grad) { lg[j] = lg[j] + c1 * a; }
            if (hess) { lh[j] = lh[j] + c2 * a; }
        }
    }
}

fn lt_step(ln: Lane, t: u32) {
    let alpha = sched(prm.alpha, t);
    let beta = sched(prm.beta, t);
    let gamma = sched(prm.gamma, t);
    for (var j = 0u; j < D; j++) {
        lg[j] = 0.0;
        lh[j] = 0.0;
        lu[j] = 0.0;
    }
    if (INDEP_H) {
        lt_lower_pass(ln, S_LOWER, t, true, false);
        lt_lower_pass(ln, S_HVP, t, false, true);
    } else {
        lt_lower_pass(ln, S_LOWER, t, true, true);
    }
    for (var s = 0u; s < BU; s++) {
        let r = lt_row(ln, true, S_UPPER, t, s);
        let base = r * F;
        var z = 0.0;
        for (var j = 0u; j < D; j++) { z = z + feats[base + j] * ly[j]; }
        let c = loss_d1(z, labels[r]);
        for (var j = 0u; j < D; j++) { lu[j] = lu[j] + c * feats[base + j]; }
    }
    // Per coordinate, at the old x: grad_y g and H v with their regularisers; grad_y f.
    let il = 1.0 / f32(BL);
    let iu = 1.0 / f32(BU);
    for (var j = 0u; j < D; j++) {
        let xk = lx[select(0u, j, HYPER == HYPER_PER_FEATURE)];
        lg[j] = lg[j] * il + cp_dy(xk, ly[j]) + LAM_Y * ly[j];
        lh[j] = lh[j] * il + (cp_dyy(xk, ly[j]) + LAM_Y) * lv[j];
        lu[j] = lu[j] * iu;
    }
    // x at the old (y, v): x -= alpha (NU x - J v).
    if (HYPER == HYPER_PER_FEATURE) {
        for (var j = 0u; j < D; j++) {
            let xk = lx[j];
            lx[j] = xk - alpha * (NU * xk - cp_dxy(xk, ly[j]) * lv[j]);
        }
    } else {
        var jv = 0.0;
        for (var j = 0u; j < D; j++) { jv = jv + cp_dxy(lx[0], ly[j]) * lv[j]; }
        lx[0] = lx[0] - alpha * (NU * lx[0] - jv);
    }
    for (var j = 0u; j < D; j++) {
        ly[j] = ly[j] - beta * lg[j];
        lv[j] = lv[j] - gamma * (lh[j] - lu[j]);
    }
    if (CLIP) {
        var q = 0.0;
        for (var j = 0u; j < D; j++) { q = q + lv[j] * lv[j]; }
        let nrm = sqrt(q);
        if (nrm > prm.v_radius) {
            let s = prm.v_radius / nrm;
            for (var j = 0u; j < D; j++) { lv[j] = lv[j] * s; }
        }
    }
    if (X_BOX) {
        for (var j = 0u; j < P; j++) {
            let v = lx[j];
            lx[j] = select(select(v, X_HI, v > X_HI), X_LO, v < X_LO);
        }
    }
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
        lt_step(ln, prm.t0 + it);
    }
    for (var j = 0u; j < P; j++) { state[b + j] = lx[j]; }
    for (var j = 0u; j < D; j++) {
        state[b + P + j] = ly[j];
        state[b + P + D + j] = lv[j];
    }
    limit_probe();
}
