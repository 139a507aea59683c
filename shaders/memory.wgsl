// The lane's memory (`Algorithm::memory` in `src/algo/descriptor.rs`): what an algorithm
// carries from step to step besides x, y and v (momentum directions, previous iterates, a
// penalty weight), `prm.mem_stride` floats per lane in global memory, zero at the start.
// Only step kernels bind it (binding 6; the metrics kernel has its records there). A step
// reads and writes the coordinates it owns (j = tid, tid + WG, ...), so it needs no
// barrier of its own; a value every thread reads (a scalar) is written by thread 0 after
// the barrier that ends the step's reads, followed by a `storageBarrier` (a workgroup
// barrier does not order storage memory).
@group(0) @binding(6) var<storage, read_write> mem: array<f32>;

// Index of the lane's first memory float.
fn mem_base(ll: u32) -> u32 {
    return (prm.lane_offset + ll) * prm.mem_stride;
}
