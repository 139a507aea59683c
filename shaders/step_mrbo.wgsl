// mrbo (twin of `src/algo/methods/mrbo.rs`): STORM momentum on y and x, stocBiO's Neumann series at
// the current point (x, y) and at the previous one (x', y') on the same batches. The lane's
// memory holds x' (P), y' (D), m_x (P), m_y (D); v holds the current Neumann estimate.
//   m_y = grad_y g(x, y) + (1 - rho) (m_y - grad_y g(x', y'))
//   m_x = D(x, y, v) + (1 - rho) (m_x - D(x', y', v')),  D = NU x - J v
//   (x', y') <- (x, y);  y -= beta m_y;  x -= alpha m_x
// The first step has no previous point: m = the fresh estimates.
// With RAND_TRUNC (sustain, twin of `src/algo/methods/sustain.rs`) both series are Ghadimi and
// Wang's random truncation instead, with the same number of terms at both points.
// The data passes and J v are the shared oracles (`pass.wgsl`): every loss, model and
// hyperparameter shape. The previous point goes first, with x' in sx (the couplings and
// per-sample weights read x there): it leaves m - (its estimate) in the momenta, which the
// current point's estimates then complete in the CPU's order, m = e + (1 - rho) (m - e').

// The estimates at the point (sx, pt): grad_y g into ga (data term and regulariser), the
// series into sv, and D = NU x - J_zeta v into sh, with zeta (stream S_LOWER, step k) drawn
// into the lower slots and xi already in the upper ones. Ends with a barrier.
fn estimates(tid: u32, ln: Lane, k: u32, terms: u32) {
    draw(tid, ln, false, 0u, BL, FULL_L, S_LOWER, vec2<u32>(k, 0u));
    grad_y_g_data(tid, 0u, BL);
    grad_y_f(tid);
    for (var j = tid; j < D; j += WG) { ga[j] = grad_y_g_at(j, ga[j], pt[j]); }
    workgroupBarrier();
    series(tid, ln, k, terms);
    // J's per-sample terms read zeta's rows, which the series' batches replaced.
    if (weighted() && terms > 1u) { draw(tid, ln, false, 0u, BL, FULL_L, S_LOWER, vec2<u32>(k, 0u)); }
    for (var j = tid; j < D; j += WG) { sw[j] = sv[j]; }
    x_direction(tid);
}

fn step(tid: u32, ln: Lane, ll: u32, k: u32) {
    let alpha = sched(prm.alpha, k);
    let beta = sched(prm.beta, k);
    let keep = 1.0 - sched(prm.rho, k);
    let first = k == 0u;
    let xp = mem_base(ll);
    let yp = xp + P;
    let mx = yp + D;
    let my = mx + P;
    // sustain: p terms without the running sum, the same p at both points.
    var terms = Q_TERMS;
    if (RAND_TRUNC) { terms = truncation(ln, k) + 1u; }

    draw(tid, ln, true, BL, BU, FULL_U, S_UPPER, vec2<u32>(k, 0u));
    if (!first) {
        // x' into sx and x into x' (each thread its own coordinates: x' <- x is done here).
        for (var i = tid; i < P; i += WG) {
            let xi = sx[i];
            sx[i] = mem[xp + i];
            mem[xp + i] = xi;
        }
        for (var j = tid; j < D; j += WG) { pt[j] = mem[yp + j]; }
        workgroupBarrier();
        estimates(tid, ln, k, terms);
        for (var j = tid; j < D; j += WG) { mem[my + j] = mem[my + j] - ga[j]; }
        for (var i = tid; i < P; i += WG) {
            mem[mx + i] = mem[mx + i] - sh[i];
            sx[i] = mem[xp + i];
        }
    } else {
        for (var i = tid; i < P; i += WG) { mem[xp + i] = sx[i]; }
    }
    for (var j = tid; j < D; j += WG) { pt[j] = sy[j]; }
    workgroupBarrier();
    estimates(tid, ln, k, terms);
    for (var j = tid; j < D; j += WG) {
        var m = ga[j];
        if (!first) { m = m + keep * mem[my + j]; }
        mem[my + j] = m;
        mem[yp + j] = sy[j];
        sy[j] = sy[j] - beta * m;
    }
    for (var i = tid; i < P; i += WG) {
        var m = sh[i];
        if (!first) { m = m + keep * mem[mx + i]; }
        mem[mx + i] = m;
        sx[i] = sx[i] - alpha * m;
    }
    workgroupBarrier();
}
