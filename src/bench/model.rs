//! The work model of one lane-step: what each algorithm's descriptor states
//! ([`crate::algo::work`] documents the conventions), at a workload's batch sizes.

use crate::algo::{AlgoConfig, BatchSize, WorkShape};

/// (flops, bytes) of one outer step of one lane. Full batches (`batch = "full"`) have no size
/// here: their terms are NaN; use [`work_per_lane_step_n`] with the set sizes.
pub fn work_per_lane_step(cfg: &AlgoConfig, d: usize, p: usize) -> (f64, f64) {
    work_per_lane_step_n(cfg, d, p, 0, 0)
}

/// [`work_per_lane_step`] with full batches sized by the lower and upper set sizes.
pub fn work_per_lane_step_n(
    cfg: &AlgoConfig,
    d: usize,
    p: usize,
    n_lower: usize,
    n_upper: usize,
) -> (f64, f64) {
    let len = |b: BatchSize, n: usize| match b {
        BatchSize::Size(s) => s as f64,
        BatchSize::Full if n == 0 => f64::NAN,
        BatchSize::Full => n as f64,
    };
    let shape = WorkShape {
        batch_lower: len(cfg.batch_lower, n_lower),
        batch_upper: len(cfg.batch_upper, n_upper),
        d: d as f64,
        p: p as f64,
    };
    let w = (cfg.kind.descriptor().work)(cfg, &shape);
    (w.flops, w.bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::algo::AlgoKind;

    #[test]
    fn work_model_matches_the_documented_counts() {
        let mut cfg = AlgoConfig::new(AlgoKind::SSAID);
        cfg.batch_lower = BatchSize::Size(32);
        cfg.batch_upper = BatchSize::Size(32);
        let (d, p) = (22usize, 22usize);
        let (fl, by) = work_per_lane_step(&cfg, d, p);
        // lower dots(2)+accum(2), upper dots(1)+accum(1): 12 B d + scalars + vector ops.
        let bd = 32.0 * d as f64;
        assert_eq!(
            fl,
            12.0 * bd + 4.0 * 32.0 * 3.0 + 4.0 * (4.0 * d as f64 + p as f64)
        );
        assert_eq!(by, 4.0 * bd * 4.0 + 2.0 * 32.0 * 4.0);
        cfg.kind = AlgoKind::TSGD;
        cfg.inner_steps = 4;
        let (fl, _) = work_per_lane_step(&cfg, d, p);
        assert!(fl > 38.0 * bd && fl < 42.0 * bd, "{fl}");
        cfg.batch_lower = BatchSize::Full;
        assert!(work_per_lane_step(&cfg, d, p).0.is_nan());
        assert!(work_per_lane_step_n(&cfg, d, p, 100, 50).0.is_finite());
    }
}
