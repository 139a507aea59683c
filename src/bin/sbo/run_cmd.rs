//! `sbo run` (fresh, `--resume`, `--shard`), `sbo merge` and `sbo slurm`: arguments in,
//! library calls, messages out.

use super::{default_out, load, print_table, BackendArg};
use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use sbo::job::{failure_text, merge_shards, Job, JobOutcome};
use sbo::run::{RunEvent, RunOptions};
use sbo::sweep::{self, Backend};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// What `sbo run` was asked.
#[derive(clap::Args)]
pub struct RunArgs {
    /// Sweep description (TOML). Without it, the built-in default study runs.
    pub config: Option<PathBuf>,
    /// Continue the interrupted run in this directory from its last checkpoint (killed,
    /// stopped with Ctrl-C or SIGTERM, or failed); the result is the same, bit for bit, as
    /// an uninterrupted run on the same engine (a part checkpointed on another engine
    /// starts over, with a warning).
    #[arg(long, value_name = "DIR", conflicts_with_all = ["config", "out", "force", "seeds", "steps", "shard"])]
    pub resume: Option<PathBuf>,
    /// Output directory [default: runs/NAME, or runs/NAME-2, ... if taken; for a shard
    /// runs/NAME.shards/I]. An existing, non-empty directory is refused unless --force or
    /// --resume is given.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Replace an existing --out directory once the new run completes (a run that fails
    /// leaves it untouched and writes what it completed to OUT.incomplete).
    #[arg(long)]
    pub force: bool,
    /// Where lanes run: auto (a hardware GPU if there is one, else the CPU), gpu, or cpu;
    /// overrides `run.backend` of the config (default auto).
    #[arg(long, value_enum)]
    pub backend: Option<BackendArg>,
    /// Worker threads (0: all cores); overrides `run.threads`.
    #[arg(long)]
    pub threads: Option<usize>,
    /// Number of seeds; overrides `run.seeds`.
    #[arg(long)]
    pub seeds: Option<usize>,
    /// Outer steps per lane; overrides `run.steps`.
    #[arg(long)]
    pub steps: Option<u64>,
    /// Run only shard I of N (0-based) of the sweep's (variant, configuration, seed)
    /// groups, into a shard directory that `sbo merge` joins with the others; `auto`
    /// takes I and N from a Slurm job array (SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_COUNT),
    /// `auto/N` I from a Kubernetes Indexed Job (JOB_COMPLETION_INDEX).
    #[arg(long, value_name = "I/N|auto|auto/N")]
    pub shard: Option<String>,
    /// Least seconds between checkpoints, taken at logging steps (0: at every logging
    /// step; never: only when stopped). A completed variant is always kept.
    #[arg(long, value_name = "SECONDS|never", default_value = "60")]
    pub checkpoint_every: String,
    /// No progress bar and no final table.
    #[arg(long, short)]
    pub quiet: bool,
}

/// `--checkpoint-every`: seconds (`0`: every logging step), or `never`.
fn checkpoint_every(s: &str) -> Result<Option<Duration>> {
    if s == "never" {
        return Ok(None);
    }
    let secs: f64 = s
        .trim_end_matches('s')
        .parse()
        .ok()
        .filter(|v: &f64| v.is_finite() && *v >= 0.0)
        .with_context(|| {
            format!("--checkpoint-every {s}: expected seconds (0: every logging step) or never")
        })?;
    Ok(Some(Duration::from_secs_f64(secs)))
}

fn backend_of(b: BackendArg) -> Backend {
    match b {
        BackendArg::Auto => Backend::Auto,
        BackendArg::Cpu => Backend::Cpu,
        BackendArg::Gpu => Backend::Gpu,
    }
}

