// The oracles of the lane kernels, named after the CPU oracles they twin
// (`src/problem/oracles/`), and the data passes they are made of:
//   dots:   za[k] = a_k . pt  and (optionally) zb[k] = a_k . sw  for the rows of a batch;
//   accum:  out_j = (1/count) sum_k za[k] a_kj  (and the same with zb), feature by feature.
// Between them the kernel turns the dot products into per-sample coefficients (l', l'' a.v),
// in place.
// Threads split a row's features in phase dots (TPS threads per sample, interleaved so that
// neighbouring threads read neighbouring floats) and own whole features in phase accum.
// Rows are F floats wide (the data's columns); y has D = C F entries for the linear models (C
// classes of the multinomial loss, else 1). The network lower model has its own passes
// (`net.wgsl`), which the oracles below take when NH > 0.

// Dot products with pt (and sw when `two`) of rows[first..first + count]. Ends with a barrier.
// Large batches: one thread per sample, no synchronisation inside. Small batches (fewer
// samples than half the workgroup): TPS = WG / count threads share a row, interleaved so that
// neighbouring threads read neighbouring floats, and their partial sums meet in `part`.
fn dots(tid: u32, first: u32, count: u32, one: bool, two: bool) {
    // C > 1 classes: one (slot, class) dot product per thread, za[slot C + class].
    if (C > 1u) {
        for (var q = tid; q < count * C; q += WG) {
            let s = q / C;
            let c = q % C;
            let r = rows[first + s] * F;
            var a = 0.0;
            var b = 0.0;
            for (var j = 0u; j < F; j++) {
                let f = feats[r + j];
                if (one) { a = a + f * pt[c * F + j]; }
                if (two) { b = b + f * sw[c * F + j]; }
            }
            if (one) { za[(first + s) * C + c] = a; }
            if (two) { zb[(first + s) * C + c] = b; }
        }
        workgroupBarrier();
        return;
    }
    if (2u * count >= WG) {
        for (var s = tid; s < count; s += WG) {
            let r = rows[first + s] * F;
            var a = 0.0;
            var b = 0.0;
            for (var j = 0u; j < F; j++) {
                let f = feats[r + j];
                if (one) { a = a + f * pt[j]; }
                if (two) { b = b + f * sw[j]; }
            }
            if (one) { za[first + s] = a; }
            if (two) { zb[first + s] = b; }
        }
        workgroupBarrier();
        return;
    }
    let tps = WG / max(count, 1u);
    let s = tid / tps;
    let c = tid % tps;
    var a = 0.0;
    var b = 0.0;
    if (s < count) {
        let r = rows[first + s] * F;
        for (var j = c; j < F; j += tps) {
            let f = feats[r + j];
            if (one) { a = a + f * pt[j]; }
            if (two) { b = b + f * sw[j]; }
        }
    }
    part[tid] = a;
    part[WG + tid] = b;
    workgroupBarrier();
    if (tid < count) {
        var sa = 0.0;
        var sb = 0.0;
        for (var q = 0u; q < tps; q++) {
            sa = sa + part[tid * tps + q];
            sb = sb + part[WG + tid * tps + q];
        }
        if (one) { za[first + tid] = sa; }
        if (two) { zb[first + tid] = sb; }
    }
    workgroupBarrier();
}

// Coordinate j of grad_y g from its data term: + dr/dy + lam_y y (the regulariser part every
// kernel adds per owned feature; reads x through kx, so call it before x changes).
fn grad_y_g_at(j: u32, data: f32, y: f32) -> f32 {
    return data + cp_dy(sx[kx(j)], y) + LAM_Y * y;
}

// Coordinate j of H v from its data term: + (d2r/dy2 + lam_y) v.
fn hvp_at(j: u32, data: f32, y: f32, v: f32) -> f32 {
    return data + (cp_dyy(sx[kx(j)], y) + LAM_Y) * v;
}

// Term j of J(x, y) v = d2r/dxdy v (per feature: coordinate j; scalar x: summed over j).
fn jvp_at(j: u32, y: f32, v: f32) -> f32 {
    return cp_dxy(sx[kx(j)], y) * v;
}

