#!/usr/bin/env bash
# Runs every study under examples/studies (or those named on the command line), writes each
# run to runs/studies/NAME, and copies its report, summary and figures to docs/figures/NAME.
# Wall-clock seconds per study go to runs/studies/times.tsv. Usage:
#   scripts/run-studies.sh [--backend cpu|gpu|auto] [NAME ...]
set -euo pipefail
cd "$(dirname "$0")/.."
SBO=${SBO:-target/release/sbo}
backend=auto
if [[ "${1:-}" == "--backend" ]]; then backend=$2; shift 2; fi
[[ -x "$SBO" ]] || cargo build --release
names=("$@")
if [[ ${#names[@]} -eq 0 ]]; then
  for f in examples/studies/*.toml; do names+=("$(basename "$f" .toml)"); done
fi
mkdir -p runs/studies
for n in "${names[@]}"; do
  out=runs/studies/$n
  rm -rf "$out"
  start=$SECONDS
  "$SBO" run "examples/studies/$n.toml" --out "$out" --backend "$backend" -q
  printf '%s\t%s\t%d\n' "$n" "$backend" $((SECONDS - start)) | tee -a runs/studies/times.tsv
  dest=docs/figures/$n
  rm -rf "$dest"
  mkdir -p "$dest"
  cp "$out/report.md" "$out/summary.json" "$dest/"
  [[ -f "$out/time_to_target.csv" ]] && cp "$out/time_to_target.csv" "$dest/"
  [[ -d "$out/figures" ]] && cp -r "$out/figures" "$dest/"
done
