//! The WGSL Philox twin (`shaders/rng.wgsl`) against `sbo::rng`, bit for bit, plus the GPU
//! context's error paths. Runs on any adapter including lavapipe; see `gpu_support`.

mod gpu_support;

use bytemuck::{Pod, Zeroable};
use sbo::gpu::shader::compose;
use sbo::gpu::{list_adapters, shaders, GpuContext};
use sbo::rng::{bounded, mulhilo, philox4x32_10, stream, LaneRng};
use sbo::SboError;

const TEST_KERNELS: &str = include_str!("../shaders/test/rng_test.wgsl");
const WG: u32 = 64;

#[repr(C)]
#[derive(Clone, Copy, Debug, Pod, Zeroable)]
struct Case {
    seed_lo: u32,
    seed_hi: u32,
    stream: u32,
    step_lo: u32,
    step_hi: u32,
    n: u32,
    len: u32,
    out_off: u32,
}

impl Case {
    fn new(seed: u64, stream: u32, step: u64, n: u32, len: u32) -> Self {
        Case {
            seed_lo: seed as u32,
            seed_hi: (seed >> 32) as u32,
            stream,
            step_lo: step as u32,
            step_hi: (step >> 32) as u32,
            n,
            len,
            out_off: 0,
        }
    }
    fn seed(&self) -> u64 {
        self.seed_lo as u64 | (self.seed_hi as u64) << 32
    }
    fn step(&self) -> u64 {
        self.step_lo as u64 | (self.step_hi as u64) << 32
    }
}

/// SplitMix64: a tiny deterministic source of test parameters.
struct Mix(u64);
impl Mix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[(self.next() % xs.len() as u64) as usize]
    }
}

const SEEDS: &[u64] = &[
    0,
    1,
    42,
    u64::MAX,
    0xDEAD_BEEF_CAFE_BABE,
    1 << 32,
    0xFFFF_FFFF,
];
const STREAMS: &[u32] = &[
    stream::LOWER,
    stream::UPPER,
    stream::HVP,
    stream::JVP,
    stream::NEUMANN,
    stream::NEIGHBOUR,
    u32::MAX,
];
/// Steps on both sides of 2^32, where the high counter word starts to matter.
const STEPS: &[u64] = &[
    0,
    1,
    7,
    (1 << 32) - 1,
    1 << 32,
    (1 << 32) + 1,
    (1 << 40) + 12345,
    u64::MAX - 1,
    u64::MAX,
];

/// Fixed edge cases crossed with each other, then random ones.
fn cases(count: usize, salt: u64) -> Vec<Case> {
    let mut out = Vec::with_capacity(count);
    for &seed in SEEDS {
        for &step in STEPS {
            out.push(Case::new(
                seed,
                STREAMS[out.len() % STREAMS.len()],
                step,
                0,
                0,
            ));
        }
    }
    let mut m = Mix(salt);
    while out.len() < count {
        let seed = if m.next().is_multiple_of(4) {
            m.pick(SEEDS)
        } else {
            m.next()
        };
        let step = match m.next() % 3 {
            0 => m.pick(STEPS),
            1 => m.next() % 100_000,
            _ => m.next(),
        };
        let stream = if m.next().is_multiple_of(2) {
            m.pick(STREAMS)
        } else {
            m.next() as u32
        };
        out.push(Case::new(seed, stream, step, 0, 0));
    }
    out.truncate(count);
    out
}

/// Runs `entry` over `threads` invocations with `cases` at binding 0 and an `out` buffer of
/// `out_len` u32 (filled with a sentinel) at binding 1, and reads `out` back.
fn run(
    ctx: &GpuContext,
    entry: &str,
    cases: &[Case],
    per_case: u32,
    threads: usize,
    out_len: usize,
) -> Vec<u32> {
    let src = compose(&[shaders::RNG, TEST_KERNELS]);
    let pipeline = ctx
        .pipeline(
            &format!("rng_test::{entry}"),
            &src,
            entry,
            &[("WG", WG as f64), ("PER_CASE", per_case as f64)],
        )
        .unwrap_or_else(|e| panic!("{e}"));
    let cases_buf = ctx.storage_buffer("cases", cases).expect("cases buffer");
    let out_buf = ctx
        .storage_buffer("out", &vec![0xA5A5_A5A5u32; out_len])
        .expect("out buffer");
    let groups = (threads as u32).div_ceil(WG);
    ctx.dispatch(entry, &pipeline, &[&cases_buf, &out_buf], [groups, 1, 1])
        .unwrap_or_else(|e| panic!("{e}"));
    ctx.read_back::<u32>(&out_buf, 0, out_len)
        .unwrap_or_else(|e| panic!("{e}"))
}

