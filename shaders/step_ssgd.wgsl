// ssgd: single-timescale SGD with a one-step truncated hypergradient (twin of
// `src/algo/methods/ssgd.rs`):
//   y+ = y - beta grad_y g_zeta(x, y)
//   h  = grad_x f_xi(x, y+) - beta J(x, y) grad_y f_xi(x, y+);   x+ = x - alpha h

fn step(tid: u32, ln: Lane, ll: u32, t: u32) {
    let alpha = sched(prm.alpha, t);
    let beta = sched(prm.beta, t);
    let k = vec2<u32>(t, 0u);
    draw(tid, ln, false, 0u, BL, FULL_L, S_LOWER, k);
    draw(tid, ln, true, BL, BU, FULL_U, S_UPPER, k);
    for (var j = tid; j < D; j += WG) { pt[j] = sy[j]; }
    workgroupBarrier();
    grad_y_g_data(tid, 0u, BL);
    // y+ into pt (the old y stays in sy for J).
    for (var j = tid; j < D; j += WG) {
        let yj = sy[j];
        pt[j] = yj - beta * grad_y_g_at(j, ga[j], yj);
    }
    workgroupBarrier();
    grad_y_f(tid);
    var jv_part = 0.0;
    for (var j = tid; j < D; j += WG) {
        let xk = sx[kx(j)];
        let jv = jvp_at(j, sy[j], gc[j]);
        if (HYPER == HYPER_PER_FEATURE) {
            sx[j] = xk - alpha * (NU * xk - beta * jv);
        } else {
            jv_part = jv_part + jv;
        }
    }
    if (HYPER == HYPER_SCALAR) {
        let jv = wg_sum(tid, jv_part);
        if (tid == 0u) { sx[0] = sx[0] - alpha * (NU * sx[0] - beta * jv); }
    }
    workgroupBarrier();
    for (var j = tid; j < D; j += WG) { sy[j] = pt[j]; }
    workgroupBarrier();
}