pub fn run(a: RunArgs) -> Result<()> {
    let every = checkpoint_every(&a.checkpoint_every)?;
    // Everything that can fail before the run does so before the run directory exists, so a
    // failed start never blocks the next attempt at the same --out.
    let (job, choice, report) = match &a.resume {
        Some(dir) => {
            let job = Job::resume(dir, a.threads)
                .with_context(|| format!("cannot resume {}", dir.display()))?;
            let backend = a.backend.map_or(job.plan().config.run.backend, backend_of);
            let choice = sbo::backend::choose(backend)?;
            let report = job.plan().config.report.plots;
            (job, choice, report)
        }
        None => {
            let (mut c, dir) = load(&a.config)?;
            if let Some(b) = a.backend {
                c.run.backend = backend_of(b);
            }
            if let Some(t) = a.threads {
                c.run.threads = t;
            }
            if let Some(s) = a.seeds {
                c.run.seeds = s;
            }
            if let Some(s) = a.steps {
                c.run.steps = s;
            }
            let shard = a
                .shard
                .as_deref()
                .map(|s| sbo::cluster::parse_shard(s, |k| std::env::var(k).ok()))
                .transpose()?;
            let plan = sweep::Plan::prepare(&c, dir.as_deref())?;
            let out = match (&a.out, shard) {
                (Some(o), _) => o.clone(),
                // Deterministic, so that every task of an array agrees on where shards go.
                (None, Some(s)) => PathBuf::from("runs")
                    .join(format!("{}.shards", c.name))
                    .join(s.index.to_string()),
                (None, None) => default_out(&c.name),
            };
            let choice = sbo::backend::choose(c.run.backend)?;
            let job = Job::start(plan, dir.as_deref(), &out, a.force, shard)
                .with_context(|| format!("cannot start the output directory {}", out.display()))?;
            (job, choice, c.report.plots)
        }
    };

    // Ctrl-C (or SIGTERM, as a scheduler sends before it kills) once: finish the current
    // logging interval, save a checkpoint and write what is complete; Ctrl-C twice: quit at
    // once, unless the results are being written.
    let stop = Arc::new(AtomicBool::new(false));
    let writing = Arc::new(AtomicBool::new(false));
    {
        let (stop, writing) = (Arc::clone(&stop), Arc::clone(&writing));
        let _ = ctrlc::set_handler(move || {
            if stop.swap(true, Ordering::SeqCst) && !writing.load(Ordering::SeqCst) {
                std::process::exit(130);
            }
            eprintln!(
                "\nsbo: stopping after the current logging interval (Ctrl-C again to quit now)"
            );
        });
    }
    let _ = signal_hook::flag::register(signal_hook::consts::SIGTERM, Arc::clone(&stop));
    let plan = job.plan();
    let (total, done) = job.lane_steps();
    if !a.quiet {
        eprintln!("sbo: {}", choice.reason);
        eprintln!(
            "sbo: {}{} configuration(s){}, {} lanes, {} steps -> {}",
            job.shard()
                .map_or(String::new(), |s| format!("shard {s} of ")),
            plan.n_configs(),
            if plan.variants.len() > 1 {
                format!(" in {} variants", plan.variants.len())
            } else {
                String::new()
            },
            job.lanes(),
            plan.config.run.steps,
            job.dir().display()
        );
        if job.resumed() {
            eprintln!("sbo: resuming from the checkpoint ({done} of {total} lane-steps done)");
        }
        if !choice.engine.is_gpu() {
            // How many lanes share batches closely enough to be stepped as lane packs.
            let (mut packed, mut all) = (0, 0);
            for v in &plan.variants {
                packed += sbo::cpu::lanes_in_packs(&v.study).unwrap_or(0);
                all += sbo::run::Layout::of(&v.study).lanes();
            }
            eprintln!("sbo: cpu lane packs: {packed} of the sweep's {all} lanes (run.lane_packs)");
        }
    }
    let bar = if a.quiet {
        ProgressBar::hidden()
    } else {
        let b = ProgressBar::new(total);
        b.set_style(
            ProgressStyle::with_template(
                "{bar:40} {percent:>3}% {human_pos}/{human_len} lane-steps [{elapsed_precise} < {eta_precise}] {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        b.set_position(done);
        b.reset_eta();
        b
    };
    // Where the bar stood when the current piece started (a fallback restarts it).
    let piece_start = AtomicU64::new(done);
    let progress = |n: u64| bar.inc(n);
    // Without a bar the GPU need not wait for each dispatch to report progress.
    let progress: Option<&(dyn Fn(u64) + Sync)> = if a.quiet { None } else { Some(&progress) };
    let events = |e: RunEvent| match e {
        RunEvent::VariantStarted { variant } => {
            bar.set_message(variant.to_string());
            piece_start.store(bar.position(), Ordering::Relaxed);
        }
        // The warning itself is printed once, at the end, from the result.
        RunEvent::FellBack { variant, .. } => {
            bar.set_position(piece_start.load(Ordering::Relaxed));
            bar.set_message(format!("{variant} (GPU failed: on the CPU)"));
        }
        RunEvent::Writing => writing.store(true, Ordering::SeqCst),
    };
    let opts = RunOptions {
        progress,
        events: Some(&events),
        stop: Some(&stop),
    };
    let target = job.target().to_path_buf();
    let outcome = job.run(&choice, &opts, every)?;
    bar.finish_and_clear();
    finish(outcome, &target, report, a.quiet)
}

/// The messages (and exit status) of a run that ended.
fn finish(outcome: JobOutcome, target: &Path, report: bool, quiet: bool) -> Result<()> {
    let dir = &outcome.dir;
    let mut resume = format!("`sbo run --resume {}` continues it", dir.display());
    if dir != target {
        resume.push_str(&format!(
            " (and then replaces {}); {} is unchanged",
            target.display(),
            target.display()
        ));
    }
    if let Some(f) = &outcome.failure {
        let what = failure_text(f);
        if outcome.stopped() {
            eprintln!(
                "sbo: {what}; what is complete is written to {} (marked incomplete); {resume}",
                dir.display()
            );
            std::process::exit(130);
        }
        anyhow::bail!(
            "{what}; what completed before it is written to {} (marked incomplete); {resume}",
            dir.display()
        );
    }
    if let Some(s) = &outcome.shard {
        if !quiet {
            eprintln!(
                "shard {}: {} group(s), {} lanes in {:.2} s -> {}; join every shard with `sbo \
                 merge --out OUT DIR...`",
                s.shard,
                s.groups,
                s.lanes,
                s.seconds,
                dir.display()
            );
        }
        for w in &s.warnings {
            eprintln!("warning: {w}");
        }
        return Ok(());
    }
    let Some(result) = &outcome.result else {
        return Ok(());
    };
    if report {
        match sbo::report::make_report(dir) {
            Ok((report, _)) if !quiet => eprintln!("report: {}", report.display()),
            Ok(_) => {}
            Err(e) => eprintln!("warning: the results are written, but the report failed: {e:#}"),
        }
    }
    if !quiet {
        print_table(result);
        eprintln!(
            "{} lane-steps in {:.2} s ({:.3e} lane-steps/s on {} thread(s)); results in {}",
            result.lane_steps,
            result.seconds,
            result.lane_steps as f64 / result.seconds.max(1e-9),
            result.threads,
            dir.display()
        );
    }
    for w in &result.warnings {
        eprintln!("warning: {w}");
    }
    Ok(())
}

/// `sbo merge`.
pub fn merge(dirs: &[PathBuf], out: &Path, force: bool, quiet: bool) -> Result<()> {
    let (plan, result, at) = merge_shards(dirs, out, force)?;
    if plan.config.report.plots {
        match sbo::report::make_report(&at) {
            Ok((report, _)) if !quiet => eprintln!("report: {}", report.display()),
            Ok(_) => {}
            Err(e) => eprintln!("warning: the results are written, but the report failed: {e:#}"),
        }
    }
    if !quiet {
        print_table(&result);
        eprintln!(
            "{} shard(s) merged: {} lanes, {} lane-steps -> {}",
            dirs.len(),
            result.lanes.len(),
            result.lane_steps,
            at.display()
        );
    }
    for w in &result.warnings {
        eprintln!("warning: {w}");
    }
    Ok(())
}

/// `sbo slurm`.
pub fn slurm(
    config: Option<PathBuf>,
    shards: usize,
    out: Option<PathBuf>,
    submit: bool,
    sbatch_args: &[String],
) -> Result<()> {
    let (c, dir) = load(&config)?;
    // Everything a task would refuse is refused now, before anything is queued.
    sweep::Plan::prepare(&c, dir.as_deref())?;
    sbo::run::Shard::new(0, shards)?;
    let abs = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    let out = abs(&out.unwrap_or_else(|| PathBuf::from("runs").join(&c.name)));
    let job = sbo::cluster::SlurmJob {
        sbo: std::env::current_exe().context("cannot find the sbo binary's path")?,
        config: config.as_deref().map(abs),
        shards,
        out,
        name: c.name.clone(),
    };
    let script = job.write(sbatch_args)?;
    eprintln!(
        "wrote {} (shards -> {}, merged run -> {})",
        job.scripts_dir().display(),
        job.shards_dir().display(),
        job.out.display()
    );
    if !submit {
        eprintln!("submit with: {}", script.display());
        return Ok(());
    }
    let status = std::process::Command::new("bash")
        .arg(&script)
        .status()
        .with_context(|| format!("cannot run {}", script.display()))?;
    if !status.success() {
        anyhow::bail!("{} failed ({status})", script.display());
    }
    Ok(())
}
