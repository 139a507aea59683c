#!/usr/bin/env bash
# Makes benchmarks/peers/.venv with JAX (CPU) from the package registry, for compare.py's
# --python. Not part of CI. On a machine whose python already has JAX (for CUDA, say), skip
# this and pass that python instead.
set -euo pipefail
cd "$(dirname "$0")"
python3 -m venv .venv
.venv/bin/pip install --quiet --upgrade pip
.venv/bin/pip install --quiet "jax[cpu]" numpy
.venv/bin/python -c "import jax; print('jax', jax.__version__, jax.devices())"
