// srba (twin of `src/algo/methods/srba.rs`): SOBA's directions by SARAH recursion, from full batches
// every prm.period steps. The lane's memory holds x' (P), y' (D), v' (D) and the directions
// d_x (P), d_y (D), d_v (D).

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
    for (var j = tid; j < D; j += WG) { pt[j] = sy[j]; sw[j] = sv[j]; }
    workgroupBarrier();
    var jv_part = 0.0;
    var jv_old_part = 0.0;
    if (full) {
        full_pass(tid, ln, false, true, true);
        full_pass(tid, ln, true, true, false);
        for (var j = tid; j < D; j += WG) {
            mem[dy + j] = grad_y_g_at(j, su[j], sy[j]);
            mem[dv + j] = hvp_at(j, sr[j], sy[j], sv[j]) - gc[j];
            let jv = jvp_at(j, sy[j], sv[j]);
            if (HYPER == HYPER_PER_FEATURE) { mem[dx + j] = NU * sx[j] - jv; } else { jv_part = jv_part + jv; }
        }
    } else {
        let key = vec2<u32>(k, 0u);
        draw(tid, ln, false, 0u, BL, FULL_L, S_LOWER, key);
        draw(tid, ln, true, BL, BU, FULL_U, S_UPPER, key);
        // The batches at (y, v): d_y's and d_v's data terms in ga, gb, grad_y f in gc.
        dots(tid, 0u, BL, true, true);
        dots(tid, BL, BU, true, false);
        for (var s = tid; s < BL; s += WG) {
            let z = za[s];
            let b = lab(s);
            za[s] = loss_d1(z, b);
            zb[s] = loss_d2(z, b) * zb[s];
        }
        for (var s = tid; s < BU; s += WG) { za[BL + s] = loss_d1(za[BL + s], lab(BL + s)); }
        workgroupBarrier();
        accum(tid, 0u, BL, true, 0u, true, 1u);
        accum(tid, BL, BU, true, 2u, false, 0u);
        for (var j = tid; j < D; j += WG) {
            ga[j] = grad_y_g_at(j, ga[j], sy[j]);
            gb[j] = hvp_at(j, gb[j], sy[j], sv[j]) - gc[j];
            pt[j] = mem[yo + j];
            sw[j] = mem[vo + j];
        }
        workgroupBarrier();
        // The same batches at (y', v'): su, sr, gc.
        dots(tid, 0u, BL, true, true);
        dots(tid, BL, BU, true, false);
        for (var s = tid; s < BL; s += WG) {
            let z = za[s];
            let b = lab(s);
            za[s] = loss_d1(z, b);
            zb[s] = loss_d2(z, b) * zb[s];
        }
        for (var s = tid; s < BU; s += WG) { za[BL + s] = loss_d1(za[BL + s], lab(BL + s)); }
        workgroupBarrier();
        accum(tid, 0u, BL, true, 3u, true, 4u);
        accum(tid, BL, BU, true, 2u, false, 0u);
        for (var j = tid; j < D; j += WG) {
            let xk = mem[xo + kx(j)];
            let y1 = pt[j];
            let v1 = sw[j];
            let g_old = su[j] + cp_dy(xk, y1) + LAM_Y * y1;
            let h_old = sr[j] + (cp_dyy(xk, y1) + LAM_Y) * v1 - gc[j];
            mem[dy + j] = mem[dy + j] + (ga[j] - g_old);
            mem[dv + j] = mem[dv + j] + (gb[j] - h_old);
            let jv = jvp_at(j, sy[j], sv[j]);
            let jv_old = cp_dxy(xk, y1) * v1;
            if (HYPER == HYPER_PER_FEATURE) {
                mem[dx + j] = mem[dx + j] + ((NU * sx[j] - jv) - (NU * xk - jv_old));
            } else {
                jv_part = jv_part + jv;
                jv_old_part = jv_old_part + jv_old;
            }
        }
    }
    if (HYPER == HYPER_SCALAR) {
        let jv = wg_sum(tid, jv_part);
        let jv_old = wg_sum(tid, jv_old_part);
        if (tid == 0u) {
            if (full) {
                mem[dx] = NU * sx[0] - jv;
            } else {
                mem[dx] = mem[dx] + ((NU * sx[0] - jv) - (NU * mem[xo] - jv_old));
            }
        }
    }
    workgroupBarrier();
    storageBarrier();
    for (var j = tid; j < D; j += WG) {
        mem[yo + j] = sy[j];
        mem[vo + j] = sv[j];
        sy[j] = sy[j] - beta * mem[dy + j];
        sv[j] = sv[j] - gamma * mem[dv + j];
    }
    for (var j = tid; j < P; j += WG) {
        mem[xo + j] = sx[j];
        sx[j] = sx[j] - alpha * mem[dx + j];
    }
    workgroupBarrier();
    storageBarrier();
}
