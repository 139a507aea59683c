"""Lane-steps per second against lanes, sbo and its JAX peer, from `compare.py --json` files.

Usage:
  python plot.py OUT.png RECORD.json [RECORD.json ...]

Each workload gets one panel: sbo (lane packs), sbo with every lane stepped alone (when the
record has `--lanes-alone` runs) and the peer, the median over repetitions at each lane count
with the range as a bar. Needs matplotlib (not part of CI; `pip install matplotlib` in the
peers' virtual environment).
"""

import json
import statistics
import sys
from collections import defaultdict

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main():
    out, files = sys.argv[1], sys.argv[2:]
    series = defaultdict(lambda: defaultdict(list))  # (workload, who) -> lanes -> rates
    meta = {}
    for f in files:
        for r in json.load(open(f)):
            w, n = r["workload"], r["lanes"]
            series[(w, "sbo, lane packs")][n].append(r["sbo"]["lane_steps_per_s"])
            series[(w, "JAX peer")][n].append(r["jax"]["lane_steps_per_s"])
            if "sbo_lanes_alone" in r:
                series[(w, "sbo, lanes alone")][n].append(
                    r["sbo_lanes_alone"]["lane_steps_per_s"])
            meta[w] = r["sbo"].get("device", "")
    workloads = sorted({w for w, _ in series})
    fig, axes = plt.subplots(1, len(workloads), figsize=(5 * len(workloads), 4), squeeze=False)
    for ax, w in zip(axes[0], workloads):
        for who, style in [("sbo, lane packs", "o-"), ("sbo, lanes alone", "s--"),
                           ("JAX peer", "^-")]:
            pts = series.get((w, who))
            if not pts:
                continue
            lanes = sorted(pts)
            med = [statistics.median(pts[n]) for n in lanes]
            lo = [m - min(pts[n]) for n, m in zip(lanes, med)]
            hi = [max(pts[n]) - m for n, m in zip(lanes, med)]
            ax.errorbar(lanes, med, yerr=[lo, hi], fmt=style, capsize=3, label=who)
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("lanes")
        ax.set_ylabel("lane-steps / s")
        ax.set_title(f"{w} ({meta.get(w, '')})", fontsize=9)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out, dpi=120)


if __name__ == "__main__":
    main()
