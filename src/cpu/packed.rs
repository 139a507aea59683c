//! Lanes stepped [`PACK`] at a time (`run.lane_packs`): a seed's base lane and its neighbours,
//! under every configuration that differs from the others only in step sizes, draw the same
//! batches, so they advance together as [`LaneState`]s of [`Pack`]s whose oracles read each
//! batch row once for all of them. Lane by lane the
//! arithmetic is the one-lane step's, so every lane ends bit for bit where stepping it alone
//! ends; the engine's divergence rule (a lane beyond the bound stops at its iterate before
//! the interval) is applied per lane after each interval.
//!
//! Owns: the packs of one cohort and their per-lane bookkeeping. Must not know: metrics,
//! records or files (the engine reads lanes back through [`Packs::lane`]).

use crate::algo::{advance_with, descriptor::StepFn, AlgoConfig, LaneState, OracleCounts};
use crate::data::{DataView, Replacement};
use crate::problem::{Oracles, ProblemSpec};
use crate::real::{Pack, Real, PACK};
use crate::rng::LaneRng;
use std::time::Instant;

/// One lane's state read out of its pack (or kept since it diverged).
#[derive(Clone, Debug)]
pub(super) struct LaneCopy<T> {
    pub x: Vec<T>,
    pub y: Vec<T>,
    pub v: Vec<T>,
    pub m: Vec<T>,
    pub counts: OracleCounts,
}

pub(super) struct Packs<'s, T: Real> {
    spec: &'s ProblemSpec,
    lower: DataView<'s>,
    upper: DataView<'s>,
    /// Lane i's replaced lower and upper samples (`None` for the base lane and for the
    /// padding lanes that fill the last pack, which repeat the base lane).
    repl_lower: Vec<Option<Replacement<'s>>>,
    repl_upper: Vec<Option<Replacement<'s>>>,
    /// The real lanes (the last pack may be part padding).
    lanes: usize,
    packs: Vec<LaneState<Pack<T>>>,
    /// The configuration each pack's step runs (its first lane's; the others differ from it
    /// only in the settings `LaneState::lane_configs` carries).
    pack_cfg: Vec<AlgoConfig>,
    step: StepFn<Pack<T>>,
    /// x, y and v of the pack being advanced as they were before its interval.
    kept: [Vec<Pack<T>>; 3],
    /// Lanes that diverged: their iterate before the diverging interval (memory and counts as
    /// that interval left them), written back into their slot after every interval.
    frozen: Vec<Option<LaneCopy<T>>>,
}

impl<'s, T: Real> Packs<'s, T> {
    /// The packs of lanes where lane i runs `configs[i]` (all [`AlgoConfig::same_batches`])
    /// and replaces `repl[i]`, all starting at (x0, y0).
    pub fn new(
        configs: &[&AlgoConfig],
        step: StepFn<Pack<T>>,
        base: Oracles<'s>,
        repl: Vec<(Option<Replacement<'s>>, Option<Replacement<'s>>)>,
        x0: &[T],
        y0: &[T],
    ) -> Self {
        let lanes = repl.len();
        debug_assert_eq!(configs.len(), lanes);
        let n_packs = lanes.div_ceil(PACK);
        let mut repl_lower = vec![None; n_packs * PACK];
        let mut repl_upper = vec![None; n_packs * PACK];
        for (i, (l, u)) in repl.into_iter().enumerate() {
            repl_lower[i] = l;
            repl_upper[i] = u;
        }
        let splat = |v: &[T]| -> Vec<Pack<T>> { v.iter().map(|&a| Pack::splat(a)).collect() };
        let (px, py) = (splat(x0), splat(y0));
        let mut packs = Vec::with_capacity(n_packs);
        let mut pack_cfg = Vec::with_capacity(n_packs);
        for p in 0..n_packs {
            // Padding lanes repeat the pack's first lane's configuration.
            let of_lane: Vec<AlgoConfig> = (0..PACK)
                .map(|k| configs.get(p * PACK + k).unwrap_or(&configs[p * PACK]))
                .map(|c| (*c).clone())
                .collect();
            let cfg = of_lane[0].clone();
            let mut state = LaneState::new(&cfg, &base, &px, &py);
            if of_lane.iter().any(|c| *c != cfg) {
                state.lane_configs = of_lane;
            }
            packs.push(state);
            pack_cfg.push(cfg);
        }
        let (p, d) = (x0.len(), y0.len());
        Packs {
            spec: base.spec,
            lower: base.lower,
            upper: base.upper,
            repl_lower,
            repl_upper,
            lanes,
            packs,
            pack_cfg,
            step,
            kept: [
                vec![Pack::default(); p],
                vec![Pack::default(); d],
                vec![Pack::default(); d],
            ],
            frozen: vec![None; lanes],
        }
    }

