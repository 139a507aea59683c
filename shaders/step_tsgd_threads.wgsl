// tsgd and ud (RESET: y^0 = y0 at every outer step) with one thread per lane (twin of
// `src/algo/methods/tsgd.rs`, as `step_tsgd.wgsl` but mapped as `threads.wgsl` describes):
//   y^{s+1} = y^s - beta_k grad_y g_{zeta_s}(x_k, y^s),  s < T,   inner iterates kept in scratch
//   u = grad_y f_xi(x_k, y^T);  h = grad_x f
//   for s = T-1 down to 0:  h -= beta_k J(x_k, y^s) u;  u -= beta_k H_{zeta_s}(x_k, y^s) u  (s > 0)
//   x_{k+1} = x_k - alpha_k h;  y_{k+1} = y^T
// Sums run in the CPU's order (samples, then features; J u of a scalar x in feature order).

// Coordinate j of inner iterate s of the dispatch's lane ll in the scratch buffer, interleaved
// across the dispatch's lanes so that neighbouring threads touch neighbouring words.
fn lt_ys(ll: u32, s: u32, j: u32) -> u32 {
    return (s * D + j) * prm.n_lanes + ll;
}

fn lt_step(ln: Lane, ll: u32, k: u32) {
    let alpha = sched(prm.alpha, k);
    let beta = sched(prm.beta, k);
    let il = 1.0 / f32(BL);
    let iu = 1.0 / f32(BU);

    // Forward: T inner steps from y_k (ud: y0), each iterate saved.
    for (var j = 0u; j < D; j++) {
        if (RESET) { ly[j] = prm.y0; }
        scratch[lt_ys(ll, 0u, j)] = ly[j];
    }
    for (var s = 0u; s < T_INNER; s++) {
        let step = step_of(k, T_INNER, s);
        lt_pass(ln, false, S_LOWER, step, &ly, &lv, &lg, &lh, true, false);
        for (var j = 0u; j < D; j++) {
            let y = ly[j];
            let g = lg[j] * il + cp_dy(lx[lt_kx(j)], y) + LAM_Y * y;
            ly[j] = y - beta * g;
            scratch[lt_ys(ll, s + 1u, j)] = ly[j];
        }
    }

    // Backward through the inner steps: u = grad_y f at y^T, h = NU x.
    lt_pass(ln, true, S_UPPER, vec2<u32>(k, 0u), &ly, &lv, &lu, &lh, true, false);
    for (var j = 0u; j < D; j++) { lu[j] = lu[j] * iu; }
    for (var j = 0u; j < P; j++) { lw[j] = NU * lx[j]; }
    for (var r = 0u; r < T_INNER; r++) {
        let s = T_INNER - 1u - r;
        // lg = y^s; h -= beta J(x, y^s) u.
        for (var j = 0u; j < D; j++) { lg[j] = scratch[lt_ys(ll, s, j)]; }
        if (HYPER == HYPER_PER_FEATURE) {
            for (var j = 0u; j < D; j++) { lw[j] = lw[j] - beta * (cp_dxy(lx[j], lg[j]) * lu[j]); }
        } else {
            var jv = 0.0;
            for (var j = 0u; j < D; j++) { jv = jv + cp_dxy(lx[0], lg[j]) * lu[j]; }
            lw[0] = lw[0] - beta * jv;
        }
        if (s > 0u) {
            // u -= beta H_{zeta_s}(x, y^s) u, zeta_s drawn again with the forward counter.
            let step = step_of(k, T_INNER, s);
            // (v is not written: only the Hessian sum is asked for.)
            lt_pass(ln, false, S_LOWER, step, &lg, &lu, &lv, &lh, false, true);
            for (var j = 0u; j < D; j++) {
                let hv = lh[j] * il + (cp_dyy(lx[lt_kx(j)], lg[j]) + LAM_Y) * lu[j];
                lu[j] = lu[j] - beta * hv;
            }
        }
    }
    for (var j = 0u; j < P; j++) { lx[j] = lx[j] - alpha * lw[j]; }
}
