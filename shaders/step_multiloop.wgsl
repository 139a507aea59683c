// stocbio (Neumann series), aid-cg (conjugate gradient) and amigo (SGD on v) (twins of
// `src/algo/methods/stocbio.rs`, `src/algo/methods/aid_cg.rs` and `src/algo/methods/amigo.rs`). ALGO_CG and V_SGD
// select the solver. Per outer step k:
//   D inner SGD steps on y (lower batches k D + s), warm-started;
//   v ~ H^-1 grad_y f_xi: Neumann  r = b; s = r; r -= eta H_{zeta_q} r; s += r (q < Q); v = eta s
//                         CG       Q iterations on one batch (stream HVP, step k), warm-started;
//                         SGD      v -= gamma (H_{zeta_q} v - b), q < Q, warm-started;
//                         RAND_TRUNC  Ghadimi and Wang's truncation: p ~ U{0..Q-1} terms
//                                     r -= eta H r without the sum, v = Q eta r (ttsa, bsa);
//   x+ = x - alpha (grad_x f - J(x, y) v)

// D warm-started inner SGD steps: sy -= beta grad_y g (twin of `inner_sgd`).
fn inner_steps(tid: u32, ln: Lane, k: u32, beta: f32) {
    for (var s = 0u; s < T_INNER; s++) {
        draw(tid, ln, false, 0u, BL, FULL_L, S_LOWER, step_of(k, T_INNER, s));
        for (var j = tid; j < D; j += WG) { pt[j] = sy[j]; }
        workgroupBarrier();
        grad_y_g_data(tid, 0u, BL);
        for (var j = tid; j < D; j += WG) {
            let yj = sy[j];
            sy[j] = yj - beta * grad_y_g_at(j, ga[j], yj);
        }
        workgroupBarrier();
    }
}

// gb <- H (at pt = y) sw for the rows at [0, BL) (za must hold a.y when same_z), plus the
// regularisers; result per feature in gb (owned features).
fn hvp_full(tid: u32, same_z: bool) {
    hvp_data(tid, 0u, BL, same_z);
    for (var j = tid; j < D; j += WG) {
        gb[j] = hvp_at(j, gb[j], sy[j], sw[j]);
    }
}

fn step(tid: u32, ln: Lane, ll: u32, k: u32) {
    let alpha = sched(prm.alpha, k);
    let beta = sched(prm.beta, k);
    inner_steps(tid, ln, k, beta);

    draw(tid, ln, true, BL, BU, FULL_U, S_UPPER, vec2<u32>(k, 0u));
    for (var j = tid; j < D; j += WG) { pt[j] = sy[j]; }
    workgroupBarrier();
    grad_y_f(tid);   // b in gc

    if (V_SGD) {
        let gamma = sched(prm.gamma, k);
        for (var q = 0u; q < Q_TERMS; q++) {
            draw(tid, ln, false, 0u, BL, FULL_L, S_NEUMANN, step_of(k, Q_TERMS, q));
            for (var j = tid; j < D; j += WG) { sw[j] = sv[j]; }
            workgroupBarrier();
            hvp_full(tid, false);
            for (var j = tid; j < D; j += WG) {
                sv[j] = sv[j] - gamma * (gb[j] - gc[j]);
            }
            workgroupBarrier();
        }
    } else if (RAND_TRUNC || !ALGO_CG) {
        // The Neumann series at pt = y (stocbio), or its random truncation to p + 1 terms (ttsa,
        // bsa): `series` of estimates.wgsl.
        var terms = Q_TERMS;
        if (RAND_TRUNC) { terms = truncation(ln, k) + 1u; }
        series(tid, ln, k, terms);
    } else {
        draw(tid, ln, false, 0u, BL, FULL_L, S_HVP, vec2<u32>(k, 0u));
        for (var j = tid; j < D; j += WG) { sw[j] = sv[j]; }
        workgroupBarrier();
        hvp_full(tid, false);         // za now holds a.y for the CG batch
        var q0 = 0.0;
        for (var j = tid; j < D; j += WG) {
            let r = gc[j] - gb[j];
            sr[j] = r;
            su[j] = r;                // direction
            q0 = q0 + r * r;
        }
        var rs = wg_sum(tid, q0);
        for (var q = 0u; q < Q_TERMS; q++) {
            if (rs == 0.0) { break; }
            for (var j = tid; j < D; j += WG) { sw[j] = su[j]; }
            workgroupBarrier();
            hvp_full(tid, true);
            var cp = 0.0;
            for (var j = tid; j < D; j += WG) { cp = cp + su[j] * gb[j]; }
            let curv = wg_sum(tid, cp);
            if (!(curv > 0.0)) { break; }
            let a = rs / curv;
            var rp = 0.0;
            for (var j = tid; j < D; j += WG) {
                sv[j] = sv[j] + a * su[j];
                let r = sr[j] - a * gb[j];
                sr[j] = r;
                rp = rp + r * r;
            }
            let rs_new = wg_sum(tid, rp);
            let bcoef = rs_new / rs;
            for (var j = tid; j < D; j += WG) { su[j] = sr[j] + bcoef * su[j]; }
            rs = rs_new;
        }
    }

    // Per-sample weights: J v is taken on the last inner batch (the CPU's `last_lower`),
    // redrawn because the solver's batches took its slots, at the final y and v.
    if (weighted()) {
        draw(tid, ln, false, 0u, BL, FULL_L, S_LOWER, step_of(k, T_INNER, T_INNER - 1u));
        for (var j = tid; j < D; j += WG) { pt[j] = sy[j]; sw[j] = sv[j]; }
        workgroupBarrier();
        jv_terms(tid, 0u, BL);
    }
    implicit_x_step(tid, alpha);
}
