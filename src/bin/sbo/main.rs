//! The `sbo` command line: parses arguments, calls the library, prints. Everything a command
//! does lives in the library (`run`, `rundir`, `report`, `verify`, `bench`, `backend`).

mod run_cmd;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use sbo::metrics::Metric;
use sbo::run::SweepResult;
use sbo::sweep::{self, Backend, SweepConfig};
use std::path::{Path, PathBuf};

/// The built-in default study (`sbo run` without a file): ssgd vs tsgd vs ssaid tuning
/// per-feature ridge weights of a logistic regression on ijcnn1.
const DEFAULT_STUDY: &str = include_str!("../../../examples/configs/default.toml");

/// The long help: what sbo does and every registered algorithm.
fn long_about() -> String {
    let mut s = String::from(
        "sbo runs sweeps of stochastic bilevel optimization algorithms over a grid of \
         configurations x seeds x neighbouring datasets, and reports convergence (losses, exact \
         hypergradient norms) and algorithmic stability (distance between runs on datasets that \
         differ in one sample).\n\nAlgorithms (`name` in an [[algo]] table):\n",
    );
    for k in sbo::algo::AlgoKind::ALL {
        let a = k.descriptor();
        let keys: Vec<&str> = a.settings.iter().map(|s| s.key(a)).collect();
        s.push_str(&format!(
            "  {:8} {}\n           settings: {}\n",
            a.name,
            a.summary,
            keys.join(", ")
        ));
    }
    s.push_str(
        "\nA sweep is described in a TOML file: see the README and examples/configs/. `sbo run` \
         without a file runs the built-in default study on the shipped ijcnn1 data.",
    );
    s
}

