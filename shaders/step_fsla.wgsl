// fsla (twin of `src/algo/methods/fsla.rs`): y, then v at the new y, then x along a STORM momentum
// d of its direction. The lane's memory holds x' (P) and d (P).
//   y+ = y - beta grad_y g_zeta(x, y)
//   v+ = v - gamma (H_zeta'(x, y+) v - grad_y f_xi(x, y+))
//   D = NU x - J(x, y+) v+,  D' = NU x' - J(x', y, v);  d = D + (1 - rho) (d - D')
//   x' <- x;  x -= alpha d

fn step(tid: u32, ln: Lane, ll: u32, k: u32) {
    let alpha = sched(prm.alpha, k);
    let beta = sched(prm.beta, k);
    let gamma = sched(prm.gamma, k);
    let keep = 1.0 - sched(prm.rho, k);
    let first = k == 0u;
    let xp = mem_base(ll);
    let dm = xp + P;
    let key = vec2<u32>(k, 0u);

    draw(tid, ln, false, 0u, BL, FULL_L, S_LOWER, key);
    for (var j = tid; j < D; j += WG) { pt[j] = sy[j]; }
    workgroupBarrier();
    grad_y_g_data(tid, 0u, BL);
    // The old y in su, then y's step.
    for (var j = tid; j < D; j += WG) {
        let yj = sy[j];
        su[j] = yj;
        sy[j] = yj - beta * grad_y_g_at(j, ga[j], yj);
    }
    workgroupBarrier();

    draw(tid, ln, false, BL + BU, BL, FULL_L, S_HVP, key);
    draw(tid, ln, true, BL, BU, FULL_U, S_UPPER, key);
    for (var j = tid; j < D; j += WG) { pt[j] = sy[j]; sw[j] = sv[j]; }
    workgroupBarrier();
    hvp_data(tid, BL + BU, BL, false);   // gb
    grad_y_f(tid);                       // gc
    // The old v in sr, then v's step.
    for (var j = tid; j < D; j += WG) {
        let vj = sv[j];
        sr[j] = vj;
        sv[j] = vj - gamma * (hvp_at(j, gb[j], sy[j], vj) - gc[j]);
    }
    workgroupBarrier();

    var jv_part = 0.0;
    var jv_old_part = 0.0;
    for (var j = tid; j < D; j += WG) {
        let jv = jvp_at(j, sy[j], sv[j]);
        var jv_old = 0.0;
        if (!first) { jv_old = cp_dxy(mem[xp + kx(j)], su[j]) * sr[j]; }
        if (HYPER == HYPER_PER_FEATURE) {
            let dd = NU * sx[j] - jv;
            var d = dd;
            if (!first) { d = dd + keep * (mem[dm + j] - (NU * mem[xp + j] - jv_old)); }
            mem[dm + j] = d;
        } else {
            jv_part = jv_part + jv;
            jv_old_part = jv_old_part + jv_old;
        }
    }
    if (HYPER == HYPER_SCALAR) {
        let jv = wg_sum(tid, jv_part);
        let jv_old = wg_sum(tid, jv_old_part);
        if (tid == 0u) {
            let dd = NU * sx[0] - jv;
            var d = dd;
            if (!first) { d = dd + keep * (mem[dm] - (NU * mem[xp] - jv_old)); }
            mem[dm] = d;
        }
    }
    workgroupBarrier();
    for (var j = tid; j < P; j += WG) {
        mem[xp + j] = sx[j];
        sx[j] = sx[j] - alpha * mem[dm + j];
    }
    workgroupBarrier();
    // A scalar x' is read by every thread next step: thread 0's write must be visible.
    storageBarrier();
}
