// Couplings r(x_k, y_j) and their derivatives (twin of `src/problem/coupling.rs`).
//   prior      (mu/2)(y - x)^2
//   logweight  exp(x) y^2 / 2
//   nonconvex  exp(x) phi(y),  phi = y^2 / (1 + y^2)
//   bilinear   -mu x y
//   sample_weight  no r (x weighs the lower samples instead): every formula is 0

fn phi(y: f32) -> f32 { let q = y * y; return q / (1.0 + q); }
fn phi_d1(y: f32) -> f32 { let s = 1.0 + y * y; return 2.0 * y / (s * s); }
fn phi_d2(y: f32) -> f32 { let q = y * y; let s = 1.0 + q; return (2.0 - 6.0 * q) / (s * s * s); }

fn cp_value(x: f32, y: f32) -> f32 {
    if (COUPLING == COUPLING_SAMPLE_WEIGHT) { return 0.0; }
    if (COUPLING == COUPLING_PRIOR) { let r = y - x; return 0.5 * MU * r * r; }
    if (COUPLING == COUPLING_LOGWEIGHT) { return 0.5 * exp(x) * y * y; }
    if (COUPLING == COUPLING_BILINEAR) { return -MU * x * y; }
    return exp(x) * phi(y);
}

fn cp_dy(x: f32, y: f32) -> f32 {
    if (COUPLING == COUPLING_SAMPLE_WEIGHT) { return 0.0; }
    if (COUPLING == COUPLING_PRIOR) { return MU * (y - x); }
    if (COUPLING == COUPLING_LOGWEIGHT) { return exp(x) * y; }
    if (COUPLING == COUPLING_BILINEAR) { return -MU * x; }
    return exp(x) * phi_d1(y);
}

fn cp_dx(x: f32, y: f32) -> f32 {
    if (COUPLING == COUPLING_SAMPLE_WEIGHT) { return 0.0; }
    if (COUPLING == COUPLING_PRIOR) { return -MU * (y - x); }
    if (COUPLING == COUPLING_LOGWEIGHT) { return 0.5 * exp(x) * y * y; }
    if (COUPLING == COUPLING_BILINEAR) { return -MU * y; }
    return exp(x) * phi(y);
}

fn cp_dyy(x: f32, y: f32) -> f32 {
    if (COUPLING == COUPLING_SAMPLE_WEIGHT) { return 0.0; }
    if (COUPLING == COUPLING_PRIOR) { return MU; }
    if (COUPLING == COUPLING_LOGWEIGHT) { return exp(x); }
    if (COUPLING == COUPLING_BILINEAR) { return 0.0; }
    return exp(x) * phi_d2(y);
}

fn cp_dxy(x: f32, y: f32) -> f32 {
    if (COUPLING == COUPLING_SAMPLE_WEIGHT) { return 0.0; }
    if (COUPLING == COUPLING_PRIOR) { return -MU; }
    if (COUPLING == COUPLING_LOGWEIGHT) { return exp(x) * y; }
    if (COUPLING == COUPLING_BILINEAR) { return -MU; }
    return exp(x) * phi_d1(y);
}
