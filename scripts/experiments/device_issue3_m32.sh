#!/usr/bin/env bash
# Issue #3 experiment: the 16-token decode tiles over 2..4 token tiles
# (M = 17..64) against the dispatched rdq_m64 / sm90 128x64 tiles.
# Output: $OUT/m32.log.  (The run of 2026-11-26 also tried racecheck with
# `--kernel-name-exclude kns=nvjet`: compute-sanitizer failed with an internal
# error; scripts/experiments/device_issue3_final.sh counts the non-nvjet hazards instead.)
cli=build-gpu/tools/cli/w4a16
S="24x14336x4096,32x14336x4096,48x14336x4096,64x14336x4096,24x4096x14336,32x4096x14336,48x4096x14336,64x4096x14336,24x4096x4096,32x4096x4096,64x4096x4096"
for c in dec_m16n32k128s2w2 dec_m16n32k128s2w4 dec_m16n32k128s2w8 dec_m8n32k128s2w4 dec_m8n16k128s3w8; do
  echo "== $c"; timeout 60 $cli bench --quick --config $c --shapes $S
done 2>&1 | grep -E "^==|sm80_" | cut -c1-150 > $OUT/m32.log
