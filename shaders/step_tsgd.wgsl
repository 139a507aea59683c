// tsgd (warm start) and ud (RESET: y^0 = y_init at every outer step: y0, or the network's
// initial weights from the lane's memory) (twin of `src/algo/methods/tsgd.rs`):
//   y^{s+1} = y^s - beta_k grad_y g_{zeta_s}(x_k, y^s),  s < T,   inner iterates kept in scratch
//   u = grad_y f_xi(x_k, y^T);  h = grad_x f
//   for s = T-1 down to 0:  h -= beta_k J(x_k, y^s) u;  u -= beta_k H_{zeta_s}(x_k, y^s) u  (s > 0)
//   x_{k+1} = x_k - alpha_k h;  y_{k+1} = y^T

fn ys_at(lane_local: u32, s: u32, j: u32) -> u32 {
    return lane_local * prm.scratch_stride + s * D + j;
}

fn step(tid: u32, ln: Lane, ll: u32, k: u32) {
    let alpha = sched(prm.alpha, k);
    let beta = sched(prm.beta, k);

    // Forward: T inner steps from y_k (or y0), each iterate saved. ud with the network
    // restarts from the lane's initial weights, kept in its memory from the first step.
    let yb = mem_base(ll);
    for (var j = tid; j < D; j += WG) {
        var y = sy[j];
        if (RESET) {
            if (NH == 0u) {
                y = prm.y0;
            } else if (k == 0u) {
                mem[yb + j] = y;
            } else {
                y = mem[yb + j];
            }
        }
        pt[j] = y;
        scratch[ys_at(ll, 0u, j)] = y;
    }
    workgroupBarrier();
    for (var s = 0u; s < T_INNER; s++) {
        draw(tid, ln, false, 0u, BL, FULL_L, S_LOWER, step_of(k, T_INNER, s));
        grad_y_g_data(tid, 0u, BL);
        for (var j = tid; j < D; j += WG) {
            let yj = pt[j];
            let yn = yj - beta * grad_y_g_at(j, ga[j], yj);
            pt[j] = yn;
            scratch[ys_at(ll, s + 1u, j)] = yn;
        }
        workgroupBarrier();
    }
    for (var j = tid; j < D; j += WG) { sy[j] = pt[j]; }

    // Backward through the inner steps.
    draw(tid, ln, true, BL, BU, FULL_U, S_UPPER, vec2<u32>(k, 0u));
    grad_y_f(tid);
    for (var j = tid; j < P; j += WG) { sh[j] = NU * sx[j]; }
    for (var j = tid; j < D; j += WG) { su[j] = gc[j]; }
    workgroupBarrier();
    for (var r = 0u; r < T_INNER; r++) {
        let s = T_INNER - 1u - r;
        for (var j = tid; j < D; j += WG) {
            pt[j] = scratch[ys_at(ll, s, j)];
            sw[j] = su[j];
        }
        workgroupBarrier();
        // h -= beta J(x, y^s) u: the coupling's term, or per-sample weights' on zeta_s.
        sub_coupling_jv(tid, beta);
        if (weighted() || s > 0u) {
            // zeta_s again: J's terms (weights) and H(x, y^s) u (s > 0) from one data pass
            // (the network's product also needs g).
            draw(tid, ln, false, 0u, BL, FULL_L, S_LOWER, step_of(k, T_INNER, s));
            if (NH > 0u) { net_forward(tid, 0u, BL, true); } else { dots(tid, 0u, BL, true, true); }
            for (var i = tid; i < BL; i += WG) { coef_slot(i, NH > 0u, s > 0u, true, true); }
            workgroupBarrier();
            if (weighted()) { sample_jv_sub(tid, beta); }
            if (s > 0u) {
                if (NH > 0u) {
                    net_deltas(tid, 0u, BL, true);
                    net_accum(tid, 0u, BL, false, 0u, true, 1u);
                } else {
                    accum(tid, 0u, BL, false, 0u, true, 1u);
                }
                for (var j = tid; j < D; j += WG) {
                    let hv = hvp_at(j, gb[j], pt[j], su[j]);
                    su[j] = su[j] - beta * hv;
                }
                workgroupBarrier();
            }
        }
    }
    for (var j = tid; j < P; j += WG) { sx[j] = sx[j] - alpha * sh[j]; }
    workgroupBarrier();
}
