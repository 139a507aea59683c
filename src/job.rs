//! A run into a run directory, as `sbo run` makes one: started fresh, continued from its
//! checkpoint (`--resume`), or run as one shard of a sweep (`--shard i/N`); and the shards of
//! a sweep joined into one run directory (`sbo merge`). An embedding program gets the same
//! behaviour through [`Job`] and [`merge_shards`].
//!
//! Owns: what happens to a run directory over a run's life. Must not know: how lanes run
//! (the run layer) or what the files hold (`rundir`).

use crate::error::{Result, SboError};
use crate::run::{
    assemble_pieces, pieces, run_pieces, Checkpointing, EngineChoice, Piece, PieceOut, Resume,
    RunOptions, Shard, SweepResult, VariantFailure,
};
use crate::rundir::state::{write_shard, Checkpoints, RunStart, ShardFile, ShardSummary};
use crate::rundir::{fingerprint, read_shard, RunDir};
use crate::sweep::{Plan, SweepConfig};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A run directory and the run that fills it.
pub struct Job {
    plan: Plan,
    pieces: Vec<Piece>,
    start: RunStart,
    dir: RunDir,
    resume: Resume,
}

/// How a job ended.
pub struct JobOutcome {
    /// Where its files are.
    pub dir: PathBuf,
    /// The result of an unsharded run (what completed of it, when it stopped or failed).
    pub result: Option<SweepResult>,
    /// A shard's summary.
    pub shard: Option<ShardSummary>,
    /// Why it did not complete: a stop on request or an error. A checkpoint remains, so
    /// `sbo run --resume` continues it.
    pub failure: Option<VariantFailure>,
}

impl JobOutcome {
    pub fn stopped(&self) -> bool {
        self.failure
            .as_ref()
            .is_some_and(|f| matches!(f.error, SboError::Stopped { .. }))
    }
}

/// What went wrong, with the variant it went wrong in.
pub fn failure_text(f: &VariantFailure) -> String {
    if f.variant.is_empty() {
        f.error.to_string()
    } else {
        format!("variant {}: {}", f.variant, f.error)
    }
}

impl Job {
    /// A new run of `plan` (or of its shard `shard`) into `out`, which must not hold anything
    /// unless `force` (then the run replaces it once complete). `config_dir` is where the
    /// config's relative data paths were looked up, for a resumed run to find them again.
    pub fn start(
        plan: Plan,
        config_dir: Option<&Path>,
        out: &Path,
        force: bool,
        shard: Option<Shard>,
    ) -> Result<Job> {
        let start = RunStart {
            fingerprint: fingerprint(&plan)?,
            shard,
            config_dir: config_dir.map(|d| std::fs::canonicalize(d).unwrap_or(d.to_path_buf())),
            replaces: None,
            sbo: env!("CARGO_PKG_VERSION").into(),
        };
        let dir = RunDir::create(out, &plan, force)?;
        let start = RunStart {
            replaces: (dir.work_dir() != out).then(|| out.to_path_buf()),
            ..start
        };
        Checkpoints::create(dir.work_dir(), &start)?;
        Ok(Job {
            pieces: pieces(&plan, shard),
            plan,
            start,
            dir,
            resume: Resume::default(),
        })
    }