#[derive(Parser)]
#[command(
    name = "sbo",
    version,
    about = "Batched stochastic bilevel optimization: many seeds, neighbouring datasets and step sizes in one sweep",
    long_about = long_about()
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a sweep and write config.toml, metrics.csv, lanes.csv and summary.json.
    Run(run_cmd::RunArgs),
    /// Join the shards of a sweep (`sbo run --shard I/N`, every I) into one run directory, the
    /// same as the unsharded run's; refuses shards of different sweeps, a missing or an
    /// incomplete shard.
    Merge {
        /// The shards' directories, in any order.
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// The merged run directory.
        #[arg(long)]
        out: PathBuf,
        /// Replace an existing --out directory.
        #[arg(long)]
        force: bool,
        #[arg(long, short)]
        quiet: bool,
    },
    /// Write (and with --submit, submit) a Slurm job array that runs a sweep as N shards and a
    /// job that merges them once every shard succeeded; a preempted or requeued task resumes
    /// its shard from its checkpoint.
    Slurm {
        /// Sweep description (TOML). Without it, the built-in default study.
        config: Option<PathBuf>,
        /// Number of shards (array tasks).
        #[arg(long)]
        shards: usize,
        /// The merged run directory [default: runs/NAME]; shards go to OUT.shards/I, the
        /// scripts and logs to OUT.slurm/.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Submit the jobs (sbatch) instead of only writing the scripts.
        #[arg(long)]
        submit: bool,
        /// Options for sbatch, after `--` (e.g. -- --partition=cpu --time=2:00:00).
        #[arg(last = true)]
        sbatch: Vec<String>,
    },
    /// Check a sweep description and print it resolved (every default filled in), without running.
    Check { config: Option<PathBuf> },
    /// Print the built-in default study's TOML, a starting point for your own.
    DefaultConfig,
    /// Run a sweep on the GPU and on the CPU (f64) and print, per metric, the largest relative
    /// and absolute difference; exit with status 2 when any exceeds the tolerance.
    Verify {
        /// Sweep description (TOML). Without it, the default study shortened to 300 steps.
        config: Option<PathBuf>,
        /// Outer steps per lane; overrides `run.steps`.
        #[arg(long)]
        steps: Option<u64>,
        /// Number of seeds; overrides `run.seeds`.
        #[arg(long)]
        seeds: Option<usize>,
        /// Relative tolerance: |gpu - cpu| <= atol + rtol |cpu|.
        #[arg(long, default_value_t = sbo::verify::Tolerance::default().rtol)]
        rtol: f64,
        /// Absolute tolerance.
        #[arg(long, default_value_t = sbo::verify::Tolerance::default().atol)]
        atol: f64,
        /// Print the differences as JSON.
        #[arg(long)]
        json: bool,
        /// Step the GPU with one thread per lane where a kernel exists (run.gpu_lane_threads
        /// = true: ssaid, tsgd and ud on small linear problems).
        #[arg(long)]
        gpu_lane_threads: bool,
    },
    /// Measure lane-steps per second of the standard workloads (ssaid and tsgd on ijcnn1 with
    /// batch 32 and on a synthetic d = 256 quadratic) on each backend, with the FLOPs and bytes
    /// one lane-step needs and the GPU/CPU ratio.
    Bench {
        /// Lane counts, comma separated.
        #[arg(long, value_delimiter = ',', default_values_t = vec![1024usize, 4096, 16384, 65536])]
        lanes: Vec<usize>,
        /// Outer steps of each timed GPU run.
        #[arg(long, default_value_t = 64)]
        steps: u64,
        /// Outer steps of each timed CPU run (the CPU rate is flat in lanes, so it is timed on
        /// at most --cpu-max-lanes lanes).
        #[arg(long, default_value_t = 16)]
        cpu_steps: u64,
        #[arg(long, default_value_t = 1024)]
        cpu_max_lanes: usize,
        /// Time the CPU stepping every lane alone instead of in packs of 8 (run.lane_packs =
        /// false): the reference, for the packs' speed-up.
        #[arg(long)]
        no_lane_packs: bool,
        /// Time the GPU stepping one thread per lane where a kernel exists (ssaid, tsgd, ud on small
        /// linear problems; run.gpu_lane_threads) instead of one workgroup per lane.
        #[arg(long)]
        gpu_lane_threads: bool,
        /// Only workloads whose name contains one of these (e.g. ijcnn1, tsgd), or, given a full name (e.g. ssaid-mnist-cleaning), that workload alone; this also reaches saba-ijcnn1, f2sa-ijcnn1 and the MNIST hyper-cleaning workloads, which run only when named.
        #[arg(long, value_delimiter = ',')]
        workloads: Vec<String>,
        /// Backends to measure: cpu, gpu or both.
        #[arg(long, value_enum, default_value_t = BenchBackendArg::Both)]
        backend: BenchBackendArg,
        /// Also measure a software adapter (lavapipe) when there is no hardware GPU.
        #[arg(long)]
        software: bool,
        /// Print the report as JSON (the table goes to stderr).
        #[arg(long)]
        json: bool,
    },
    /// Write report.md (figures, fitted growth exponents next to the theory's predictions with a
    /// verdict per claim, step-size selection, time to target) for a run directory; makes the
    /// figures first.
    Report {
        /// A directory written by `sbo run`.
        run_dir: PathBuf,
    },
    /// Write a run directory's per-seed results as a table another tool reads: benchopt's
    /// results schema (one row per configuration, seed and logging step), as CSV.
    Export {
        /// A directory written by `sbo run` or `sbo merge`.
        run_dir: PathBuf,
        /// The table's schema.
        #[arg(long, value_enum, default_value_t = ExportFormat::Benchopt)]
        format: ExportFormat,
        /// The metric that becomes benchopt's objective_value (every measured metric is also
        /// an objective_<metric> column).
        #[arg(long, default_value = "upper_objective")]
        objective: String,
        /// Output file [default: RUN_DIR/benchopt.csv]. CSV only: for Parquet, use the Python
        /// package (`sbo.load(RUN_DIR).to_benchopt().to_parquet(...)`).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Make the figures (SVG and PNG) of a run directory into RUN_DIR/figures.
    Plot {
        /// A directory written by `sbo run`.
        run_dir: PathBuf,
    },
    /// List the GPU adapters wgpu finds, with the limits that matter for sweeps, and say which
    /// one `--backend auto` would choose.
    Info,
}

#[derive(Clone, Copy, ValueEnum)]
enum ExportFormat {
    Benchopt,
}

#[derive(Clone, Copy, ValueEnum)]
enum BenchBackendArg {
    Cpu,
    Gpu,
    Both,
}

#[derive(Clone, Copy, ValueEnum)]
enum BackendArg {
    Auto,
    Cpu,
    Gpu,
}

fn load(config: &Option<PathBuf>) -> Result<(SweepConfig, Option<PathBuf>)> {
    match config {
        Some(p) => {
            let c = SweepConfig::from_file(p)?;
            Ok((c, p.parent().map(Path::to_path_buf)))
        }
        None => Ok((SweepConfig::from_toml(DEFAULT_STUDY)?, None)),
    }
}

