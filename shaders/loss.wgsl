// Losses l(z, b) and their derivatives in z (twin of `src/problem/loss.rs`). Logistic loss in
// the stable softplus form: never exp of a large positive number.

fn sigmoid(t: f32) -> f32 {
    if (t >= 0.0) { return 1.0 / (1.0 + exp(-t)); }
    let e = exp(t);
    return e / (1.0 + e);
}

fn softplus(t: f32) -> f32 {
    return max(t, 0.0) + log(1.0 + exp(-abs(t)));
}

fn loss_value(z: f32, b: f32) -> f32 {
    if (LOSS == LOSS_SQUARED) { let r = z - b; return 0.5 * r * r; }
    return softplus(-b * z);
}

fn loss_d1(z: f32, b: f32) -> f32 {
    if (LOSS == LOSS_SQUARED) { return z - b; }
    return -b * sigmoid(-b * z);
}

fn loss_d2(z: f32, b: f32) -> f32 {
    if (LOSS == LOSS_SQUARED) { return 1.0; }
    return sigmoid(z) * sigmoid(-z);
}
