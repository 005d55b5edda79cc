#!/usr/bin/env bash
# Times every kernel configuration (forced with `w4a16 bench --config`) over
# the LLM shapes and a fine M grid, next to the dispatcher's choice: the data
# the dispatcher's M buckets are fitted to (scripts/fit_dispatch.py).  Run on a
# GPU machine from the repo root:
#
#   bash scripts/config_sweep.sh [BUILD_DIR] [OUTDIR] [CONFIG...]
#
# Writes OUTDIR/sweep-<config>.json (default OUTDIR: $OUT or bench/results);
# with no CONFIG, every configuration plus "dispatch" (NAME:SPLIT forces a
# split).  Each configuration is timed only over the M range it accepts or
# could plausibly win, or over M_RANGE="lo hi" when set.  Shapes are
# ordered (N, K)-major so the bench quantizes each weight matrix once.
set -uo pipefail
build="${1:-build-gpu}"
outdir="${2:-${OUT:-bench/results}}"
shift 2 2>/dev/null || shift $#
cli="$build/tools/cli/w4a16"
mkdir -p "$outdir"

M_ALL="1 2 3 4 6 8 12 16 24 32 48 64 96 128 192 256 384 512 768 1024 1536 2048 3072 4096 6144 8192"
ms_between() {  # lo hi: the grid points in [lo, hi]
  local m out=""
  for m in $M_ALL; do ((m >= $1 && m <= $2)) && out+="$m "; done
  printf '%s' "$out"
}
m_range_of() {
  if [[ -n ${M_RANGE:-} ]]; then ms_between $M_RANGE; return; fi  # "lo hi" overrides the per-configuration range
  case "$1" in
    dec_m8*) ms_between 1 8 ;;
    dec_m16*) ms_between 8 32 ;;
    rdq_m16*) ms_between 1 64 ;;
    rdq_m64*) ms_between 16 256 ;;
    sdq_*) ms_between 64 2048 ;;
    sm90_*m256*) ms_between 128 8192 ;;
    sm90_*m64k*) ms_between 16 2048 ;;
    sm90_*) ms_between 16 8192 ;;
    dispatch) ms_between 1 8192 ;;
  esac
}
shapes_for() {  # M list -> (N, K)-major shape list
  local out="" m nk
  for nk in 4096x4096 14336x4096 4096x14336; do
    for m in $1; do out+="${m}x${nk},"; done
  done
  printf '%s' "${out%,}"
}

configs=("$@")
if ((${#configs[@]} == 0)); then
  configs=(sm90_coop_n128m128k64 sm90_coop_n128m64k64 sm90_pp_n64m128k64 sm90_coop_n128m128k64_sk
           sm90_coop_n128m128k64_c2 dispatch dec_m8n16k128s3w8 dec_m8n32k128s2w8 dec_m8n32k128s2w4
           dec_m8n32k128s2w2 dec_m16n32k128s2w8 dec_m16n32k128s2w4 dec_m16n32k128s2w2 rdq_m16n128k128s6
           rdq_m64n128k64s4 sdq_m128n128k64s4)
fi
status=0
for name in "${configs[@]}"; do
  ms=$(m_range_of "$name")
  echo "== $name, M in {$ms}"
  force=(--config "$name")
  [[ $name == dispatch ]] && force=()
  "$cli" bench --quick --repeats 10 "${force[@]}" --shapes "$(shapes_for "$ms")" \
    --json "$outdir/sweep-$name.json" | grep -E "^ +[0-9]|FAIL|error" || status=1
done
exit $status
