// fsla (twin of `src/algo/methods/fsla.rs`): y, then v at the new y, then x along a STORM momentum
// d of its direction. The lane's memory holds x' (P) and d (P).
//   y+ = y - beta grad_y g_zeta(x, y)
//   v+ = v - gamma (H_zeta'(x, y+) v - grad_y f_xi(x, y+))
//   D = NU x - J_zeta(x, y+) v+,  D' = NU x' - J_zeta(x', y, v);  d = D + (1 - rho) (d - D')
//   x' <- x;  x -= alpha d
// The data passes and J v are the shared oracles (`pass.wgsl`): every loss, model and
// hyperparameter shape. D' puts x' in sx for its J (per-sample weights read x at the drawn
// indices, the couplings at every coordinate) and x back after.

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

    // D' at (x', y, v) first: x' into sx (x into x'), d - D' into d, x back into sx. Each
    // thread moves the coordinates it owns, so x' <- x is done here.
    if (!first) {
        for (var j = tid; j < P; j += WG) {
            let xj = sx[j];
            sx[j] = mem[xp + j];
            mem[xp + j] = xj;
        }
        for (var j = tid; j < D; j += WG) { pt[j] = su[j]; sw[j] = sr[j]; }
        x_direction(tid);
        for (var j = tid; j < P; j += WG) {
            mem[dm + j] = mem[dm + j] - sh[j];
            sx[j] = mem[xp + j];
        }
    } else {
        for (var j = tid; j < P; j += WG) { mem[xp + j] = sx[j]; }
    }
    for (var j = tid; j < D; j += WG) { pt[j] = sy[j]; sw[j] = sv[j]; }
    x_direction(tid);
    for (var j = tid; j < P; j += WG) {
        var d = sh[j];
        if (!first) { d = d + keep * mem[dm + j]; }
        mem[dm + j] = d;
        sx[j] = sx[j] - alpha * d;
    }
    workgroupBarrier();
}
