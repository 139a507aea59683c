//! Building blocks of the analytic work model (FLOPs and logical bytes per lane-step) that
//! each algorithm's descriptor composes; `bench` documents the conventions and reports the
//! achieved rates against it.
//!
//! Every oracle is made of *data passes* over a batch of B rows of d features
//! (`shaders/pass.wgsl`): a dots pass with v vectors costs `2 B d v` flops and reads the rows
//! and labels (`4 B d + 4 B` bytes); an accumulation into o outputs costs `2 B d o` flops and
//! reads the rows again (`4 B d` bytes); the per-sample scalars between them cost 4 flops per
//! sample and output. Per-feature vector updates cost [`VEC_OP`] flops per feature and stay in
//! registers or workgroup memory.

use super::descriptor::{Work, WorkShape};

/// Flops of one per-feature vector operation (a step, a regulariser term).
pub const VEC_OP: f64 = 4.0;

/// A data pass over `b` rows: dots with `v` vectors, accumulation into `o` outputs.
pub fn pass(s: &WorkShape, b: f64, v: f64, o: f64) -> Work {
    Work {
        flops: 2.0 * b * s.d * v + 2.0 * b * s.d * o + 4.0 * b * o,
        bytes: (b * s.d * 4.0 + b * 4.0) + b * s.d * 4.0,
    }
}

/// A gradient oracle on `b` rows (one dot product, one accumulation).
pub fn grad(s: &WorkShape, b: f64) -> Work {
    pass(s, b, 1.0, 1.0)
}

/// A Hessian-vector product on `b` rows (two dot products, one accumulation).
pub fn hvp(s: &WorkShape, b: f64) -> Work {
    pass(s, b, 2.0, 1.0)
}

impl std::ops::Add for Work {
    type Output = Work;
    fn add(self, o: Work) -> Work {
        Work {
            flops: self.flops + o.flops,
            bytes: self.bytes + o.bytes,
        }
    }
}

impl std::ops::Mul<Work> for f64 {
    type Output = Work;
    fn mul(self, w: Work) -> Work {
        Work {
            flops: self * w.flops,
            bytes: self * w.bytes,
        }
    }
}

impl Work {
    /// This work plus `ops` per-feature vector operations (no memory traffic).
    pub fn plus_vector_ops(self, ops: f64) -> Work {
        Work {
            flops: self.flops + VEC_OP * ops,
            bytes: self.bytes,
        }
    }
}
