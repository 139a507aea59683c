//! e^x for every lane of the CPU path, written once as straight-line IEEE arithmetic: a lane
//! alone and the lanes of a pack run the same operations (so the same bits), the compiler
//! vectorises a pack's eight with whatever registers the surrounding code is compiled for
//! (the baseline's or the AVX2 version's, see `crate::real::simd`), and no build can fuse or
//! reorder it (Rust never contracts a multiply and an add), so portable and host-tuned (FMA)
//! builds agree to the bit (the golden tests pass with both; other architectures are
//! untested). libm's exp is none of these (a call per lane, and its bits are the platform's).
//!
//! Method: n = round(x / ln 2) by the add-and-subtract of 1.5 2^m (which leaves n in the low
//! bits of the sum, with no float-to-integer conversion); r = x - n ln 2 with ln 2 split in
//! two so that n ln2_hi is exact (Cody and Waite); e^r by its Taylor polynomial in Horner
//! form (|r| <= ln2 / 2, the first omitted term below a tenth of an ulp); then 2^n
//! applied as two exact powers of two, so that results down to the subnormals are rounded
//! once. Arguments are clamped first to where the result is 0 or overflows to infinity; NaN
//! stays NaN. Measured within 1 ulp of libm (unit test, bound 2).

/// 1 / k! for k = 0..=N, in the type of the polynomial.
macro_rules! inverse_factorials {
    ($t:ty, $n:literal) => {{
        let mut c = [1.0 as $t; $n + 1];
        let mut f = 1.0f64;
        let mut k = 1;
        while k <= $n {
            f *= k as f64;
            c[k] = (1.0 / f) as $t;
            k += 1;
        }
        c
    }};
}

/// Horner's rule, highest degree first.
macro_rules! horner {
    ($c:expr, $r:expr) => {{
        let c = $c;
        let mut p = c[c.len() - 1];
        let mut k = c.len() - 1;
        while k > 0 {
            k -= 1;
            p = p * $r + c[k];
        }
        p
    }};
}

const EXP_F32_TAYLOR: [f32; 8] = inverse_factorials!(f32, 7);
const EXP_F64_TAYLOR: [f64; 14] = inverse_factorials!(f64, 13);

/// e^x in f32.
#[inline(always)]
pub fn exp_f32(x: f32) -> f32 {
    // Below -104, e^x is under half the smallest subnormal (0); from 89, above f32::MAX.
    const LO: f32 = -104.0;
    const HI: f32 = 89.0;
    const LN2_HI: f32 = 0.693_359_4; // 355 / 512, so that n LN2_HI is exact
    const LN2_LO: f32 = -2.121_944_4e-4; // ln 2 - LN2_HI
    const ROUND: f32 = 12_582_912.0; // 1.5 2^23
    let x = x.clamp(LO, HI); // NaN stays NaN
    let k = x * std::f32::consts::LOG2_E + ROUND;
    let n = k - ROUND;
    let r = (x - n * LN2_HI) - n * LN2_LO;
    let p = horner!(EXP_F32_TAYLOR, r);
    let ni = (k.to_bits() as i32).wrapping_sub(ROUND.to_bits() as i32);
    let (n1, n2) = (ni >> 1, ni.wrapping_sub(ni >> 1));
    let pow2 = |e: i32| f32::from_bits((e.wrapping_add(127) << 23) as u32);
    p * pow2(n1) * pow2(n2)
}

/// e^x in f64.
#[inline(always)]
pub fn exp_f64(x: f64) -> f64 {
    // Below -746, e^x is under half the smallest subnormal (0); from 710, above f64::MAX.
    const LO: f64 = -746.0;
    const HI: f64 = 710.0;
    // ln 2 with its low 21 bits cleared (32 significant bits, so that n LN2_HI is exact for
    // |n| < 2^21), and ln 2 - LN2_HI.
    const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
    const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);
    const ROUND: f64 = 6_755_399_441_055_744.0; // 1.5 2^52
    let x = x.clamp(LO, HI); // NaN stays NaN
    let k = x * std::f64::consts::LOG2_E + ROUND;
    let n = k - ROUND;
    let r = (x - n * LN2_HI) - n * LN2_LO;
    let p = horner!(EXP_F64_TAYLOR, r);
    let ni = (k.to_bits() as i64).wrapping_sub(ROUND.to_bits() as i64);
    let (n1, n2) = (ni >> 1, ni.wrapping_sub(ni >> 1));
    let pow2 = |e: i64| f64::from_bits((e.wrapping_add(1023) << 52) as u64);
    p * pow2(n1) * pow2(n2)
}
