#!/usr/bin/env bash
# Times every kernel configuration (forced with `w4a16 bench --config`) over the
# LLM shapes, next to the dispatcher's choice: the data the dispatcher's M
# buckets are fitted to.  Run on a GPU machine from the repo root:
#
#   bash scripts/config_sweep.sh [BUILD_DIR] [OUTDIR]
#
# Writes OUTDIR/sweep-<config>.json (default OUTDIR: $OUT or bench/results).
set -euo pipefail
build="${1:-build-gpu}"
outdir="${2:-${OUT:-bench/results}}"
cli="$build/tools/cli/w4a16"
mkdir -p "$outdir"

shapes_for() {  # the M range where a configuration could plausibly win
  local ms="$1" out="" m nk
  for m in $ms; do
    for nk in 4096x4096 14336x4096 4096x14336; do out+="${m}x${nk},"; done
  done
  printf '%s' "${out%,}"
}

run() {  # name, M list
  local name="$1" ms="$2"
  echo "== config $name, M in {$ms}"
  "$cli" bench --quick --repeats 10 --config "$name" --shapes "$(shapes_for "$ms")" --json "$outdir/sweep-$name.json"
}

run rdq_m16n128k128s6 "1 16 32 64"
run rdq_m64n128k64s4 "16 32 64 128 256"
run sdq_m64n128k64s4 "32 64 128 256 1024"
run sdq_m128n128k64s4 "64 128 256 1024 4096"
echo "== dispatcher"
"$cli" bench --quick --repeats 10 --shapes all --json "$outdir/sweep-dispatch.json"
