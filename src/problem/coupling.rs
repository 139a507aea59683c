//! Scalar couplings r(x_k, y_j) of DESIGN section 2 (k = `ProblemSpec::k(j)`) and the
//! derivatives the oracles need: dr/dy, d2r/dy2 and d2r/dxdy.
//!
//! `mu` is only read by the `prior` and `bilinear` couplings. These are the formulas the WGSL
//! oracles mirror. `sample_weight` has no r: its x weighs the data term (see `oracles/mod.rs`), so
//! every function here is 0 for it.
use crate::problem::Coupling;
use crate::real::Num;

/// phi(y) = y^2 / (1 + y^2)
#[inline(always)]
pub fn phi<T: Num>(y: T) -> T {
    let y2 = y * y;
    y2 / (T::one() + y2)
}

/// phi'(y) = 2 y / (1 + y^2)^2
#[inline(always)]
pub fn phi_d1<T: Num>(y: T) -> T {
    let q = T::one() + y * y;
    T::of(2.0) * y / (q * q)
}

/// phi''(y) = (2 - 6 y^2) / (1 + y^2)^3
#[inline(always)]
pub fn phi_d2<T: Num>(y: T) -> T {
    let y2 = y * y;
    let q = T::one() + y2;
    (T::of(2.0) - T::of(6.0) * y2) / (q * q * q)
}

/// r(x, y): prior (mu/2)(y - x)^2, logweight exp(x) y^2 / 2, nonconvex exp(x) phi(y),
/// bilinear -mu x y.
#[inline(always)]
pub fn value<T: Num>(c: Coupling, mu: T, x: T, y: T) -> T {
    match c {
        Coupling::Prior => {
            let r = y - x;
            T::of(0.5) * mu * r * r
        }
        Coupling::Logweight => T::of(0.5) * x.exp() * y * y,
        Coupling::Nonconvex => x.exp() * phi(y),
        Coupling::Bilinear => -mu * x * y,
        Coupling::SampleWeight => T::zero(),
    }
}

/// dr/dy: prior mu (y - x), logweight exp(x) y, nonconvex exp(x) phi'(y), bilinear -mu x.
#[inline(always)]
pub fn dy<T: Num>(c: Coupling, mu: T, x: T, y: T) -> T {
    match c {
        Coupling::Prior => mu * (y - x),
        Coupling::Logweight => x.exp() * y,
        Coupling::Nonconvex => x.exp() * phi_d1(y),
        Coupling::Bilinear => -mu * x,
        Coupling::SampleWeight => T::zero(),
    }
}

/// dr/dx: prior -mu (y - x), logweight exp(x) y^2 / 2, nonconvex exp(x) phi(y), bilinear
/// -mu y (the first-order methods' x-gradient of g, which reads no data in sbo's problems).
#[inline(always)]
pub fn dx<T: Num>(c: Coupling, mu: T, x: T, y: T) -> T {
    match c {
        Coupling::Prior => -mu * (y - x),
        Coupling::Logweight => T::of(0.5) * x.exp() * y * y,
        Coupling::Nonconvex => x.exp() * phi(y),
        Coupling::Bilinear => -mu * y,
        Coupling::SampleWeight => T::zero(),
    }
}

/// d2r/dy2: prior mu, logweight exp(x), nonconvex exp(x) phi''(y), bilinear 0.
#[inline(always)]
pub fn dyy<T: Num>(c: Coupling, mu: T, x: T, y: T) -> T {
    match c {
        Coupling::Prior => {
            let _ = (x, y);
            mu
        }
        Coupling::Logweight => {
            let _ = y;
            x.exp()
        }
        Coupling::Nonconvex => x.exp() * phi_d2(y),
        Coupling::Bilinear | Coupling::SampleWeight => T::zero(),
    }
}

/// d2r/dxdy: prior -mu, logweight exp(x) y, nonconvex exp(x) phi'(y), bilinear -mu.
#[inline(always)]
pub fn dxy<T: Num>(c: Coupling, mu: T, x: T, y: T) -> T {
    match c {
        Coupling::Prior => {
            let _ = (x, y);
            -mu
        }
        Coupling::Logweight => x.exp() * y,
        Coupling::Nonconvex => x.exp() * phi_d1(y),
        Coupling::Bilinear => -mu,
        Coupling::SampleWeight => T::zero(),
    }
}