// The implicit-differentiation x step at (sx, sy, sv): x -= alpha (grad_x f - J(x, y) v),
// with grad_x f = NU x (twin of `implicit_x_step` in `src/algo/mod.rs`). Ends with a barrier.
fn implicit_x_step(tid: u32, alpha: f32) {
    // Per-sample weights: J v is sparse, at the lower batch's drawn indices (sh).
    if (HYPER == HYPER_PER_SAMPLE) {
        sample_jv(tid);
        for (var i = tid; i < P; i += WG) { sx[i] = sx[i] - alpha * (NU * sx[i] - sh[i]); }
        workgroupBarrier();
        return;
    }
    // Per-class x: J v of class c sums the coordinates of its block, one reduction per class.
    if (HYPER == HYPER_PER_CLASS) {
        class_jv(tid);
        for (var c = tid; c < P; c += WG) { sx[c] = sx[c] - alpha * (NU * sx[c] - sh[c]); }
        workgroupBarrier();
        return;
    }
    // C classes share a per-feature x: J v sums over the classes of feature f, in class order
    // (the CPU's order).
    if (HYPER == HYPER_PER_FEATURE && C > 1u) {
        // Other threads may still read x_f for their coordinates c F + f.
        workgroupBarrier();
        for (var f = tid; f < P; f += WG) {
            let xk = sx[f];
            var jv = 0.0;
            for (var c = 0u; c < C; c++) {
                let j = c * F + f;
                jv = jv + jvp_at(j, sy[j], sv[j]);
            }
            sx[f] = xk - alpha * (NU * xk - jv);
        }
        workgroupBarrier();
        return;
    }
    var jv_part = 0.0;
    for (var j = tid; j < D; j += WG) {
        let xk = sx[kx(j)];
        let jv = jvp_at(j, sy[j], sv[j]);
        if (HYPER == HYPER_PER_FEATURE) {
            sx[j] = xk - alpha * (NU * xk - jv);
        } else {
            jv_part = jv_part + jv;
        }
    }
    if (HYPER == HYPER_SCALAR) {
        let jv = wg_sum(tid, jv_part);
        if (tid == 0u) { sx[0] = sx[0] - alpha * (NU * sx[0] - jv); }
    }
    workgroupBarrier();
}

// Label of batch slot k.
fn lab(k: u32) -> f32 {
    return labels[rows[k]];
}

// Writes v to feature j of work vector `dst` (0 ga, 1 gb, 2 gc, 3 su, 4 sr).
fn put(dst: u32, j: u32, v: f32) {
    switch dst {
        case 0u: { ga[j] = v; }
        case 1u: { gb[j] = v; }
        case 3u: { su[j] = v; }
        case 4u: { sr[j] = v; }
        default: { gc[j] = v; }
    }
}

// Per-coordinate averages over rows[first..first + count] weighted by the coefficients in za
// (into dst1, when `one`) and zb (into dst2, when `two`): coordinate j = c F + f of y takes
// feature f of each row times the slot's class-c coefficient (c = 0 with one output). Each
// thread writes only the coordinates it owns (j = tid, tid + WG, ...), so the caller may read
// them back without a barrier.
fn accum(tid: u32, first: u32, count: u32, one: bool, dst1: u32, two: bool, dst2: u32) {
    let inv = 1.0 / f32(count);
    for (var j = tid; j < D; j += WG) {
        let c = j / F;
        let fj = j - c * F;
        var a1 = 0.0;
        var a2 = 0.0;
        for (var k = 0u; k < count; k++) {
            let f = feats[rows[first + k] * F + fj];
            if (one) { a1 = a1 + za[(first + k) * C + c] * f; }
            if (two) { a2 = a2 + zb[(first + k) * C + c] * f; }
        }
        if (one) { put(dst1, j, a1 * inv); }
        if (two) { put(dst2, j, a2 * inv); }
    }
}

// grad_y g's data term at pt for the lower batch at [first, first + count):
// ga = (1/B) sum w_i l'(a.pt, b) a (`coef_slot`: C classes, per-sample weights w_i), or the
// network's gradient (NH > 0, `net.wgsl`). Needs the rows drawn; ends with per-coordinate
// results in ga.
fn grad_y_g_data(tid: u32, first: u32, count: u32) {
    grad_y_pass(tid, first, count, true, 0u);
}