fn case_desc(c: &Case) -> String {
    format!(
        "seed {:#x} stream {} step {:#x} n {} len {}",
        c.seed(),
        c.stream,
        c.step(),
        c.n,
        c.len
    )
}

#[test]
fn philox_blocks_match_cpu() {
    let Some(ctx) = gpu_support::context() else {
        return;
    };
    let cs = cases(1500, 1);
    let per = 5u32;
    let got = run(
        &ctx,
        "blocks",
        &cs,
        per,
        cs.len() * per as usize,
        cs.len() * per as usize * 4,
    );
    for (ci, c) in cs.iter().enumerate() {
        let rng = LaneRng::new(c.seed());
        for slot in 0..per {
            let want = rng.block(c.stream, c.step(), slot);
            // The Rust function with the documented counter layout, as a cross-check.
            let direct = philox4x32_10(
                [slot, c.step_lo, c.step_hi, c.stream],
                [c.seed_lo, c.seed_hi],
            );
            assert_eq!(want, direct);
            let base = (ci * per as usize + slot as usize) * 4;
            assert_eq!(
                &got[base..base + 4],
                &want,
                "block {slot} of {}",
                case_desc(c)
            );
        }
    }
}

#[test]
fn philox_words_match_cpu() {
    let Some(ctx) = gpu_support::context() else {
        return;
    };
    let cs = cases(1000, 2);
    // Not a multiple of 4: the last block is used partially.
    let per = 37u32;
    let n = cs.len() * per as usize;
    let got = run(&ctx, "words", &cs, per, n, n);
    for (ci, c) in cs.iter().enumerate() {
        let rng = LaneRng::new(c.seed());
        for j in 0..per {
            assert_eq!(
                got[ci * per as usize + j as usize],
                rng.word(c.stream, c.step(), j),
                "word {j} of {}",
                case_desc(c)
            );
        }
    }
}

#[test]
fn mulhilo_matches_cpu() {
    let Some(ctx) = gpu_support::context() else {
        return;
    };
    let edges = [
        0u32,
        1,
        2,
        0xFFFF,
        0x1_0000,
        0x1_0001,
        0x7FFF_FFFF,
        0x8000_0000,
        0xFFFE_FFFF,
        0xFFFF_0000,
        0xFFFF_FFFE,
        0xFFFF_FFFF,
        0xD251_1F53,
        0xCD9E_8D57,
    ];
    let mut pairs: Vec<(u32, u32)> = edges
        .iter()
        .flat_map(|&a| edges.iter().map(move |&b| (a, b)))
        .collect();
    let mut m = Mix(3);
    while pairs.len() < 5000 {
        pairs.push((m.next() as u32, m.next() as u32));
    }
    let cs: Vec<Case> = pairs
        .iter()
        .map(|&(a, b)| Case {
            seed_lo: a,
            n: b,
            ..Case::zeroed()
        })
        .collect();
    let got = run(&ctx, "mulhilo_test", &cs, 1, cs.len(), 2 * cs.len());
    for (i, &(a, b)) in pairs.iter().enumerate() {
        let (hi, lo) = mulhilo(a, b);
        assert_eq!(
            (got[2 * i], got[2 * i + 1]),
            (hi, lo),
            "mulhilo({a:#x}, {b:#x})"
        );
    }
}

/// Batch cases: population sizes from 1 to u32::MAX, lengths up to `max_len` (and never above
/// n without replacement), laid out one after the other in `out`.
fn batch_cases(count: usize, max_len: u32, without: bool, salt: u64) -> (Vec<Case>, usize) {
    let ns = [
        1u32,
        2,
        3,
        4,
        5,
        10,
        37,
        100,
        1000,
        65_535,
        65_536,
        65_537,
        (1 << 31) + 1,
        u32::MAX - 1,
        u32::MAX,
    ];
    let mut m = Mix(salt);
    let mut cs = cases(count, salt ^ 0x55);
    let mut off = 0u32;
    for (i, c) in cs.iter_mut().enumerate() {
        c.n = if i % 3 == 0 {
            (m.next() % 5000) as u32 + 1
        } else {
            ns[i % ns.len()]
        };
        let cap = if without { max_len.min(c.n) } else { max_len };
        // Every fourth case takes the whole cap (n itself for small n: a full permutation).
        c.len = if i % 4 == 0 {
            cap
        } else {
            (m.next() % cap as u64) as u32 + 1
        };
        c.out_off = off;
        off += c.len;
    }
    (cs, off as usize)
}

