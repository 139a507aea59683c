// The entry point of every step kernel: one workgroup per lane loads the lane's state into
// workgroup memory, takes `prm.n_steps` outer steps with the algorithm's
// `fn step(tid, ln, ll, t)` (composed before this file), and stores the state back.
// `ll` is the lane's index within this dispatch (for per-lane scratch). Diverged lanes
// (`dead`) are not stepped. With a box on x, x is projected onto it after every step.

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
    let tid = lid.x;
    let lane = lane_index(wid);
    if (lane >= prm.lane_offset + prm.n_lanes) { return; }
    let ln = lanes[lane];
    // A diverged lane keeps its last iterate within the bound.
    if (ln.dead != 0u) { return; }
    lane_ll = lane - prm.lane_offset;
    load_state(tid, lane);
    workgroupBarrier();
    for (var it = 0u; it < prm.n_steps; it++) {
        step(tid, ln, lane - prm.lane_offset, prm.t0 + it);
        // problem.x_box: the projection of ProblemSpec::project_x, between barriers because
        // any thread of the step may have written any coordinate.
        if (X_BOX) {
            workgroupBarrier();
            for (var j = tid; j < P; j += WG) {
                // Comparisons, not clamp: a NaN stays NaN, so divergence is still detected.
                // (An infinite coordinate is projected; y or v diverge with it.)
                let v = sx[j];
                sx[j] = select(select(v, X_HI, v > X_HI), X_LO, v < X_LO);
            }
            workgroupBarrier();
        }
    }
    store_state(tid, lane);
    // Last, so that a store the loop limit cut is flagged too.
    limit_probe();
}
