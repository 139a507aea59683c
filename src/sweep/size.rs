//! What a study will ask of the machine's memory, checked before anything large is allocated:
//! a sweep whose lanes, metric values or data cannot fit is an error that says what to lower,
//! not an abort after minutes of work.
//!
//! Owns: the memory estimate of a study. Must not know: engines (the estimate is the CPU
//! engine's, the larger of the two on the host).

use super::config::SweepConfig;
use crate::algo::{coef_len, AlgoConfig, BatchSize, Dims};
use crate::error::{Result, SboError};
use crate::machine::{human_bytes, memory_budget};
use crate::metrics::N_METRICS;

/// Host bytes of one CPU lane in f64: x, y, v, y_init, the work vectors, the unrolled inner
/// iterates, the algorithm's memory, the batch indices, and its oracles.
pub fn lane_bytes(a: &AlgoConfig, dims: &Dims) -> u128 {
    let unrolled = (a.kind.descriptor().unrolled_iterates)(a).max(1) as u128;
    let (p, d, n_lower, n_upper) = (dims.p as u128, dims.d as u128, dims.n_lower, dims.n_upper);
    // The algorithm's memory and its per-sample scratch.
    let memory = ((a.kind.descriptor().memory)(a, dims) + coef_len(a, dims)) as u128;
    // Index buffers exist for drawn batches only (a full batch reads the set in order).
    let idx = |b: BatchSize, n: usize| match b {
        BatchSize::Size(_) => b.len(n) as u128,
        BatchSize::Full => 0,
    };
    let (bl, bu) = (idx(a.batch_lower, n_lower), idx(a.batch_upper, n_upper));
    8 * (4 * p + 9 * d + unrolled * d + memory) + 4 * (2 * bl + bu) + 256
}

/// An error unless a study of these configurations fits in this run's memory budget:
/// lane states, the final iterates, and every group's metric values at every logging step.
pub(super) fn check_study(
    config: &SweepConfig,
    algos: &[AlgoConfig],
    dims: &Dims,
    log_points: usize,
) -> Result<()> {
    let run = &config.run;
    let (p, d) = (dims.p as u128, dims.d as u128);
    let group = run.neighbours as u128 + 1;
    let seeds = run.seeds as u128;
    let lanes: u128 = algos.len() as u128 * seeds * group;
    let states: u128 = algos
        .iter()
        .map(|a| seeds * group * (lane_bytes(a, dims) + 16 * (p + d)))
        .sum();
    let groups = algos.len() as u128 * seeds;
    let metrics = groups * log_points as u128 * (N_METRICS as u128 * 8)
        + algos.len() as u128 * log_points as u128 * N_METRICS as u128 * 64;
    let need = states + metrics;
    let budget = memory_budget() as u128;
    if need > budget {
        return Err(SboError::config(
            "run",
            format!(
                "the sweep needs about {} ({lanes} lanes: {} for their states; {} for the \
                 metric values of {groups} groups at {log_points} logging points), more than \
                 the {} this run may use (SBO_MEMORY_LIMIT or half the available memory): lower \
                 run.seeds ({}), run.neighbours ({}), the number of configurations ({}) or the \
                 dimensions (d = {d}, p = {p}), or log less often",
                human_bytes(need as f64),
                human_bytes(states as f64),
                human_bytes(metrics as f64),
                human_bytes(budget as f64),
                run.seeds,
                run.neighbours,
                algos.len()
            ),
        ));
    }
    Ok(())
}

/// An error on `field` unless `need` bytes fit this run's memory budget; `msg` gets the need
/// and the budget as text and says what to lower.
fn within_budget(
    need: u128,
    field: &str,
    msg: impl FnOnce(String, String) -> String,
) -> Result<()> {
    let budget = memory_budget() as u128;
    if need > budget {
        return Err(SboError::config(
            field,
            msg(human_bytes(need as f64), human_bytes(budget as f64)),
        ));
    }
    Ok(())
}

/// An error unless synthetic data of `rows` x `d` (and the generator's d x d basis) fits.
pub(super) fn check_synthetic(rows: usize, d: usize) -> Result<()> {
    let need = rows as u128 * d as u128 * 4 + d as u128 * d as u128 * 8 * 3;
    within_budget(need, "data.d", |need, budget| {
        format!(
            "synthetic data of {rows} rows x {d} features needs about {need}, more than the \
             {budget} this run may use (SBO_MEMORY_LIMIT or half the available memory): lower \
             data.d, the set sizes or, with run.resample = \"data\", run.seeds"
        )
    })
}

/// The per-seed row maps of a resampled real dataset: at most every row of the training file
/// per seed, as 32-bit indices.
pub(super) fn check_row_maps(seeds: usize, rows: usize) -> Result<()> {
    within_budget(
        seeds as u128 * rows as u128 * 4,
        "run.resample",
        |need, budget| {
            format!(
            "a split of {rows} rows for each of {seeds} seeds needs about {need}, more than the \
             {budget} this run may use: lower run.seeds or give data.n_test"
        )
        },
    )
}

/// `data.corrupt` appends `rows` flipped copies of `d` features to the table (a copy per
/// flipped sample and seed): checked before they are made, so a rate over many resampled
/// seeds is a clear error rather than an allocation failure or a device error later.
pub(super) fn check_corrupted(rows: usize, d: usize) -> Result<()> {
    within_budget(
        rows as u128 * d as u128 * 4,
        "data.corrupt",
        |need, budget| {
            format!(
            "{rows} flipped copies of {d}-feature rows need about {need}, more than the {budget} \
             this run may use: lower data.corrupt, data.n_lower or run.seeds"
        )
        },
    )
}
