//! Every oracle of the device code (`shaders/pass.wgsl`, `loss.wgsl`, `coupling.wgsl`, the
//! regulariser terms of the step kernels) against the CPU oracles in f64, for every loss x
//! coupling x hyper shape, on random data, points and batches with repeats, through the test
//! kernel `shaders/test/oracles_test.wgsl` bound with the sweep's own lane layout. Runs on any
//! adapter including lavapipe; see `gpu_support`.
//!
//! Tolerances (f32 device vs f64 reference): |gpu - cpu| <= ATOL + RTOL |cpu| with RTOL = 1e-4
//! and ATOL = 1e-5 on every vector oracle and loss value. The device rounds every product and
//! sum to f32 (unit roundoff u = 6e-8): a dot product of d <= 70 terms of size <= 1 and a mean
//! of at most 100 per-sample terms of size O(1) carry a worst-case error of a few hundred u
//! relative to the sum of the terms' magnitudes, typically (random-walk) a few dozen u, i.e.
//! ~1e-6 absolute for these O(1) quantities. exp, the sigmoid and the softplus on the device
//! are within a few ulp. The margin (>= 10x over the typical error) keeps the test stable
//! while a wrong index, a missed sample, a wrong sign or a wrong regulariser term (all O(0.01)
//! or larger here) fails it. Accuracies are fractions k/n compared with ATOL = 1e-6 (exact up
//! to the division): random data keep |a.y| away from 0, where a rounding could flip a sign.

mod gpu_support;

use gpu_support::assert_close;
use sbo::data::{DataView, Dataset, Replacement};
use sbo::gpu::bindings::{bind, lane_layout, LaneLayout};
use sbo::gpu::contract::{coupling_code, hyper_code, loss_code, LaneDesc, Overrides, Params};
use sbo::gpu::shader::compose;
use sbo::gpu::{shaders, GpuContext};
use sbo::problem::{accuracy, data_loss, Batch, Coupling, HyperShape, Loss, Oracles, ProblemSpec};

const TEST_KERNEL: &str = include_str!("../shaders/test/oracles_test.wgsl");

const RTOL: f64 = 1e-4;
const ATOL: f64 = 1e-5;
/// For accuracies (fractions of the set size).
const ACC_ATOL: f64 = 1e-6;

/// Floats per lane after the vector outputs (`OUT_HEAD` in the kernel).
const OUT_HEAD: usize = 8;
const NO_REPLACEMENT: u32 = u32::MAX;

/// Set sizes: lower, upper, replacement pool.
const N_LOWER: usize = 40;
const N_UPPER: usize = 37;
const N_POOL: usize = 5;
/// Lanes per dispatch, laid out GROUPS_X workgroups wide (so the grid has a partial last row,
/// whose extra workgroups must leave).
const N_LANES: usize = 7;
const GROUPS_X: u32 = 3;

/// A batch shape: lower and upper batch sizes, dimension, threads per lane, full sets.
/// `dots` switches from threads-share-a-row to one-thread-per-sample at 2 count >= WG; sizes
/// above WG make the per-sample loops stride, d above WG makes the per-feature loops stride.
#[derive(Clone, Copy, Debug)]
struct Shape {
    bl: usize,
    bu: usize,
    d: usize,
    wg: u32,
    /// Both batches are the full sets (BL = N_LOWER, BU = N_UPPER), drawn by `draw`.
    full: bool,
}

/// Every problem runs these two: together they take each data pass (lower gradient, Hessian,
/// upper gradient) through both `dots` paths, with strided per-sample (100 > WG) and
/// per-feature (d = 70 > WG) loops, at WG 64 and 32.
const SHAPES_ALWAYS: &[Shape] = &[
    Shape {
        bl: 3,
        bu: 100,
        d: 70,
        wg: 64,
        full: false,
    },
    Shape {
        bl: 100,
        bu: 7,
        d: 13,
        wg: 32,
        full: false,
    },
];
/// And one of these, in turn (each meets 4 of the 12 problems, both losses): the path switch
/// (31 samples share rows, 32 do not), a single-sample batch, the full sets through `draw`.
/// Few shapes on purpose: lavapipe compiles each specialisation with LLVM in seconds, so the
/// number of pipelines sets the test's cold-cache time.
const SHAPES_ROTATING: &[Shape] = &[
    Shape {
        bl: 31,
        bu: 32,
        d: 29,
        wg: 64,
        full: false,
    },
    Shape {
        bl: 1,
        bu: 40,
        d: 5,
        wg: 64,
        full: false,
    },
    Shape {
        bl: N_LOWER,
        bu: N_UPPER,
        d: 11,
        wg: 64,
        full: true,
    },
];

