//! Running a plan: its (variant, configuration, seed) groups cut into pieces (one per variant,
//! or a shard's slice), each piece run on the chosen engine with the one fallback rule, from
//! a checkpoint when resuming; the pieces' groups assembled into one result. A piece that
//! fails keeps what the pieces before it computed.

use super::checkpoint::{Checkpointing, PieceOut, PieceProgress};
use super::driver::run_piece;
use super::engine::{should_fall_back, EngineChoice};
use super::result::{assemble, merge, RunFacts, SweepResult};
use super::{RunEvent, RunOptions};
use crate::error::{Result, SboError};
use crate::sweep::{Plan, Study};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::ops::Range;

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
    /// Pieces completed before it (without sharding, one piece is one variant).
    pub completed: usize,
}

/// Shard `index` of `count` (0-based): a deterministic slice of a plan's groups.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl Shard {
    pub fn new(index: usize, count: usize) -> Result<Shard> {
        if count == 0 || index >= count {
            return Err(SboError::config(
                "shard",
                format!("shard {index}/{count}: the index must be in 0..{count} (0-based)"),
            ));
        }
        Ok(Shard { index, count })
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// Groups of one variant run together as one study: configurations x seeds (indices).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Piece {
    pub variant: usize,
    pub configs: Range<usize>,
    pub seeds: Range<usize>,
}

impl Piece {
    pub fn groups(&self) -> usize {
        self.configs.len() * self.seeds.len()
    }

    /// Lanes the piece runs: its groups, each a base lane and its neighbours.
    pub fn lanes(&self, plan: &Plan) -> usize {
        self.groups() * (plan.variants[self.variant].study.config.run.neighbours + 1)
    }

    /// The study this piece runs: the variant's own when the piece is all of it.
    pub fn study<'p>(&self, plan: &'p Plan) -> Cow<'p, Study> {
        let s = &plan.variants[self.variant].study;
        if self.configs == (0..s.configs.len()) && self.seeds == (0..s.config.run.seeds) {
            Cow::Borrowed(s)
        } else {
            Cow::Owned(s.piece(self.configs.clone(), self.seeds.clone()))
        }
    }
}

/// The pieces of `plan` that `shard` runs (all of it without one), in the plan's group order:
/// variants in turn, configuration-major within one. The groups are numbered through the
/// whole plan and shard i of N takes numbers [i G / N, (i + 1) G / N): contiguous, as equal
/// as can be, none when N exceeds the G groups. Within a variant a slice is at most three
/// rectangles (the rest of one configuration's seeds, whole configurations, the first seeds
/// of the last one).
pub fn pieces(plan: &Plan, shard: Option<Shard>) -> Vec<Piece> {
    let sizes: Vec<(usize, usize)> = plan
        .variants
        .iter()
        .map(|v| (v.study.configs.len(), v.study.config.run.seeds))
        .collect();
    let total: usize = sizes.iter().map(|(c, s)| c * s).sum();
    let (lo, hi) = match shard {
        None => (0, total),
        Some(s) => {
            let at = |i: usize| (i as u128 * total as u128 / s.count as u128) as usize;
            (at(s.index), at(s.index + 1))
        }
    };
    let mut out = Vec::new();
    let mut first = 0;
    for (variant, &(configs, seeds)) in sizes.iter().enumerate() {
        let n = configs * seeds;
        let (a, b) = (
            lo.max(first) - first,
            hi.min(first + n).saturating_sub(first),
        );
        first += n;
        if a >= b {
            continue;
        }
        let rect = |c: Range<usize>, s: Range<usize>| Piece {
            variant,
            configs: c,
            seeds: s,
        };
        let (ca, sa, cb, sb) = (a / seeds, a % seeds, b / seeds, b % seeds);
        if ca == cb {
            out.push(rect(ca..ca + 1, sa..sb));
            continue;
        }
        let mut whole = ca;
        if sa > 0 {
            out.push(rect(ca..ca + 1, sa..seeds));
            whole += 1;
        }
        if whole < cb {
            out.push(rect(whole..cb, 0..seeds));
        }
        if sb > 0 {
            out.push(rect(cb..cb + 1, 0..sb));
        }
    }
    out
}

/// Where a resumed run starts: the outcomes of its first pieces and, when one was under way,
/// its progress (the next piece's).
#[derive(Default)]
pub struct Resume {
    pub completed: Vec<PieceOut>,
    pub progress: Option<PieceProgress>,
}

/// The pieces a run completed (or stopped in) and, if one failed, which one and why.
pub struct PiecesRun {
    pub outs: Vec<PieceOut>,
    pub failure: Option<VariantFailure>,
}

/// Runs every variant of `plan` on `choice.engine`; when that fails and a fallback engine is
/// given, the variant runs again there (see [`should_fall_back`]).
pub fn run_plan(plan: &Plan, choice: &EngineChoice, opts: &RunOptions) -> PlanRun {
    let all = pieces(plan, None);
    let run = run_pieces(plan, &all, choice, opts, Resume::default(), None);
    PlanRun {
        result: assemble_pieces(plan, &all, run.outs),
        failure: run.failure,
    }
}

