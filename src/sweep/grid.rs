//! Expansion of `[[algo]]` grids into configurations: every list-valued setting is one axis
//! of a Cartesian grid, and each configuration gets a label that names its listed values.
//!
//! Owns: the order of configurations and their labels (both appear in every output, so they
//! must not change). Must not know: TOML, engines.

use super::algo_grid::{AlgoGrid, InnerSteps};
use super::axis::OneOrList;
use crate::algo::{AlgoConfig, BatchSize, Schedule, Setting};
use serde::{Deserialize, Serialize};

/// One configuration of a sweep: an algorithm with all its settings, and a readable label.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LabeledAlgo {
    pub label: String,
    pub algo: AlgoConfig,
}

/// Sets value `i` of an axis in a configuration.
type SetValue<'a> = Box<dyn Fn(&mut AlgoConfig, usize) + 'a>;

/// One axis of a grid: its key, the label texts of its values, and how value `i` is set.
struct Axis<'a> {
    key: &'static str,
    list: bool,
    texts: Vec<&'a str>,
    apply: SetValue<'a>,
}

fn axis<'a, T: Clone + 'a>(
    key: &'static str,
    v: &'a Option<OneOrList<T>>,
    set: impl Fn(&mut AlgoConfig, T) + 'a,
) -> Option<Axis<'a>> {
    v.as_ref().map(|v| Axis {
        key,
        list: v.is_list(),
        texts: v.entries().iter().map(|(_, t)| t.as_str()).collect(),
        apply: Box::new(move |c, i| set(c, v.entries()[i].0.clone())),
    })
}

/// The axes of a grid in the order of their keys (`D`, `Q`, `T`, `alpha`, `batch`, ...):
/// the first varies fastest, and labels list the varying ones in this order.
fn axes(g: &AlgoGrid) -> Vec<Axis<'_>> {
    let inner = g
        .inner_steps
        .as_ref()
        .map(|InnerSteps { key, values }| Axis {
            key,
            list: values.is_list(),
            texts: values.entries().iter().map(|(_, t)| t.as_str()).collect(),
            apply: Box::new(move |c: &mut AlgoConfig, i| c.inner_steps = values.entries()[i].0),
        });
    let mut out: Vec<Axis> = [
        inner,
        axis("Q", &g.terms, |c, v| c.terms = v),
        axis("alpha", &g.alpha, |c, v: Schedule| c.alpha = v),
        axis("batch", &g.batch, |c, v: BatchSize| {
            c.batch_lower = v;
            c.batch_upper = v;
        }),
        axis("batch_lower", &g.batch_lower, |c, v| c.batch_lower = v),
        axis("batch_upper", &g.batch_upper, |c, v| c.batch_upper = v),
        axis("beta", &g.beta, |c, v| c.beta = v),
        axis("eta", &g.eta, |c, v| c.eta = v),
        axis("gamma", &g.gamma, |c, v| c.gamma = v),
        axis("independent_hvp_batch", &g.independent_hvp_batch, |c, v| {
            c.independent_hvp_batch = v
        }),
        axis("v_radius", &g.v_radius, |c, v| c.v_radius = Some(v)),
        axis("rho", &g.rho, |c, v| c.rho = v),
        axis("lambda0", &g.lambda0, |c, v| c.lambda0 = v),
        axis("delta_lambda", &g.delta_lambda, |c, v| c.delta_lambda = v),
        axis("period", &g.period, |c, v| c.period = v),
        axis("without_replacement", &g.without_replacement, |c, v| {
            c.without_replacement = v
        }),
    ]
    .into_iter()
    .flatten()
    .collect();
    // Keys in byte order (upper case first): the order configurations have always had.
    out.sort_by_key(|a| a.key);
    out
}

/// Expands every grid, in order, into labelled configurations with the algorithms' defaults
/// for the settings a grid leaves out.
pub fn expand(grids: &[AlgoGrid]) -> Vec<LabeledAlgo> {
    let mut out: Vec<LabeledAlgo> = Vec::new();
    for g in grids {
        let name = g.name.name();
        let axes = axes(g);
        let total: usize = axes.iter().map(|a| a.texts.len()).product();
        for mut combo in 0..total {
            let mut cfg = AlgoConfig::defaults_for(g.name);
            let mut parts = Vec::new();
            for a in &axes {
                let i = combo % a.texts.len();
                combo /= a.texts.len();
                (a.apply)(&mut cfg, i);
                if a.list {
                    parts.push(format!("{}={}", a.key, a.texts[i]));
                }
            }
            let base = g.label.as_deref().unwrap_or(name);
            let label = if parts.is_empty() {
                base.to_string()
            } else {
                format!("{base}[{}]", parts.join(" "))
            };
            out.push(LabeledAlgo { label, algo: cfg });
        }
    }
    // Labels identify configurations in every output: make them unique.
    let labels: Vec<String> = out.iter().map(|c| c.label.clone()).collect();
    for (i, c) in out.iter_mut().enumerate() {
        if labels.iter().filter(|l| **l == labels[i]).count() > 1 {
            c.label = format!(
                "{}#{}",
                labels[i],
                labels[..i].iter().filter(|l| **l == labels[i]).count() + 1
            );
        }
    }
    out
}

/// The grid of exactly one configuration, every setting written out (the resolved config).
pub fn exact(c: &LabeledAlgo) -> AlgoGrid {
    let a = &c.algo;
    let mut g = AlgoGrid::new(a.kind)
        .label(c.label.clone())
        .inner_steps(a.inner_steps)
        .terms(a.terms)
        .alpha(a.alpha)
        .beta(a.beta)
        .gamma(a.gamma)
        .batch_lower(a.batch_lower)
        .batch_upper(a.batch_upper)
        .eta(a.eta)
        .without_replacement(a.without_replacement)
        .independent_hvp_batch(a.independent_hvp_batch);
    if let Some(r) = a.v_radius {
        g = g.v_radius(r);
    }
    // Written only for the algorithms that read them, so that the other algorithms'
    // resolved configs are what they were before these settings existed.
    let reads = |s: Setting| a.kind.descriptor().settings.contains(&s);
    if reads(Setting::Rho) {
        g = g.rho(a.rho);
    }
    if reads(Setting::Lambda0) {
        g = g.lambda0(a.lambda0);
    }
    if reads(Setting::DeltaLambda) {
        g = g.delta_lambda(a.delta_lambda);
    }
    if reads(Setting::Period) {
        g = g.period(a.period);
    }
    g
}
