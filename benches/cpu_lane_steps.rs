//! CPU lane-steps per second: ssaid and tsgd (T = 4) on ijcnn1 with batch 32, one lane on one
//! core and a whole sweep on every core. `cargo bench --bench cpu_lane_steps`.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use sbo::algo::{advance, LaneState};
use sbo::cpu::CpuEngine;
use sbo::problem::Oracles;
use sbo::rng::LaneRng;
use sbo::run::{run_study, RunOptions};
use sbo::sweep::{Study, SweepConfig};

fn study(algo: &str, lanes_per_seed: usize, seeds: usize, steps: u64) -> Study {
    let text = format!(
        r#"
name = "bench"
[problem]
preset = "c-c"
lam_y = 1e-3
[data]
kind = "libsvm"
train = "data/ijcnn1.trn.bz2"
test = "data/ijcnn1.tst.bz2"
dim = 22
n_lower = 5000
n_upper = 1000
n_test = 1000
n_pool = 100
[run]
steps = {steps}
log_every = {steps}
seeds = {seeds}
neighbours = {n}
[[algo]]
name = "{algo}"
alpha = 0.1
beta = 0.1
T = 4
batch = 32
"#,
        n = lanes_per_seed - 1
    );
    let c = SweepConfig::from_toml(&text).expect("bench config");
    Study::prepare(&c, Some(std::path::Path::new(env!("CARGO_MANIFEST_DIR"))))
        .expect("ijcnn1 loads")
}

fn bench(c: &mut Criterion) {
    for algo in ["ssaid", "tsgd"] {
        let s = study(algo, 1, 1, 1);
        let cfg = &s.configs[0].algo;
        let sets = s.data.sets(0).expect("seed 0 has data");
        let o = Oracles {
            spec: &s.spec,
            lower: sets.lower,
            upper: sets.upper,
        };
        let rng = LaneRng::new(0);
        let steps = 1000u64;
        let mut g = c.benchmark_group(format!("{algo}_ijcnn1_b32"));
        g.throughput(Throughput::Elements(steps));
        g.bench_function("one_lane_f64", |b| {
            let mut lane = LaneState::<f64>::new(cfg, &o, &vec![0.0; s.p()], &vec![0.0; s.d()]);
            b.iter(|| advance(cfg, &o, &rng, &mut lane, steps))
        });
        g.bench_function("one_lane_f32", |b| {
            let mut lane = LaneState::<f32>::new(cfg, &o, &vec![0.0; s.p()], &vec![0.0; s.d()]);
            b.iter(|| advance(cfg, &o, &rng, &mut lane, steps))
        });
        // A whole sweep (64 lanes) on every core, metrics at the start and the end only.
        let sweep = study(algo, 8, 8, 500);
        g.throughput(Throughput::Elements(64 * 500));
        g.sample_size(10);
        g.bench_function("sweep_64_lanes_all_cores", |b| {
            b.iter(|| run_study(&CpuEngine, &sweep, &RunOptions::default()).expect("sweep runs"))
        });
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
