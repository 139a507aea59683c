// The estimates the solvers build from the oracles of `pass.wgsl` (twins of the helpers in
// `src/algo/shared.rs` and of the oracles' full-batch and x-derivative forms): the truncated
// series' length, whole-set passes, grad_y g and H v in one pass, stocBiO's Neumann series, and
// grad_x g's gap between two points. They are what lets a kernel written on them run every
// loss, model and hyperparameter shape. Callers' contract, as for the passes: the vectors a
// helper reads (pt, sw, x) are complete (a barrier after their writes) before it is called,
// and the helpers that end without a barrier (`grad_hvp_pass`) leave per-coordinate results
// the owning thread may read at once.

// The number of terms p of a randomly truncated Neumann series at outer step k (ttsa, bsa,
// sustain): uniform on {0, ..., Q - 1}, one word of stream S_TRUNC (twin of
// `shared::truncation`). The same for every thread of the lane.
fn truncation(ln: Lane, k: u32) -> u32 {
    return bounded(rng_word(rng_key(ln.seed_lo, ln.seed_hi), S_TRUNC, k, 0u, 0u), Q_TERMS);
}

// The data terms of a whole set at (pt, sw), chunk by chunk through the batch slots [0, BL)
// (srba's and vrbo's full-batch steps): the lower set (`upper` false) gives su = (1/n) sum of
// the samples' gradients when `grad`, sr = (1/n) sum of their Hessian products along sw when
// `hvp`, and with `jt` (per-sample weights) sh_i -= J v's entry i for every sample i; the upper
// set gives gc = (1/m) sum of the gradients. Each chunk's average (ga, gb) enters its total
// weighted by its share of the set. Only those outputs (and ga, gb) are written.
fn full_pass(tid: u32, ln: Lane, upper: bool, grad: bool, hvp: bool, jt: bool) {
    for (var j = tid; j < D; j += WG) {
        if (upper) { gc[j] = 0.0; } else {
            if (grad) { su[j] = 0.0; }
            if (hvp) { sr[j] = 0.0; }
        }
    }
    let n = select(prm.n_lower, prm.n_upper, upper);
    let inv = 1.0 / f32(n);
    let g1 = upper || grad;
    let hv = hvp && !upper;
    let jtw = jt && !upper && weighted();
    for (var c0 = 0u; c0 < n; c0 += BL) {
        let cnt = min(BL, n - c0);
        for (var s = tid; s < cnt; s += WG) {
            rows[s] = lane_row(ln, upper, c0 + s);
            picks[s] = c0 + s;
        }
        workgroupBarrier();
        if (NH > 0u) { net_forward(tid, 0u, cnt, hv || jtw); } else { dots(tid, 0u, cnt, true, hv || jtw); }
        // The network's Hessian product also needs g = dl/dz.
        for (var s = tid; s < cnt; s += WG) { coef_slot(s, g1 || (NH > 0u && hv), hv, !upper, jtw); }
        workgroupBarrier();
        // Each sample once: its J v entry has one writer.
        if (jtw) { for (var s = tid; s < cnt; s += WG) { sh[picks[s]] = sh[picks[s]] - zj[s] * inv; } }
        if (g1 || hv) {
            if (NH > 0u) {
                net_deltas(tid, 0u, cnt, hv);
                net_accum(tid, 0u, cnt, g1, 0u, hv, 1u);
            } else {
                accum(tid, 0u, cnt, g1, 0u, hv, 1u);
            }
        }
        let share = f32(cnt) * inv;
        for (var j = tid; j < D; j += WG) {
            if (upper) { gc[j] = gc[j] + ga[j] * share; } else {
                if (grad) { su[j] = su[j] + ga[j] * share; }
                if (hv) { sr[j] = sr[j] + gb[j] * share; }
            }
        }
        workgroupBarrier();
    }
}

// grad_y g's data term (into work vector dst1) and H v's (into dst2) at (pt, sw) on the lower
// slots [first, first + count) in one pass over the rows (the CPU's `grad_and_hvp`), and with
// `jt` the per-sample J v terms into zj. Per-coordinate results, as `accum`.
fn grad_hvp_pass(tid: u32, first: u32, count: u32, dst1: u32, dst2: u32, jt: bool) {
    if (NH > 0u) { net_forward(tid, first, count, true); } else { dots(tid, first, count, true, true); }
    for (var k = tid; k < count; k += WG) { coef_slot(first + k, true, true, true, jt); }
    workgroupBarrier();
    if (NH > 0u) {
        net_deltas(tid, first, count, true);
        net_accum(tid, first, count, true, dst1, true, dst2);
    } else {
        accum(tid, first, count, true, dst1, true, dst2);
    }
}

