// ssaid with one thread per lane (twin of `src/algo/methods/ssaid.rs`, as `step_ssaid.wgsl`
// but mapped as `threads.wgsl` describes: for small d a workgroup per lane leaves most of its
// threads idle in the per-feature phases and takes a barrier per phase):
//   y+ = y - beta grad_y g_zeta(x, y)
//   v+ = v - gamma (H_zeta'(x, y) v - grad_y f_xi(x, y))
//   x+ = x - alpha (grad_x f - J(x, y) v)
// Sums run in the CPU's order (samples, then features; J v of a scalar x in feature order).

fn lt_step(ln: Lane, ll: u32, t: u32) {
    let alpha = sched(prm.alpha, t);
    let beta = sched(prm.beta, t);
    let gamma = sched(prm.gamma, t);
    let k = vec2<u32>(t, 0u);
    if (INDEP_H) {
        lt_pass(ln, false, S_LOWER, k, &ly, &lv, &lg, &lh, true, false);
        lt_pass(ln, false, S_HVP, k, &ly, &lv, &lg, &lh, false, true);
    } else {
        lt_pass(ln, false, S_LOWER, k, &ly, &lv, &lg, &lh, true, true);
    }
    lt_pass(ln, true, S_UPPER, k, &ly, &lv, &lu, &lh, true, false);
    // Per coordinate, at the old x: grad_y g and H v with their regularisers; grad_y f.
    let il = 1.0 / f32(BL);
    let iu = 1.0 / f32(BU);
    for (var j = 0u; j < D; j++) {
        let xk = lx[lt_kx(j)];
        lg[j] = lg[j] * il + cp_dy(xk, ly[j]) + LAM_Y * ly[j];
        lh[j] = lh[j] * il + (cp_dyy(xk, ly[j]) + LAM_Y) * lv[j];
        lu[j] = lu[j] * iu;
    }
    // x at the old (y, v): x -= alpha (NU x - J v).
    if (HYPER == HYPER_PER_FEATURE) {
        for (var j = 0u; j < D; j++) {
            let xk = lx[j];
            lx[j] = xk - alpha * (NU * xk - cp_dxy(xk, ly[j]) * lv[j]);
        }
    } else {
        var jv = 0.0;
        for (var j = 0u; j < D; j++) { jv = jv + cp_dxy(lx[0], ly[j]) * lv[j]; }
        lx[0] = lx[0] - alpha * (NU * lx[0] - jv);
    }
    for (var j = 0u; j < D; j++) {
        ly[j] = ly[j] - beta * lg[j];
        lv[j] = lv[j] - gamma * (lh[j] - lu[j]);
    }
    if (CLIP) {
        var q = 0.0;
        for (var j = 0u; j < D; j++) { q = q + lv[j] * lv[j]; }
        let nrm = sqrt(q);
        if (nrm > prm.v_radius) {
            let s = prm.v_radius / nrm;
            for (var j = 0u; j < D; j++) { lv[j] = lv[j] * s; }
        }
    }
}