// grad_y f at pt for the upper batch: gc = (1/B') sum l'(a'.pt, b') a' (or the network's).
fn grad_y_f(tid: u32) {
    grad_y_pass(tid, BL, BU, false, 2u);
}

// The gradient pass both share: the lower or upper loss's coefficients of the rows at
// [first, first + count), accumulated into the vector `out` (0: ga, 2: gc).
fn grad_y_pass(tid: u32, first: u32, count: u32, lower: bool, out: u32) {
    if (NH > 0u) { net_forward(tid, first, count, false); } else { dots(tid, first, count, true, false); }
    for (var k = tid; k < count; k += WG) { coef_slot(first + k, true, false, lower, false); }
    workgroupBarrier();
    if (NH > 0u) {
        net_deltas(tid, first, count, false);
        net_accum(tid, first, count, true, out, false, 0u);
    } else {
        accum(tid, first, count, true, out, false, 0u);
    }
}

// The Hessian-vector product's data term at pt along sw for the lower batch at [first, ..):
// gb = (1/B) sum w_i l''(a.pt) (a.sw) a (`coef_slot`), or the network's exact product. With
// `same_z`, za already holds a.pt for these rows (and with one output still does afterwards:
// only zb is overwritten; C classes overwrite za with their softmax, and the network needs its
// forward pass, so theirs are always recomputed).
fn hvp_data(tid: u32, first: u32, count: u32, same_z: bool) {
    if (NH > 0u) {
        net_forward(tid, first, count, true);
    } else {
        dots(tid, first, count, !same_z || C > 1u, true);
    }
    // The network's product also needs g = dl/dz.
    for (var k = tid; k < count; k += WG) { coef_slot(first + k, NH > 0u, true, true, false); }
    workgroupBarrier();
    if (NH > 0u) {
        net_deltas(tid, first, count, true);
        net_accum(tid, first, count, false, 0u, true, 1u);
    } else {
        accum(tid, first, count, false, 0u, true, 1u);
    }
}

// Per-sample weights' J v terms of the lower batch at [first, first + count) at (x, pt) along
// sw, into zj (the data pass `coef_slot` takes them from: the rows' dot products, or the
// network's outputs and their tangents). Ends with a barrier.
fn jv_terms(tid: u32, first: u32, count: u32) {
    if (NH > 0u) { net_forward(tid, first, count, true); } else { dots(tid, first, count, true, true); }
    for (var k = tid; k < count; k += WG) { coef_slot(first + k, false, false, true, true); }
    workgroupBarrier();
}

// sh -= scale J(x, pt) sw for x coupled to y (per feature, shared by the classes; per class;
// scalar), in the CPU's coordinate order within each hyperparameter (a workgroup reduction for
// the per-class and scalar sums). Per-sample weights have no coupling term (`sample_jv_sub`).
// Reads x, pt and sw of every coordinate: call it after the barrier that ends their writes.
// Ends with a barrier.
fn sub_coupling_jv(tid: u32, scale: f32) {
    if (HYPER == HYPER_PER_FEATURE) {
        for (var f = tid; f < P; f += WG) {
            var jv = 0.0;
            for (var c = 0u; c < C; c++) {
                let j = c * F + f;
                jv = jv + jvp_at(j, pt[j], sw[j]);
            }
            sh[f] = sh[f] - scale * jv;
        }
    } else if (HYPER == HYPER_SCALAR || HYPER == HYPER_PER_CLASS) {
        let groups = select(1u, C, HYPER == HYPER_PER_CLASS);
        let len = D / groups;
        for (var c = 0u; c < groups; c++) {
            var acc = 0.0;
            for (var j = c * len + tid; j < (c + 1u) * len; j += WG) { acc = acc + jvp_at(j, pt[j], sw[j]); }
            let jv = wg_sum(tid, acc);
            if (tid == 0u) { sh[c] = sh[c] - scale * jv; }
        }
    }
    workgroupBarrier();
}