fn default_out(name: &str) -> PathBuf {
    let base = PathBuf::from("runs").join(name);
    if !base.exists() {
        return base;
    }
    (2..)
        .map(|i| PathBuf::from("runs").join(format!("{name}-{i}")))
        .find(|p| !p.exists())
        .unwrap_or(base)
}

fn main() {
    if let Err(e) = real_main() {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}

fn real_main() -> Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Verify {
            config,
            steps,
            seeds,
            rtol,
            atol,
            json,
            gpu_lane_threads,
        } => {
            let (mut c, dir) = load(&config)?;
            c.run.gpu_lane_threads |= gpu_lane_threads;
            if config.is_none() {
                c.run.steps = 300;
                c.run.log_every = 50;
            }
            if let Some(s) = steps {
                c.run.steps = s;
                c.run.log_every = c.run.log_every.min(s);
            }
            if let Some(s) = seeds {
                c.run.seeds = s;
            }
            let gpu = sbo::backend::choose(Backend::Gpu)?;
            eprintln!("sbo verify: {}", gpu.reason);
            let tol = sbo::verify::Tolerance { rtol, atol };
            let v = sbo::verify::verify(&c, dir.as_deref(), &gpu, tol)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&v.diffs)?);
            } else {
                println!(
                    "GPU ({}) vs CPU (f64), {} configuration(s), {} lanes, {} steps; tolerance |diff| <= {atol:e} + {rtol:e} |cpu|",
                    v.gpu_backend, v.configs, v.lanes, c.run.steps
                );
                print!("{}", sbo::verify::DiffTable(&v.diffs));
            }
            let failed = v.failed();
            if !failed.is_empty() {
                eprintln!("verify FAILED for: {}", failed.join(", "));
                std::process::exit(2);
            }
            eprintln!("verify passed");
            Ok(())
        }
        Command::Bench {
            lanes,
            steps,
            cpu_steps,
            cpu_max_lanes,
            no_lane_packs,
            gpu_lane_threads,
            workloads,
            backend,
            software,
            json,
        } => {
            use sbo::bench::{run_bench, BenchBackend, BenchOptions};
            let backends = match backend {
                BenchBackendArg::Cpu => vec![BenchBackend::Cpu],
                BenchBackendArg::Gpu => vec![BenchBackend::Gpu],
                BenchBackendArg::Both => vec![BenchBackend::Cpu, BenchBackend::Gpu],
            };
            let opts = BenchOptions {
                workloads,
                lanes,
                gpu_steps: steps,
                cpu_steps,
                backends,
                cpu_max_lanes,
                cpu_lane_packs: !no_lane_packs,
                gpu_lane_threads,
                allow_software_gpu: software,
                ..BenchOptions::default()
            };
            let report = run_bench(&opts, &|msg: &str| eprintln!("{msg}"))?;
            if json {
                eprintln!("{report}");
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                println!("{report}");
            }
            Ok(())
        }
        Command::Export {
            run_dir,
            format: ExportFormat::Benchopt,
            objective,
            out,
        } => {
            let out = out.unwrap_or_else(|| run_dir.join("benchopt.csv"));
            if out.extension().is_some_and(|e| e == "parquet") {
                anyhow::bail!(
                    "{}: sbo writes benchopt tables as CSV; for Parquet use the Python package: \
                     sbo.load(\"{}\").to_benchopt().to_parquet(...) (pyarrow)",
                    out.display(),
                    run_dir.display()
                );
            }
            let metric: sbo::metrics::Metric = objective.parse()?;
            let files = sbo::rundir::read_run(&run_dir)?;
            let csv = sbo::export::benchopt_csv(&files, metric)?;
            std::fs::write(&out, csv).with_context(|| format!("cannot write {}", out.display()))?;
            eprintln!("benchopt table: {}", out.display());
            Ok(())
        }
        Command::Report { run_dir } => {
            let (report, figures) = sbo::report::make_report(&run_dir)?;
            for f in &figures {
                eprintln!("wrote {}", f.display());
            }
            println!("{}", report.display());
            Ok(())
        }
        Command::Plot { run_dir } => {
            let run = sbo::analysis::RunData::load(&run_dir)?;
            for f in sbo::report::plot(&run)? {
                println!("{}", f.display());
            }
            Ok(())
        }
        Command::Info => {
            println!(
                "cpu: {} ({} logical CPUs); lane packs on {}",
                sbo::cpu::model_name(),
                std::thread::available_parallelism().map_or(1, |n| n.get()),
                sbo::real::simd_name()
            );
            let adapters = sbo::gpu::list_adapters();
            if adapters.is_empty() {
                println!("no GPU adapters found (install a Vulkan driver; lavapipe: mesa-vulkan-drivers)");
            }
            for (i, a) in adapters.iter().enumerate() {
                println!("[{i}] {a}");
            }
            match sbo::backend::choose(Backend::Auto) {
                Ok(e) => println!("{}", e.reason),
                Err(e) => println!("backend auto: {e}"),
            }
            Ok(())
        }
        Command::DefaultConfig => {
            print!("{DEFAULT_STUDY}");
            Ok(())
        }
        Command::Check { config } => {
            let (c, dir) = load(&config)?;
            let plan = sweep::Plan::prepare(&c, dir.as_deref())?;
            // What the engine the run would use can refuse (a GPU's limits), known now when
            // this machine has the device.
            if c.run.backend != Backend::Cpu {
                match sbo::backend::choose(c.run.backend) {
                    Ok(choice) if choice.engine.is_gpu() => {
                        for pv in &plan.variants {
                            let Err(e) = choice.engine.check(&pv.study) else {
                                continue;
                            };
                            let at = if pv.variant.label.is_empty() {
                                String::new()
                            } else {
                                format!("variant {}: ", pv.variant.label)
                            };
                            if c.run.backend == Backend::Gpu || !sbo::run::should_fall_back(&e) {
                                anyhow::bail!("{at}{e}");
                            }
                            eprintln!(
                                "warning: {at}the GPU would refuse this sweep ({e}); backend \
                                 auto runs it on the CPU instead"
                            );
                        }
                    }
                    Ok(_) => {}
                    Err(e) => eprintln!(
                        "warning: no GPU here to check this sweep's device limits against ({e})"
                    ),
                }
            }
            if plan.variants.len() == 1 && c.vary.is_empty() {
                print!("{}", plan.first().config.to_toml()?);
            } else {
                print!("{}", plan.config.to_toml()?);
                for pv in &plan.variants {
                    eprintln!(
                        "variant {}: {} configuration(s)",
                        pv.variant.label,
                        pv.study.configs.len()
                    );
                }
            }
            // What one lane carries, where an algorithm keeps memory besides x, y and v.
            let lanes_per_config = c.run.seeds * (c.run.neighbours + 1);
            for (label, state, memory) in plan.first().lane_floats() {
                if memory > 0 {
                    eprintln!(
                        "{label}: {state} floats of x, y, v and {memory} of memory per lane; \
                         {} in f32 for its {lanes_per_config} lanes",
                        sbo::machine::human_bytes(
                            4.0 * ((state + memory) * lanes_per_config) as f64
                        )
                    );
                }
            }
            eprintln!(
                "ok: {} configuration(s) x {} seed(s) x {} lane(s) per seed = {} lanes, {} steps each",
                plan.n_configs(),
                c.run.seeds,
                c.run.neighbours + 1,
                plan.n_lanes(),
                c.run.steps
            );
            Ok(())
        }
        Command::Run(args) => run_cmd::run(args),
        Command::Merge {
            dirs,
            out,
            force,
            quiet,
        } => run_cmd::merge(&dirs, &out, force, quiet),
        Command::Slurm {
            config,
            shards,
            out,
            submit,
            sbatch,
        } => run_cmd::slurm(config, shards, out, submit, &sbatch),
    }
}

/// The last logged value of the headline metrics, per configuration.
fn print_table(result: &SweepResult) {
    let cols = [
        (Metric::DistXy, "stab |dxy|"),
        (Metric::ValLoss, "val loss"),
        (Metric::TestLoss, "test loss"),
        (Metric::GenGap, "gen gap"),
        (Metric::TestAccuracy, "test acc"),
        (Metric::HypergradNorm, "|grad F|"),
    ];
    let t_end = result.log_steps.last().copied().unwrap_or(0);
    let width = result
        .configs
        .iter()
        .map(|c| c.label.len())
        .max()
        .unwrap_or(6)
        .max(6);
    let mut header = format!("{:width$}", "config");
    for (_, h) in cols {
        header.push_str(&format!(" {h:>12}"));
    }
    println!("at t = {t_end} (mean over seeds):\n{header}");
    for c in &result.configs {
        let mut line = format!("{:width$}", c.label);
        for (m, _) in cols {
            let v = c
                .at(t_end, m)
                .map(|s| format!("{:12.4e}", s.mean))
                .unwrap_or_else(|| format!("{:>12}", "-"));
            line.push(' ');
            line.push_str(&v);
        }
        println!("{line}");
    }
}