#[test]
fn batches_with_replacement_match_cpu() {
    let Some(ctx) = gpu_support::context() else {
        return;
    };
    let max_len = 45u32;
    let (cs, total) = batch_cases(1200, max_len, false, 4);
    let per = max_len.div_ceil(4);
    let got = run(
        &ctx,
        "with_replacement",
        &cs,
        per,
        cs.len() * per as usize,
        total,
    );
    for c in &cs {
        let mut want = vec![0u32; c.len as usize];
        LaneRng::new(c.seed()).batch_with_replacement(c.stream, c.step(), c.n, &mut want);
        let o = c.out_off as usize;
        assert_eq!(&got[o..o + want.len()], &want[..], "{}", case_desc(c));
    }
}

#[test]
fn batches_without_replacement_match_cpu() {
    let Some(ctx) = gpu_support::context() else {
        return;
    };
    let max_len = 64u32;
    let (cs, total) = batch_cases(1200, max_len, true, 5);
    let got = run(&ctx, "without_replacement", &cs, 1, cs.len(), total);
    let mut collisions = 0;
    for c in &cs {
        let mut want = vec![0u32; c.len as usize];
        LaneRng::new(c.seed()).batch_without_replacement(c.stream, c.step(), c.n, &mut want);
        let o = c.out_off as usize;
        let g = &got[o..o + want.len()];
        assert_eq!(g, &want[..], "{}", case_desc(c));
        let mut s = want.clone();
        s.sort_unstable();
        s.dedup();
        assert_eq!(s.len(), want.len(), "duplicates in {}", case_desc(c));
        // Count draws where Floyd's collision branch ran, so the test is known to cover it.
        let rng = LaneRng::new(c.seed());
        for i in 0..c.len {
            let j = c.n - c.len + i;
            let t = bounded(rng.word(c.stream, c.step(), i), j + 1);
            collisions += usize::from(want[..i as usize].contains(&t));
        }
    }
    assert!(collisions > 0, "no case exercised Floyd's collision branch");
}

#[test]
fn broken_shaders_are_errors_not_panics() {
    let Some(ctx) = gpu_support::context() else {
        return;
    };
    let syntax = "@compute @workgroup_size(1) fn main() { let x = ; }";
    match ctx.pipeline("broken-syntax", syntax, "main", &[]) {
        Err(SboError::GpuShader { label, msg }) => {
            assert_eq!(label, "broken-syntax");
            assert!(!msg.is_empty());
            eprintln!("syntax error reported as: {msg}");
        }
        other => panic!("expected GpuShader error, got {other:?}"),
    }
    let types = "@compute @workgroup_size(1) fn main() { let x: u32 = 1.5f; }";
    let e = ctx.pipeline("broken-types", types, "main", &[]);
    assert!(
        matches!(e, Err(SboError::GpuShader { .. })),
        "type error: {e:?}"
    );
    // Fine module, missing entry point.
    let ok = "@compute @workgroup_size(1) fn main() {}";
    let e = ctx.pipeline("no-entry", ok, "nope", &[]);
    assert!(matches!(e, Err(SboError::GpuShader { .. })), "entry: {e:?}");
    // Fine module, undeclared override constant.
    let e = ctx.pipeline("bad-constant", ok, "main", &[("NOPE", 1.0)]);
    assert!(
        matches!(e, Err(SboError::GpuShader { .. })),
        "constant: {e:?}"
    );
    // The context is still usable, and the cache returns the same pipeline for the same key.
    let a = ctx.pipeline("ok", ok, "main", &[]).expect("valid shader");
    let b = ctx.pipeline("ok", ok, "main", &[]).expect("valid shader");
    assert!(std::sync::Arc::ptr_eq(&a, &b));
    ctx.check().expect("no error escaped the scopes");
}