/// SplitMix64: a tiny deterministic generator.
struct Mix(u64);
impl Mix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [lo, hi), as f32.
    fn unif(&mut self, lo: f64, hi: f64) -> f32 {
        let u = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        (lo + (hi - lo) * u) as f32
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// A random dataset: features in [-1, 1), labels +-1 (logistic) or real in [-2, 2) (squared).
fn dataset(m: &mut Mix, loss: Loss, n: usize, d: usize) -> Dataset {
    let features = (0..n * d).map(|_| m.unif(-1.0, 1.0)).collect();
    let labels = (0..n)
        .map(|_| match loss {
            Loss::Logistic => {
                if m.next().is_multiple_of(2) {
                    1.0
                } else {
                    -1.0
                }
            }
            Loss::Squared => m.unif(-2.0, 2.0),
            Loss::Multinomial => unreachable!("the GPU has no multinomial kernels"),
        })
        .collect();
    Dataset::new(d, features, labels).expect("dataset")
}

/// Every loss x coupling x hyper shape, with weights exact in f32 so the device constants equal
/// the CPU's.
fn specs(loss: Loss, coupling: Coupling) -> Vec<ProblemSpec> {
    [HyperShape::PerFeature, HyperShape::Scalar]
        .into_iter()
        .map(|hyper| ProblemSpec {
            loss,
            coupling,
            hyper,
            mu: 0.75,
            lam_y: 0.0625,
            nu: 0.375,
            x_box: None,
            classes: 0,
            ..ProblemSpec::default()
        })
        .collect()
}

fn name(spec: &ProblemSpec) -> String {
    format!("{:?}/{:?}/{:?}", spec.loss, spec.coupling, spec.hyper).to_lowercase()
}

/// One lane's inputs.
struct LaneIn {
    desc: LaneDesc,
    x: Vec<f32>,
    y: Vec<f32>,
    v: Vec<f32>,
    lower_idx: Vec<u32>,
    upper_idx: Vec<u32>,
}

/// The lanes of one dispatch: lane 1 has a lower sample replaced, lane 2 an upper one, lane 3
/// both, the others none. Batches draw with repeats and always contain the replaced samples.
fn lanes(m: &mut Mix, spec: &ProblemSpec, sh: Shape) -> Vec<LaneIn> {
    let p = spec.p(sh.d, 0);
    (0..N_LANES)
        .map(|l| {
            let mut desc = LaneDesc {
                seed_lo: l as u32,
                rep_lower: NO_REPLACEMENT,
                rep_upper: NO_REPLACEMENT,
                base: l as u32,
                ..Default::default()
            };
            if l == 1 || l == 3 {
                desc.rep_lower = m.below(N_LOWER) as u32;
                desc.pool_lower = m.below(N_POOL) as u32;
            }
            if l == 2 || l == 3 {
                desc.rep_upper = m.below(N_UPPER) as u32;
                desc.pool_upper = m.below(N_POOL) as u32;
            }
            let mut lower_idx: Vec<u32> = (0..sh.bl).map(|_| m.below(N_LOWER) as u32).collect();
            let mut upper_idx: Vec<u32> = (0..sh.bu).map(|_| m.below(N_UPPER) as u32).collect();
            // Repeats for sure (when the batch has room), and the replaced samples inside.
            if sh.bl > 2 {
                lower_idx[sh.bl - 1] = lower_idx[0];
            }
            if sh.bu > 2 {
                upper_idx[sh.bu - 1] = upper_idx[1];
            }
            if desc.rep_lower != NO_REPLACEMENT {
                lower_idx[sh.bl / 2] = desc.rep_lower;
            }
            if desc.rep_upper != NO_REPLACEMENT {
                upper_idx[sh.bu / 2] = desc.rep_upper;
            }
            LaneIn {
                desc,
                x: (0..p).map(|_| m.unif(-1.0, 1.0)).collect(),
                y: (0..sh.d).map(|_| m.unif(-1.5, 1.5)).collect(),
                v: (0..sh.d).map(|_| m.unif(-1.0, 1.0)).collect(),
                lower_idx,
                upper_idx,
            }
        })
        .collect()
}

fn lane_desc(l: usize, ln: &LaneIn) -> String {
    let mut s = format!("lane {l}");
    if ln.desc.rep_lower != NO_REPLACEMENT {
        s += &format!(
            " (lower sample {} -> pool row {})",
            ln.desc.rep_lower, ln.desc.pool_lower
        );
    }
    if ln.desc.rep_upper != NO_REPLACEMENT {
        s += &format!(
            " (upper sample {} -> pool row {})",
            ln.desc.rep_upper, ln.desc.pool_upper
        );
    }
    s
}

/// The sets as lane `ln` sees them.
fn views<'a>(
    lower: &'a Dataset,
    upper: &'a Dataset,
    pool: &'a Dataset,
    ln: &LaneDesc,
) -> (DataView<'a>, DataView<'a>) {
    let rep = |idx: u32, prow: u32| {
        (idx != NO_REPLACEMENT).then(|| Replacement {
            index: idx as usize,
            row: pool.row(prow as usize),
            label: pool.label(prow as usize),
        })
    };
    (
        DataView::with_replacement(lower, rep(ln.rep_lower, ln.pool_lower)),
        DataView::with_replacement(upper, rep(ln.rep_upper, ln.pool_upper)),
    )
}

