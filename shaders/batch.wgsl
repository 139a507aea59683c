// Batch drawing (twin of `algo::draw` with `rng::LaneRng`): the indices of (stream, step) on a
// set of n samples, written as global rows into `rows[first..first + count]`, with the lane's
// replaced sample swapped for its pool row. Full batches take every row in order.

// Global row of sample `i` of the lower (upper = false) or upper set, as this lane sees it:
// through its seed's row maps, with its replaced sample swapped for its pool row.
fn lane_row(ln: Lane, upper: bool, i: u32) -> u32 {
    var k = prm.row_lower + i;
    if (upper) {
        k = prm.row_upper + i;
        if (i == ln.rep_upper) { k = prm.row_pool + ln.pool_upper; }
    } else if (i == ln.rep_lower) {
        k = prm.row_pool + ln.pool_lower;
    }
    return rowmap[ln.map_base + k];
}

// Step counter k * mult + add as (lo, hi): the inner steps of outer step k.
fn step_of(k: u32, mult: u32, add: u32) -> vec2<u32> {
    let m = mulhilo(k, mult);            // (hi, lo)
    let lo = m.y + add;
    let carry = select(0u, 1u, lo < m.y);
    return vec2<u32>(lo, m.x + carry);
}

// Draws a batch into rows[first..first + count]. Ends with a barrier.
fn draw(tid: u32, ln: Lane, upper: bool, first: u32, count: u32, full: bool, stream: u32,
        step: vec2<u32>) {
    let n = select(prm.n_lower, prm.n_upper, upper);
    let key = rng_key(ln.seed_lo, ln.seed_hi);
    if (full) {
        for (var k = tid; k < count; k += WG) { picks[first + k] = k; }
    } else if (WR) {
        if (tid == 0u) {
            let kk = min(count, n);
            for (var i = 0u; i < count; i++) {
                let w = rng_word(key, stream, step.x, step.y, i);
                let tf = rng_floyd_pick(w, n, kk, i);
                var seen = false;
                for (var q = 0u; q < i; q++) {
                    if (picks[first + q] == tf.x) { seen = true; }
                }
                picks[first + i] = select(tf.x, tf.y, seen && i < kk);
            }
        }
        workgroupBarrier();
    } else {
        for (var k = tid; k < count; k += WG) {
            picks[first + k] = bounded(rng_word(key, stream, step.x, step.y, k), n);
        }
    }
    for (var k = tid; k < count; k += WG) {
        let r = lane_row(ln, upper, picks[first + k]);
        rows[first + k] = r;
    }
    workgroupBarrier();
}
