// The data passes every oracle is made of (twin of the per-sample loops of
// `src/problem/oracles.rs`):
//   dots:   za[k] = a_k . pt  and (optionally) zb[k] = a_k . sw  for the rows of a batch;
//   accum:  out_j = (1/count) sum_k c1[k] a_kj  (and the same with c2), feature by feature.
// Between them the kernel turns dot products into per-sample coefficients (l', l'' a.v).
// Threads split a row's features in phase dots (TPS threads per sample, interleaved so that
// neighbouring threads read neighbouring floats) and own whole features in phase accum.

// Dot products with pt (and sw when `two`) of rows[first..first + count]. Ends with a barrier.
fn dots(tid: u32, first: u32, count: u32, one: bool, two: bool) {
    let tps = max(1u, WG / max(count, 1u));
    let per_pass = WG / tps;
    let s_local = tid / tps;
    let c = tid % tps;
    for (var base = 0u; base < count; base += per_pass) {
        let s = base + s_local;
        var a = 0.0;
        var b = 0.0;
        if (s < count && s_local < per_pass) {
            let r = rows[first + s] * D;
            for (var j = c; j < D; j += tps) {
                let f = feats[r + j];
                if (one) { a = a + f * pt[j]; }
                if (two) { b = b + f * sw[j]; }
            }
        }
        part[tid] = a;
        part[WG + tid] = b;
        workgroupBarrier();
        if (tid < per_pass && base + tid < count) {
            var sa = 0.0;
            var sb = 0.0;
            for (var q = 0u; q < tps; q++) {
                sa = sa + part[tid * tps + q];
                sb = sb + part[WG + tid * tps + q];
            }
            if (one) { za[first + base + tid] = sa; }
            if (two) { zb[first + base + tid] = sb; }
        }
        workgroupBarrier();
    }
}

// Writes v to feature j of work vector `dst` (0 ga, 1 gb, 2 gc).
fn put(dst: u32, j: u32, v: f32) {
    switch dst {
        case 0u: { ga[j] = v; }
        case 1u: { gb[j] = v; }
        default: { gc[j] = v; }
    }
}

// Per-feature averages over rows[first..first + count] weighted by c1 (into dst1, when `one`)
// and by c2 (into dst2, when `two`). Each thread writes only the features it owns
// (j = tid, tid + WG, ...), so the caller may read them back without a barrier.
fn accum(tid: u32, first: u32, count: u32, one: bool, dst1: u32, two: bool, dst2: u32) {
    let inv = 1.0 / f32(count);
    for (var j = tid; j < D; j += WG) {
        var a1 = 0.0;
        var a2 = 0.0;
        for (var k = 0u; k < count; k++) {
            let f = feats[rows[first + k] * D + j];
            if (one) { a1 = a1 + c1[first + k] * f; }
            if (two) { a2 = a2 + c2[first + k] * f; }
        }
        if (one) { put(dst1, j, a1 * inv); }
        if (two) { put(dst2, j, a2 * inv); }
    }
}

// The lower gradient's data term at pt for the lower batch at [first, first + count):
// ga = (1/B) sum l'(a.pt, b) a. Needs the rows drawn; ends with per-feature results in ga.
fn lower_grad_data(tid: u32, first: u32, count: u32) {
    dots(tid, first, count, true, false);
    for (var k = tid; k < count; k += WG) { c1[first + k] = loss_d1(za[first + k], labs[first + k]); }
    workgroupBarrier();
    accum(tid, first, count, true, 0u, false, 0u);
}

// The upper gradient at pt for the upper batch: gc = (1/B') sum l'(a'.pt, b') a'.
fn upper_grad(tid: u32) {
    dots(tid, BL, BU, true, false);
    for (var k = tid; k < BU; k += WG) { c1[BL + k] = loss_d1(za[BL + k], labs[BL + k]); }
    workgroupBarrier();
    accum(tid, BL, BU, true, 2u, false, 0u);
}

// The Hessian-vector product's data term at pt along sw for the lower batch at [first, ..):
// gb = (1/B) sum l''(a.pt) (a.sw) a. With `same_z`, za already holds a.pt for these rows.
fn hvp_data(tid: u32, first: u32, count: u32, same_z: bool) {
    dots(tid, first, count, !same_z, true);
    for (var k = tid; k < count; k += WG) {
        c2[first + k] = loss_d2(za[first + k], labs[first + k]) * zb[first + k];
    }
    workgroupBarrier();
    accum(tid, first, count, false, 0u, true, 1u);
}
