//! `saba`: stochastic average bilevel algorithm (Dagréou, Ablin, Vaiter and Moreau, "A
//! framework for bilevel optimization that enables stochastic and global variance reduction
//! algorithms", NeurIPS 2022). SOBA's three directions (ssaid's step) with SAGA variance
//! reduction on each data term, so that constant step sizes converge on a finite sum:
//!
//!   D_y = (1/|B|) sum_{i in B} (g_i(y) - G_i) + mean_i G_i   (+ the regulariser, exact)
//!
//! and the same for H v (lower samples) and grad_y f (upper samples), where G_i is the
//! last value seen for sample i. Then, as ssaid, x steps at the old (y, v) and
//! y -= beta D_y, v -= gamma (D_Hv - D_f). Each step writes the batch's new values into
//! the tables.
//!
//! The losses are generalised linear models, so sample i's gradient is c_i a_i and its
//! Hessian product h_i a_i: the tables hold the scalars c, h (lower set) and u (upper set)
//! and the three running means, 2 n + m + 3 d floats per lane instead of (2 n + m) d.
//! Tables start at zero (benchopt's `mode_init_memory = "zero"`). A sample drawn twice in
//! one batch enters the direction twice against its old entry and updates its entry once.
//!
//! The x direction reads no data where x enters g only through the coupling, and needs no
//! table: x steps as ssaid's. When x weighs the lower samples (data hyper-cleaning, g =
//! (1/n) sum_i sigmoid(x_i) l_i), c and h carry the weight sigmoid(x_i) at the x where they
//! were stored (they are sample i's gradient and Hessian product there), and J v, whose
//! entry i is sample i's alone, gets its own table of the scalars j_i = sigmoid'(x_i)
//! l'(a_i . y, b_i) (a_i . v) (p = n more floats):
//!
//!   D_J = (1/|B|) sum_{i in B} (j_i(x, y, v) - J_i) e_i + (1/n) J,   x -= alpha (grad_x f - D_J)
//!
//! then J_i <- j_i for the batch (the table's mean is the table over n: no running mean).
//!
//! benchopt's `SABA` maps as: step_size -> beta = gamma, step_size / outer_ratio -> alpha
//! (constant); benchopt keeps its tables per fixed mini-batch of a shuffled partition, sbo
//! per sample with batches drawn like every other solver's.

use super::ssaid::SSAID;
use crate::algo::descriptor::{Algorithm, KernelFlags, KernelSpec, Setting::*, Theory};
use crate::algo::shared::{draw, implicit_x_step, sub_scaled};
use crate::algo::{AlgoConfig, LaneState, OracleCounts};
use crate::problem::{Batch, Oracles};
use crate::real::{Num, Pack};
use crate::rng::{stream, LaneRng};

/// Index in the set of batch slot s.
#[inline(always)]
fn sample(batch: Batch, s: usize) -> usize {
    match batch {
        Batch::Full => s,
        Batch::Idx(idx) => idx[s] as usize,
    }
}

/// Moves the batch's new scalars into a table and leaves in `delta` what each slot changed
/// (a repeated sample changes its entry once: its later slots change nothing).
#[inline(always)]
fn write_table<T: Num>(batch: Batch, table: &mut [T], new: &[T], delta: &mut [T]) {
    for (s, (nv, dv)) in new.iter().zip(delta.iter_mut()).enumerate() {
        let i = sample(batch, s);
        *dv = *nv - table[i];
        table[i] = *nv;
    }
}