/// Largest |gpu - cpu| / (atol + rtol |cpu|) seen, to report the margin.
struct Worst(f64, String);
impl Worst {
    fn check(&mut self, what: &str, gpu: &[f32], cpu: &[f64], rtol: f64, atol: f64) {
        assert_close(what, gpu, cpu, rtol, atol);
        for (&g, &c) in gpu.iter().zip(cpu) {
            let r = (g as f64 - c).abs() / (atol + rtol * c.abs());
            if r > self.0 {
                self.0 = r;
                self.1 = what.to_string();
            }
        }
    }
}

/// Runs the test kernel for one problem and shape and compares every output of every lane.
fn check_case(
    ctx: &GpuContext,
    layout: &LaneLayout,
    spec: &ProblemSpec,
    sh: Shape,
    m: &mut Mix,
    worst: &mut Worst,
) {
    let d = sh.d;
    let p = spec.p(d, 0);
    let lower = dataset(m, spec.loss, N_LOWER, d);
    let upper = dataset(m, spec.loss, N_UPPER, d);
    let pool = dataset(m, spec.loss, N_POOL, d);
    let lns = lanes(m, spec, sh);

    // Device inputs: the sets' rows back to back in reverse order, and the row map that
    // undoes it, so every row the kernels read goes through the map as a resampled seed's do.
    let mut feats = Vec::new();
    let mut labels = Vec::new();
    let sets = [&lower, &upper, &pool];
    let total: usize = sets.iter().map(|s| s.n).sum();
    for s in sets.iter().rev() {
        for i in (0..s.n).rev() {
            feats.extend_from_slice(s.row(i));
            labels.push(s.label(i));
        }
    }
    let rowmap: Vec<u32> = (0..total).map(|k| (total - 1 - k) as u32).collect();
    let stride = p + 2 * d;
    let idx_stride = sh.bl + sh.bu;
    let mut state = Vec::with_capacity(N_LANES * stride);
    // Sample indices as exact f32 values in the kernels' `scratch` binding.
    let mut idx: Vec<f32> = Vec::with_capacity(N_LANES * idx_stride);
    for ln in &lns {
        state.extend_from_slice(&ln.x);
        state.extend_from_slice(&ln.y);
        state.extend_from_slice(&ln.v);
        idx.extend(ln.lower_idx.iter().chain(&ln.upper_idx).map(|&i| i as f32));
    }
    let descs: Vec<LaneDesc> = lns.iter().map(|l| l.desc).collect();
    let out_stride = 7 * d + 2 * p + OUT_HEAD;
    let groups = [GROUPS_X, (N_LANES as u32).div_ceil(GROUPS_X), 1];
    let params = Params {
        lane_offset: 0,
        n_lanes: N_LANES as u32,
        n_lower: N_LOWER as u32,
        n_upper: N_UPPER as u32,
        row_lower: 0,
        row_upper: N_LOWER as u32,
        row_pool: (N_LOWER + N_UPPER) as u32,
        n_pool: N_POOL as u32,
        groups_x: GROUPS_X,
        scratch_stride: idx_stride as u32,
        n_steps: 1,
        ..Default::default()
    };

    let consts = Overrides {
        loss: loss_code(spec.loss),
        coupling: coupling_code(spec.coupling),
        hyper: hyper_code(spec.hyper),
        d: d as u32,
        features: d as u32,
        classes: 1,
        hidden: 0,
        activation: 0,
        p: p as u32,
        batch_lower: sh.bl as u32,
        batch_upper: sh.bu as u32,
        full_lower: sh.full,
        full_upper: sh.full,
        without_replacement: false,
        jv_slots: 1,
        workgroup: sh.wg,
        mu: spec.mu,
        lam_y: spec.lam_y,
        nu: spec.nu,
        inner_steps: 1,
        terms: 1,
        independent_hvp_batch: false,
        reset: false,
        clip: false,
        cg: false,
        v_sgd: false,
        moving_average: false,
        truncated: false,
        x_box: false,
        x_lo: 0.0,
        x_hi: 0.0,
    }
    .constants();
    let mut parts: Vec<&str> = shaders::lane_prelude();
    parts.push(TEST_KERNEL);
    parts.push(shaders::LANE_LOOP);
    let pipeline = ctx
        .pipeline_with_layout(
            "sbo oracles test (lane layout)",
            &compose(&parts),
            "main",
            &consts,
            Some(&layout.pipeline),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    let buf =
        |label: &str, r: sbo::Result<wgpu::Buffer>| r.unwrap_or_else(|e| panic!("{label}: {e}"));
    let params_buf = buf("params", ctx.uniform_buffer("oracles params", &params));
    let feats_buf = buf("feats", ctx.storage_buffer("oracles feats", &feats));
    let labels_buf = buf("labels", ctx.storage_buffer("oracles labels", &labels));
    let lanes_buf = buf("lanes", ctx.storage_buffer("oracles lanes", &descs));
    let state_buf = buf("state", ctx.storage_buffer("oracles state", &state));
    let idx_buf = buf("batches", ctx.storage_buffer("oracles batches", &idx));
    let out_buf = buf(
        "out",
        ctx.storage_buffer("oracles out", &vec![f32::NAN; N_LANES * out_stride]),
    );
    let rowmap_buf = buf("rowmap", ctx.storage_buffer("oracles row map", &rowmap));
    // Binding 8 (spilled lane vectors) is unused by these kernels.
    let spill_buf = buf("spill", ctx.storage_buffer("oracles unused", &[0f32; 4]));
    let bg = bind(
        ctx,
        layout,
        "oracles bindings",
        [
            &params_buf,
            &feats_buf,
            &labels_buf,
            &lanes_buf,
            &state_buf,
            &idx_buf,
            &out_buf,
            &rowmap_buf,
            &spill_buf,
        ],
    )
    .unwrap_or_else(|e| panic!("{e}"));
    ctx.scoped("oracles dispatch", 0, || {
        let mut enc = ctx
            .device()
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("oracles"),
            });
        {
            let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some("oracles"),
                timestamp_writes: None,
            });
            pass.set_pipeline(&pipeline);
            pass.set_bind_group(0, &bg, &[]);
            pass.dispatch_workgroups(groups[0], groups[1], groups[2]);
        }
        ctx.queue().submit(Some(enc.finish()));
    })
    .unwrap_or_else(|e| panic!("{e}"));
    let got: Vec<f32> = ctx
        .read_back(&out_buf, 0, N_LANES * out_stride)
        .unwrap_or_else(|e| panic!("{e}"));

    let case = format!(
        "{} BL={} BU={} d={d} WG={}{}",
        name(spec),
        sh.bl,
        sh.bu,
        sh.wg,
        if sh.full { " (full sets)" } else { "" }
    );
    for (l, ln) in lns.iter().enumerate() {
        let (lv, uv) = views(&lower, &upper, &pool, &ln.desc);
        let or = Oracles {
            spec,
            lower: lv,
            upper: uv,
        };
        let f64s = |v: &[f32]| v.iter().map(|&a| a as f64).collect::<Vec<f64>>();
        let (x, y, v) = (f64s(&ln.x), f64s(&ln.y), f64s(&ln.v));
        let (bl, bu) = if sh.full {
            (Batch::Full, Batch::Full)
        } else {
            (Batch::Idx(&ln.lower_idx), Batch::Idx(&ln.upper_idx))
        };
        let mut gy = vec![0.0; d];
        let mut hv = vec![0.0; d];
        let mut gf = vec![0.0; d];
        let mut jv = vec![0.0; p];
        let mut gx = vec![0.0; p];
        or.grad_y_g(&x, &y, bl, &mut gy);
        or.hvp(&x, &y, &v, bl, &mut hv);
        or.grad_y_f(&x, &y, bu, &mut gf);
        or.jvp(&x, &y, &v, Batch::Full, &mut jv);
        or.grad_x_f(&x, &y, &mut gx);
        // A replaced sample must matter, or the lane would not test the substitution:
        if ln.desc.rep_lower != NO_REPLACEMENT || ln.desc.rep_upper != NO_REPLACEMENT {
            let base = Oracles {
                spec,
                lower: lower.view(),
                upper: upper.view(),
            };
            let (mut gy0, mut gf0) = (vec![0.0; d], vec![0.0; d]);
            base.grad_y_g(&x, &y, bl, &mut gy0);
            base.grad_y_f(&x, &y, bu, &mut gf0);
            // Beyond the tolerance somewhere (a fraction 1/B of the change of one sample).
            let moved = |a: &[f64], b: &[f64]| {
                a.iter()
                    .zip(b)
                    .any(|(p, q)| (p - q).abs() > 3.0 * (ATOL + RTOL * q.abs()))
            };
            assert!(
                (ln.desc.rep_lower == NO_REPLACEMENT || moved(&gy, &gy0))
                    && (ln.desc.rep_upper == NO_REPLACEMENT || moved(&gf, &gf0)),
                "{case} {}: the replacement leaves the CPU oracles unchanged",
                lane_desc(l, ln)
            );
        }
        let low_loss = data_loss(spec, lv, &y);
        let upp_loss = data_loss(spec, uv, &y);
        let reg = or.lower_value(&x, &y) - low_loss;

        let o = &got[l * out_stride..(l + 1) * out_stride];
        let at = |k: usize, len: usize| &o[k..k + len];
        let what = |q: &str| format!("{case} {}: {q}", lane_desc(l, ln));
        let mut chk = |q: &str, g: &[f32], c: &[f64]| worst.check(&what(q), g, c, RTOL, ATOL);
        chk("grad_y g [separate passes]", at(0, d), &gy);
        chk("H v [separate passes]", at(d, d), &hv);
        chk("grad_y f [separate passes]", at(2 * d, d), &gf);
        chk("H v [hvp_data same_z]", at(3 * d, d), &hv);
        chk("grad_y g [fused passes]", at(4 * d, d), &gy);
        chk("H v [fused passes]", at(5 * d, d), &hv);
        chk("grad_y f [fused passes]", at(6 * d, d), &gf);
        chk("J v", at(7 * d, p), &jv);
        chk("grad_x f", at(7 * d + p, p), &gx);
        let h = 7 * d + 2 * p;
        chk(
            "full-set data losses (lower, upper) and lower regulariser",
            at(h, 3),
            &[low_loss, upp_loss, reg],
        );
        worst.check(
            &what("full-set accuracies (lower, upper)"),
            at(h + 3, 2),
            &[accuracy(spec, lv, &y), accuracy(spec, uv, &y)],
            0.0,
            ACC_ATOL,
        );
    }
}

