// Test-only kernel for tests/gpu_oracles.rs: every oracle of DESIGN section 2 at one point per
// lane, computed with the building blocks the fused step kernels use (`dots`, `accum`,
// `grad_y_g_data`, `hvp_data`, `grad_y_f`, the coupling and loss functions, `wg_sum`), so
// that the host can compare them with the CPU oracles. Composed after `shaders::lane_prelude()`, before `shaders::LANE_LOOP` and bound
// with the shared lane layout (7 bindings); one workgroup per lane, a single pass, nothing
// drawn from the RNG: the batches are given.
//
// Inputs: x, y, v of each lane in `state` (P + 2 D floats per lane, as `load_state` reads
// them); per lane `prm.scratch_stride` (= BL + BU) sample indices in `scratch` (binding 5,
// as exact f32 values: the shared passes use `scratch` for the network, so it keeps its type): BL lower indices, then BU upper ones, relative to their set. They become
// global rows through `lane_row`, as `draw` makes them, so a lane's replaced sample is
// substituted by its pool row. With FULL_L / FULL_U the batch is the whole set, drawn by
// `draw` itself (full batches take no random numbers).
//
// Output per lane, `OUT_STRIDE` floats of `out` (binding 6) from lane * OUT_STRIDE:
//   [0, D)      grad_y g   separate passes (grad_y_g_data; ssgd, tsgd, stocbio, aid-cg)
//   [D, 2D)     H v        separate passes (hvp_data, recomputing a.y)
//   [2D, 3D)    grad_y f   separate passes (grad_y_f)
//   [3D, 4D)    H v        hvp_data with same_z (za holding a.y from a `dots` pass)
//   [4D, 5D)    grad_y g   fused passes as in step_ssaid (one `dots` for a.y and a.v)
//   [5D, 6D)    H v        fused
//   [6D, 7D)    grad_y f   fused
//   [7D, 7D+P)  J v        (per feature: cp_dxy(x_k, y_j) v_j; scalar: wg_sum over j)
//   [7D+P, 7D+2P) grad_x f = NU x
//   then OUT_HEAD scalars: lower data loss, upper data loss (full sets, as the lane sees them),
//   lower regulariser (coupling + LAM_Y/2 |y|^2), lower accuracy, upper accuracy, 3 unused.

@group(0) @binding(6) var<storage, read_write> out: array<f32>;

// The lane loop's loop-limit probe (`shaders/memory.wgsl`) writes to the memory buffer, which
// this kernel replaces by its outputs: one step per dispatch stays far below the limit.
fn limit_probe() {}

const OUT_HEAD: u32 = 8u;

fn out_stride() -> u32 {
    return 7u * D + 2u * P + OUT_HEAD;
}

// rows[0, BL) and rows[BL, BL + BU) from the given indices (or the full sets). Ends with a
// barrier.
fn load_batch(tid: u32, ln: Lane, ll: u32) {
    let b = ll * prm.scratch_stride;
    if (FULL_L) {
        draw(tid, ln, false, 0u, BL, true, S_LOWER, vec2<u32>(0u, 0u));
    } else {
        for (var k = tid; k < BL; k += WG) { rows[k] = lane_row(ln, false, u32(scratch[b + k])); }
    }
    if (FULL_U) {
        draw(tid, ln, true, BL, BU, true, S_UPPER, vec2<u32>(0u, 0u));
    } else {
        for (var k = tid; k < BU; k += WG) {
            rows[BL + k] = lane_row(ln, true, u32(scratch[b + BL + k]));
        }
    }
    workgroupBarrier();
}

// One "step" of the shared lane loop (`shaders/lane_loop.wgsl`, run with n_steps = 1): it
// leaves x, y and v as they were.
fn step(tid: u32, ln: Lane, ll: u32, t: u32) {
    load_batch(tid, ln, ll);
    for (var j = tid; j < D; j += WG) { pt[j] = sy[j]; sw[j] = sv[j]; }
    workgroupBarrier();
    let o = ll * out_stride();

    // Separate passes, regularisers added per owned feature as the step kernels do.
    grad_y_g_data(tid, 0u, BL);
    for (var j = tid; j < D; j += WG) {
        out[o + j] = grad_y_g_at(j, ga[j], sy[j]);
    }
    workgroupBarrier();
    hvp_data(tid, 0u, BL, false);
    for (var j = tid; j < D; j += WG) {
        out[o + D + j] = hvp_at(j, gb[j], sy[j], sv[j]);
    }
    workgroupBarrier();
    grad_y_f(tid);
    for (var j = tid; j < D; j += WG) { out[o + 2u * D + j] = gc[j]; }
    workgroupBarrier();

    // hvp_data reusing a.y already in za.
    dots(tid, 0u, BL, true, false);
    hvp_data(tid, 0u, BL, true);
    for (var j = tid; j < D; j += WG) {
        out[o + 3u * D + j] = hvp_at(j, gb[j], sy[j], sv[j]);
    }
    workgroupBarrier();

    // Fused passes, in the order of step_ssaid (without an independent Hessian batch).
    dots(tid, 0u, BL, true, true);
    dots(tid, BL, BU, true, false);
    for (var k = tid; k < BL; k += WG) {
        let z = za[k];
        let b = lab(k);
        za[k] = loss_d1(z, b);
        zb[k] = loss_d2(z, b) * zb[k];
    }
    for (var k = tid; k < BU; k += WG) { za[BL + k] = loss_d1(za[BL + k], lab(BL + k)); }
    workgroupBarrier();
    accum(tid, 0u, BL, true, 0u, true, 1u);
    accum(tid, BL, BU, true, 2u, false, 0u);
    var jv_part = 0.0;
    for (var j = tid; j < D; j += WG) {
        let xk = sx[kx(j)];
        let yj = sy[j];
        let vj = sv[j];
        out[o + 4u * D + j] = grad_y_g_at(j, ga[j], yj);
        out[o + 5u * D + j] = hvp_at(j, gb[j], yj, vj);
        out[o + 6u * D + j] = gc[j];
        let jv = cp_dxy(xk, yj) * vj;
        if (HYPER == HYPER_PER_FEATURE) {
            out[o + 7u * D + j] = jv;
        } else {
            jv_part = jv_part + jv;
        }
    }
    if (HYPER == HYPER_SCALAR) {
        let jv = wg_sum(tid, jv_part);
        if (tid == 0u) { out[o + 7u * D] = jv; }
    }
    for (var j = tid; j < P; j += WG) { out[o + 7u * D + P + j] = NU * sx[j]; }

    // Full-set values, as the metrics kernel measures them.
    let low = set_loss(tid, ln, 0u, prm.n_lower);
    let upp = set_loss(tid, ln, 1u, prm.n_upper);
    var reg = 0.0;
    for (var j = tid; j < D; j += WG) {
        reg = reg + cp_value(sx[kx(j)], sy[j]) + 0.5 * LAM_Y * sy[j] * sy[j];
    }
    let regs = wg_sum(tid, reg);
    if (tid == 0u) {
        let h = o + 7u * D + 2u * P;
        out[h] = low.x;
        out[h + 1u] = upp.x;
        out[h + 2u] = regs;
        out[h + 3u] = low.y;
        out[h + 4u] = upp.y;
    }
}