    /// The interrupted run in `dir`, to continue where its checkpoint left it, on `threads`
    /// threads when given. Its configuration and data must be what they were (the
    /// fingerprint says so).
    pub fn resume(dir: &Path, threads: Option<usize>) -> Result<Job> {
        let Some(start) = Checkpoints::start_of(dir)? else {
            let mut msg = if dir.join(crate::rundir::schema::SUMMARY).exists()
                || dir.join(crate::rundir::state::SHARD_FILE).exists()
            {
                "is complete: there is nothing to resume".to_string()
            } else {
                "has no checkpoint to resume (not a run directory of this sbo version)".to_string()
            };
            // A run that was replacing this one (--force) works beside it.
            let mut staging = dir.as_os_str().to_owned();
            staging.push(".incomplete");
            let staging = PathBuf::from(staging);
            if Checkpoints::start_of(&staging).ok().flatten().is_some() {
                msg.push_str(&format!(
                    "; the run that was replacing it is in {}: resume that",
                    staging.display()
                ));
            }
            return Err(SboError::Output {
                path: dir.to_path_buf(),
                msg,
            });
        };
        let mut config = SweepConfig::from_file(&dir.join(crate::rundir::schema::CONFIG))?;
        if let Some(t) = threads {
            config.run.threads = t;
        }
        let plan = Plan::prepare(&config, start.config_dir.as_deref())?;
        if fingerprint(&plan)? != start.fingerprint {
            return Err(SboError::Output {
                path: dir.to_path_buf(),
                msg: "its configuration, data or sbo version changed since the run started: \
                      it cannot be resumed bit for bit"
                    .into(),
            });
        }
        let (completed, progress) = Checkpoints::open(dir, &start.fingerprint).load()?;
        let pieces = pieces(&plan, start.shard);
        let bad = |msg: String| SboError::Output {
            path: dir.join(crate::rundir::state::CHECKPOINT_DIR),
            msg,
        };
        if completed.len() > pieces.len() {
            return Err(bad(format!(
                "holds {} completed pieces, the run has {}",
                completed.len(),
                pieces.len()
            )));
        }
        for (i, (out, piece)) in completed.iter().zip(&pieces).enumerate() {
            out.fits(&piece.study(&plan))
                .map_err(|why| bad(format!("piece {i} does not fit the run: {why}")))?;
        }
        if let (Some(p), Some(piece)) = (&progress, pieces.get(completed.len())) {
            p.fits(&piece.study(&plan)).map_err(|why| {
                bad(format!(
                    "the progress of piece {} does not fit the run: {why}",
                    completed.len()
                ))
            })?;
        }
        Ok(Job {
            dir: RunDir::resume(dir, start.replaces.as_deref()),
            plan,
            pieces,
            start,
            resume: Resume {
                completed,
                progress,
            },
        })
    }

    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    pub fn shard(&self) -> Option<Shard> {
        self.start.shard
    }

    /// Where the files are being written.
    pub fn dir(&self) -> &Path {
        self.dir.work_dir()
    }

    /// Where the results go once complete (the run it replaces, with `--force`).
    pub fn target(&self) -> &Path {
        self.dir.target()
    }

    /// Whether the job continues a checkpoint.
    pub fn resumed(&self) -> bool {
        !self.resume.completed.is_empty() || self.resume.progress.is_some()
    }

    /// Lanes the job runs (a shard's only).
    pub fn lanes(&self) -> usize {
        self.pieces.iter().map(|p| p.lanes(&self.plan)).sum()
    }

    /// Lane-steps the job takes in all, and those its checkpoint already holds.
    pub fn lane_steps(&self) -> (u64, u64) {
        let steps = |p: &Piece| self.plan.variants[p.variant].study.config.run.steps;
        let lanes = |p: &Piece| p.lanes(&self.plan) as u64;
        let total = self.pieces.iter().map(|p| lanes(p) * steps(p)).sum();
        let mut done: u64 = self.pieces[..self.resume.completed.len()]
            .iter()
            .map(|p| lanes(p) * steps(p))
            .sum();
        if let (Some(pr), Some(p)) = (
            &self.resume.progress,
            self.pieces.get(self.resume.completed.len()),
        ) {
            let t = self.plan.variants[p.variant].study.log_steps[pr.done.max(1) - 1];
            done += lanes(p) * t;
        }
        (total, done)
    }

    /// Runs the job on `choice`, saving progress at least `every` apart (`None`: only when
    /// stopped) and every completed piece; writes the results (a shard's into `shard.cbor`)
    /// and drops the checkpoint once complete.
    pub fn run(
        self,
        choice: &EngineChoice,
        opts: &RunOptions,
        every: Option<Duration>,
    ) -> Result<JobOutcome> {
        let Job {
            plan,
            pieces,
            start,
            dir,
            resume,
        } = self;
        let cps = Checkpoints::open(dir.work_dir(), &start.fingerprint);
        let save = |i: usize, p: &crate::run::PieceProgress| cps.save_progress(i, p);
        let piece_done = |i: usize, o: &PieceOut| cps.save_piece(i, o);
        let checkpointing = Checkpointing {
            every: every.unwrap_or(Duration::MAX),
            save: &save,
            piece_done: &piece_done,
        };
        let run = run_pieces(&plan, &pieces, choice, opts, resume, Some(&checkpointing));
        let failure = run.failure.as_ref().map(failure_text);
        let complete = failure.is_none();
        opts.event(crate::run::RunEvent::Writing);
        // The checkpoint goes only once the complete results are in their place: until then
        // an interruption leaves something to resume.
        let finished = |dir: &Path| {
            if complete {
                Checkpoints::open(dir, &start.fingerprint).remove();
            }
        };
        match start.shard {
            Some(shard) => {
                let summary = ShardSummary {
                    shard,
                    complete,
                    failure,
                    fingerprint: start.fingerprint.clone(),
                    groups: pieces.iter().map(Piece::groups).sum(),
                    lanes: pieces.iter().map(|p| p.lanes(&plan)).sum(),
                    seconds: run.outs.iter().map(|o| o.seconds).sum(),
                    warnings: run.outs.iter().flat_map(|o| o.warnings.clone()).collect(),
                };
                let file = complete.then(|| ShardFile {
                    fingerprint: start.fingerprint.clone(),
                    shard,
                    config_dir: start.config_dir.clone(),
                    pieces,
                    outs: run.outs,
                    sbo: start.sbo.clone(),
                });
                let at = dir.commit(complete, |d| write_shard(d, file.as_ref(), &summary))?;
                finished(&at);
                Ok(JobOutcome {
                    dir: at,
                    result: None,
                    shard: Some(summary),
                    failure: run.failure,
                })
            }
            None => {
                let result = assemble_pieces(&plan, &pieces, run.outs);
                let at = dir.commit(complete, |d| {
                    crate::rundir::write::write_results(d, &plan, &result, failure)
                })?;
                finished(&at);
                Ok(JobOutcome {
                    dir: at,
                    result: Some(result),
                    shard: None,
                    failure: run.failure,
                })
            }
        }
    }
}