// Slot k's per-sample coefficients, in place (twin of the CPU oracles' per-sample step): with
// one output, za = l'(z, b) when `grad` and zb = l''(z, b) zb when `hv` (zb holding a.v);
// with C classes (`multiclass.rs`), p = softmax(z) over the slot's C scores, zb = p * (u -
// p . u) when `hv` (u = the class scores of v), and za = p - e_b when `grad`.
// Per-sample weights (`weighted()`, data hyper-cleaning), for a slot of a lower batch
// (`lower`): both are multiplied by w_i = sigmoid(x_i) of the drawn sample i = picks[k]
// (twin of `weighted` / `scale_by_weight`), and with `jt` the slot's J v term
// sigmoid'(x_i) grad_z l . (a . v) goes to zj[k] (zb holding a.v on entry; twin of
// `per_sample_x_pass`). Reads x: call it before x moves.
fn coef_slot(k: u32, grad: bool, hv: bool, lower: bool, jt: bool) {
    let weigh = weighted() && lower;
    var w = 1.0;
    var dw = 0.0;
    if (weigh) {
        let xi = sx[picks[k]];
        w = sigmoid(xi);
        dw = w * sigmoid(-xi);
    }
    if (C == 1u) {
        let z = za[k];
        let b = lab(k);
        let d1 = loss_d1(z, b);
        if (weigh && jt) { zj[k] = dw * (d1 * zb[k]); }
        if (grad) { za[k] = select(d1, w * d1, weigh); }
        if (hv) {
            let c = loss_d2(z, b) * zb[k];
            zb[k] = select(c, w * c, weigh);
        }
        return;
    }
    let o = k * C;
    var m = za[o];
    for (var c = 0u; c < C; c++) { if (za[o + c] > m) { m = za[o + c]; } }
    var s = 0.0;
    for (var c = 0u; c < C; c++) {
        let e = exp(za[o + c] - m);
        za[o + c] = e;
        s = s + e;
    }
    let inv = 1.0 / s;
    for (var c = 0u; c < C; c++) { za[o + c] = za[o + c] * inv; }
    let b = min(u32(max(lab(k), 0.0)), C - 1u);
    if (weigh && jt) {
        // grad_z l . u in class order, grad_z l = p - e_b.
        var t = 0.0;
        for (var c = 0u; c < C; c++) {
            t = t + (za[o + c] - select(0.0, 1.0, c == b)) * zb[o + c];
        }
        zj[k] = dw * t;
    }
    if (hv) {
        var pu = 0.0;
        for (var c = 0u; c < C; c++) { pu = pu + za[o + c] * zb[o + c]; }
        for (var c = 0u; c < C; c++) {
            let h = za[o + c] * (zb[o + c] - pu);
            zb[o + c] = select(h, h * w, weigh);
        }
    }
    if (grad) {
        za[o + b] = za[o + b] - 1.0;
        if (weigh) {
            for (var c = 0u; c < C; c++) { za[o + c] = za[o + c] * w; }
        }
    }
}

// J v of a per-class x into sh (P = C entries): entry c sums J's terms over the coordinates
// c F + f of class c's block (twin of `jvp`, which adds them in coordinate order; here a
// workgroup reduction). Reads x and writes only sh; ends with a barrier.
fn class_jv(tid: u32) {
    for (var c = 0u; c < C; c++) {
        var acc = 0.0;
        for (var f = tid; f < F; f += WG) {
            let j = c * F + f;
            acc = acc + jvp_at(j, sy[j], sv[j]);
        }
        let jv = wg_sum(tid, acc);
        if (tid == 0u) { sh[c] = jv; }
    }
    workgroupBarrier();
}

// Per-sample weights' J v at the lower batch in slots [0, BL) (twin of `per_sample_x_pass`):
// entry i is (1/BL) times the sum of zj over the slots that drew sample i, in slot order, and 0
// for an undrawn i. The first slot of each index (`first_draw`) sums its repeats, so every
// entry has one writer and the sums a fixed order (no atomics): `drawn_jv(k)` is that sum for
// such a slot k.
fn drawn_jv(k: u32) -> f32 {
    let inv = 1.0 / f32(BL);
    let i = picks[k];
    var s = zj[k] * inv;
    // Full batches and draws without replacement never repeat an index.
    if (!(FULL_L || WR)) {
        for (var q = k + 1u; q < BL; q++) { if (picks[q] == i) { s = s + zj[q] * inv; } }
    }
    return s;
}

