// Per-lane metrics at a logging step, so that only a few floats per lane travel back:
//   neighbour lanes: |x - x_base|^2, |y - y_base|^2;
//   base lanes: validation and test data loss and accuracy, lower data loss, the regulariser
//   of g, |x|^2;  every lane: whether its state is finite.
// Output per lane (METRIC_STRIDE floats):
//   0 dist_x_sq, 1 dist_y_sq, 2 val_loss, 3 test_loss, 4 lower_loss, 5 lower_reg,
//   6 val_acc, 7 test_acc, 8 finite (1 or 0), 9 |x|^2

const METRIC_STRIDE: u32 = 12u;

@group(0) @binding(6) var<storage, read_write> mout: array<f32>;
var<workgroup> is_base_flag: u32;

// Mean loss and accuracy of y = sy over `count` samples of a set (rows from lane_row, or the
// test rows when `test`).
fn set_loss(tid: u32, ln: Lane, which: u32, count: u32) -> vec2<f32> {
    var l = 0.0;
    var acc = 0.0;
    for (var i = tid; i < count; i += WG) {
        var r = 0u;
        if (which == 0u) { r = lane_row(ln, false, i); }
        else if (which == 1u) { r = lane_row(ln, true, i); }
        else { r = prm.row_test + i; }
        var z = 0.0;
        for (var j = 0u; j < D; j++) { z = z + feats[r * D + j] * sy[j]; }
        let b = labels[r];
        l = l + loss_value(z, b);
        if (z * b > 0.0) { acc = acc + 1.0; }
    }
    let ls = wg_sum(tid, l);
    let ac = wg_sum(tid, acc);
    return vec2<f32>(ls / f32(count), ac / f32(count));
}

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
    let tid = lid.x;
    let lane = lane_index(wid);
    if (lane >= prm.lane_offset + prm.n_lanes) { return; }
    let ln = lanes[lane];
    load_state(tid, lane);
    workgroupBarrier();
    let o = lane * METRIC_STRIDE;

    var fin = 1.0;
    var dx = 0.0;
    var dy = 0.0;
    var xx = 0.0;
    let bb = state_base(ln.base);
    for (var j = tid; j < P; j += WG) {
        let d = sx[j] - state[bb + j];
        dx = dx + d * d;
        xx = xx + sx[j] * sx[j];
    }
    for (var j = tid; j < D; j += WG) {
        let d = sy[j] - state[bb + P + j];
        dy = dy + d * d;
    }
    for (var j = tid; j < P; j += WG) { if (!(abs(sx[j]) <= 3.4e38)) { fin = 0.0; } }
    for (var j = tid; j < D; j += WG) {
        if (!(abs(sy[j]) <= 3.4e38) || !(abs(sv[j]) <= 3.4e38)) { fin = 0.0; }
    }
    let dxs = wg_sum(tid, dx);
    let dys = wg_sum(tid, dy);
    let xxs = wg_sum(tid, xx);
    let fins = wg_sum(tid, fin);
    if (tid == 0u) {
        mout[o + 0u] = dxs;
        mout[o + 1u] = dys;
        mout[o + 8u] = select(0.0, 1.0, fins == f32(WG));
        mout[o + 9u] = xxs;
    }
    if (tid == 0u) { is_base_flag = select(0u, 1u, ln.base == lane); }
    if (workgroupUniformLoad(&is_base_flag) == 1u) {
        let val = set_loss(tid, ln, 1u, prm.n_upper);
        let tst = set_loss(tid, ln, 2u, max(prm.n_test, 1u));
        let low = set_loss(tid, ln, 0u, prm.n_lower);
        var reg = 0.0;
        for (var j = tid; j < D; j += WG) {
            reg = reg + cp_value(sx[kx(j)], sy[j]) + 0.5 * LAM_Y * sy[j] * sy[j];
        }
        let regs = wg_sum(tid, reg);
        if (tid == 0u) {
            mout[o + 2u] = val.x;
            mout[o + 3u] = tst.x;
            mout[o + 4u] = low.x;
            mout[o + 5u] = regs;
            mout[o + 6u] = val.y;
            mout[o + 7u] = tst.y;
        }
    }
}
