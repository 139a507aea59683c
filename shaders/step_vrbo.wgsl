// vrbo (twin of `src/algo/methods/vrbo.rs`): SARAH-recursive d_y and d_x, refreshed from
// full batches every prm.period outer steps, then the x step and T inner steps. The lane's
// memory holds y' (D), d_y (D), d_x (P); v (sv) the last series at y.
//   refresh: d_y = grad_y g; v = eta sum (I - eta H)^q grad_y f (full); d_x = NU x - J v; y' = y
//   x -= alpha d_x
//   T times: d_y += grad_y g(x, y) - grad_y g(x, y');
//            d_x += (NU x - J(x, y) v) - (NU x - J(x, y') v')  (series at y and y', same batches)
//            y' = y; y -= beta d_y

fn step(tid: u32, ln: Lane, ll: u32, k: u32) {
    let alpha = sched(prm.alpha, k);
    let beta = sched(prm.beta, k);
    let yo = mem_base(ll);
    let dy = yo + D;
    let dx = dy + D;
    var jv_part = 0.0;

    if ((k % max(prm.period, 1u)) == 0u) {
        for (var j = tid; j < D; j += WG) { pt[j] = sy[j]; }
        workgroupBarrier();
        full_pass(tid, ln, false, true, false);   // su: grad_y g's data term
        full_pass(tid, ln, true, true, false);    // gc: grad_y f
        // The series with the full Hessian: r in ga, the sum in sv.
        for (var j = tid; j < D; j += WG) {
            mem[dy + j] = grad_y_g_at(j, su[j], sy[j]);
            mem[yo + j] = sy[j];
            ga[j] = gc[j];
            sv[j] = gc[j];
        }
        workgroupBarrier();
        for (var q = 1u; q < Q_TERMS; q++) {
            for (var j = tid; j < D; j += WG) { sw[j] = ga[j]; }
            workgroupBarrier();
            full_pass(tid, ln, false, false, true);   // sr: H r's data term
            for (var j = tid; j < D; j += WG) {
                let r = ga[j] - prm.eta * hvp_at(j, sr[j], sy[j], ga[j]);
                ga[j] = r;
                sv[j] = sv[j] + r;
            }
            workgroupBarrier();
        }
        for (var j = tid; j < D; j += WG) {
            let v = prm.eta * sv[j];
            sv[j] = v;
            let jv = jvp_at(j, sy[j], v);
            if (HYPER == HYPER_PER_FEATURE) { mem[dx + j] = NU * sx[j] - jv; } else { jv_part = jv_part + jv; }
        }
        if (HYPER == HYPER_SCALAR) {
            let jv = wg_sum(tid, jv_part);
            if (tid == 0u) { mem[dx] = NU * sx[0] - jv; }
        }
        workgroupBarrier();
        storageBarrier();
    }
    for (var j = tid; j < P; j += WG) { sx[j] = sx[j] - alpha * mem[dx + j]; }
    workgroupBarrier();

    for (var s = 0u; s < T_INNER; s++) {
        let i = k * T_INNER + s;
        let key = step_of(k, T_INNER, s);
        draw(tid, ln, false, 0u, BL, FULL_L, S_LOWER, key);
        draw(tid, ln, true, BL, BU, FULL_U, S_UPPER, key);
        for (var j = tid; j < D; j += WG) { pt[j] = sy[j]; sw[j] = mem[yo + j]; }
        workgroupBarrier();
        dots(tid, 0u, BL + BU, true, true);
        for (var r = tid; r < BL + BU; r += WG) {
            let b = lab(r);
            za[r] = loss_d1(za[r], b);
            zb[r] = loss_d1(zb[r], b);
        }
        workgroupBarrier();
        // ga, gb: grad_y g's data terms at y, y'; gc, su: grad_y f at y, y'.
        accum(tid, 0u, BL, true, 0u, true, 1u);
        accum(tid, BL, BU, true, 2u, true, 3u);
        for (var j = tid; j < D; j += WG) {
            let y1 = sw[j];
            let g_old = gb[j] + cp_dy(sx[kx(j)], y1) + LAM_Y * y1;
            mem[dy + j] = mem[dy + j] + (grad_y_g_at(j, ga[j], sy[j]) - g_old);
            // The series at y (r in sr, sum in sv) and at y' (r in su, sum in ga).
            sr[j] = gc[j];
            sv[j] = gc[j];
            ga[j] = su[j];
        }
        workgroupBarrier();
        for (var q = 1u; q < Q_TERMS; q++) {
            draw(tid, ln, false, 0u, BL, FULL_L, S_NEUMANN, step_of(i, Q_TERMS, q));
            for (var j = tid; j < D; j += WG) { pt[j] = sy[j]; sw[j] = sr[j]; }
            workgroupBarrier();
            hvp_data(tid, 0u, BL, false);
            for (var j = tid; j < D; j += WG) {
                let r = sr[j] - prm.eta * hvp_at(j, gb[j], sy[j], sr[j]);
                sr[j] = r;
                sv[j] = sv[j] + r;
            }
            workgroupBarrier();
            for (var j = tid; j < D; j += WG) { pt[j] = mem[yo + j]; sw[j] = su[j]; }
            workgroupBarrier();
            hvp_data(tid, 0u, BL, false);
            for (var j = tid; j < D; j += WG) {
                let y1 = pt[j];
                let hv = gb[j] + (cp_dyy(sx[kx(j)], y1) + LAM_Y) * su[j];
                let r = su[j] - prm.eta * hv;
                su[j] = r;
                ga[j] = ga[j] + r;
            }
            workgroupBarrier();
        }
        var jd = 0.0;
        for (var j = tid; j < D; j += WG) {
            let v = prm.eta * sv[j];
            sv[j] = v;
            let xk = sx[kx(j)];
            // (NU x - J v) - (NU x - J' v'): the NU x terms as the CPU writes them.
            let jv = jvp_at(j, sy[j], v);
            let jv_old = cp_dxy(xk, mem[yo + j]) * (prm.eta * ga[j]);
            if (HYPER == HYPER_PER_FEATURE) {
                mem[dx + j] = mem[dx + j] + ((NU * xk - jv) - (NU * xk - jv_old));
            } else {
                jd = jd + (jv_old - jv);
            }
        }
        if (HYPER == HYPER_SCALAR) {
            let s2 = wg_sum(tid, jd);
            if (tid == 0u) { mem[dx] = mem[dx] + s2; }
        }
        workgroupBarrier();
        storageBarrier();
        for (var j = tid; j < D; j += WG) {
            mem[yo + j] = sy[j];
            sy[j] = sy[j] - beta * mem[dy + j];
        }
        workgroupBarrier();
        storageBarrier();
    }
}