#[test]
fn pipeline_cache_keys_on_constants() {
    let Some(ctx) = gpu_support::context() else {
        return;
    };
    let src = compose(&[shaders::RNG, TEST_KERNELS]);
    let before = ctx.cached_pipelines();
    let a = ctx
        .pipeline("k", &src, "words", &[("WG", 64.0), ("PER_CASE", 4.0)])
        .unwrap();
    let b = ctx
        .pipeline("k", &src, "words", &[("PER_CASE", 4.0), ("WG", 64.0)])
        .unwrap();
    let c = ctx
        .pipeline("k", &src, "words", &[("WG", 64.0), ("PER_CASE", 8.0)])
        .unwrap();
    assert!(
        std::sync::Arc::ptr_eq(&a, &b),
        "constant order must not matter"
    );
    assert!(!std::sync::Arc::ptr_eq(&a, &c));
    assert_eq!(ctx.cached_pipelines(), before + 2);
}

#[test]
fn buffer_errors_are_structured() {
    let Some(ctx) = gpu_support::context() else {
        return;
    };
    let max = ctx.limits().max_buffer_size;
    match ctx.storage_buffer_zeroed("huge", max.saturating_add(4)) {
        Err(SboError::GpuLimit { what, .. }) => assert_eq!(what, "huge"),
        other => panic!("expected GpuLimit, got {other:?}"),
    }
    let data: Vec<u32> = (0..100).collect();
    let buf = ctx.storage_buffer("data", &data).unwrap();
    assert_eq!(
        ctx.read_back::<u32>(&buf, 40, 5).unwrap(),
        vec![10, 11, 12, 13, 14]
    );
    // Reused staging buffer, then a larger read that forces it to grow.
    assert_eq!(ctx.read_back::<u32>(&buf, 0, 100).unwrap(), data);
    let big: Vec<f32> = (0..100_000).map(|i| i as f32 * 0.5).collect();
    let bbuf = ctx.storage_buffer("big", &big).unwrap();
    let back = ctx.read_back::<f32>(&bbuf, 0, big.len()).unwrap();
    let cpu: Vec<f64> = big.iter().map(|&x| x as f64).collect();
    gpu_support::assert_close("big readback", &back, &cpu, 0.0, 0.0);
    // Out of range and misaligned reads are errors, not panics.
    assert!(ctx.read_back::<u32>(&buf, 0, 101).is_err());
    assert!(ctx.read_back::<u32>(&buf, 2, 1).is_err());
    // The context still works afterwards.
    assert_eq!(ctx.read_back::<u32>(&buf, 396, 1).unwrap(), vec![99]);
}

#[test]
fn list_adapters_runs() {
    let adapters = list_adapters();
    for a in &adapters {
        eprintln!("{a}");
    }
    if let Some(ctx) = gpu_support::context() {
        assert!(
            !adapters.is_empty(),
            "a context opened but list_adapters saw nothing"
        );
        eprintln!(
            "context: {} ({:?}), software: {}, subgroups: {}, device limits: storage binding \
             {} B, buffer {} B, workgroup storage {} B, invocations {}",
            ctx.adapter_info().name,
            ctx.adapter_info().backend,
            ctx.is_software(),
            ctx.supports_subgroups(),
            ctx.limits().max_storage_buffer_binding_size,
            ctx.limits().max_buffer_size,
            ctx.limits().max_compute_workgroup_storage_size,
            ctx.limits().max_compute_invocations_per_workgroup,
        );
    }
}

#[test]
fn context_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<GpuContext>();
}

#[test]
fn destroyed_device_gives_errors_not_panics() {
    let Some(ctx) = gpu_support::context() else {
        return;
    };
    let buf = ctx.storage_buffer("before", &[1u32, 2, 3]).unwrap();
    ctx.device().destroy();
    let w = ctx.wait();
    eprintln!("wait after destroy: {w:?}");
    let r = ctx.read_back::<u32>(&buf, 0, 3);
    eprintln!("read_back after destroy: {r:?}");
    assert!(
        matches!(r, Err(SboError::GpuDeviceLost { .. })),
        "read_back after destroy: {r:?}"
    );
    let p = ctx.pipeline(
        "after",
        "@compute @workgroup_size(1) fn main() {}",
        "main",
        &[],
    );
    assert!(matches!(p, Err(SboError::GpuDeviceLost { .. })), "{p:?}");
}
