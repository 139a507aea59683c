// ssgd: single-timescale SGD with a one-step truncated hypergradient (twin of
// `src/algo/ssgd.rs`):
//   y+ = y - beta grad_y g_zeta(x, y)
//   h  = grad_x f_xi(x, y+) - beta J(x, y) grad_y f_xi(x, y+);   x+ = x - alpha h

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
        let step = vec2<u32>(t, 0u);
        draw(tid, ln, false, 0u, BL, FULL_L, S_LOWER, step);
        draw(tid, ln, true, BL, BU, FULL_U, S_UPPER, step);
        for (var j = tid; j < D; j += WG) { pt[j] = sy[j]; }
        workgroupBarrier();
        lower_grad_data(tid, 0u, BL);
        // y+ into pt (the old y stays in sy for J).
        for (var j = tid; j < D; j += WG) {
            let yj = sy[j];
            pt[j] = yj - beta * grad_g_at(j, ga[j], yj);
        }
        workgroupBarrier();
        upper_grad(tid);
        var jv_part = 0.0;
        for (var j = tid; j < D; j += WG) {
            let xk = sx[kx(j)];
            let jv = cp_dxy(xk, sy[j]) * gc[j];
            if (HYPER == 0u) {
                sx[j] = xk - alpha * (NU * xk - beta * jv);
            } else {
                jv_part = jv_part + jv;
            }
        }
        if (HYPER == 1u) {
            let jv = wg_sum(tid, jv_part);
            if (tid == 0u) { sx[0] = sx[0] - alpha * (NU * sx[0] - beta * jv); }
        }
        workgroupBarrier();
        for (var j = tid; j < D; j += WG) { sy[j] = pt[j]; }
        workgroupBarrier();
    }
    store_state(tid, lane);
}
