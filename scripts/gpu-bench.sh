#!/usr/bin/env bash
# gpu-bench.sh: measure sbo's GPU backend on a machine that has an NVIDIA GPU but no Rust
# toolchain and no Vulkan loader (the device machines of this workplace).
#
#   scripts/gpu-bench.sh prepare    # here: build, fill .bench-carry/ and .gl/
#   scripts/gpu-bench.sh run [ARGS] # there: unpack loaders, run `sbo info` and the bench
#
# How a session uses it with the device tool
# -------------------------------------------
# The device tool sends the checkout the session was started in (not a helper's worktree), so
# run `prepare` in THAT checkout's root (a copy of this script there works the same):
#
#   1. scripts/gpu-bench.sh prepare
#        builds `sbo` in release mode, copies it and data/ijcnn1.{trn,tst}.bz2 into .bench-carry/,
#        and downloads the amd64 Vulkan/GL loader .debs into .gl/ (apt-get download, the
#        recipe of the device README). Both folders are ignored by git; together ~25 MB, well
#        under the 64 MiB a call may carry.
#   2. device tool `run` with
#        carry:   [".gl", ".bench-carry"]
#        command: bash .bench-carry/gpu-bench.sh run
#        timeout_s: 600
#      (or with bench arguments: `bash .bench-carry/gpu-bench.sh run --lanes 1024,65536`).
#      The script copies itself into .bench-carry, so it runs there even if scripts/ differs.
#   3. The results come back under the reply's files_at: bench.json (the BenchReport),
#      bench.txt (the table and progress), bench-lane-threads.{json,txt} (ssaid-ijcnn1 and
#      tsgd-ijcnn1 with a thread per lane), bench-mnist{,-mlp}.{json,txt} (MNIST hyper-cleaning
#      at 1,024 lanes, its network twin at 256), info.txt (`sbo info`), verify.txt (`sbo verify` on the sc-sc, c-c,
#      multinomial-mnist, hyper-cleaning-mnist and every-solver-mnist-cleaning-mlp configs and the sc-sc
#      solver study), peers.txt / peers.json (benchmarks/peers/compare.py: sbo
#      against the JAX peer on the same GPU, when the device's python has JAX), device.txt
#      (nvidia-smi, driver, date, host).
#
# On the device `run` does: `for f in .gl/*.deb; do dpkg -x $f /; done; ldconfig`, points the
# loader at NVIDIA's ICD (VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
# when that file exists), then `./sbo info`, `./sbo verify` on six configs (one with a thread per lane) and a study,
# `./sbo bench --json`, the MNIST hyper-cleaning bench and the JAX peers, with the results in
# $OUT, or in benchmarks/ when $OUT is unset; the steps are time-boxed (25 s per verify, 165 s
# bench, 50 s lane-threads bench, 45 + 35 s MNIST benches, 70 s peers: 540 s at worst) so the
# whole run stays under 9 minutes.
# Only x86-64 builds travel: `prepare` refuses on another architecture.

set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# The repository root: the script lives in scripts/ or in .bench-carry/.
root="$(cd "$here/.." && pwd)"
carry="$root/.bench-carry"

prepare() {
    cd "$root"
    if [ "$(uname -m)" != "x86_64" ]; then
        echo "gpu-bench: the device machines are x86-64; build there or on an x86-64 host" >&2
        exit 1
    fi
    local target="${CARGO_TARGET_DIR:-$root/target}"
    cargo build --release --bin sbo
    rm -rf "$carry"
    mkdir -p "$carry/data"
    cp "$target/release/sbo" "$carry/sbo"
    strip "$carry/sbo" 2>/dev/null || true
    cp data/ijcnn1.trn.bz2 data/ijcnn1.tst.bz2 data/t10k-images-idx3-ubyte.gz \
        data/t10k-labels-idx1-ubyte.gz "$carry/data/"
    cp "$root/scripts/gpu-bench.sh" "$carry/gpu-bench.sh"
    git -C "$root" rev-parse HEAD >"$carry/commit.txt" 2>/dev/null || echo unknown >"$carry/commit.txt"

    # Vulkan / GL loaders for the device (amd64 .debs, unpacked there with dpkg -x).
    if ! ls .gl/libvulkan1_*.deb >/dev/null 2>&1; then
        mkdir -p .gl /tmp/amd64/partial
        local o=(-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64)
        apt-get "${o[@]}" update
        (cd .gl && apt-get "${o[@]}" download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2)
    fi
    # Keep both folders out of git even in checkouts whose .gitignore predates them.
    if [ -d .git ] || [ -f .git ]; then
        local excl
        excl="$(git rev-parse --git-path info/exclude)"
        mkdir -p "$(dirname "$excl")"
        for p in /.gl/ /.bench-carry/; do
            grep -qxF "$p" "$excl" 2>/dev/null || echo "$p" >>"$excl"
        done
    fi
    du -sh "$carry" .gl
    echo "gpu-bench: ready. Device tool: carry [\".gl\", \".bench-carry\"], command: bash .bench-carry/gpu-bench.sh run"
}

