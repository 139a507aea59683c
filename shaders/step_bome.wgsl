// bome (twin of `src/algo/methods/bome.rs`): z in sv, restarted from y every step.
//   z = y; T times z -= beta grad_y g(x, z)
//   grad q = (grad_x g_zeta(x, y) - grad_x g_zeta(x, z), grad_y g_zeta(x, y)); phi = ETA |grad q|^2
//   lambda = max(phi - <grad f, grad q>, 0) / |grad q|^2 (0 when grad q = 0)
//   x -= alpha (NU x + lambda grad_x q);  y -= beta (grad_y f + lambda grad_y q)
// The data passes and grad_x g are the shared oracles (`pass.wgsl`): every loss, model and
// hyperparameter shape. zeta (stream S_HVP) is drawn into the lower slots, which the inner
// steps no longer need, where `gx_gap` reads it.

fn step(tid: u32, ln: Lane, ll: u32, k: u32) {
    let alpha = sched(prm.alpha, k);
    let beta = sched(prm.beta, k);
    for (var j = tid; j < D; j += WG) { sv[j] = sy[j]; }
    workgroupBarrier();
    for (var s = 0u; s < T_INNER; s++) {
        draw(tid, ln, false, 0u, BL, FULL_L, S_LOWER, step_of(k, T_INNER, s));
        for (var j = tid; j < D; j += WG) { pt[j] = sv[j]; }
        workgroupBarrier();
        grad_y_g_data(tid, 0u, BL);
        for (var j = tid; j < D; j += WG) {
            let zj = sv[j];
            sv[j] = zj - beta * grad_y_g_at(j, ga[j], zj);
        }
        workgroupBarrier();
    }
    let key = vec2<u32>(k, 0u);
    draw(tid, ln, false, 0u, BL, FULL_L, S_HVP, key);
    draw(tid, ln, true, BL, BU, FULL_U, S_UPPER, key);
    for (var j = tid; j < D; j += WG) { pt[j] = sy[j]; sw[j] = sv[j]; }
    workgroupBarrier();
    grad_y_g_data(tid, 0u, BL);   // ga: grad_y q's data term
    grad_y_f(tid);                // gc
    for (var j = tid; j < D; j += WG) { ga[j] = grad_y_g_at(j, ga[j], sy[j]); }
    workgroupBarrier();
    gx_gap(tid);                  // sh: grad_x q
    // |grad q|^2 and <grad f, grad q>, the y parts and the x parts, over the workgroup.
    var nq = 0.0;
    var dot = 0.0;
    for (var j = tid; j < D; j += WG) {
        let qy = ga[j];
        nq = nq + qy * qy;
        dot = dot + gc[j] * qy;
    }
    for (var i = tid; i < P; i += WG) {
        let qx = sh[i];
        nq = nq + qx * qx;
        dot = dot + NU * sx[i] * qx;
    }
    let n2 = wg_sum(tid, nq);
    let dt = wg_sum(tid, dot);
    var lam = 0.0;
    if (n2 > 0.0) { lam = max(prm.eta * n2 - dt, 0.0) / n2; }
    for (var j = tid; j < D; j += WG) { sy[j] = sy[j] - beta * (gc[j] + lam * ga[j]); }
    for (var i = tid; i < P; i += WG) { sx[i] = sx[i] - alpha * (NU * sx[i] + lam * sh[i]); }
    workgroupBarrier();
}
