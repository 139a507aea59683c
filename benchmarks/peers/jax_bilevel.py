"""JAX peers of `sbo bench`'s standard workloads, written the way a JAX user would.

Each lane is an independent run of ssaid (SOBA form) or tsgd (T = 4, truncated back-propagation
through the inner steps, warm-started) with its own PRNG key; the lanes are vectorised with
`jax.vmap`, the outer steps run under `jax.lax.scan`, and the whole run is one `jax.jit`.
Gradients, Hessian-vector and Jacobian-vector products come from autodiff (`jax.grad`,
`jax.jvp`, `jax.vjp`), not hand-written formulas: that is the peer's point.

The workloads match `src/bench/workloads.rs`: batch 32 at both levels, f32, step sizes 0.1
(ijcnn1) and 0.05 (quad256) for alpha, beta and gamma;
- ijcnn1: the first 5,000 rows of data/ijcnn1.trn.bz2 lower and the next 1,000 upper (sbo
  takes a seeded shuffle: the same shapes and cost), d = 22, logistic loss, per-feature log
  ridge weights r = exp(x) y^2 / 2, lam_y = 1e-3, nu = 0 (sbo's c-c preset);
- quad256: synthetic, d = 256, 5,000 lower and 1,000 upper samples with covariance spectrum
  [0.1, 1], squared loss, prior coupling r = (mu / 2)|y - x|^2 with mu = 1, nu = 0.1 (sc-sc).

Timing: the run is compiled and run once untimed (warm-up), then run again with fresh keys and
timed to `block_until_ready`; lane-steps/s = lanes x steps / seconds, stepping only, as
`sbo bench` reports it. Prints one JSON object.

Usage: python jax_bilevel.py WORKLOAD LANES STEPS  (WORKLOAD: ssaid-ijcnn1, tsgd-ijcnn1,
ssaid-quad256, tsgd-quad256)
"""

import bz2
import json
import sys
import time
from functools import partial
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

BATCH = 32
N_LOWER, N_UPPER = 5000, 1000
T_INNER = 4


def read_libsvm(path, dim, rows):
    """The first `rows` rows of a LIBSVM file (1-based indices) as dense f32, labels in +-1."""
    a = np.zeros((rows, dim), np.float32)
    b = np.zeros(rows, np.float32)
    with bz2.open(path, "rt") as f:
        for i, line in enumerate(f):
            if i == rows:
                break
            parts = line.split()
            b[i] = 1.0 if float(parts[0]) > 0 else -1.0
            for tok in parts[1:]:
                j, v = tok.split(":")
                a[i, int(j) - 1] = float(v)
    return a, b


def ijcnn1_problem():
    root = Path(__file__).resolve().parents[2]
    a, b = read_libsvm(root / "data" / "ijcnn1.trn.bz2", 22, N_LOWER + N_UPPER)
    lam_y, nu = 1e-3, 0.0

    def loss(z, t):
        return jax.nn.softplus(-t * z)  # logistic loss of margin t z, stable

    def g(x, y, a, b):
        return jnp.mean(loss(a @ y, b)) + 0.5 * jnp.sum(jnp.exp(x) * y * y) + 0.5 * lam_y * y @ y

    def f(x, y, a, b):
        return jnp.mean(loss(a @ y, b)) + 0.5 * nu * x @ x

    return (a[:N_LOWER], b[:N_LOWER]), (a[N_LOWER:], b[N_LOWER:]), g, f, 0.1


def quad256_problem():
    d = 256
    rng = np.random.default_rng(0)
    s = np.geomspace(0.1, 1.0, d)
    w = rng.standard_normal(d)

    def sample(n):
        a = rng.standard_normal((n, d)) * np.sqrt(s)
        return a.astype(np.float32), (a @ w + 0.1 * rng.standard_normal(n)).astype(np.float32)

    mu, nu = 1.0, 0.1

    def g(x, y, a, b):
        r = a @ y - b
        return 0.5 * jnp.mean(r * r) + 0.5 * mu * jnp.sum((y - x) ** 2)

    def f(x, y, a, b):
        r = a @ y - b
        return 0.5 * jnp.mean(r * r) + 0.5 * nu * x @ x

    return sample(N_LOWER), sample(N_UPPER), g, f, 0.05


def batch(key, data):
    a, b = data
    i = jax.random.randint(key, (BATCH,), 0, a.shape[0])
    return a[i], b[i]


def ssaid_step(g, f, lower, upper, step, carry, key):
    """One SOBA step at (x, y, v): all three directions at the same point, one lower batch."""
    x, y, v = carry
    kl, ku = jax.random.split(key)
    al, bl = batch(kl, lower)
    au, bu = batch(ku, upper)
    gy = partial(jax.grad(g, argnums=1), a=al, b=bl)
    grad_y_g, hv = jax.jvp(lambda yy: gy(x, yy), (y,), (v,))
    _, cross = jax.vjp(lambda xx: gy(xx, y), x)
    (jv,) = cross(v)
    fx, fy = jax.grad(f, argnums=(0, 1))(x, y, au, bu)
    return (x - step * (fx - jv), y - step * grad_y_g, v - step * (hv - fy)), None


def tsgd_step(g, f, lower, upper, step, carry, key):
    """T warm-started inner SGD steps, then the hypergradient by reverse mode through them."""
    x, y, v = carry
    keys = jax.random.split(key, T_INNER + 1)
    inner = [batch(k, lower) for k in keys[:T_INNER]]
    au, bu = batch(keys[T_INNER], upper)

    def y_t(xx):
        yy = jax.lax.stop_gradient(y)
        for al, bl in inner:
            yy = yy - step * jax.grad(g, argnums=1)(xx, yy, al, bl)
        return yy

    def upper_loss(xx):
        yt = y_t(xx)
        return f(xx, yt, au, bu), yt

    h, yt = jax.grad(upper_loss, has_aux=True)(x)
    return (x - step * h, yt, v), None


def run(workload, lanes, steps):
    algo, data = workload.split("-", 1)
    lower, upper, g, f, step = {"ijcnn1": ijcnn1_problem, "quad256": quad256_problem}[data]()
    lower = tuple(jnp.asarray(t) for t in lower)
    upper = tuple(jnp.asarray(t) for t in upper)
    one = {"ssaid": ssaid_step, "tsgd": tsgd_step}[algo]
    d = lower[0].shape[1]

    def lane(key):
        body = partial(one, g, f, lower, upper, step)
        z = jnp.zeros(d, jnp.float32)
        (x, y, _), _ = jax.lax.scan(body, (z, z, z), jax.random.split(key, steps))
        return x, y

    sweep = jax.jit(jax.vmap(lane))
    t0 = time.perf_counter()
    jax.block_until_ready(sweep(jax.random.split(jax.random.PRNGKey(0), lanes)))
    compile_and_first = time.perf_counter() - t0
    t0 = time.perf_counter()
    x, _ = jax.block_until_ready(sweep(jax.random.split(jax.random.PRNGKey(1), lanes)))
    seconds = time.perf_counter() - t0
    return {
        "workload": workload,
        "peer": "jax",
        "jax": jax.__version__,
        "device": str(jax.devices()[0].device_kind),
        "lanes": lanes,
        "steps": steps,
        "seconds": seconds,
        "warmup_seconds": compile_and_first,
        "lane_steps_per_s": lanes * steps / seconds,
        "finite": bool(jnp.all(jnp.isfinite(x))),
    }


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    print(json.dumps(run(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))))
