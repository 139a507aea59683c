//! Throughput benchmark from the library (`sbo::bench`), until `sbo bench` exists:
//!
//!     cargo run --release --example bench -- [--json] [--lanes 1024,4096] [--steps 64]
//!         [--cpu-steps 16] [--backend cpu|gpu|both] [--software] [--workloads ijcnn1,tsgd]
//!         [--cpu-max-lanes 1024] [--data-dir DIR]
//!
//! Prints the table on stdout; with `--json` the report as JSON on stdout and the table on
//! stderr. Progress goes to stderr.

use sbo::bench::{run_bench, BenchBackend, BenchOptions};

fn main() {
    if let Err(e) = real_main() {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn list<T: std::str::FromStr>(s: &str) -> Result<Vec<T>, String> {
    s.split(',')
        .filter(|v| !v.is_empty())
        .map(|v| {
            v.trim()
                .replace('_', "")
                .parse()
                .map_err(|_| format!("bad value `{v}`"))
        })
        .collect()
}

fn real_main() -> Result<(), String> {
    let mut opts = BenchOptions::default();
    let mut json = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = || args.next().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "--json" => json = true,
            "--software" => opts.allow_software_gpu = true,
            "--lanes" => opts.lanes = list(&val()?)?,
            "--steps" => opts.gpu_steps = val()?.parse().map_err(|e| format!("{e}"))?,
            "--cpu-steps" => opts.cpu_steps = val()?.parse().map_err(|e| format!("{e}"))?,
            "--cpu-max-lanes" => opts.cpu_max_lanes = val()?.parse().map_err(|e| format!("{e}"))?,
            "--workloads" => opts.workloads = list(&val()?)?,
            "--data-dir" => opts.data_dir = Some(val()?.into()),
            "--backend" => {
                opts.backends = match val()?.as_str() {
                    "cpu" => vec![BenchBackend::Cpu],
                    "gpu" => vec![BenchBackend::Gpu],
                    "both" => vec![BenchBackend::Cpu, BenchBackend::Gpu],
                    o => return Err(format!("--backend: cpu, gpu or both, got `{o}`")),
                }
            }
            o => return Err(format!("unknown argument `{o}`")),
        }
    }
    let report = run_bench(&opts, &|m| eprintln!("bench: {m}")).map_err(|e| e.to_string())?;
    if json {
        eprint!("{report}");
        println!(
            "{}",
            serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?
        );
    } else {
        print!("{report}");
    }
    Ok(())
}
