//! The result of a run as plain data: per-configuration summaries over seeds, the per-seed
//! values they come from, and every lane's final iterate; how the groups' values are
//! assembled into it, and how the results of several variants are joined.
//!
//! Owns: [`SweepResult`] and its parts. Must not know: engines, files.

use super::layout::Layout;
use crate::algo::{AlgoConfig, OracleCounts};
use crate::metrics::{summarize, Metric, MetricValues, Summary};
use crate::sweep::{Plan, Study};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LaneStatus {
    Ok,
    /// A coordinate became NaN or infinite; the lane stopped there.
    Diverged,
}

/// The final iterate of one lane.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LaneRecord {
    pub config: usize,
    pub seed: u64,
    /// 0 for the base lane, i >= 1 for neighbour i.
    pub neighbour: usize,
    pub status: LaneStatus,
    /// Logging step at which the lane was found diverged.
    pub diverged_at: Option<u64>,
    pub x: Vec<f64>,
    pub y: Vec<f64>,
    pub counts: OracleCounts,
}

/// One metric of one configuration at one logging step, summarised over seeds.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct MetricRow {
    pub t: u64,
    pub metric: Metric,
    #[serde(flatten)]
    pub summary: Summary,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ConfigResult {
    pub label: String,
    /// The label within its variant (the `[[algo]]` grid's label).
    pub algo_label: String,
    /// `[vary]` values of the configuration's variant: `(dotted key, value)`.
    #[serde(default)]
    pub variant: Vec<(String, String)>,
    /// The settings the lanes ran with (step sizes after any kappa scaling).
    pub settings: AlgoConfig,
    pub algorithm: String,
    pub rows: Vec<MetricRow>,
    /// Raw values per seed: `per_seed[seed][log point]`.
    pub per_seed: Vec<Vec<MetricValues>>,
    /// Seconds spent stepping this configuration's lanes (summed over threads).
    pub seconds: f64,
}

