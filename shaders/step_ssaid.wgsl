// ssaid: all three updates at the same point (x, y, v) (twin of `src/algo/methods/ssaid.rs`):
//   y+ = y - beta grad_y g_zeta(x, y)
//   v+ = v - gamma (H_zeta'(x, y) v - grad_y f_xi(x, y))
//   x+ = x - alpha (grad_x f - J(x, y) v)
// With MA (ma-soba, twin of `src/algo/methods/ma_soba.rs`), x moves along the moving average h of
// that direction, kept in the lane's memory: h += rho (D - h); x -= alpha h.

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

    // Lower batch: a.y (gradient) and a.v (Hessian; and per-sample weights' J v, which is
    // taken on this batch zeta even with an independent Hessian batch), one read of the rows.
    // The network (NH > 0): the forward passes, with the outputs' tangents where needed.
    if (NH > 0u) {
        net_forward(tid, 0u, BL, !INDEP_H || weighted());
        if (INDEP_H) { net_forward(tid, BL + BU, BL, true); }
        net_forward(tid, BL, BU, false);
    } else {
        dots(tid, 0u, BL, true, !INDEP_H || weighted());
        if (INDEP_H) { dots(tid, BL + BU, BL, true, true); }
        dots(tid, BL, BU, true, false);
    }
    // The network's Hessian product also needs g = dl/dz of its batch.
    for (var i = tid; i < BL; i += WG) {
        coef_slot(i, true, !INDEP_H, true, true);
        if (INDEP_H) { coef_slot(BL + BU + i, NH > 0u, true, true, false); }
    }
    for (var i = tid; i < BU; i += WG) { coef_slot(BL + i, true, false, false, false); }
    workgroupBarrier();
    if (NH > 0u) {
        net_deltas(tid, 0u, BL, !INDEP_H);
        if (INDEP_H) { net_deltas(tid, BL + BU, BL, true); }
        net_deltas(tid, BL, BU, false);
        if (INDEP_H) {
            net_accum(tid, 0u, BL, true, 0u, false, 0u);
            net_accum(tid, BL + BU, BL, false, 0u, true, 1u);
        } else {
            net_accum(tid, 0u, BL, true, 0u, true, 1u);
        }
        net_accum(tid, BL, BU, true, 2u, false, 0u);
    } else if (INDEP_H) {
        accum(tid, 0u, BL, true, 0u, false, 0u);
        accum(tid, BL + BU, BL, false, 0u, true, 1u);
    } else {
        accum(tid, 0u, BL, true, 0u, true, 1u);
    }
    if (NH == 0u) { accum(tid, BL, BU, true, 2u, false, 0u); }

    // Per feature: grad_y g into ga and H v into gb, both at the old x; then x at the old
    // (y, v); then y and v.
    for (var j = tid; j < D; j += WG) {
        ga[j] = grad_y_g_at(j, ga[j], sy[j]);
        gb[j] = hvp_at(j, gb[j], sy[j], sv[j]);
    }
    if (MA) { averaged_x_step(tid, ll, sched(prm.rho, t), alpha); } else { implicit_x_step(tid, alpha); }
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

// ma-soba's x step at (sx, sy, sv): D = NU x - J(x, y) v, h += rho (D - h) in the lane's
// memory, x -= alpha h. Ends with a barrier.
fn averaged_x_step(tid: u32, ll: u32, rho: f32, alpha: f32) {
    let mb = mem_base(ll);
    // Per-sample weights: J v is sparse, at the lower batch's drawn indices (sh); per-class
    // x: one sum per class (sh).
    if (HYPER == HYPER_PER_SAMPLE || HYPER == HYPER_PER_CLASS) {
        if (HYPER == HYPER_PER_SAMPLE) { sample_jv(tid); } else { class_jv(tid); }
        for (var i = tid; i < P; i += WG) {
            let h = mem[mb + i];
            let hn = h + rho * ((NU * sx[i] - sh[i]) - h);
            mem[mb + i] = hn;
            sx[i] = sx[i] - alpha * hn;
        }
        workgroupBarrier();
        return;
    }
    // C classes share a per-feature x: J v sums over the classes of feature f.
    if (HYPER == HYPER_PER_FEATURE && C > 1u) {
        // Other threads may still read x_f for their coordinates c F + f.
        workgroupBarrier();
        for (var f = tid; f < P; f += WG) {
            var jv = 0.0;
            for (var c = 0u; c < C; c++) {
                let j = c * F + f;
                jv = jv + jvp_at(j, sy[j], sv[j]);
            }
            let h = mem[mb + f];
            let hn = h + rho * ((NU * sx[f] - jv) - h);
            mem[mb + f] = hn;
            sx[f] = sx[f] - alpha * hn;
        }
        workgroupBarrier();
        return;
    }
    var jv_part = 0.0;
    for (var j = tid; j < D; j += WG) {
        let jv = jvp_at(j, sy[j], sv[j]);
        if (HYPER == HYPER_PER_FEATURE) {
            let h = mem[mb + j];
            let hn = h + rho * ((NU * sx[j] - jv) - h);
            mem[mb + j] = hn;
            sx[j] = sx[j] - alpha * hn;
        } else {
            jv_part = jv_part + jv;
        }
    }
    if (HYPER == HYPER_SCALAR) {
        let jv = wg_sum(tid, jv_part);
        if (tid == 0u) {
            let h = mem[mb];
            let hn = h + rho * ((NU * sx[0] - jv) - h);
            mem[mb] = hn;
            sx[0] = sx[0] - alpha * hn;
        }
    }
    workgroupBarrier();
}
