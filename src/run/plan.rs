//! Running every variant of a plan, one after another, on the chosen engine, with the one
//! fallback rule; a variant that fails keeps what the variants before it computed.

use super::driver::run_study;
use super::engine::{should_fall_back, EngineChoice};
use super::result::{merge, SweepResult};
use super::{RunEvent, RunOptions};
use crate::error::SboError;
use crate::sweep::Plan;

/// The outcome of a plan: the merged result of the variants that completed and, if one
/// failed, which one and why (the variants after it did not run).
pub struct PlanRun {
    pub result: SweepResult,
    pub failure: Option<VariantFailure>,
}

pub struct VariantFailure {
    /// The variant's label (empty without `[vary]`).
    pub variant: String,
    /// Why it ended: an error, or [`SboError::Stopped`] when it was asked to stop (its
    /// completed logging steps are then part of the result).
    pub error: SboError,
    /// Variants completed before it.
    pub completed: usize,
}

/// Runs every variant of `plan` on `choice.engine`; when that fails and a fallback engine is
/// given, the variant runs again there (see [`should_fall_back`]).
pub fn run_plan(plan: &Plan, choice: &EngineChoice, opts: &RunOptions) -> PlanRun {
    let mut parts = Vec::new();
    let mut failure = None;
    for pv in &plan.variants {
        let label = pv.variant.label.as_str();
        // A stop asked for while the last variant finished its last interval: the next one
        // does not start.
        if opts.stopped() && !parts.is_empty() {
            failure = Some(VariantFailure {
                variant: label.to_string(),
                error: SboError::Stopped { step: None },
                completed: parts.len(),
            });
            break;
        }
        opts.event(RunEvent::VariantStarted { variant: label });
        let r = match (
            run_study(choice.engine.as_ref(), &pv.study, opts),
            &choice.fallback,
        ) {
            (Err(e), Some(fb)) if should_fall_back(&e) => {
                opts.event(RunEvent::FellBack {
                    variant: label,
                    error: &e,
                });
                run_study(fb.as_ref(), &pv.study, opts).map(|mut r| {
                    r.warnings.insert(
                        0,
                        format!("the GPU run failed ({e}); the sweep ran on the CPU instead"),
                    );
                    r
                })
            }
            (r, _) => r,
        };
        match r {
            Ok(r) => {
                let stopped = r.stopped_at;
                parts.push(r);
                if let Some(step) = stopped {
                    failure = Some(VariantFailure {
                        variant: label.to_string(),
                        error: SboError::Stopped { step: Some(step) },
                        completed: parts.len() - 1,
                    });
                    break;
                }
            }
            Err(error) => {
                failure = Some(VariantFailure {
                    variant: label.to_string(),
                    error,
                    completed: parts.len(),
                });
                break;
            }
        }
    }
    PlanRun {
        result: merge(plan, parts),
        failure,
    }
}
