// vrbo (twin of `src/algo/methods/vrbo.rs`): SARAH-recursive d_y and d_x, refreshed from
// full batches every prm.period outer steps, then the x step and T inner steps. The lane's
// memory holds y' (D), d_y (D), d_x (P); v (sv) the last series at y.
//   refresh: d_y = grad_y g; v = eta sum (I - eta H)^q grad_y f (full); d_x = NU x - J v; y' = y
//   x -= alpha d_x
//   T times: d_y += grad_y g(x, y) - grad_y g(x, y');
//            d_x += (NU x - J(x, y) v) - (NU x - J(x, y') v')  (series at y and y', same batches)
//            y' = y; y -= beta d_y
// The data passes and J v are the shared oracles (`pass.wgsl`): every loss, model and
// hyperparameter shape. d_x's correction takes the estimate at y' out first and adds the one
// at y after ((d - e') + e, where the CPU adds e - e'), so that the x direction needs one
// P-long vector (sh) at a time.

// sh = NU x - J_zeta(x, pt) sv, zeta (stream S_LOWER, step `key`) redrawn into the lower
// slots when the series' batches replaced it and J reads it. Ends with a barrier.
fn direction_along_v(tid: u32, ln: Lane, key: vec2<u32>) {
    if (weighted() && Q_TERMS > 1u) { draw(tid, ln, false, 0u, BL, FULL_L, S_LOWER, key); }
    for (var j = tid; j < D; j += WG) { sw[j] = sv[j]; }
    x_direction(tid);
}

fn step(tid: u32, ln: Lane, ll: u32, k: u32) {
    let alpha = sched(prm.alpha, k);
    let beta = sched(prm.beta, k);
    let yo = mem_base(ll);
    let dy = yo + D;
    let dx = dy + D;

    if ((k % max(prm.period, 1u)) == 0u) {
        for (var j = tid; j < D; j += WG) { pt[j] = sy[j]; }
        workgroupBarrier();
        full_pass(tid, ln, false, true, false, false);   // su: grad_y g's data term
        full_pass(tid, ln, true, true, false, false);    // gc: grad_y f
        // The series with the full Hessian: r in sw (the vector the pass dots with), the sum in sv.
        for (var j = tid; j < D; j += WG) {
            mem[dy + j] = grad_y_g_at(j, su[j], sy[j]);
            mem[yo + j] = sy[j];
            sw[j] = gc[j];
            sv[j] = gc[j];
        }
        workgroupBarrier();
        for (var q = 1u; q < Q_TERMS; q++) {
            full_pass(tid, ln, false, false, true, false);   // sr: H r's data term
            for (var j = tid; j < D; j += WG) {
                let r = sw[j] - prm.eta * hvp_at(j, sr[j], sy[j], sw[j]);
                sw[j] = r;
                sv[j] = sv[j] + r;
            }
            workgroupBarrier();
        }
        for (var i = tid; i < P; i += WG) { sh[i] = NU * sx[i]; }
        for (var j = tid; j < D; j += WG) {
            let v = prm.eta * sv[j];
            sv[j] = v;
            sw[j] = v;
        }
        workgroupBarrier();
        sub_coupling_jv(tid, 1.0);
        if (weighted()) { full_pass(tid, ln, false, false, false, true); }
        for (var i = tid; i < P; i += WG) { mem[dx + i] = sh[i]; }
    }
    for (var i = tid; i < P; i += WG) { sx[i] = sx[i] - alpha * mem[dx + i]; }
    workgroupBarrier();

    for (var s = 0u; s < T_INNER; s++) {
        let i = k * T_INNER + s;
        let key = step_of(k, T_INNER, s);
        draw(tid, ln, false, 0u, BL, FULL_L, S_LOWER, key);
        draw(tid, ln, true, BL, BU, FULL_U, S_UPPER, key);
        // grad_y g's data terms at y (ga) and y' (gb), then d_y in the CPU's order.
        for (var j = tid; j < D; j += WG) { pt[j] = sy[j]; }
        workgroupBarrier();
        grad_y_g_data(tid, 0u, BL);
        workgroupBarrier();
        for (var j = tid; j < D; j += WG) { pt[j] = mem[yo + j]; }
        workgroupBarrier();
        grad_y_pass(tid, 0u, BL, true, 1u);
        for (var j = tid; j < D; j += WG) {
            let g_old = grad_y_g_at(j, gb[j], pt[j]);
            mem[dy + j] = mem[dy + j] + (grad_y_g_at(j, ga[j], sy[j]) - g_old);
        }
        workgroupBarrier();
        // The estimate at y' (pt): the series into sv, D' into sh, out of d_x.
        grad_y_f(tid);
        workgroupBarrier();
        series(tid, ln, i, Q_TERMS);
        direction_along_v(tid, ln, key);
        for (var q = tid; q < P; q += WG) { mem[dx + q] = mem[dx + q] - sh[q]; }
        // ... and at y, whose series stays in v.
        for (var j = tid; j < D; j += WG) { pt[j] = sy[j]; }
        workgroupBarrier();
        grad_y_f(tid);
        workgroupBarrier();
        series(tid, ln, i, Q_TERMS);
        direction_along_v(tid, ln, key);
        for (var q = tid; q < P; q += WG) { mem[dx + q] = mem[dx + q] + sh[q]; }
        for (var j = tid; j < D; j += WG) {
            mem[yo + j] = sy[j];
            sy[j] = sy[j] - beta * mem[dy + j];
        }
        workgroupBarrier();
    }
}
