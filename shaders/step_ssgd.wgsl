// ssgd: single-timescale SGD with a one-step truncated hypergradient (twin of
// `src/algo/methods/ssgd.rs`):
//   y+ = y - beta grad_y g_zeta(x, y)
//   h  = grad_x f_xi(x, y+) - beta J_zeta(x, y) grad_y f_xi(x, y+);   x+ = x - alpha h
// The data passes and J v are the shared oracles (`pass.wgsl`), so the kernel runs every
// loss, model and hyperparameter shape the oracles do; J's per-sample terms (data
// hyper-cleaning) reuse zeta's rows, still in the lower slots.

fn step(tid: u32, ln: Lane, ll: u32, t: u32) {
    let alpha = sched(prm.alpha, t);
    let beta = sched(prm.beta, t);
    let k = vec2<u32>(t, 0u);
    draw(tid, ln, false, 0u, BL, FULL_L, S_LOWER, k);
    draw(tid, ln, true, BL, BU, FULL_U, S_UPPER, k);
    for (var j = tid; j < D; j += WG) { pt[j] = sy[j]; }
    workgroupBarrier();
    grad_y_g_data(tid, 0u, BL);
    // y+ into su and pt (the old y stays in sy for J).
    for (var j = tid; j < D; j += WG) {
        let yj = sy[j];
        let yn = yj - beta * grad_y_g_at(j, ga[j], yj);
        su[j] = yn;
        pt[j] = yn;
    }
    workgroupBarrier();
    grad_y_f(tid);
    // h = NU x - beta J(x, y) u, with u = grad_y f in sw and the old y in pt.
    for (var j = tid; j < P; j += WG) { sh[j] = NU * sx[j]; }
    for (var j = tid; j < D; j += WG) { pt[j] = sy[j]; sw[j] = gc[j]; }
    workgroupBarrier();
    sub_coupling_jv(tid, beta);
    if (weighted()) {
        jv_terms(tid, 0u, BL);
        sample_jv_sub(tid, beta);
    }
    for (var j = tid; j < P; j += WG) { sx[j] = sx[j] - alpha * sh[j]; }
    for (var j = tid; j < D; j += WG) { sy[j] = su[j]; }
    workgroupBarrier();
}
