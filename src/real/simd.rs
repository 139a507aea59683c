//! The lane packs' oracles compiled twice on x86-64: for the portable baseline (SSE2: 4 f32 per
//! register, so a pack of 8 takes two of every operation) and with AVX2 enabled (one 8-wide
//! register per f32 pack, two per f64 pack), chosen at run time from what the CPU reports. A
//! portable binary so steps its packs on 256-bit registers wherever the CPU has them, without
//! being built for one CPU (`-C target-cpu`), which would also make it fail on the older
//! nodes of a cluster.
//!
//! Both versions are the same Rust text, lane-by-lane IEEE operations in the same order, and
//! FMA is not enabled (Rust never contracts a multiply and an add by itself; the exponential
//! is sbo's own arithmetic, `super::exp`), so both give the same bits: `SBO_CPU_SIMD=baseline`
//! makes a run take the baseline, and tests/lane_packs.rs compares the two end to end.
//!
//! What runs in the AVX2 version is what [`with_avx2`]'s closure inlines: an oracle's body,
//! which is `#[inline(always)]` down to its row loops and exponentials (`sbo::problem::oracles`
//! wraps each pack oracle in [`packed_simd!`]), and the exact solver's Hessian product
//! (`sbo::problem::gram`, through [`avx2_simd!`]).

/// Whether packs (and the exact solver's Hessian product) take the AVX2 versions: the CPU has
/// AVX2 and `SBO_CPU_SIMD` is not `baseline` (the only value it reads: unset or anything else
/// lets the CPU decide). Decided once per process.
pub fn uses_avx2() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        use std::sync::atomic::{AtomicU8, Ordering};
        // 0: not decided yet, 1: baseline, 2: AVX2.
        static CHOICE: AtomicU8 = AtomicU8::new(0);
        match CHOICE.load(Ordering::Relaxed) {
            1 => false,
            2 => true,
            _ => {
                let baseline = std::env::var("SBO_CPU_SIMD").is_ok_and(|v| v == "baseline");
                let avx2 = !baseline && std::arch::is_x86_feature_detected!("avx2");
                CHOICE.store(if avx2 { 2 } else { 1 }, Ordering::Relaxed);
                avx2
            }
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// What the CPU path's lane packs run on, for reports (`sbo info`, `sbo bench`).
pub fn simd_name() -> &'static str {
    if uses_avx2() {
        "avx2 (chosen at run time)"
    } else if cfg!(target_feature = "avx2") {
        "the build's target (avx2 or wider, -C target-cpu)"
    } else if cfg!(target_arch = "x86_64") {
        "sse2 (baseline)"
    } else {
        "the build's target"
    }
}

/// Runs `f` compiled with AVX2: `f`'s body is inlined here (a closure called once, whose
/// callees are `#[inline(always)]`), so it is code generated for AVX2. `#[inline]` makes each
/// caller's copy local to the caller's codegen unit, where the closure is: without it, a copy
/// in another unit could not inline the closure (the release profile has 16 units), which then
/// ran as baseline code (seen with the exact solver's `gram`).
///
/// # Safety
/// The CPU must have AVX2 ([`uses_avx2`]).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline]
pub(crate) unsafe fn with_avx2<R>(f: impl FnOnce() -> R) -> R {
    f()
}

/// `$body` evaluated as compiled with AVX2 when [`uses_avx2`], else as compiled for the
/// baseline. `$body` must only call `#[inline(always)]` code for the AVX2 version to reach its
/// loops, and must not `return`, `break` or use `?` (in the AVX2 branch it is a closure's
/// body, where those mean something else).
macro_rules! avx2_simd {
    ($body:expr) => {{
        #[cfg(target_arch = "x86_64")]
        {
            if crate::real::uses_avx2() {
                // The body is bound outside the unsafe block, so that it gets no unsafe
                // context of its own.
                let body = || $body;
                // SAFETY: the CPU reported AVX2 (uses_avx2).
                unsafe { crate::real::with_avx2(body) }
            } else {
                $body
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            $body
        }
    }};
}

/// [`avx2_simd!`] for an oracle on lanes of type `$t`: only a lane pack takes the AVX2
/// version (one lane's arithmetic is scalar, and gains nothing from it).
macro_rules! packed_simd {
    ($t:ty, $body:expr) => {{
        if <$t as crate::real::Num>::PACKED {
            crate::real::avx2_simd!($body)
        } else {
            $body
        }
    }};
}

pub(crate) use avx2_simd;
pub(crate) use packed_simd;
