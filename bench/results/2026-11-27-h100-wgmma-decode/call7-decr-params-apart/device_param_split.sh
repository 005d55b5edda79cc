#!/usr/bin/env bash
# Device call for the decode kernels' group parameters kept apart in the
# register stages (fourteenth session, issue #3), from a carried build
# (build-carry/bundle.tgz) and the base CLI (build-carry/var/w4a16-base).
# Into $OUT/results.tgz: base vs new, two alternating rounds, packed weights
# at M = 1..16 and one canonical round; then the decode GPU tests.
B=build-gpu
CLI=$B/tools/cli/w4a16
export W4A16_GIT_COMMIT=${W4A16_GIT_COMMIT:-unknown}
R=/tmp/r; mkdir -p $R
. scripts/device_common.sh
nvidia-smi --query-gpu=name,clocks.max.sm,clocks.max.mem --format=csv > $R/gpu.txt 2>&1
ab_rounds 2 ab "1x14336x4096,1x4096x14336,1x4096x4096,8x14336x4096,16x14336x4096,16x4096x14336,16x4096x4096,1x28672x8192,1x8192x28672,16x8192x28672"
for who in base new; do
  cli=$CLI; [ $who = base ] && cli=build-carry/var/w4a16-base
  timeout 60 $cli bench --quick --shapes 1x14336x4096,1x4096x14336,1x4096x4096,16x4096x14336 \
    > $R/canonical-$who.log 2>&1
  save
done
timeout 240 $B/tests/test_gemm_gpu --gtest_filter='*PackedConfigurationsForced*:*PackedHalfGroupsEveryDecodeTile*:*EveryConfigurationForced*:*ExactEveryBatchSize*:*DecodeEveryBatchSize1To65*:*GroupSizesAndZeros*:*PackedOverlapPreviousChecked*' \
  > $R/gtest-decode.log 2>&1
echo "rc=$?" >> $R/gtest-decode.log
grep -E "^\[( +OK|  FAILED|  PASSED|  SKIPPED) |^FAIL|rc=" $R/gtest-decode.log > $R/gtest-decode-summary.log
save
