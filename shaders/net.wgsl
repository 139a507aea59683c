// The one-hidden-layer network lower model (twin of `src/problem/mlp.rs`): a sample's outputs
// are z = W2 act(W1 a + b1) + b2 with NH hidden units and C outputs, and y (D entries) is
// [W1 (NH x F, unit-major) | b1 (NH) | W2 (C x NH) | b2 (C)]. NH = 0 is the linear model, and
// none of this is used.
//
// A data pass on the batch slots [first, first + count) at pt = y (and along sw = v):
//   net_forward: per (slot, unit) the hidden activation t = act(s), act'(s), act''(s) of
//                s = a . W1_k + b1_k, with the tangent s' = a . V1_k + c1_k and t' = act'(s) s'
//                when `tan`; then per (slot, output) z into za and z' into zb;
//   coef_slot:   turns z into g = dl/dz (za) and z' into H_z z' (zb), times the sample's weight
//                (the same per-slot step as the linear model's);
//   net_deltas:  per (slot, unit) delta = act'(s) e and, with `tan`,
//                delta' = act'(s) (V2^T g + W2^T g')_k + act''(s) s' e, e = (W2^T g)_k;
//   net_accum:   per coordinate of y the sum over the slots in slot order (W1: delta a^T,
//                b1: delta, W2: g t^T, b2: g; their tangents for the Hessian product).
// The per-(slot, unit) values live in the lane's scratch (7 arrays of (2 BL + BU) x NH floats
// at the end of its `scratch_stride`); the outputs in za / zb, C per slot as for the
// multinomial loss.

// Most hidden units the metrics kernel's per-row forward pass keeps in a thread's registers.
const NET_MAX_HIDDEN: u32 = 128u;

// Offsets of b1, W2 and b2 in y. (Divisions by NH are written max(NH, 1): the linear model's
// NH = 0 would otherwise be a constant division by zero, which pipeline creation refuses.)
fn net_b1() -> u32 { return NH * F; }
fn net_w2() -> u32 { return NH * F + NH; }
fn net_b2() -> u32 { return NH * F + NH + C * NH; }

// The scratch arrays: 0 t, 1 act', 2 act'', 3 s', 4 t', 5 delta, 6 delta'.
fn net_at(arr: u32, s: u32, k: u32) -> u32 {
    let slots = 2u * BL + BU;
    let base = lane_ll * prm.scratch_stride + prm.scratch_stride - 7u * slots * NH;
    return base + (arr * slots + s) * NH + k;
}

// (act(s), act'(s), act''(s)): tanh (ACT 0) or softplus (ACT 1).
fn net_act(s: f32) -> vec3<f32> {
    if (ACT == 0u) {
        let t = tanh(s);
        let d = 1.0 - t * t;
        return vec3<f32>(t, d, -2.0 * t * d);
    }
    let p = sigmoid(s);
    return vec3<f32>(softplus(s), p, p * sigmoid(-s));
}

// The forward pass of the slots [first, first + count) at pt (and its tangent along sw with
// `tan`): hidden values into scratch, z into za and z' into zb (C per slot). Ends with a
// barrier.
fn net_forward(tid: u32, first: u32, count: u32, tan: bool) {
    let b1 = net_b1();
    for (var q = tid; q < count * NH; q += WG) {
        let s = first + q / max(NH, 1u);
        let k = q % max(NH, 1u);
        let r = rows[s] * F;
        var a = 0.0;
        var b = 0.0;
        for (var j = 0u; j < F; j++) {
            let f = feats[r + j];
            a = a + f * pt[k * F + j];
            if (tan) { b = b + f * sw[k * F + j]; }
        }
        let act = net_act(a + pt[b1 + k]);
        scratch[net_at(0u, s, k)] = act.x;
        scratch[net_at(1u, s, k)] = act.y;
        scratch[net_at(2u, s, k)] = act.z;
        if (tan) {
            let sd = b + sw[b1 + k];
            scratch[net_at(3u, s, k)] = sd;
            scratch[net_at(4u, s, k)] = act.y * sd;
        }
    }
    workgroupBarrier();
    storageBarrier();
    let w2 = net_w2();
    let b2 = net_b2();
    for (var q = tid; q < count * C; q += WG) {
        let s = first + q / C;
        let o = q % C;
        var z = pt[b2 + o];
        for (var k = 0u; k < NH; k++) { z = z + pt[w2 + o * NH + k] * scratch[net_at(0u, s, k)]; }
        za[s * C + o] = z;
        if (tan) {
            var zd = sw[b2 + o];
            for (var k = 0u; k < NH; k++) {
                zd = zd + sw[w2 + o * NH + k] * scratch[net_at(0u, s, k)]
                    + pt[w2 + o * NH + k] * scratch[net_at(4u, s, k)];
            }
            zb[s * C + o] = zd;
        }
    }
    workgroupBarrier();
}

