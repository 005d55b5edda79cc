#!/usr/bin/env bash
# Issue #3 experiment: the 16-token decode tiles over 2..4 token tiles
# (M = 17..64) against the dispatched rdq_m64 / sm90 128x64 tiles, and
# racecheck over the decode tests with cuBLAS's kernels excluded (racecheck
# reports its TMA/mbarrier kernels, nvjet_*, as hazards).  Output: $OUT/*.log.
cli=build-gpu/tools/cli/w4a16
S="24x14336x4096,32x14336x4096,48x14336x4096,64x14336x4096,24x4096x14336,32x4096x14336,48x4096x14336,64x4096x14336,24x4096x4096,32x4096x4096,64x4096x4096"
for c in dec_m16n32k128s2w2 dec_m16n32k128s2w4 dec_m16n32k128s2w8 dec_m8n32k128s2w4 dec_m8n16k128s3w8; do
  echo "== $c"; timeout 60 $cli bench --quick --config $c --shapes $S
done 2>&1 | grep -E "^==|sm80_" | cut -c1-150 > $OUT/m32.log
timeout 150 compute-sanitizer --tool racecheck --kernel-name-exclude kns=nvjet --error-exitcode 9 \
  build-gpu/tests/test_gemm_gpu --gtest_brief=1 --gtest_filter='*DecodeModelShapes*:*DeterministicAcrossRuns*' 2>&1 |
  grep -vE "^(PASS|W4A16|  )" > $OUT/racecheck.log; echo "racecheck rc=${PIPESTATUS[0]}" >> $OUT/racecheck.log
