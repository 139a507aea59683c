// saba (twin of `src/algo/methods/saba.rs`): ssaid's step with SAGA variance reduction. The lane's
// memory holds the per-sample tables c (n lower), h (n lower), u (m upper) and their means
// A_g, A_h, A_f (D each):
//   D_y  = (1/B) sum (c_new - c_i) a_i + A_g + regulariser
//   D_Hv = (1/B) sum (h_new - h_i) a_i + A_h + regulariser,  D_f likewise from u
//   x at the old (y, v) as ssaid; y -= beta D_y; v -= gamma (D_Hv - D_f); tables updated.
// Per-sample weights (data hyper-cleaning; the CPU refuses saba's other new problems): c and
// h carry sigmoid(x_i), and J v has its own table of the scalars j_i = sigmoid'(x_i) l' a.v
// (P more floats after A_f): D_J = (1/B) sum (j_i - J_i) e_i + (1/n) J.

fn step(tid: u32, ln: Lane, ll: u32, t: u32) {
    let alpha = sched(prm.alpha, t);
    let beta = sched(prm.beta, t);
    let gamma = sched(prm.gamma, t);
    let ct = mem_base(ll);
    let ht = ct + prm.n_lower;
    let ut = ht + prm.n_lower;
    let ag = ut + prm.n_upper;
    let ah = ag + D;
    let af = ah + D;
    let k = vec2<u32>(t, 0u);
    draw(tid, ln, false, 0u, BL, FULL_L, S_LOWER, k);
    draw(tid, ln, true, BL, BU, FULL_U, S_UPPER, k);
    for (var j = tid; j < D; j += WG) { pt[j] = sy[j]; sw[j] = sv[j]; }
    workgroupBarrier();
    dots(tid, 0u, BL, true, true);
    dots(tid, BL, BU, true, false);
    // New scalars in the spare slots [BL + BU, 2 BL + BU) (lower) and zb (upper); what each
    // slot changes against the tables in za / zb at the slot.
    let spare = BL + BU;
    for (var s = tid; s < BL; s += WG) {
        let z = za[s];
        let b = lab(s);
        let i = picks[s];
        let d1 = loss_d1(z, b);
        var c = d1;
        var h = loss_d2(z, b) * zb[s];
        // Per-sample weights: c and h times sigmoid(x_i), and J v's scalar for its table.
        if (weighted()) {
            let w = sigmoid(sx[i]);
            zj[s] = (w * sigmoid(-sx[i])) * d1 * zb[s];
            c = w * c;
            h = w * h;
        }
        za[spare + s] = c;
        zb[spare + s] = h;
        za[s] = c - mem[ct + i];
        zb[s] = h - mem[ht + i];
    }
    for (var s = tid; s < BU; s += WG) {
        let u = loss_d1(za[BL + s], lab(BL + s));
        zb[BL + s] = u;
        za[BL + s] = u - mem[ut + picks[BL + s]];
    }
    workgroupBarrier();
    accum(tid, 0u, BL, true, 0u, true, 1u);
    accum(tid, BL, BU, true, 2u, false, 0u);
    for (var j = tid; j < D; j += WG) {
        let g = grad_y_g_at(j, ga[j] + mem[ag + j], sy[j]);
        let hv = hvp_at(j, gb[j] + mem[ah + j], sy[j], sv[j]);
        ga[j] = g;
        gb[j] = hv - (gc[j] + mem[af + j]);
    }
    // Every table read is done; the tables take the new scalars slot by slot (a repeated
    // sample changes its entry once), leaving each slot's change in za / zb.
    workgroupBarrier();
    if (tid == 0u) {
        for (var s = 0u; s < BL; s++) {
            let i = picks[s];
            let c = za[spare + s];
            let h = zb[spare + s];
            za[s] = c - mem[ct + i];
            mem[ct + i] = c;
            zb[s] = h - mem[ht + i];
            mem[ht + i] = h;
        }
        for (var s = 0u; s < BU; s++) {
            let i = picks[BL + s];
            let u = zb[BL + s];
            za[BL + s] = u - mem[ut + i];
            mem[ut + i] = u;
        }
    }
    storageBarrier();
    workgroupBarrier();
    // The means: accum averages over the batch, the means over the set.
    accum(tid, 0u, BL, true, 3u, true, 4u);
    accum(tid, BL, BU, true, 2u, false, 0u);
    let wl = f32(BL) / f32(prm.n_lower);
    let wu = f32(BU) / f32(prm.n_upper);
    for (var j = tid; j < D; j += WG) {
        mem[ag + j] = mem[ag + j] + su[j] * wl;
        mem[ah + j] = mem[ah + j] + sr[j] * wl;
        mem[af + j] = mem[af + j] + gc[j] * wu;
    }
    if (weighted()) { table_x_step(tid, alpha, af + D); } else { implicit_x_step(tid, alpha); }
    for (var j = tid; j < D; j += WG) {
        sy[j] = sy[j] - beta * ga[j];
        sv[j] = sv[j] - gamma * gb[j];
    }
    workgroupBarrier();
    storageBarrier();
}

// x -= alpha (NU x - D_J) with J v from its table at `jb` (per-sample weights), then the
// table takes the batch's scalars (zj). Thread 0 walks the slots in order, as the CPU: a
// repeated sample enters twice against its old entry and is written once. Ends with a
// barrier.
fn table_x_step(tid: u32, alpha: f32, jb: u32) {
    let inv_n = 1.0 / f32(prm.n_lower);
    for (var i = tid; i < P; i += WG) { sh[i] = mem[jb + i] * inv_n; }
    workgroupBarrier();
    if (tid == 0u) {
        let inv_l = 1.0 / f32(BL);
        for (var s = 0u; s < BL; s++) {
            let i = picks[s];
            sh[i] = sh[i] + (zj[s] - mem[jb + i]) * inv_l;
        }
        for (var s = 0u; s < BL; s++) { mem[jb + picks[s]] = zj[s]; }
    }
    storageBarrier();
    workgroupBarrier();
    for (var i = tid; i < P; i += WG) { sx[i] = sx[i] - alpha * (NU * sx[i] - sh[i]); }
    workgroupBarrier();
}
