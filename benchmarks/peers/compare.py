"""sbo against its JAX peer on the same workload, back to back, repeated: the ratio of
lane-steps per second (sbo / JAX), median over the repetitions.

Each repetition runs the peer (`jax_bilevel.py`, in its own process) and then `sbo bench` on
the same workload, lane count and step count; pairing the two in time keeps the ratio
meaningful when a shared machine's speed drifts. Both numbers count stepping only (the peer
excludes its compile and first run, sbo its upload and pipeline creation).

Usage:
  python compare.py [--sbo PATH] [--python PY] [--backend cpu|gpu] [--lanes 1024,4096]
                    [--steps 64] [--reps 5] [--json OUT] WORKLOAD [WORKLOAD ...]

`--python` is the interpreter with JAX (default: this one). `benchmarks/peers/setup.sh` makes
a virtual environment with JAX from the package registry; on a machine with JAX for CUDA
already installed, pass that python. With `--backend gpu` sbo runs on its GPU backend; the
peer runs on JAX's default device (a GPU when JAX has one). Workloads: ssaid-ijcnn1,
tsgd-ijcnn1, ssaid-quad256, tsgd-quad256. Run from anywhere; paths resolve from this file.
"""

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


def peer(python, workload, lanes, steps):
    out = subprocess.run(
        [python, str(HERE / "jax_bilevel.py"), workload, str(lanes), str(steps)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def sbo(binary, backend, workload, lanes, steps, extra=()):
    cmd = [binary, "bench", "--backend", backend, "--lanes", str(lanes), "--workloads",
           workload, "--json", *extra]
    if backend == "cpu":
        cmd += ["--cpu-steps", str(steps), "--cpu-max-lanes", str(lanes)]
    else:
        cmd += ["--steps", str(steps)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=ROOT)
    rows = [r for r in json.loads(out.stdout)["rows"]
            if r["workload"] == workload and r["backend"] == backend and r["status"] == "ok"]
    if not rows:
        raise RuntimeError(f"sbo bench gave no {backend} row for {workload}: {out.stdout}")
    return rows[0]


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("workloads", nargs="+")
    ap.add_argument("--sbo", default=str(ROOT / "target" / "release" / "sbo"))
    ap.add_argument("--python", default=sys.executable)
    ap.add_argument("--backend", choices=["cpu", "gpu"], default="cpu")
    ap.add_argument("--lanes", default="1024,4096")
    ap.add_argument("--steps", type=int, default=64)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--json", help="also write every measurement here")
    ap.add_argument("--lanes-alone", action="store_true",
                    help="CPU: also time sbo stepping every lane alone (--no-lane-packs) in "
                         "each repetition, and print the packs' speed-up over it")
    a = ap.parse_args()

    records = []
    print(f"{'workload':<15} {'lanes':>7} {'sbo lane-steps/s':>17} {'jax lane-steps/s':>17} "
          f"{'sbo/jax':>8}  (medians of {a.reps}; ratio range)")
    for w in a.workloads:
        for lanes in [int(x) for x in a.lanes.split(",")]:
            pairs = []
            alone_rates = []
            for _ in range(a.reps):
                p = peer(a.python, w, lanes, a.steps)
                s = sbo(a.sbo, a.backend, w, lanes, a.steps)
                pairs.append((s["lane_steps_per_s"], p["lane_steps_per_s"]))
                rec = {"workload": w, "lanes": lanes, "steps": a.steps,
                       "backend": a.backend, "sbo": s, "jax": p}
                if a.lanes_alone:
                    alone = sbo(a.sbo, a.backend, w, lanes, a.steps, ["--no-lane-packs"])
                    rec["sbo_lanes_alone"] = alone
                    alone_rates.append(alone["lane_steps_per_s"])
                records.append(rec)
                if a.json:  # after every repetition: a time-boxed run keeps what it measured
                    Path(a.json).write_text(json.dumps(records, indent=1))
            ratios = [s / j for s, j in pairs]
            print(f"{w:<15} {lanes:>7} {statistics.median(s for s, _ in pairs):>17.4g} "
                  f"{statistics.median(j for _, j in pairs):>17.4g} "
                  f"{statistics.median(ratios):>8.3g}  [{min(ratios):.3g}, {max(ratios):.3g}]",
                  flush=True)
            if alone_rates:
                packs = [s / r for (s, _), r in zip(pairs, alone_rates)]
                print(f"  packs / lanes alone: {statistics.median(packs):.3g} "
                      f"[{min(packs):.3g}, {max(packs):.3g}], lanes alone "
                      f"{statistics.median(alone_rates):.4g} lane-steps/s", flush=True)


if __name__ == "__main__":
    main()
