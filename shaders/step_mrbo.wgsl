// mrbo (twin of `src/algo/methods/mrbo.rs`): STORM momentum on y and x, stocBiO's Neumann series at
// the current point (x, y) and at the previous one (x', y') on the same batches. The lane's
// memory holds x' (P), y' (D), m_x (P), m_y (D); v holds the current Neumann estimate.
//   m_y = grad_y g(x, y) + (1 - rho) (m_y - grad_y g(x', y'))
//   m_x = D(x, y, v) + (1 - rho) (m_x - D(x', y', v')),  D = NU x - J v
//   (x', y') <- (x, y);  y -= beta m_y;  x -= alpha m_x
// The first step has no previous point: m = the fresh estimates.
// With RAND_TRUNC (sustain, twin of `src/algo/methods/sustain.rs`) both series are Ghadimi and
// Wang's random truncation instead, with the same number of terms at both points.

fn step(tid: u32, ln: Lane, ll: u32, k: u32) {
    let alpha = sched(prm.alpha, k);
    let beta = sched(prm.beta, k);
    let keep = 1.0 - sched(prm.rho, k);
    let first = k == 0u;
    let xp = mem_base(ll);
    let yp = xp + P;
    let mx = yp + D;
    let my = mx + P;

    // Rows of both batches dotted with y (pt) and y' (sw).
    draw(tid, ln, false, 0u, BL, FULL_L, S_LOWER, vec2<u32>(k, 0u));
    draw(tid, ln, true, BL, BU, FULL_U, S_UPPER, vec2<u32>(k, 0u));
    for (var j = tid; j < D; j += WG) {
        pt[j] = sy[j];
        if (!first) { sw[j] = mem[yp + j]; }
    }
    workgroupBarrier();
    dots(tid, 0u, BL + BU, true, !first);
    for (var i = tid; i < BL + BU; i += WG) {
        let b = lab(i);
        za[i] = loss_d1(za[i], b);
        if (!first) { zb[i] = loss_d1(zb[i], b); }
    }
    workgroupBarrier();
    // ga, gb: grad_y g's data term at y, y'; gc, su: grad_y f at y, y'.
    accum(tid, 0u, BL, true, 0u, !first, 1u);
    accum(tid, BL, BU, true, 2u, !first, 3u);
    for (var j = tid; j < D; j += WG) {
        let g = grad_y_g_at(j, ga[j], sy[j]);
        if (first) {
            mem[my + j] = g;
        } else {
            let yo = mem[yp + j];
            let g_old = gb[j] + cp_dy(mem[xp + kx(j)], yo) + LAM_Y * yo;
            mem[my + j] = g + keep * (mem[my + j] - g_old);
        }
        // The Neumann series: r = b, s = r at y (sr, sv); at y' (su, gc).
        sr[j] = gc[j];
        sv[j] = gc[j];
        if (!first) { gc[j] = su[j]; }
    }
    workgroupBarrier();
    // sustain (RAND_TRUNC): p terms without the running sum, v = Q eta r.
    var terms = Q_TERMS;
    if (RAND_TRUNC) { terms = truncation(ln, k) + 1u; }
    for (var q = 1u; q < terms; q++) {
        draw(tid, ln, false, 0u, BL, FULL_L, S_NEUMANN, step_of(k, Q_TERMS, q));
        for (var j = tid; j < D; j += WG) { pt[j] = sy[j]; sw[j] = sr[j]; }
        workgroupBarrier();
        hvp_data(tid, 0u, BL, false);
        for (var j = tid; j < D; j += WG) {
            let r = sr[j] - prm.eta * hvp_at(j, gb[j], sy[j], sr[j]);
            sr[j] = r;
            if (!RAND_TRUNC) { sv[j] = sv[j] + r; }
        }
        workgroupBarrier();
        if (!first) {
            for (var j = tid; j < D; j += WG) { pt[j] = mem[yp + j]; sw[j] = su[j]; }
            workgroupBarrier();
            hvp_data(tid, 0u, BL, false);
            for (var j = tid; j < D; j += WG) {
                let yo = pt[j];
                let hv = gb[j] + (cp_dyy(mem[xp + kx(j)], yo) + LAM_Y) * su[j];
                let r = su[j] - prm.eta * hv;
                su[j] = r;
                if (!RAND_TRUNC) { gc[j] = gc[j] + r; }
            }
            workgroupBarrier();
        }
    }
    // v = eta s at both points; D and D'; the momentum of x; then the steps.
    var jv_part = 0.0;
    var jv_old_part = 0.0;
    for (var j = tid; j < D; j += WG) {
        var v = prm.eta * sv[j];
        var v_old = prm.eta * gc[j];
        if (RAND_TRUNC) {
            v = f32(Q_TERMS) * prm.eta * sr[j];
            v_old = f32(Q_TERMS) * prm.eta * su[j];
        }
        sv[j] = v;
        let jv = jvp_at(j, sy[j], v);
        var jv_old = 0.0;
        if (!first) { jv_old = cp_dxy(mem[xp + kx(j)], mem[yp + j]) * v_old; }
        if (HYPER == HYPER_PER_FEATURE) {
            let dd = NU * sx[j] - jv;
            var m = dd;
            if (!first) { m = dd + keep * (mem[mx + j] - (NU * mem[xp + j] - jv_old)); }
            mem[mx + j] = m;
        } else {
            jv_part = jv_part + jv;
            jv_old_part = jv_old_part + jv_old;
        }
    }
    if (HYPER == HYPER_SCALAR) {
        let jv = wg_sum(tid, jv_part);
        let jv_old = wg_sum(tid, jv_old_part);
        if (tid == 0u) {
            let dd = NU * sx[0] - jv;
            var m = dd;
            if (!first) { m = dd + keep * (mem[mx] - (NU * mem[xp] - jv_old)); }
            mem[mx] = m;
        }
    }
    workgroupBarrier();
    for (var j = tid; j < D; j += WG) {
        mem[yp + j] = sy[j];
        sy[j] = sy[j] - beta * mem[my + j];
    }
    for (var j = tid; j < P; j += WG) {
        mem[xp + j] = sx[j];
        sx[j] = sx[j] - alpha * mem[mx + j];
    }
    workgroupBarrier();
    // A scalar x' is read by every thread next step: thread 0's write must be visible.
    storageBarrier();
}
