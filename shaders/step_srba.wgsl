// srba (twin of `src/algo/methods/srba.rs`): SOBA's directions by SARAH recursion, from full batches
// every prm.period steps. The lane's memory holds x' (P), y' (D), v' (D) and the directions
// d_x (P), d_y (D), d_v (D).
//   full step: d_y = grad_y g, d_v = H v - grad_y f, d_x = NU x - J v   (whole sets)
//   otherwise: d += D_batch(x, y, v) - D_batch(x', y', v')              (same batches)
//   (x', y', v') <- (x, y, v);  y -= beta d_y;  v -= gamma d_v;  x -= alpha d_x
// The data passes and J v are the shared oracles (`pass.wgsl`): every loss, model and
// hyperparameter shape. The previous point goes first, with x' in sx (the couplings and
// per-sample weights read x there); d_y's and d_v's corrections keep the CPU's order, d_x's
// takes the old estimate out first ((d - e') + e) so that it needs one P-long vector (sh).

// SOBA's directions at (sx, pt, sw) on the drawn batches: d_y into the work vector `dy`, d_v
// into `dv` (`put`'s numbering), d_x = NU x - J v into sh. Ends with a barrier.
fn directions(tid: u32, dy: u32, dv: u32) {
    grad_hvp_pass(tid, 0u, BL, dy, dv, weighted());
    grad_y_f(tid);
    for (var j = tid; j < D; j += WG) {
        var a = ga[j];
        var b = gb[j];
        if (dy == 3u) { a = su[j]; b = sr[j]; }
        put(dy, j, grad_y_g_at(j, a, pt[j]));
        put(dv, j, hvp_at(j, b, pt[j], sw[j]) - gc[j]);
    }
    for (var i = tid; i < P; i += WG) { sh[i] = NU * sx[i]; }
    workgroupBarrier();
    sub_coupling_jv(tid, 1.0);
    if (weighted()) { sample_jv_sub(tid, 1.0); }
}

fn step(tid: u32, ln: Lane, ll: u32, k: u32) {
    let alpha = sched(prm.alpha, k);
    let beta = sched(prm.beta, k);
    let gamma = sched(prm.gamma, k);
    let xo = mem_base(ll);
    let yo = xo + P;
    let vo = yo + D;
    let dx = vo + D;
    let dy = dx + P;
    let dv = dy + D;
    let full = (k % max(prm.period, 1u)) == 0u;
    if (full) {
        for (var j = tid; j < D; j += WG) { pt[j] = sy[j]; sw[j] = sv[j]; }
        for (var i = tid; i < P; i += WG) { sh[i] = NU * sx[i]; mem[xo + i] = sx[i]; }
        workgroupBarrier();
        full_pass(tid, ln, false, true, true, true);   // su, sr; sh -= J v (weights)
        full_pass(tid, ln, true, true, false, false);  // gc
        for (var j = tid; j < D; j += WG) {
            mem[dy + j] = grad_y_g_at(j, su[j], sy[j]);
            mem[dv + j] = hvp_at(j, sr[j], sy[j], sv[j]) - gc[j];
        }
        sub_coupling_jv(tid, 1.0);
        for (var i = tid; i < P; i += WG) { mem[dx + i] = sh[i]; }
    } else {
        let key = vec2<u32>(k, 0u);
        draw(tid, ln, false, 0u, BL, FULL_L, S_LOWER, key);
        draw(tid, ln, true, BL, BU, FULL_U, S_UPPER, key);
        // At (x', y', v'): x' into sx and x into x' (x' <- x done here); d_y', d_v' into su, sr.
        for (var i = tid; i < P; i += WG) {
            let xi = sx[i];
            sx[i] = mem[xo + i];
            mem[xo + i] = xi;
        }
        for (var j = tid; j < D; j += WG) { pt[j] = mem[yo + j]; sw[j] = mem[vo + j]; }
        workgroupBarrier();
        directions(tid, 3u, 4u);
        for (var i = tid; i < P; i += WG) {
            mem[dx + i] = mem[dx + i] - sh[i];
            sx[i] = mem[xo + i];
        }
        // At (x, y, v): d_y, d_v into ga, gb.
        for (var j = tid; j < D; j += WG) { pt[j] = sy[j]; sw[j] = sv[j]; }
        workgroupBarrier();
        directions(tid, 0u, 1u);
        for (var j = tid; j < D; j += WG) {
            mem[dy + j] = mem[dy + j] + (ga[j] - su[j]);
            mem[dv + j] = mem[dv + j] + (gb[j] - sr[j]);
        }
        for (var i = tid; i < P; i += WG) { mem[dx + i] = mem[dx + i] + sh[i]; }
    }
    for (var j = tid; j < D; j += WG) {
        mem[yo + j] = sy[j];
        mem[vo + j] = sv[j];
        sy[j] = sy[j] - beta * mem[dy + j];
        sv[j] = sv[j] - gamma * mem[dv + j];
    }
    for (var i = tid; i < P; i += WG) { sx[i] = sx[i] - alpha * mem[dx + i]; }
    workgroupBarrier();
}
