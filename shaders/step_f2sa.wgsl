// f2sa (twin of `src/algo/methods/f2sa.rs`): z in sv, the penalty lambda in the lane's memory.
//   T steps on fresh batches: y -= beta (lambda grad_y g_zeta(x, y) + grad_y f_xi(x, y))
//                             z -= gamma grad_y g_zeta'(x, z)
//   x -= alpha (NU x + lambda (grad_x g_B(x, y) - grad_x g_B(x, z)));  lambda += delta_lambda
// B is the last inner step's lower batch, still in the lower slots for `gx_gap`. The data
// passes are the shared oracles (`pass.wgsl`): every loss, model and hyperparameter shape.

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
        for (var j = tid; j < D; j += WG) { pt[j] = sy[j]; }
        workgroupBarrier();
        grad_y_g_data(tid, 0u, BL);   // ga at y
        grad_y_f(tid);                // gc at y
        workgroupBarrier();
        for (var j = tid; j < D; j += WG) { pt[j] = sv[j]; }
        workgroupBarrier();
        grad_y_pass(tid, BL + BU, BL, true, 1u);   // gb: grad_y g's data term at z
        for (var j = tid; j < D; j += WG) {
            let yj = sy[j];
            let zk = sv[j];
            sy[j] = yj - beta * (lam * grad_y_g_at(j, ga[j], yj) + gc[j]);
            sv[j] = zk - gamma * grad_y_g_at(j, gb[j], zk);
        }
        workgroupBarrier();
    }
    for (var j = tid; j < D; j += WG) { pt[j] = sy[j]; sw[j] = sv[j]; }
    workgroupBarrier();
    gx_gap(tid);
    for (var i = tid; i < P; i += WG) { sx[i] = sx[i] - alpha * (NU * sx[i] + lam * sh[i]); }
    workgroupBarrier();
    if (tid == 0u) { mem[mb] = lam + sched(prm.delta_lambda, k); }
    // Every thread reads lambda next step: thread 0's write must be visible.
    storageBarrier();
}
