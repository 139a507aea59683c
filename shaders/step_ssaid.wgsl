// ssaid: all three updates at the same point (x, y, v) (twin of `src/algo/ssaid.rs`):
//   y+ = y - beta grad_y g_zeta(x, y)
//   v+ = v - gamma (H_zeta'(x, y) v - grad_y f_xi(x, y))
//   x+ = x - alpha (grad_x f - J(x, y) v)

fn step(tid: u32, ln: Lane, ll: u32, t: u32) {
    let alpha = sched(prm.alpha, t);
    let beta = sched(prm.beta, t);
    let gamma = sched(prm.gamma, t);
    let k = vec2<u32>(t, 0u);
    draw(tid, ln, false, 0u, BL, FULL_L, S_LOWER, k);
    draw(tid, ln, true, BL, BU, FULL_U, S_UPPER, k);
    if (INDEP_H) { draw(tid, ln, false, BL + BU, BL, FULL_L, S_HVP, k); }
    for (var j = tid; j < D; j += WG) { pt[j] = sy[j]; sw[j] = sv[j]; }
    workgroupBarrier();

    // Lower batch: a.y (gradient) and a.v (Hessian), one read of the rows.
    dots(tid, 0u, BL, true, !INDEP_H);
    if (INDEP_H) { dots(tid, BL + BU, BL, true, true); }
    dots(tid, BL, BU, true, false);
    for (var i = tid; i < BL; i += WG) {
        let z = za[i];
        let b = lab(i);
        za[i] = loss_d1(z, b);
        if (!INDEP_H) { zb[i] = loss_d2(z, b) * zb[i]; }
        if (INDEP_H) {
            let h = BL + BU + i;
            zb[h] = loss_d2(za[h], lab(h)) * zb[h];
        }
    }
    for (var i = tid; i < BU; i += WG) { za[BL + i] = loss_d1(za[BL + i], lab(BL + i)); }
    workgroupBarrier();
    if (INDEP_H) {
        accum(tid, 0u, BL, true, 0u, false, 0u);
        accum(tid, BL + BU, BL, false, 0u, true, 1u);
    } else {
        accum(tid, 0u, BL, true, 0u, true, 1u);
    }
    accum(tid, BL, BU, true, 2u, false, 0u);

    // Per feature: grad_y g into ga and H v into gb, both at the old x; then x at the old
    // (y, v); then y and v.
    for (var j = tid; j < D; j += WG) {
        ga[j] = grad_y_g_at(j, ga[j], sy[j]);
        gb[j] = hvp_at(j, gb[j], sy[j], sv[j]);
    }
    implicit_x_step(tid, alpha);
    for (var j = tid; j < D; j += WG) {
        sy[j] = sy[j] - beta * ga[j];
        sv[j] = sv[j] - gamma * (gb[j] - gc[j]);
    }
    if (CLIP) {
        var q = 0.0;
        for (var j = tid; j < D; j += WG) { q = q + sv[j] * sv[j]; }
        let nrm = sqrt(wg_sum(tid, q));
        if (nrm > prm.v_radius) {
            let s = prm.v_radius / nrm;
            for (var j = tid; j < D; j += WG) { sv[j] = sv[j] * s; }
        }
    }
    workgroupBarrier();
}
