#!/usr/bin/env bash
# Issue #3's report on packed weights (w4a16PackWeights, then w4a16GemmForwardPacked), dispatched
# kernels, from a carried build-gpu: M = 1..64 on the 8B- and 70B-class layers with g = 128 and
# zero points, then group sizes 32 / 64 / per-channel and symmetric weights at M = 1 / 16 / 64.
# (g = 32 / 64 keep the canonical layout in the pack: docs/format.md, section 6.)
# Output: $OUT/decode-packed-*.{log,json}.
cli=build-gpu/tools/cli/w4a16
export W4A16_GIT_COMMIT=${W4A16_GIT_COMMIT:-unknown}
nvidia-smi --query-gpu=name,clocks.max.sm,temperature.gpu --format=csv,noheader > $OUT/gpu.txt 2>&1
shapes() {  # "M-list" "NxK-list" -> "MxNxK,..."
  local out=""
  for nk in $2; do for m in $1; do out+="${m}x${nk},"; done; done
  echo "${out%,}"
}
run() {  # name timeout args...
  local name=$1 t=$2; shift 2
  timeout "$t" $cli bench --quick --packed --json $OUT/decode-packed-$name.json "$@" > $OUT/decode-packed-$name.log 2>&1
  echo "rc=$?" >> $OUT/decode-packed-$name.log
}
run m 120 --shapes "$(shapes "1 2 4 8 16 24 32 48 64" "14336x4096 4096x14336 4096x4096")"
run 70b 90 --shapes "$(shapes "1 8 16 32 64" "28672x8192 8192x28672")"
g_shapes=$(shapes "1 16 64" "14336x4096 4096x14336")
run g32 60 --group 32 --shapes "$g_shapes"
run g64 60 --group 64 --shapes "$g_shapes"
run gK 60 --group K --shapes "$g_shapes"
run sym 60 --sym --shapes "$g_shapes"
grep -h "rc=" $OUT/decode-packed-*.log
