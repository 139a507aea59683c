// f2sa (twin of `src/algo/methods/f2sa.rs`): z in sv, the penalty lambda in the lane's memory.
//   T steps on fresh batches: y -= beta (lambda grad_y g_zeta(x, y) + grad_y f_xi(x, y))
//                             z -= gamma grad_y g_zeta'(x, z)
//   x -= alpha (NU x + lambda (grad_x g(x, y) - grad_x g(x, z)));  lambda += delta_lambda

fn step(tid: u32, ln: Lane, ll: u32, k: u32) {
    let alpha = sched(prm.alpha, k);
    let beta = sched(prm.beta, k);
    let gamma = sched(prm.gamma, k);
    let mb = mem_base(ll);
    // Every thread reads lambda here; thread 0 writes the next one after the step's last
    // barrier.
    var lam = mem[mb];
    if (k == 0u) { lam = prm.lambda0; }
    for (var s = 0u; s < T_INNER; s++) {
        let key = step_of(k, T_INNER, s);
        draw(tid, ln, false, 0u, BL, FULL_L, S_LOWER, key);
        draw(tid, ln, true, BL, BU, FULL_U, S_UPPER, key);
        draw(tid, ln, false, BL + BU, BL, FULL_L, S_HVP, key);
        for (var j = tid; j < D; j += WG) { pt[j] = sy[j]; sw[j] = sv[j]; }
        workgroupBarrier();
        // a.y for the lower and upper batches, a.z for the second lower batch.
        dots(tid, 0u, BL + BU, true, false);
        dots(tid, BL + BU, BL, false, true);
        for (var i = tid; i < BL + BU; i += WG) { za[i] = loss_d1(za[i], lab(i)); }
        for (var i = tid; i < BL; i += WG) {
            let h = BL + BU + i;
            zb[h] = loss_d1(zb[h], lab(h));
        }
        workgroupBarrier();
        accum(tid, 0u, BL, true, 0u, false, 0u);
        accum(tid, BL, BU, true, 2u, false, 0u);
        accum(tid, BL + BU, BL, false, 0u, true, 1u);
        for (var j = tid; j < D; j += WG) {
            let yj = sy[j];
            let zj = sv[j];
            sy[j] = yj - beta * (lam * grad_y_g_at(j, ga[j], yj) + gc[j]);
            sv[j] = zj - gamma * grad_y_g_at(j, gb[j], zj);
        }
        workgroupBarrier();
    }
    // x: per feature from the coordinates each thread owns; a scalar x sums both gradients
    // over the features first (the CPU's two sums).
    var py = 0.0;
    var pz = 0.0;
    for (var j = tid; j < D; j += WG) {
        let xk = sx[kx(j)];
        let gy = cp_dx(xk, sy[j]);
        let gz = cp_dx(xk, sv[j]);
        if (HYPER == HYPER_PER_FEATURE) {
            sx[j] = xk - alpha * (NU * xk + lam * (gy - gz));
        } else {
            py = py + gy;
            pz = pz + gz;
        }
    }
    if (HYPER == HYPER_SCALAR) {
        let gy = wg_sum(tid, py);
        let gz = wg_sum(tid, pz);
        if (tid == 0u) { sx[0] = sx[0] - alpha * (NU * sx[0] + lam * (gy - gz)); }
    }
    workgroupBarrier();
    if (tid == 0u) { mem[mb] = lam + sched(prm.delta_lambda, k); }
    // Every thread reads lambda next step: thread 0's write must be visible.
    storageBarrier();
}