fn step<T: Num>(
    cfg: &AlgoConfig,
    o: &Oracles,
    rng: &LaneRng,
    lane: &mut LaneState<T>,
    _: &mut OracleCounts,
) {
    let t = lane.t;
    let alpha = lane.setting(cfg, |c| c.alpha.at(t));
    let beta = lane.setting(cfg, |c| c.beta.at(t));
    let gamma = lane.setting(cfg, |c| c.gamma.at(t));
    let (n, m, d) = (o.lower.n(), o.upper.n(), lane.y.len());
    let (bl, bu) = cfg.batch_lens(n, m);
    let wr = cfg.without_replacement;
    let ws = &mut lane.ws;
    let (c_tab, rest) = lane.m.split_at_mut(n);
    let (h_tab, rest) = rest.split_at_mut(n);
    let (u_tab, rest) = rest.split_at_mut(m);
    let (a_g, rest) = rest.split_at_mut(d);
    let (a_h, rest) = rest.split_at_mut(d);
    // J's table: p = n scalars with per-sample weights, none otherwise.
    let (a_f, j_tab) = rest.split_at_mut(d);
    let per_sample = o.spec.weighs_samples();
    let (c_new, rest) = ws.coef.split_at_mut(bl);
    let (h_new, rest) = rest.split_at_mut(bl);
    let (u_new, rest) = rest.split_at_mut(bu);
    let (dc, rest) = rest.split_at_mut(bl);
    let (dh, du) = rest.split_at_mut(bl);

    let zeta = draw(
        rng,
        stream::LOWER,
        t,
        n,
        cfg.batch_lower,
        wr,
        &mut ws.idx_lower,
    );
    let xi = draw(
        rng,
        stream::UPPER,
        t,
        m,
        cfg.batch_upper,
        wr,
        &mut ws.idx_upper,
    );
    // With weights, the new J scalars go to xb by sample index.
    let j_new = if per_sample {
        Some(&mut ws.xb[..])
    } else {
        None
    };
    o.lower_coefficients(&lane.x, &lane.y, &lane.v, zeta, c_new, h_new, j_new);
    o.upper_coefficients(&lane.y, xi, u_new);
    for s in 0..bl {
        let i = sample(zeta, s);
        dc[s] = c_new[s] - c_tab[i];
        dh[s] = h_new[s] - h_tab[i];
    }
    for s in 0..bu {
        du[s] = u_new[s] - u_tab[sample(xi, s)];
    }
    // The variance-reduced directions: batch corrections plus the tables' means.
    o.rows_sum(false, zeta, dc, &mut ws.g);
    o.rows_sum(false, zeta, dh, &mut ws.hv);
    o.rows_sum(true, xi, du, &mut ws.u);
    let (inv_l, inv_u) = (T::one() / T::of(bl as f64), T::one() / T::of(bu as f64));
    for j in 0..d {
        ws.g[j] = ws.g[j] * inv_l + a_g[j];
        ws.hv[j] = ws.hv[j] * inv_l + a_h[j];
        ws.u[j] = ws.u[j] * inv_u + a_f[j];
    }
    o.add_lower_regularisers(&lane.x, &lane.y, &lane.v, &mut ws.g, &mut ws.hv);

    // The tables and their means take the batch's new values.
    write_table(zeta, c_tab, c_new, dc);
    write_table(zeta, h_tab, h_new, dh);
    write_table(xi, u_tab, u_new, du);
    let (inv_n, inv_m) = (T::one() / T::of(n as f64), T::one() / T::of(m as f64));
    for (delta, mean, upper, inv) in [
        (&*dc, &mut *a_g, false, inv_n),
        (&*dh, &mut *a_h, false, inv_n),
        (&*du, &mut *a_f, true, inv_m),
    ] {
        let batch = if upper { xi } else { zeta };
        o.rows_sum(upper, batch, delta, &mut ws.r);
        for (a, r) in mean.iter_mut().zip(&ws.r) {
            *a += *r * inv;
        }
    }

    if per_sample {
        // x's direction with J v from its table, at the old (y, v) as ssaid's, then J's
        // table takes the batch's new scalars (after every slot has read its old entry).
        for (dj, jt) in ws.jv.iter_mut().zip(j_tab.iter()) {
            *dj = *jt * inv_n;
        }
        for s in 0..bl {
            let i = sample(zeta, s);
            ws.jv[i] += (ws.xb[i] - j_tab[i]) * inv_l;
        }
        for s in 0..bl {
            let i = sample(zeta, s);
            j_tab[i] = ws.xb[i];
        }
        o.grad_x_f(&lane.x, &lane.y, &mut ws.h);
        sub_scaled(&mut ws.h, T::one(), &ws.jv);
        sub_scaled(&mut lane.x, alpha, &ws.h);
    } else {
        implicit_x_step(cfg, o, lane, alpha);
    }
    let ws = &mut lane.ws;
    sub_scaled(&mut lane.y, beta, &ws.g);
    sub_scaled(&mut ws.hv, T::one(), &ws.u);
    sub_scaled(&mut lane.v, gamma, &ws.hv);
}

pub(crate) static SABA: Algorithm = Algorithm {
    name: "saba",
    summary: "SOBA with SAGA variance reduction on per-sample tables (Dagréou et al. 2022)",
    settings: &[
        Alpha,
        Beta,
        Gamma,
        BatchLower,
        BatchUpper,
        WithoutReplacement,
    ],
    step_f64: step::<f64>,
    step_f32: step::<f32>,
    pack_f64: Some(step::<Pack<f64>>),
    pack_f32: Some(step::<Pack<f32>>),
    // One read of each batch's rows for the scalars, one for the directions and one for
    // the means; counted as ssaid's oracles on the same batches.
    nominal_counts: |_, bl, bu| OracleCounts::new(1, 1, 1, 1, bl + bu),
    memory: |_, s| {
        let j_table = if s.weighs_samples { s.p } else { 0 };
        2 * s.n_lower + s.n_upper + 3 * s.d + j_table
    },
    kernel: KernelSpec {
        source: include_str!("../../../shaders/step_saba.wgsl"),
        classes: false,
        sample_weights: true,
        network: false,
        lane_threads: None,
        specialise: KernelFlags::of,
    },
    work: |_, s| {
        (crate::algo::work::pass(s, s.batch_lower, 2.0, 4.0)
            + crate::algo::work::pass(s, s.batch_upper, 1.0, 2.0))
        .plus_vector_ops(10.0 * s.d + s.p)
    },
    kappa_scaled: &[Alpha, Beta, Gamma],
    theory: Theory::NONE,
    ..SSAID
};
