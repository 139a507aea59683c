// The entry point of every step kernel: one workgroup per lane loads the lane's state into
// workgroup memory, takes `prm.n_steps` outer steps with the algorithm's
// `fn step(tid, ln, ll, t)` (composed before this file), and stores the state back.
// `ll` is the lane's index within this dispatch (for per-lane scratch). Diverged lanes
// (`dead`) are not stepped.

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
    let tid = lid.x;
    let lane = lane_index(wid);
    if (lane >= prm.lane_offset + prm.n_lanes) { return; }
    let ln = lanes[lane];
    // A diverged lane keeps its last iterate within the bound.
    if (ln.dead != 0u) { return; }
    load_state(tid, lane);
    workgroupBarrier();
    for (var it = 0u; it < prm.n_steps; it++) {
        step(tid, ln, lane - prm.lane_offset, prm.t0 + it);
    }
    store_state(tid, lane);
}