run() {
    cd "$root"
    local out="${OUT:-$root/benchmarks}"
    mkdir -p "$out"
    if ! ldconfig -p 2>/dev/null | grep -q libvulkan.so.1; then
        for f in .gl/*.deb; do dpkg -x "$f" /; done
        ldconfig
    fi
    local icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
    if [ -f "$icd" ]; then
        export VK_DRIVER_FILES="$icd"
        export __EGL_VENDOR_LIBRARY_FILENAMES=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
    fi
    cd "$carry"
    {
        echo "date: $(date -u '+%Y-%m-%d %H:%M:%S') UTC"
        echo "host: $(hostname)"
        echo "kernel: $(uname -r)"
        echo "sbo commit: $(cat commit.txt 2>/dev/null || echo unknown)"
        echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //') ($(nproc) logical CPUs)"
        echo "VK_DRIVER_FILES: ${VK_DRIVER_FILES:-unset}"
        if command -v nvidia-smi >/dev/null; then
            nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm,clocks.max.mem --format=csv || true
            nvidia-smi || true
        else
            echo "nvidia-smi: not found"
        fi
    } >"$out/device.txt" 2>&1
    ./sbo info >"$out/info.txt" 2>&1 || true
    cat "$out/info.txt"
    # The GPU against the CPU reference on two short studies, on every solver's kernel (the
    # solver study on sc-sc) and on the multinomial kernel with spilled lanes (MNIST's 7,840
    # weights: the storage barriers lavapipe cannot test) (exit 2: a tolerance exceeded).
    for c in configs/sc-sc configs/c-c studies/solvers-sc-sc configs/multinomial-mnist \
        configs/hyper-cleaning-mnist; do
        echo "== sbo verify examples/$c.toml --steps 200" >>"$out/verify.txt"
        (cd "$root" && timeout 25 "$carry/sbo" verify "examples/$c.toml" --steps 200) \
            >>"$out/verify.txt" 2>&1 || echo "verify $c: exit $?" >>"$out/verify.txt"
    done
    # Every solver's kernel on the three new problems at once (weights, classes, network;
    # spilled lanes), over the config's 12 steps: a network's trajectories part further in f32
    # the longer they run.
    c=configs/every-solver-mnist-cleaning-mlp
    echo "== sbo verify examples/$c.toml" >>"$out/verify.txt"
    (cd "$root" && timeout 25 "$carry/sbo" verify "examples/$c.toml") >>"$out/verify.txt" 2>&1 ||
        echo "verify $c: exit $?" >>"$out/verify.txt"
    # The thread-per-lane kernels (run.gpu_lane_threads): ssaid's on the ssaid config (d = 10).
    c=configs/ssaid
    echo "== sbo verify examples/$c.toml --steps 200 --gpu-lane-threads" >>"$out/verify.txt"
    (cd "$root" && timeout 25 "$carry/sbo" verify "examples/$c.toml" --steps 200 \
        --gpu-lane-threads) >>"$out/verify.txt" 2>&1 || echo "verify $c threads: exit $?" >>"$out/verify.txt"
    cat "$out/verify.txt"
    local bench=(./sbo bench)
    # Issue 10's range by default: 1,024 to 1,048,576 lanes (the CPU rows stay at 1,024).
    if [ $# -eq 0 ]; then set -- --lanes 1024,16384,262144,1048576; fi
    echo "gpu-bench: running ${bench[*]} --json $*"
    # JSON on stdout; the table and progress on stderr. Budget: the whole recipe under 9 min.
    if timeout 165 "${bench[@]}" --json "$@" >"$out/bench.json" 2>"$out/bench.txt"; then
        echo "gpu-bench: ok"
    else
        echo "gpu-bench: bench failed (exit $?)" | tee -a "$out/bench.txt"
    fi
    cat "$out/bench.txt"
    # The other mapping of ssaid and tsgd (a thread per lane instead of a workgroup; issue 10's
    # choice by measurement), GPU rows only.
    timeout 50 ./sbo bench --workloads ijcnn1 --backend gpu --gpu-lane-threads --json \
        --lanes 1024,65536,1048576 --steps 32 \
        >"$out/bench-lane-threads.json" 2>"$out/bench-lane-threads.txt" ||
        echo "gpu-bench: lane-threads bench exit $?" >>"$out/bench-lane-threads.txt"
    cat "$out/bench-lane-threads.txt"
    # Issue 14's scale: MNIST hyper-cleaning (5,000 per-sample weights and 7,840 model weights
    # per lane, spilled lanes) at 1,024 lanes on the GPU, then its network twin (25,450
    # weights per lane) at 256 lanes.
    timeout 45 ./sbo bench --workloads ssaid-mnist-cleaning --backend gpu --lanes 1024 \
        --steps 16 --json >"$out/bench-mnist.json" 2>"$out/bench-mnist.txt" ||
        echo "gpu-bench: mnist bench exit $?" >>"$out/bench-mnist.txt"
    cat "$out/bench-mnist.txt"
    timeout 35 ./sbo bench --workloads ssaid-mnist-cleaning-mlp --backend gpu --lanes 256 \
        --steps 8 --json >"$out/bench-mnist-mlp.json" 2>"$out/bench-mnist-mlp.txt" ||
        echo "gpu-bench: mnist mlp bench exit $?" >>"$out/bench-mnist-mlp.txt"
    cat "$out/bench-mnist-mlp.txt"
    # The JAX peers on the same GPU, paired with sbo bench run for run (benchmarks/peers).
    local py="${PEER_PYTHON:-python3}"
    if "$py" -c "import jax" 2>/dev/null; then
        (cd "$root" && timeout 70 "$py" benchmarks/peers/compare.py --sbo "$carry/sbo" \
            --backend gpu --lanes 1024,65536 --steps 64 --reps 2 --json "$out/peers.json" \
            ssaid-ijcnn1 tsgd-ijcnn1) >"$out/peers.txt" 2>&1 || echo "peers: exit $?" >>"$out/peers.txt"
    else
        echo "peers: no JAX in $py" >"$out/peers.txt"
    fi
    cat "$out/peers.txt"
    ls -la "$out"
}

case "${1:-}" in
    prepare) shift; prepare "$@" ;;
    run) shift; run "$@" ;;
    *)
        echo "usage: $0 prepare | run [bench arguments]" >&2
        exit 2
        ;;
esac
