// ssaid with one thread per lane (twin of `src/algo/methods/ssaid.rs`, as `step_ssaid.wgsl`
// but mapped as `threads.wgsl` describes: for small d a workgroup per lane leaves most of its
// threads idle in the per-feature phases and takes a barrier per phase):
//   y+ = y - beta grad_y g_zeta(x, y)
//   v+ = v - gamma (H_zeta'(x, y) v - grad_y f_xi(x, y))
//   x+ = x - alpha (grad_x f - J(x, y) v)
// Sums run in the CPU's order (samples, then features; J v of a scalar x in feature order).

// The lower batch's data sums at (y, v): w l'(a.y, b) a into lg (`grad`) and l''(a.y, b)
// (a.v) a into lh (`hess`), not yet divided by the batch size.
fn lt_lower_pass(ln: Lane, stream: u32, t: u32, grad: bool, hess: bool) {
    let step = vec2<u32>(t, 0u);
    for (var s = 0u; s < BL; s++) {
        let r = lt_row(ln, false, stream, step, s);
        let base = r * F;
        var z = 0.0;
        var av = 0.0;
        for (var j = 0u; j < D; j++) {
            let a = feats[base + j];
            z = z + a * ly[j];
            av = av + a * lv[j];
        }
        let b = labels[r];
        let c1 = loss_d1(z, b);
        let c2 = loss_d2(z, b) * av;
        for (var j = 0u; j < D; j++) {
            let a = feats[base + j];
            if (grad) { lg[j] = lg[j] + c1 * a; }
            if (hess) { lh[j] = lh[j] + c2 * a; }
        }
    }
}

fn lt_step(ln: Lane, ll: u32, t: u32) {
    let alpha = sched(prm.alpha, t);
    let beta = sched(prm.beta, t);
    let gamma = sched(prm.gamma, t);
    for (var j = 0u; j < D; j++) {
        lg[j] = 0.0;
        lh[j] = 0.0;
        lu[j] = 0.0;
    }
    if (INDEP_H) {
        lt_lower_pass(ln, S_LOWER, t, true, false);
        lt_lower_pass(ln, S_HVP, t, false, true);
    } else {
        lt_lower_pass(ln, S_LOWER, t, true, true);
    }
    for (var s = 0u; s < BU; s++) {
        let r = lt_row(ln, true, S_UPPER, vec2<u32>(t, 0u), s);
        let base = r * F;
        var z = 0.0;
        for (var j = 0u; j < D; j++) { z = z + feats[base + j] * ly[j]; }
        let c = loss_d1(z, labels[r]);
        for (var j = 0u; j < D; j++) { lu[j] = lu[j] + c * feats[base + j]; }
    }
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