// J v of per-sample weights into sh (P entries, 0 where no slot drew the sample). Ends with
// a barrier.
fn sample_jv(tid: u32) {
    for (var i = tid; i < P; i += WG) { sh[i] = 0.0; }
    workgroupBarrier();
    for (var k = tid; k < BL; k += WG) {
        if (first_draw(k)) { sh[picks[k]] = drawn_jv(k); }
    }
    workgroupBarrier();
}

// sh -= scale J v of per-sample weights, at the drawn indices only (the others' J v is 0, and
// h - scale 0 = h). Ends with a barrier.
fn sample_jv_sub(tid: u32, scale: f32) {
    for (var k = tid; k < BL; k += WG) {
        if (first_draw(k)) {
            let i = picks[k];
            sh[i] = sh[i] - scale * drawn_jv(k);
        }
    }
    workgroupBarrier();
}

// Whether slot k of the lower batch is the first to draw its sample.
fn first_draw(k: u32) -> bool {
    if (FULL_L || WR) { return true; }
    let i = picks[k];
    for (var q = 0u; q < k; q++) { if (picks[q] == i) { return false; } }
    return true;
}

// Output c of global row r at y = sy: the linear model's a . y_c, or the network's output from
// the row's hidden activations `th` (`net_row_hidden`).
fn row_score(r: u32, c: u32, th: ptr<function, array<f32, NET_MAX_HIDDEN>>) -> f32 {
    if (NH > 0u) { return net_row_output(th, c); }
    var z = 0.0;
    for (var j = 0u; j < F; j++) { z = z + feats[r * F + j] * sy[c * F + j]; }
    return z;
}

// Mean loss and accuracy at y = sy over a whole set: 0 lower, 1 upper (as lane `ln` sees
// them), 2 test (metrics at logging steps).
fn set_loss(tid: u32, ln: Lane, which: u32, count: u32) -> vec2<f32> {
    var l = 0.0;
    var acc = 0.0;
    for (var i = tid; i < count; i += WG) {
        var r: u32;
        if (which == 0u) {
            r = lane_row(ln, false, i);
        } else if (which == 1u) {
            r = lane_row(ln, true, i);
        } else {
            r = rowmap[ln.map_base + prm.row_test + i];
        }
        let b = labels[r];
        // Hyper-cleaning's lower loss weighs sample i by sigmoid(x_i).
        let weigh = weighted() && which == 0u;
        var w = 1.0;
        if (weigh) { w = sigmoid(sx[i]); }
        // The network's hidden activations of the row, once (the linear model has none).
        var th: array<f32, NET_MAX_HIDDEN>;
        if (NH > 0u) { net_row_hidden(r, &th); }
        if (C == 1u) {
            let z = row_score(r, 0u, &th);
            l = l + select(loss_value(z, b), w * loss_value(z, b), weigh);
            if (z * b > 0.0) { acc = acc + 1.0; }
        } else {
            // Softmax cross-entropy and top-1 (ties to the lower class), scores shifted by
            // their max: two passes over the classes, the scores recomputed in the second.
            var m = -3.4e38;
            var top = 0u;
            for (var c = 0u; c < C; c++) {
                let z = row_score(r, c, &th);
                if (z > m) { m = z; top = c; }
            }
            var s = 0.0;
            var zb_ = 0.0;
            let bc = min(u32(max(b, 0.0)), C - 1u);
            for (var c = 0u; c < C; c++) {
                let z = row_score(r, c, &th);
                s = s + exp(z - m);
                if (c == bc) { zb_ = z; }
            }
            let li = m + log(s) - zb_;
            l = l + select(li, w * li, weigh);
            if (top == bc && b >= 0.0) { acc = acc + 1.0; }
        }
    }
    let ls = wg_sum(tid, l);
    let ac = wg_sum(tid, acc);
    let n = f32(max(count, 1u));
    return vec2<f32>(ls / n, ac / n);
}
