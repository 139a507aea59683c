//! Comparing a GPU sweep with the CPU reference, metric by metric (`sbo verify`).
//!
//! Owns: the comparison and its tolerance. Must not know: how engines run (it runs both
//! through the run layer).

use crate::error::Result;
use crate::metrics::Metric;
use crate::run::{run_plan, EngineChoice, RunOptions, SweepResult};
use crate::sweep::{Plan, Precision, SweepConfig};
use serde::Serialize;
use std::fmt;
use std::path::Path;

/// A result passes when |gpu - cpu| <= atol + rtol |cpu| everywhere.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Tolerance {
    pub rtol: f64,
    pub atol: f64,
}

impl Default for Tolerance {
    /// f32 on the device against f64 on the CPU over a few hundred steps of a well-conditioned
    /// problem: differences stay near 1e-5 relative (see `tests/gpu_sweep.rs`).
    fn default() -> Self {
        Tolerance {
            rtol: 2e-3,
            atol: 2e-5,
        }
    }
}

/// The largest differences of one metric over every configuration and logging step (means
/// over seeds), or of the final iterates (`final_x`, `final_y`, every lane and coordinate).
#[derive(Clone, Debug, Serialize)]
pub struct MetricDiff {
    pub metric: String,
    pub max_abs: f64,
    pub max_rel: f64,
    /// Largest |diff| / (atol + rtol |cpu|): above 1 is a failure.
    pub worst_ratio: f64,
    /// Where the worst ratio occurred, with both values.
    pub worst: String,
    pub compared: usize,
}

impl MetricDiff {
    pub fn passes(&self) -> bool {
        self.worst_ratio <= 1.0
    }

    fn new(metric: &str) -> Self {
        MetricDiff {
            metric: metric.to_string(),
            max_abs: 0.0,
            max_rel: 0.0,
            worst_ratio: 0.0,
            worst: String::new(),
            compared: 0,
        }
    }

    fn add(&mut self, gpu: f64, cpu: f64, tol: Tolerance, at: impl FnOnce() -> String) {
        self.compared += 1;
        let abs = if gpu.is_nan() && cpu.is_nan() {
            0.0
        } else {
            (gpu - cpu).abs()
        };
        let abs = if abs.is_nan() { f64::INFINITY } else { abs };
        let rel = if cpu != 0.0 {
            abs / cpu.abs()
        } else if abs == 0.0 {
            0.0
        } else {
            f64::INFINITY
        };
        let ratio = abs / (tol.atol + tol.rtol * cpu.abs());
        self.max_abs = self.max_abs.max(abs);
        self.max_rel = self.max_rel.max(rel);
        if ratio > self.worst_ratio || self.worst.is_empty() {
            self.worst_ratio = ratio;
            self.worst = format!("{}: gpu {gpu:.9e}, cpu {cpu:.9e}", at());
        }
    }
}

/// Per-metric differences between two runs of the same study (timings excluded).
pub fn compare(gpu: &SweepResult, cpu: &SweepResult, tol: Tolerance) -> Vec<MetricDiff> {
    let mut out: Vec<MetricDiff> = Vec::new();
    let get = |name: &str, out: &mut Vec<MetricDiff>| -> usize {
        match out.iter().position(|d| d.metric == name) {
            Some(i) => i,
            None => {
                out.push(MetricDiff::new(name));
                out.len() - 1
            }
        }
    };
    for (g, c) in gpu.configs.iter().zip(&cpu.configs) {
        for rc in &c.rows {
            if rc.metric == Metric::Seconds {
                continue;
            }
            let Some(rg) = g.rows.iter().find(|r| r.t == rc.t && r.metric == rc.metric) else {
                let i = get(rc.metric.name(), &mut out);
                out[i].add(f64::NAN, rc.summary.mean, tol, || {
                    format!("{} t={} (missing on the GPU)", c.label, rc.t)
                });
                continue;
            };
            let i = get(rc.metric.name(), &mut out);
            out[i].add(rg.summary.mean, rc.summary.mean, tol, || {
                format!("{} t={}", c.label, rc.t)
            });
        }
    }
    for (name, pick) in [("final_x", true), ("final_y", false)] {
        let i = get(name, &mut out);
        for (lg, lc) in gpu.lanes.iter().zip(&cpu.lanes) {
            let (a, b) = if pick { (&lg.x, &lc.x) } else { (&lg.y, &lc.y) };
            for (k, (va, vb)) in a.iter().zip(b).enumerate() {
                out[i].add(*va, *vb, tol, || {
                    format!(
                        "{} seed {} neighbour {} coordinate {k}",
                        cpu.configs[lc.config].label, lc.seed, lc.neighbour
                    )
                });
            }
        }
    }
    out
}

/// A table of [`MetricDiff`]s for the terminal.
pub struct DiffTable<'a>(pub &'a [MetricDiff]);

impl fmt::Display for DiffTable<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:22} {:>11} {:>11} {:>8}  {:4}  worst",
            "metric", "max |diff|", "max rel", "ratio", ""
        )?;
        for d in self.0 {
            writeln!(
                f,
                "{:22} {:11.3e} {:11.3e} {:8.3}  {:4}  {}",
                d.metric,
                d.max_abs,
                d.max_rel,
                d.worst_ratio,
                if d.passes() { "ok" } else { "FAIL" },
                d.worst
            )?;
        }
        Ok(())
    }
}

/// What [`verify`] found.
pub struct Verification {
    /// The GPU run's backend (`gpu (adapter)`).
    pub gpu_backend: String,
    pub configs: usize,
    pub lanes: usize,
    pub diffs: Vec<MetricDiff>,
}

impl Verification {
    /// The metrics beyond tolerance.
    pub fn failed(&self) -> Vec<&str> {
        self.diffs
            .iter()
            .filter(|d| !d.passes())
            .map(|d| d.metric.as_str())
            .collect()
    }
}

/// Runs every variant of `config` on `gpu` and on the CPU in f64, and compares them. A
/// variant that fails on either engine fails the verification.
pub fn verify(
    config: &SweepConfig,
    config_dir: Option<&Path>,
    gpu: &EngineChoice,
    tol: Tolerance,
) -> Result<Verification> {
    let mut c = config.clone();
    c.run.precision = Precision::F64;
    let plan = Plan::prepare(&c, config_dir)?;
    let opts = RunOptions::default();
    let on = |choice: &EngineChoice| -> Result<SweepResult> {
        let r = run_plan(&plan, choice, &opts);
        match r.failure {
            Some(f) => Err(f.error),
            None => Ok(r.result),
        }
    };
    let g = on(gpu)?;
    let cpu = on(&crate::backend::cpu("verify: cpu".into()))?;
    Ok(Verification {
        gpu_backend: g.backend.clone(),
        configs: plan.n_configs(),
        lanes: g.lanes.len(),
        diffs: compare(&g, &cpu, tol),
    })
}
