// ssaid: all three updates at the same point (x, y, v) (twin of `src/algo/ssaid.rs`):
//   y+ = y - beta grad_y g_zeta(x, y)
//   v+ = v - gamma (H_zeta'(x, y) v - grad_y f_xi(x, y))
//   x+ = x - alpha (grad_x f - J(x, y) v)

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
    let tid = lid.x;
    let lane = lane_index(wid);
    if (lane >= prm.lane_offset + prm.n_lanes) { return; }
    let ln = lanes[lane];
    load_state(tid, lane);
    workgroupBarrier();
    for (var it = 0u; it < prm.n_steps; it++) {
        let t = prm.t0 + it;
        let alpha = sched(prm.alpha, t);
        let beta = sched(prm.beta, t);
        let gamma = sched(prm.gamma, t);
        let step = vec2<u32>(t, 0u);
        draw(tid, ln, false, 0u, BL, FULL_L, S_LOWER, step);
        draw(tid, ln, true, BL, BU, FULL_U, S_UPPER, step);
        if (INDEP_H) { draw(tid, ln, false, BL + BU, BL, FULL_L, S_HVP, step); }
        for (var j = tid; j < D; j += WG) { pt[j] = sy[j]; sw[j] = sv[j]; }
        workgroupBarrier();

        // Lower batch: a.y (gradient) and a.v (Hessian), one read of the rows.
        dots(tid, 0u, BL, true, !INDEP_H);
        if (INDEP_H) { dots(tid, BL + BU, BL, true, true); }
        dots(tid, BL, BU, true, false);
        for (var k = tid; k < BL; k += WG) {
            let z = za[k];
            let b = lab(k);
            za[k] = loss_d1(z, b);
            if (!INDEP_H) { zb[k] = loss_d2(z, b) * zb[k]; }
            if (INDEP_H) {
                let h = BL + BU + k;
                zb[h] = loss_d2(za[h], lab(h)) * zb[h];
            }
        }
        for (var k = tid; k < BU; k += WG) { za[BL + k] = loss_d1(za[BL + k], lab(BL + k)); }
        workgroupBarrier();
        if (INDEP_H) {
            accum(tid, 0u, BL, true, 0u, false, 0u);
            accum(tid, BL + BU, BL, false, 0u, true, 1u);
        } else {
            accum(tid, 0u, BL, true, 0u, true, 1u);
        }
        accum(tid, BL, BU, true, 2u, false, 0u);

        // Per feature: the regularisers, then the three updates; J v for x.
        var jv_part = 0.0;
        for (var j = tid; j < D; j += WG) {
            let xk = sx[kx(j)];
            let yj = sy[j];
            let vj = sv[j];
            let g = grad_g_at(j, ga[j], yj);
            let hv = hvp_at(j, gb[j], yj, vj);
            let jv = cp_dxy(xk, yj) * vj;
            sy[j] = yj - beta * g;
            sv[j] = vj - gamma * (hv - gc[j]);
            if (HYPER == 0u) {
                sx[j] = xk - alpha * (NU * xk - jv);
            } else {
                jv_part = jv_part + jv;
            }
        }
        if (HYPER == 1u) {
            let jv = wg_sum(tid, jv_part);
            if (tid == 0u) { sx[0] = sx[0] - alpha * (NU * sx[0] - jv); }
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
    store_state(tid, lane);
}