/// Checks both hyper shapes of (loss, coupling); `index` (0..6) picks the rotating shapes.
fn check_problems(loss: Loss, coupling: Coupling, index: usize) {
    let Some(ctx) = gpu_support::context() else {
        return;
    };
    let layout = lane_layout(&ctx).unwrap_or_else(|e| panic!("{e}"));
    let mut m = Mix(index as u64 + 1);
    let mut worst = Worst(0.0, String::new());
    for (h, spec) in specs(loss, coupling).iter().enumerate() {
        let extra = SHAPES_ROTATING[(2 * index + h) % SHAPES_ROTATING.len()];
        for &sh in SHAPES_ALWAYS.iter().chain([&extra]) {
            check_case(&ctx, &layout, spec, sh, &mut m, &mut worst);
        }
    }
    eprintln!(
        "{loss:?}/{coupling:?}: largest error {:.3} of the tolerance, at {}",
        worst.0, worst.1
    );
}

#[test]
fn squared_prior() {
    check_problems(Loss::Squared, Coupling::Prior, 0);
}

#[test]
fn squared_logweight() {
    check_problems(Loss::Squared, Coupling::Logweight, 1);
}

#[test]
fn squared_nonconvex() {
    check_problems(Loss::Squared, Coupling::Nonconvex, 2);
}

#[test]
fn logistic_prior() {
    check_problems(Loss::Logistic, Coupling::Prior, 3);
}

#[test]
fn logistic_logweight() {
    check_problems(Loss::Logistic, Coupling::Logweight, 4);
}

#[test]
fn logistic_nonconvex() {
    check_problems(Loss::Logistic, Coupling::Nonconvex, 5);
}

#[test]
fn squared_bilinear() {
    check_problems(Loss::Squared, Coupling::Bilinear, 6);
}

#[test]
fn logistic_bilinear() {
    check_problems(Loss::Logistic, Coupling::Bilinear, 7);
}
