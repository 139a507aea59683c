// The lane's memory (`Algorithm::memory` in `src/algo/descriptor.rs`): what an algorithm
// carries from step to step besides x, y and v (momentum directions, previous iterates, a
// penalty weight, per-sample tables), `prm.mem_stride` floats per lane of this
// configuration in global memory from `prm.mem_offset`, zero at the start.
// Only step kernels bind it (binding 6; the metrics kernel has its records there). A step
// mostly reads and writes the coordinates it owns (j = tid, tid + WG, ...), which needs no
// barrier. What one thread writes and others read (a scalar, saba's per-sample tables) is
// written by thread 0 after the barrier that ends the reads, then a `storageBarrier` (a
// workgroup barrier does not order storage memory).
@group(0) @binding(6) var<storage, read_write> mem: array<f32>;

// Index of the lane's first memory float.
fn mem_base(ll: u32) -> u32 {
    return prm.mem_offset + ll * prm.mem_stride;
}

// llvmpipe / lavapipe end every loop of an invocation once all of its loops together have run
// 65,535 iterations (Mesa's LP_MAX_TGSI_LOOP_ITERATIONS), so a lane could silently stop
// part-way through a dispatch. A loop of two iterations (its bound opaque to the compiler)
// then runs once: flag it in the float after every lane's memory, which the engine reads on
// software adapters and refuses the run. Real GPUs have no such limit.
fn limit_probe() {
    var probe = 0u;
    let want = min(prm.n_steps, 1u) + 1u;
    for (var q = 0u; q < want; q++) { probe += 1u; }
    if (probe < want) { mem[prm.limit_flag] = 1.0; }
}