// stocBiO's Neumann series at (sx, pt) for b in gc, into sv (stocbio, ttsa, bsa, mrbo, sustain,
// vrbo): r = b, s = b; r -= eta H_q r, s += r for q < terms on the lower batches of step k; v = eta s
// (RAND_TRUNC: v = Q eta r, Ghadimi and Wang's truncation). r ends in sr. The batches take
// the lower slots. Ends with a barrier.
fn series(tid: u32, ln: Lane, k: u32, terms: u32) {
    for (var j = tid; j < D; j += WG) { sr[j] = gc[j]; sv[j] = gc[j]; }
    workgroupBarrier();
    for (var q = 1u; q < terms; q++) {
        draw(tid, ln, false, 0u, BL, FULL_L, S_NEUMANN, step_of(k, Q_TERMS, q));
        for (var j = tid; j < D; j += WG) { sw[j] = sr[j]; }
        workgroupBarrier();
        hvp_data(tid, 0u, BL, false);
        for (var j = tid; j < D; j += WG) {
            let r = sr[j] - prm.eta * hvp_at(j, gb[j], pt[j], sr[j]);
            sr[j] = r;
            if (!RAND_TRUNC) { sv[j] = sv[j] + r; }
        }
        workgroupBarrier();
    }
    for (var j = tid; j < D; j += WG) {
        if (RAND_TRUNC) { sv[j] = f32(Q_TERMS) * prm.eta * sr[j]; } else { sv[j] = prm.eta * sv[j]; }
    }
    workgroupBarrier();
}

// The loss of batch slot k from its outputs in za (one output: l(z, b); C classes: the softmax
// cross-entropy m + log sum exp(z - m) - z_b with m the largest score, twin of
// `multiclass::value`).
fn slot_loss(k: u32) -> f32 {
    if (C == 1u) { return loss_value(za[k], lab(k)); }
    let o = k * C;
    var m = za[o];
    for (var c = 0u; c < C; c++) { if (za[o + c] > m) { m = za[o + c]; } }
    var s = 0.0;
    for (var c = 0u; c < C; c++) { s = s + exp(za[o + c] - m); }
    let b = min(u32(max(lab(k), 0.0)), C - 1u);
    return m + log(s) - za[o + b];
}

// Per-sample weights' grad_x g terms of the lower batch in slots [0, BL) at pt, into zj:
// sigmoid'(x_i) l(z, b) for the slot's sample i (twin of `per_sample_x_pass` without v; the
// 1 / BL and the sums over repeats are `drawn_jv`'s). Ends with a barrier.
fn gx_terms(tid: u32) {
    if (NH > 0u) { net_forward(tid, 0u, BL, false); } else { dots(tid, 0u, BL, true, false); }
    for (var k = tid; k < BL; k += WG) {
        let xi = sx[picks[k]];
        zj[k] = (sigmoid(xi) * sigmoid(-xi)) * slot_loss(k);
    }
    workgroupBarrier();
}

// sh = grad_x g(x, pt) - grad_x g(x, sw) on the lower batch in slots [0, BL) (bome's grad_x q,
// f2sa's penalty gradient; twin of two `grad_x_g` calls and their difference). The couplings
// read no data: per hyperparameter, the sums of dr/dx over its coordinates (per feature in
// class order, as the CPU; per class and scalar, workgroup reductions). Per-sample weights:
// sigmoid'(x_i) l at the drawn indices, which leaves sw in pt. Reads x, pt and sw: call it
// after the barrier that ends their writes. Ends with a barrier.
fn gx_gap(tid: u32) {
    if (weighted()) {
        gx_terms(tid);
        sample_jv(tid);
        for (var j = tid; j < D; j += WG) { pt[j] = sw[j]; }
        workgroupBarrier();
        gx_terms(tid);
        sample_jv_sub(tid, 1.0);
        return;
    }
    if (HYPER == HYPER_PER_FEATURE) {
        for (var f = tid; f < P; f += WG) {
            let xf = sx[f];
            var a = 0.0;
            var b = 0.0;
            for (var c = 0u; c < C; c++) {
                let j = c * F + f;
                a = a + cp_dx(xf, pt[j]);
                b = b + cp_dx(xf, sw[j]);
            }
            sh[f] = a - b;
        }
    } else {
        let groups = select(1u, C, HYPER == HYPER_PER_CLASS);
        let len = D / groups;
        for (var c = 0u; c < groups; c++) {
            var pa = 0.0;
            var pb = 0.0;
            for (var j = c * len + tid; j < (c + 1u) * len; j += WG) {
                let xk = sx[kx(j)];
                pa = pa + cp_dx(xk, pt[j]);
                pb = pb + cp_dx(xk, sw[j]);
            }
            let a = wg_sum(tid, pa);
            let b = wg_sum(tid, pb);
            if (tid == 0u) { sh[c] = a - b; }
        }
    }
    workgroupBarrier();
}

// The implicit x direction sh = NU x - J_zeta(x, pt) sw at the x in sx (twin of
// `shared::x_direction`): the coupling's J, or per-sample weights' terms on zeta in the lower
// slots. The barrier after sh's writes also covers the caller's writes of pt and sw. Ends
// with a barrier.
fn x_direction(tid: u32) {
    for (var i = tid; i < P; i += WG) { sh[i] = NU * sx[i]; }
    workgroupBarrier();
    sub_coupling_jv(tid, 1.0);
    if (weighted()) {
        jv_terms(tid, 0u, BL);
        sample_jv_sub(tid, 1.0);
    }
}