    /// Advances every pack with a lane still running by `steps`; a lane beyond `bound`
    /// diverged at `t` (recorded in `diverged_at`). Each lane that was running adds its share
    /// of its pack's stepping seconds to `seconds` (a frozen lane's clock stops, as alone).
    pub fn advance(
        &mut self,
        rng: &LaneRng,
        steps: u64,
        t: u64,
        bound: f64,
        diverged_at: &mut [Option<u64>],
        seconds: &mut [f64],
    ) {
        for p in 0..self.packs.len() {
            let real = p * PACK..((p + 1) * PACK).min(self.lanes);
            if steps == 0 || real.clone().all(|i| diverged_at[i].is_some()) {
                continue;
            }
            let [kx, ky, kv] = &mut self.kept;
            let pack = &self.packs[p];
            kx.copy_from_slice(&pack.x);
            ky.copy_from_slice(&pack.y);
            kv.copy_from_slice(&pack.v);
            let t0 = Instant::now();
            let o = Oracles {
                spec: self.spec,
                lower: self
                    .lower
                    .for_lanes(&self.repl_lower[p * PACK..(p + 1) * PACK]),
                upper: self
                    .upper
                    .for_lanes(&self.repl_upper[p * PACK..(p + 1) * PACK]),
            };
            advance_with(
                self.step,
                &self.pack_cfg[p],
                &o,
                rng,
                &mut self.packs[p],
                steps,
            );
            // The interval's time goes to the lanes that were still running, as alone.
            let running = real.clone().filter(|&i| self.frozen[i].is_none()).count();
            let share = t0.elapsed().as_secs_f64() / running.max(1) as f64;
            for i in real {
                if self.frozen[i].is_none() {
                    seconds[i] += share;
                }
                let k = i - p * PACK;
                if self.frozen[i].is_none() && !self.within(p, k, bound) {
                    diverged_at[i] = Some(t);
                    let pack = &self.packs[p];
                    self.frozen[i] = Some(LaneCopy {
                        x: Pack::lane(&self.kept[0], k),
                        y: Pack::lane(&self.kept[1], k),
                        v: Pack::lane(&self.kept[2], k),
                        m: Pack::lane(&pack.m, k),
                        counts: pack.counts,
                    });
                }
                if let Some(f) = &self.frozen[i] {
                    write_lane(&mut self.packs[p], k, f);
                }
            }
        }
    }

    /// True when every coordinate of lane k of pack p lies in [-bound, bound] (NaN does not).
    fn within(&self, p: usize, k: usize, bound: f64) -> bool {
        let s = &self.packs[p];
        s.x.iter()
            .chain(&s.y)
            .chain(&s.v)
            .all(|a| a.0[k].as_f64().abs() <= bound)
    }

    /// Lane i as stepping it alone would have left it.
    pub fn lane(&self, i: usize) -> LaneCopy<T> {
        if let Some(f) = &self.frozen[i] {
            return f.clone();
        }
        let (s, k) = (&self.packs[i / PACK], i % PACK);
        LaneCopy {
            x: Pack::lane(&s.x, k),
            y: Pack::lane(&s.y, k),
            v: Pack::lane(&s.v, k),
            m: Pack::lane(&s.m, k),
            counts: s.counts,
        }
    }

    /// Sets lane i (a checkpoint's), at outer step `t`; a diverged lane stays frozen there.
    pub fn set_lane(&mut self, i: usize, lane: LaneCopy<T>, t: u64, diverged: bool) {
        let (s, k) = (&mut self.packs[i / PACK], i % PACK);
        write_lane(s, k, &lane);
        s.t = t;
        if diverged {
            self.frozen[i] = Some(lane);
        } else {
            // Lanes still running in one pack have taken the same steps: the same counts.
            s.counts = lane.counts;
            self.frozen[i] = None;
        }
    }

    /// Floats of x, y, v and memory per lane (what a checkpoint's lane must match).
    pub fn dims(&self) -> [usize; 4] {
        let s = &self.packs[0];
        [s.x.len(), s.y.len(), s.v.len(), s.m.len()]
    }
}

/// Writes `lane`'s x, y, v and memory into slot k of a pack.
fn write_lane<T: Real>(s: &mut LaneState<Pack<T>>, k: usize, lane: &LaneCopy<T>) {
    Pack::set_lane(&mut s.x, k, &lane.x);
    Pack::set_lane(&mut s.y, k, &lane.y);
    Pack::set_lane(&mut s.v, k, &lane.v);
    Pack::set_lane(&mut s.m, k, &lane.m);
}