/// Runs `pieces` of `plan` in order, from `resume`, saving checkpoints through `checkpoint`.
/// A piece that fails on the chosen engine runs again on the fallback engine when there is
/// one (from its start: only the same engine continues a checkpoint bit for bit).
pub fn run_pieces(
    plan: &Plan,
    pieces: &[Piece],
    choice: &EngineChoice,
    opts: &RunOptions,
    resume: Resume,
    checkpoint: Option<&Checkpointing>,
) -> PiecesRun {
    let mut outs = resume.completed;
    let mut progress = resume.progress;
    let mut failure = None;
    for (index, piece) in pieces.iter().enumerate().skip(outs.len()) {
        let label = plan.variants[piece.variant].variant.label.as_str();
        let fail = |error, completed| {
            Some(VariantFailure {
                variant: label.to_string(),
                error,
                completed,
            })
        };
        // A stop asked for while the last piece finished its last interval: the next one
        // does not start.
        if opts.stopped() && index > 0 {
            failure = fail(SboError::Stopped { step: None }, outs.len());
            break;
        }
        let study = piece.study(plan);
        opts.event(RunEvent::VariantStarted { variant: label });
        let at = checkpoint.map(|c| (c, index));
        // A checkpoint continues on the engine that made it: the chosen one, or the fallback
        // the piece had fallen back to. On any other engine the piece starts over.
        let mut engine = choice.engine.as_ref();
        let mut fallback = choice.fallback.as_deref();
        let mut from = progress.take();
        let mut restarted = None;
        if let Some(p) = &from {
            if p.backend != engine.backend() {
                match fallback {
                    Some(fb) if fb.backend() == p.backend => {
                        engine = fb;
                        fallback = None;
                    }
                    _ => {
                        restarted = Some(format!(
                            "the checkpoint of this part of the run was made on {}; it started \
                             over on {} (a resumed run is bit for bit the interrupted one only \
                             on the same engine)",
                            p.backend,
                            engine.backend()
                        ));
                        from = None;
                    }
                }
            }
        }
        let r = match (run_piece(engine, &study, opts, from.as_ref(), at), fallback) {
            (Err(e), Some(fb)) if should_fall_back(&e) => {
                opts.event(RunEvent::FellBack {
                    variant: label,
                    error: &e,
                });
                run_piece(fb, &study, opts, None, at).map(|mut r| {
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
            Ok(mut out) => {
                out.warnings.extend(restarted);
                // Lanes name their configuration by its place in the variant, not the piece.
                for g in &mut out.groups {
                    for l in &mut g.lanes {
                        l.config += piece.configs.start;
                    }
                }
                let stopped = (out.done < study.log_steps.len())
                    .then(|| study.log_steps[out.done.saturating_sub(1)]);
                if stopped.is_none() {
                    if let Some(c) = checkpoint {
                        if let Err(e) = (c.piece_done)(index, &out) {
                            failure = fail(e, outs.len());
                            outs.push(out);
                            break;
                        }
                    }
                }
                outs.push(out);
                if let Some(step) = stopped {
                    failure = fail(SboError::Stopped { step: Some(step) }, outs.len() - 1);
                    break;
                }
            }
            Err(error) => {
                failure = fail(error, outs.len());
                break;
            }
        }
    }
    PiecesRun { outs, failure }
}

/// One result from the outcomes of `pieces` (in order; `outs[i]` is `pieces[i]`'s): each
/// variant whose groups are all there summarised over seeds, the variants joined. The
/// variants must come in order from the first; a variant missing groups ends the result.
pub fn assemble_pieces(plan: &Plan, pieces: &[Piece], outs: Vec<PieceOut>) -> SweepResult {
    let mut parts = Vec::new();
    let mut outs = outs.into_iter().zip(pieces).peekable();
    for (v, pv) in plan.variants.iter().enumerate() {
        let study = &pv.study;
        let mut groups = Vec::new();
        let mut warnings = Vec::new();
        let mut facts: Option<RunFacts> = None;
        let mut done = study.log_steps.len();
        while let Some((out, _)) = outs.next_if(|(_, p)| p.variant == v) {
            done = done.min(out.done);
            groups.extend(out.groups);
            warnings.extend(out.warnings);
            facts = Some(match facts {
                None => RunFacts {
                    backend: out.backend,
                    precision: out.precision,
                    threads: out.threads,
                    seconds: out.seconds,
                },
                Some(mut f) => {
                    f.join(&out.backend, &out.precision, out.threads);
                    f.seconds += out.seconds;
                    f
                }
            });
        }
        let Some(facts) = facts else { break };
        if groups.len() != study.configs.len() * study.config.run.seeds {
            break;
        }
        let mut r = assemble(study, groups, facts, &study.log_steps[..done]);
        warnings.append(&mut r.warnings);
        r.warnings = warnings;
        parts.push(r);
    }
    merge(plan, parts)
}
