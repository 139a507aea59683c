#!/usr/bin/env bash
# Runs every study under examples/studies (or those named on the command line), writes each
# run to runs/studies/NAME, and copies its report, summary and SVG figures to
# docs/figures/NAME (the PNG twins stay in the run directory, to keep the repository small).
# Wall-clock seconds per study go to runs/studies/times.tsv. Usage:
#   scripts/run-studies.sh [--backend cpu|gpu|auto] [--report-only] [NAME ...]
# --report-only remakes figures and reports of runs already in runs/studies without running.
set -euo pipefail
cd "$(dirname "$0")/.."
SBO=${SBO:-target/release/sbo}
backend=auto
report_only=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --backend) backend=$2; shift 2 ;;
    --report-only) report_only=1; shift ;;
    *) break ;;
  esac
done
[[ -x "$SBO" ]] || cargo build --release
names=("$@")
if [[ ${#names[@]} -eq 0 ]]; then
  for f in examples/studies/*.toml; do names+=("$(basename "$f" .toml)"); done
fi
mkdir -p runs/studies
for n in "${names[@]}"; do
  out=runs/studies/$n
  if [[ $report_only == 1 ]]; then
    "$SBO" report "$out" > /dev/null
  else
    rm -rf "$out"
    start=$SECONDS
    "$SBO" run "examples/studies/$n.toml" --out "$out" --backend "$backend" -q
    printf '%s\t%s\t%d\n' "$n" "$backend" $((SECONDS - start)) | tee -a runs/studies/times.tsv
  fi
  dest=docs/figures/$n
  rm -rf "$dest"
  mkdir -p "$dest"
  cp "$out/report.md" "$out/summary.json" "$dest/"
  [[ -f "$out/time_to_target.csv" ]] && cp "$out/time_to_target.csv" "$dest/"
  mkdir -p "$dest/figures"
  cp "$out"/figures/*.svg "$dest/figures/" 2>/dev/null || true
  # The copy has no PNGs: drop the report's links to them.
  sed -i 's/ (\[PNG\]([^)]*))//' "$dest/report.md"
done
