// bome (twin of `src/algo/methods/bome.rs`): z in sv, restarted from y every step.
//   z = y; T times z -= beta grad_y g(x, z)
//   grad q = (grad_x g(x, y) - grad_x g(x, z), grad_y g(x, y)); phi = ETA |grad q|^2
//   lambda = max(phi - <grad f, grad q>, 0) / |grad q|^2 (0 when grad q = 0)
//   x -= alpha (NU x + lambda grad_x q);  y -= beta (grad_y f + lambda grad_y q)

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
    for (var j = tid; j < D; j += WG) { pt[j] = sy[j]; }
    workgroupBarrier();
    dots(tid, 0u, BL + BU, true, false);
    for (var i = tid; i < BL + BU; i += WG) { za[i] = loss_d1(za[i], lab(i)); }
    workgroupBarrier();
    accum(tid, 0u, BL, true, 0u, false, 0u);
    accum(tid, BL, BU, true, 2u, false, 0u);
    // Per feature: grad_y q in ga, grad_y f in gc, grad_x q in su (per-feature x) or summed
    // (scalar x); the norm and the dot product summed over the workgroup.
    var nq = 0.0;
    var dot = 0.0;
    var qx_part = 0.0;
    for (var j = tid; j < D; j += WG) {
        let xk = sx[kx(j)];
        let qy = grad_y_g_at(j, ga[j], sy[j]);
        ga[j] = qy;
        nq = nq + qy * qy;
        dot = dot + gc[j] * qy;
        let qx = cp_dx(xk, sy[j]) - cp_dx(xk, sv[j]);
        if (HYPER == HYPER_PER_FEATURE) {
            su[j] = qx;
            nq = nq + qx * qx;
            dot = dot + NU * xk * qx;
        } else {
            qx_part = qx_part + qx;
        }
    }
    var n2 = wg_sum(tid, nq);
    var dt = wg_sum(tid, dot);
    var qx0 = 0.0;
    if (HYPER == HYPER_SCALAR) {
        qx0 = wg_sum(tid, qx_part);
        n2 = n2 + qx0 * qx0;
        dt = dt + NU * sx[0] * qx0;
    }
    var lam = 0.0;
    if (n2 > 0.0) { lam = max(prm.eta * n2 - dt, 0.0) / n2; }
    for (var j = tid; j < D; j += WG) {
        sy[j] = sy[j] - beta * (gc[j] + lam * ga[j]);
        if (HYPER == HYPER_PER_FEATURE) {
            sx[j] = sx[j] - alpha * (NU * sx[j] + lam * su[j]);
        }
    }
    if (HYPER == HYPER_SCALAR) {
        workgroupBarrier();
        if (tid == 0u) { sx[0] = sx[0] - alpha * (NU * sx[0] + lam * qx0); }
    }
    workgroupBarrier();
}
