"""Run a small stability sweep from Python and plot its curve with matplotlib.

    pip install target/wheels/sbo-*.whl matplotlib
    python examples/python/stability_curve.py [OUT.png]

ssgd at two step sizes on a synthetic strongly convex problem, 8 seeds x (1 base + 4
neighbours, one validation sample replaced): the mean distance between the base run and its
neighbours, |(x, y) - (x', y')|, against iterations, with its 95 % interval over seeds.
"""

import sys

import sbo

config = {
    "name": "stability-from-python",
    "problem": {"preset": "sc-sc", "lam_y": 0.01},
    "data": {"kind": "synthetic", "d": 8, "n_lower": 400, "n_upper": 100, "n_pool": 50, "kappa": 10.0},
    "run": {"steps": 400, "log_every": 20, "seeds": 8, "neighbours": 4, "replace": "upper"},
    "report": {"plots": False},
    "algo": [{"name": "ssgd", "alpha": [0.02, 0.08], "beta": 0.1, "batch": 16}],
}

result = sbo.run(config, progress=False)
curve = result.metric("dist_xy")
print(curve[["config", "t", "mean", "ci_low", "ci_high", "count"]].tail(4).to_string(index=False))

try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    print("matplotlib is not installed: no figure")
    sys.exit(0)

fig, ax = plt.subplots(figsize=(6, 4))
for label, c in curve.groupby("config"):
    ax.plot(c["t"], c["mean"], label=label)
    ax.fill_between(c["t"], c["ci_low"], c["ci_high"], alpha=0.2)
ax.set_xlabel("iteration t")
ax.set_ylabel("|(x, y) - (x', y')|, mean over neighbours")
ax.set_title("argument stability of ssgd (95 % interval over 8 seeds)")
ax.legend()
out = sys.argv[1] if len(sys.argv) > 1 else "stability_curve.png"
fig.savefig(out, dpi=120, bbox_inches="tight")
print(f"figure: {out}")
