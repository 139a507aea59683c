// Metrics of a logging step, one workgroup per (configuration, seed) group: the base lane
// measures its distance to each neighbour and its own losses, so that one small record per
// group travels back instead of every lane's state (twin of `Group::record` in
// `src/cpu/mod.rs`). Group g's base lane is lane g * group_size; its neighbours follow.
//
// Record per group: a `RecordHead` (RECORD_HEAD floats, fields in `src/gpu/contract.rs`),
// then x (P) and y (D) of the base lane.
// `finite` (binding 5, one u32 per lane) says which lanes are still finite and within
// `prm.bound` (and not already diverged).

@group(0) @binding(5) var<storage, read_write> finite: array<u32>;
@group(0) @binding(6) var<storage, read_write> record: array<f32>;

// 1 when lane `l` has not diverged and every coordinate of its state is finite and within
// `prm.bound`. Finiteness is tested on the exponent bits: WGSL lets compilers assume floats
// are never NaN or infinite, so a float comparison alone could be folded away.
fn lane_finite(tid: u32, l: u32) -> f32 {
    let b = state_base(l);
    var ok = select(1.0, 0.0, lanes[l].dead != 0u);
    for (var j = tid; j < P + 2u * D; j += WG) {
        let v = state[b + j];
        if ((bitcast<u32>(v) & 0x7f800000u) == 0x7f800000u || abs(v) > prm.bound) { ok = 0.0; }
    }
    return select(0.0, 1.0, wg_sum(tid, ok) == f32(WG));
}

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
    let tid = lid.x;
    let g = lane_index(wid);
    if (g >= prm.lane_offset + prm.n_lanes) { return; }
    let base = g * prm.group_size;
    let ln = lanes[base];
    load_state(tid, base);
    workgroupBarrier();
    let o = g * (RECORD_HEAD + P + D);

    let base_ok = lane_finite(tid, base);
    if (tid == 0u) { finite[base] = u32(base_ok); }
    var acc = array<f32, 6>(0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
    for (var i = 1u; i < prm.group_size; i++) {
        let l = base + i;
        let ok = lane_finite(tid, l);
        if (tid == 0u) { finite[l] = u32(ok); }
        let b = state_base(l);
        var dx = 0.0;
        var dy = 0.0;
        for (var j = tid; j < P; j += WG) { let d = state[b + j] - sx[j]; dx = dx + d * d; }
        for (var j = tid; j < D; j += WG) { let d = state[b + P + j] - sy[j]; dy = dy + d * d; }
        let sdx = wg_sum(tid, dx);
        let sdy = wg_sum(tid, dy);
        if (ok == 1.0) {
            acc[0] += sqrt(sdx);
            acc[1] += sqrt(sdy);
            acc[2] += sqrt(sdx + sdy);
            acc[3] += sdx;
            acc[4] += sdy;
            acc[5] += 1.0;
        }
    }
    let val = set_loss(tid, ln, 1u, prm.n_upper);
    let tst = set_loss(tid, ln, 2u, prm.n_test);
    let low = set_loss(tid, ln, 0u, prm.n_lower);
    var reg = 0.0;
    var xx = 0.0;
    for (var j = tid; j < D; j += WG) {
        reg = reg + cp_value(sx[kx(j)], sy[j]) + 0.5 * LAM_Y * sy[j] * sy[j];
    }
    for (var j = tid; j < P; j += WG) { xx = xx + sx[j] * sx[j]; }
    let regs = wg_sum(tid, reg);
    let xxs = wg_sum(tid, xx);
    if (tid == 0u) {
        var h: RecordHead;
        h.dist_x = acc[0];
        h.dist_y = acc[1];
        h.dist_xy = acc[2];
        h.dist_x_sq = acc[3];
        h.dist_y_sq = acc[4];
        h.n_finite = acc[5];
        h.val_loss = val.x;
        h.test_loss = tst.x;
        h.lower_data_loss = low.x;
        h.lower_reg = regs;
        h.val_acc = val.y;
        h.test_acc = tst.y;
        h.base_finite = base_ok;
        h.x_sq = xxs;
        var w = record_head_words(h);
        for (var q = 0u; q < RECORD_HEAD; q++) { record[o + q] = w[q]; }
    }
    for (var j = tid; j < P; j += WG) { record[o + RECORD_HEAD + j] = sx[j]; }
    for (var j = tid; j < D; j += WG) { record[o + RECORD_HEAD + P + j] = sy[j]; }
    // A software adapter's loop limit (see `limit_probe` in memory.wgsl): flagged after the
    // lanes' finite flags.
    var probe = 0u;
    let want = min(prm.n_lanes, 1u) + 1u;
    for (var q = 0u; q < want; q++) { probe += 1u; }
    if (probe < want) { finite[prm.limit_flag] = 2u; }
}
