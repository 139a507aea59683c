//! Embedding the GPU engine in a program that owns its wgpu device: the program creates the
//! instance, adapter, device and queue (as a renderer or a training loop would), hands them to
//! sbo, and runs a sweep on them. `cargo run --release --example embed_gpu`.

use sbo::algo::AlgoKind;
use sbo::gpu::{GpuContext, GpuEngine};
use sbo::metrics::Metric;
use sbo::run::{run_study, RunOptions};
use sbo::sweep::{AlgoGrid, DataKind, Study, SweepConfig};
use std::sync::Arc;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The embedding program's own device.
    let instance = wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle());
    let Ok(adapter) = pollster::block_on(instance.request_adapter(&wgpu::RequestAdapterOptions {
        power_preference: wgpu::PowerPreference::HighPerformance,
        ..Default::default()
    })) else {
        println!(
            "no GPU adapter on this machine: nothing to embed into (sbo runs on the CPU instead)"
        );
        return Ok(());
    };
    let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
        label: Some("host program"),
        required_limits: adapter.limits(),
        ..Default::default()
    }))?;
    let ctx = Arc::new(GpuContext::from_device(device, queue, adapter.get_info()));

    let mut config = SweepConfig {
        name: "embedded-gpu".into(),
        ..Default::default()
    };
    config.data.kind = DataKind::Synthetic;
    config.data.d = 16;
    config.data.kappa = Some(10.0);
    config.run.steps = 200;
    config.run.log_every = 50;
    config.run.seeds = 4;
    config.run.neighbours = 3;
    config.algos = vec![AlgoGrid::new(AlgoKind::SSAID)
        .alpha(0.05)
        .beta(0.05)
        .gamma(0.05)
        .batch(32)];
    let study = Study::prepare(&config, None)?;
    // The engine keeps the context: build it once, run as many studies as needed.
    let engine = GpuEngine::new(ctx);
    let result = run_study(&engine, &study, &RunOptions::default())?;
    let c = &result.configs[0];
    let last = |m: Metric| {
        c.rows
            .iter()
            .rev()
            .find(|r| r.metric == m)
            .map(|r| r.summary.mean)
    };
    println!(
        "{} on {}: val loss {:?}, stability |d(x,y)| {:?}, {} lane-steps in {:.2} s",
        c.label,
        result.backend,
        last(Metric::ValLoss),
        last(Metric::DistXy),
        result.lane_steps,
        result.seconds
    );
    Ok(())
}