// The reverse pass's per-(slot, unit) values after `coef_slot` (za = g, zb = H_z z'): delta
// and, with `tan`, delta' into scratch. Ends with a barrier.
fn net_deltas(tid: u32, first: u32, count: u32, tan: bool) {
    let w2 = net_w2();
    for (var q = tid; q < count * NH; q += WG) {
        let s = first + q / max(NH, 1u);
        let k = q % max(NH, 1u);
        var e = 0.0;
        var ed = 0.0;
        for (var o = 0u; o < C; o++) {
            let g = za[s * C + o];
            e = e + pt[w2 + o * NH + k] * g;
            if (tan) { ed = ed + sw[w2 + o * NH + k] * g + pt[w2 + o * NH + k] * zb[s * C + o]; }
        }
        let a1 = scratch[net_at(1u, s, k)];
        scratch[net_at(5u, s, k)] = a1 * e;
        if (tan) {
            scratch[net_at(6u, s, k)] =
                a1 * ed + scratch[net_at(2u, s, k)] * scratch[net_at(3u, s, k)] * e;
        }
    }
    workgroupBarrier();
    storageBarrier();
}

// Per coordinate j of y, the average over the slots [first, first + count) of the sample's
// gradient (into dst1 when `one`) and its tangent (into dst2 when `two`), as `accum` does for
// the linear model (`put`'s work vectors; each thread writes only its own coordinates).
fn net_accum(tid: u32, first: u32, count: u32, one: bool, dst1: u32, two: bool, dst2: u32) {
    let inv = 1.0 / f32(count);
    let b1 = net_b1();
    let w2 = net_w2();
    let b2 = net_b2();
    for (var j = tid; j < D; j += WG) {
        var a1 = 0.0;
        var a2 = 0.0;
        for (var i = 0u; i < count; i++) {
            let s = first + i;
            if (j < b1) {
                let x = feats[rows[s] * F + j % F];
                let k = j / F;
                if (one) { a1 = a1 + scratch[net_at(5u, s, k)] * x; }
                if (two) { a2 = a2 + scratch[net_at(6u, s, k)] * x; }
            } else if (j < w2) {
                let k = j - b1;
                if (one) { a1 = a1 + scratch[net_at(5u, s, k)]; }
                if (two) { a2 = a2 + scratch[net_at(6u, s, k)]; }
            } else if (j < b2) {
                let o = (j - w2) / max(NH, 1u);
                let k = (j - w2) % max(NH, 1u);
                let g = za[s * C + o];
                let t = scratch[net_at(0u, s, k)];
                if (one) { a1 = a1 + g * t; }
                if (two) { a2 = a2 + (zb[s * C + o] * t + g * scratch[net_at(4u, s, k)]); }
            } else {
                let o = j - b2;
                if (one) { a1 = a1 + za[s * C + o]; }
                if (two) { a2 = a2 + zb[s * C + o]; }
            }
        }
        if (one) { put(dst1, j, a1 * inv); }
        if (two) { put(dst2, j, a2 * inv); }
    }
}

// The hidden activations of global row r at y = sy, into `th` (the metrics kernel's per-row
// forward pass, one thread per row; at most NET_MAX_HIDDEN units, which the engine checks).
fn net_row_hidden(r: u32, th: ptr<function, array<f32, NET_MAX_HIDDEN>>) {
    let b1 = net_b1();
    for (var k = 0u; k < NH; k++) {
        var a = 0.0;
        for (var j = 0u; j < F; j++) { a = a + feats[r * F + j] * sy[k * F + j]; }
        (*th)[k] = net_act(a + sy[b1 + k]).x;
    }
}

// Output o of the row whose hidden activations are `th`, at y = sy.
fn net_row_output(th: ptr<function, array<f32, NET_MAX_HIDDEN>>, o: u32) -> f32 {
    let w2 = net_w2();
    var z = sy[net_b2() + o];
    for (var k = 0u; k < NH; k++) { z = z + sy[w2 + o * NH + k] * (*th)[k]; }
    return z;
}