impl ConfigResult {
    /// The summary of `metric` at logging step `t`, if measured.
    pub fn at(&self, t: u64, metric: Metric) -> Option<&Summary> {
        self.rows
            .iter()
            .find(|r| r.t == t && r.metric == metric)
            .map(|r| &r.summary)
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SweepResult {
    pub configs: Vec<ConfigResult>,
    pub lanes: Vec<LaneRecord>,
    pub log_steps: Vec<u64>,
    pub backend: String,
    pub precision: String,
    pub threads: usize,
    /// Wall-clock seconds of the whole run.
    pub seconds: f64,
    /// Lane-steps taken (outer steps summed over lanes).
    pub lane_steps: u64,
    /// Things the user should know (diverged lanes, failed exact solves).
    pub warnings: Vec<String>,
    /// The outer step a stopped run (`RunOptions::stop`) ended at; `None` when it ran to its
    /// last step.
    #[serde(default)]
    pub stopped_at: Option<u64>,
}

impl SweepResult {
    pub fn diverged(&self) -> usize {
        self.lanes
            .iter()
            .filter(|l| l.status == LaneStatus::Diverged)
            .count()
    }

    /// A result with nothing in it (no variant completed).
    pub fn empty(log_steps: Vec<u64>) -> SweepResult {
        SweepResult {
            configs: Vec::new(),
            lanes: Vec::new(),
            log_steps,
            backend: String::new(),
            precision: String::new(),
            threads: 0,
            seconds: 0.0,
            lane_steps: 0,
            warnings: Vec::new(),
            stopped_at: None,
        }
    }
}

/// What one (configuration, seed) group produced.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct GroupOut {
    pub values: Vec<MetricValues>,
    pub lanes: Vec<LaneRecord>,
    pub seconds: f64,
    pub warnings: Vec<String>,
}

/// How a run went, besides the groups' values.
pub(super) struct RunFacts {
    pub backend: String,
    pub precision: String,
    pub threads: usize,
    pub seconds: f64,
}

impl RunFacts {
    /// Adds another part's engine: `a+b` where they differ.
    pub fn join(&mut self, backend: &str, precision: &str, threads: usize) {
        join_name(&mut self.backend, backend);
        join_name(&mut self.precision, precision);
        self.threads = self.threads.max(threads);
    }
}

fn join_name(to: &mut String, other: &str) {
    if to != other && !to.split('+').any(|p| p == other) {
        *to = format!("{to}+{other}");
    }
}

/// Summarises the groups' values over seeds into a [`SweepResult`]. `outs` is in group
/// order ([`Layout`]); their values cover `log_steps` (all of the study's, or those before a
/// stop).
pub(super) fn assemble(
    study: &Study,
    outs: Vec<GroupOut>,
    facts: RunFacts,
    log_steps: &[u64],
) -> SweepResult {
    let layout = Layout::of(study);
    let mut configs = Vec::new();
    let mut lanes = Vec::new();
    let mut warnings = Vec::new();
    // Diverged lanes, per configuration.
    let mut per_config: Vec<String> = Vec::new();
    let mut n_diverged = 0;
    let mut outs = outs.into_iter();
    for cfg in &study.configs {
        let chunk: Vec<GroupOut> = outs.by_ref().take(layout.seeds).collect();
        let mut rows = Vec::new();
        for (li, &t) in log_steps.iter().enumerate() {
            for m in Metric::ALL {
                let s = summarize(chunk.iter().map(|g| g.values[li][m]));
                if s.count > 0 {
                    rows.push(MetricRow {
                        t,
                        metric: m,
                        summary: s,
                    });
                }
            }
        }
        configs.push(ConfigResult {
            label: cfg.label.clone(),
            algo_label: cfg.label.clone(),
            variant: Vec::new(),
            settings: cfg.algo.clone(),
            algorithm: cfg.algo.kind.name().to_string(),
            rows,
            per_seed: chunk.iter().map(|g| g.values.clone()).collect(),
            seconds: chunk.iter().map(|g| g.seconds).sum(),
        });
        let first_lane = lanes.len();
        for g in chunk {
            lanes.extend(g.lanes);
            warnings.extend(g.warnings);
        }
        if let Some(line) = diverged_note(&cfg.label, &lanes[first_lane..], &layout) {
            n_diverged += line.0;
            per_config.push(line.1);
        }
    }
    if n_diverged > 0 {
        warnings.insert(
            0,
            format!(
                "{n_diverged} lane(s) diverged (a coordinate beyond run.divergence_bound = {:e} \
                 or not finite) and stopped at their last iterate within it; their metrics are \
                 left out from then on. {}",
                study.config.run.divergence_bound,
                per_config.join("; ")
            ),
        );
    }
    let steps = log_steps.last().copied().unwrap_or(0);
    let stopped_at = (steps < study.config.run.steps).then_some(steps);
    let lane_steps = lanes.iter().map(|l| l.diverged_at.unwrap_or(steps)).sum();
    SweepResult {
        configs,
        lanes,
        log_steps: log_steps.to_vec(),
        backend: facts.backend,
        precision: facts.precision,
        threads: facts.threads,
        seconds: facts.seconds,
        lane_steps,
        warnings,
        stopped_at,
    }
}

/// How many of one configuration's `lanes` diverged, and a line saying so: from when, and
/// whether any base lane or neighbour is left to measure. `None` when none diverged.
fn diverged_note(label: &str, lanes: &[LaneRecord], layout: &Layout) -> Option<(usize, String)> {
    let div: Vec<&LaneRecord> = lanes
        .iter()
        .filter(|l| l.status == LaneStatus::Diverged)
        .collect();
    if div.is_empty() {
        return None;
    }
    let first = div.iter().filter_map(|l| l.diverged_at).min().unwrap_or(0);
    let bases = div.iter().filter(|l| l.neighbour == 0).count();
    let neighbours = div.len() - bases;
    let note = if div.len() == lanes.len() {
        ": all of them, so it has no metrics (no stability) from then on"
    } else if bases == layout.seeds {
        ": every base lane, so it has no metrics from then on"
    } else if layout.group_size > 1 && neighbours == layout.seeds * (layout.group_size - 1) {
        ": every neighbour, so it has no stability from then on"
    } else {
        ""
    };
    Some((
        div.len(),
        format!(
            "{label}: {} of {} lanes, the first at step {first}{note}",
            div.len(),
            lanes.len()
        ),
    ))
}

/// Joins the results of the variants run so far into one result: configurations and lanes in
/// variant order, labels prefixed with the variant's values, times and lane-steps summed.
pub fn merge(plan: &Plan, parts: Vec<SweepResult>) -> SweepResult {
    let mut out: Option<SweepResult> = None;
    for (pv, mut r) in plan.variants.iter().zip(parts) {
        let v = &pv.variant;
        for c in &mut r.configs {
            c.variant = v.values.clone();
            if !v.label.is_empty() {
                c.label = format!("{} | {}", v.label, c.label);
            }
        }
        if !v.label.is_empty() {
            for w in &mut r.warnings {
                *w = format!("{}: {w}", v.label);
            }
        }
        match &mut out {
            None => out = Some(r),
            Some(o) => {
                let offset = o.configs.len();
                for l in &mut r.lanes {
                    l.config += offset;
                }
                o.configs.extend(r.configs);
                o.lanes.extend(r.lanes);
                o.warnings.extend(r.warnings);
                o.seconds += r.seconds;
                o.lane_steps += r.lane_steps;
                o.stopped_at = o.stopped_at.or(r.stopped_at);
                join_name(&mut o.backend, &r.backend);
                join_name(&mut o.precision, &r.precision);
            }
        }
    }
    out.unwrap_or_else(|| SweepResult::empty(plan.first().log_steps.clone()))
}