/// Joins the complete shards in `dirs` (every shard of one sweep, in any order) into one run
/// directory `out`, the same as the unsharded run's: refuses shards of different sweeps or
/// data, a shard twice, a missing or incomplete one. Returns the plan, the result and where
/// it was written.
pub fn merge_shards(
    dirs: &[PathBuf],
    out: &Path,
    force: bool,
) -> Result<(Plan, SweepResult, PathBuf)> {
    let Some(first_dir) = dirs.first() else {
        return Err(SboError::config(
            "merge",
            "name the shard directories to merge",
        ));
    };
    let mut files: Vec<(PathBuf, ShardFile)> = Vec::with_capacity(dirs.len());
    for d in dirs {
        files.push((d.clone(), read_shard(d)?));
    }
    let (fp, count) = (files[0].1.fingerprint.clone(), files[0].1.shard.count);
    let mut slots: Vec<Option<usize>> = vec![None; count];
    for (i, (d, f)) in files.iter().enumerate() {
        if f.fingerprint != fp || f.shard.count != count {
            return Err(SboError::Output {
                path: d.clone(),
                msg: format!(
                    "is shard {} of another sweep than {} (shard {}): its configuration, data, \
                     sbo version or shard count differ",
                    f.shard,
                    first_dir.display(),
                    files[0].1.shard
                ),
            });
        }
        match slots.get_mut(f.shard.index) {
            Some(Some(j)) => {
                return Err(SboError::Output {
                    path: d.clone(),
                    msg: format!(
                        "is shard {} again (also {})",
                        f.shard,
                        files[*j].0.display()
                    ),
                })
            }
            Some(slot) => *slot = Some(i),
            None => {
                return Err(SboError::Output {
                    path: d.clone(),
                    msg: format!("claims to be shard {}, which does not exist", f.shard),
                })
            }
        }
    }
    let missing: Vec<String> = slots
        .iter()
        .enumerate()
        .filter(|(_, s)| s.is_none())
        .map(|(i, _)| i.to_string())
        .collect();
    if !missing.is_empty() {
        return Err(SboError::config(
            "merge",
            format!(
                "shard(s) {} of {count} are missing: give every shard's directory",
                missing.join(", ")
            ),
        ));
    }
    let config = SweepConfig::from_file(&first_dir.join(crate::rundir::schema::CONFIG))?;
    let plan = Plan::prepare(&config, files[0].1.config_dir.as_deref())?;
    if fingerprint(&plan)? != fp {
        return Err(SboError::Output {
            path: first_dir.clone(),
            msg: "the configuration or data changed since the shards ran".into(),
        });
    }
    let mut all_pieces = Vec::new();
    let mut outs = Vec::new();
    for (index, slot) in slots.into_iter().enumerate() {
        let (d, f) = &mut files[slot.unwrap_or_default()];
        let want = pieces(&plan, Some(Shard { index, count }));
        let bad = |why: String| SboError::Output {
            path: d.join(crate::rundir::state::SHARD_FILE),
            msg: format!("does not hold the groups of shard {index}/{count}: {why}"),
        };
        if f.pieces != want || f.outs.len() != want.len() {
            return Err(bad("other pieces".into()));
        }
        for (out, piece) in f.outs.iter().zip(&f.pieces) {
            out.fits(&piece.study(&plan)).map_err(bad)?;
        }
        all_pieces.append(&mut f.pieces);
        outs.append(&mut f.outs);
    }
    let result = assemble_pieces(&plan, &all_pieces, outs);
    let dir = RunDir::create(out, &plan, force)?;
    let at = dir.finish(&plan, &result, None)?;
    Ok((plan, result, at))
}
