//! GPU lane-steps per second: the standard workloads of `sbo::bench` (ssaid and tsgd, T = 4,
//! on ijcnn1 and on a d = 256 quadratic, batch 32) at 1,024 and 16,384 lanes, whole sweeps
//! with metrics at the first and last step only. `cargo bench --bench gpu_lane_steps`.
//!
//! Without a hardware adapter it prints a SKIP line and returns. `SBO_BENCH_SOFTWARE=1` lets a
//! software adapter (lavapipe) stand in, at 1,024 lanes and a few steps only (it is a CPU
//! emulation, about a hundred times slower than the CPU backend, not a GPU).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use sbo::bench::standard_workloads;
use sbo::gpu::{GpuContext, GpuEngine, GpuOptions};
use sbo::run::{run_study, RunOptions};
use sbo::sweep::Study;
use std::sync::Arc;
use std::time::Duration;

fn bench(c: &mut Criterion) {
    let software = std::env::var("SBO_BENCH_SOFTWARE").is_ok_and(|v| v == "1");
    let ctx = match GpuContext::new(&GpuOptions {
        allow_software: software,
        ..GpuOptions::default()
    }) {
        Ok(ctx) => ctx,
        Err(e) => {
            println!(
                "SKIP gpu_lane_steps: no {}GPU adapter ({e}); SBO_BENCH_SOFTWARE=1 allows lavapipe",
                if software { "" } else { "hardware " }
            );
            return;
        }
    };
    println!(
        "gpu_lane_steps on `{}` ({:?}){}",
        ctx.adapter_info().name,
        ctx.adapter_info().backend,
        if ctx.is_software() {
            ": a software adapter (CPU emulation), 1,024 lanes only"
        } else {
            ""
        }
    );
    let software = ctx.is_software();
    let engine = GpuEngine::new(Arc::new(ctx));
    let (lane_counts, steps): (&[usize], u64) = if software {
        (&[1024], 4)
    } else {
        (&[1024, 16384], 64)
    };
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    for w in standard_workloads() {
        let mut g = c.benchmark_group(format!("gpu_{}", w.name));
        g.sample_size(10);
        g.warm_up_time(Duration::from_secs(1));
        g.measurement_time(Duration::from_secs(5));
        for &lanes in lane_counts {
            let config = w.config(lanes, steps);
            let study = Study::prepare(&config, Some(root)).expect("bench data loads");
            let n = (config.run.seeds * (config.run.neighbours + 1)) as u64;
            g.throughput(Throughput::Elements(n * steps));
            g.bench_function(format!("{lanes}_lanes_{steps}_steps"), |b| {
                b.iter(|| {
                    run_study(&engine, &study, &RunOptions::default()).expect("gpu sweep runs")
                })
            });
        }
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
