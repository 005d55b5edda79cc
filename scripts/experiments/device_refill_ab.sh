#!/usr/bin/env bash
# Device call (thirteenth session, issue #3): the packed decode kernels with
# their register stages refilled in two halves (branch
# wip/issue3-progressive-refill) against main's build (build-carry/var/w4a16-base),
# packed weights, two rounds alternating, plain and with --overlap.  Each step
# is added to $OUT/results.tgz.  PART=tests: the GPU tests instead.
B=build-gpu
CLI=$B/tools/cli/w4a16
R=$OUT/r; mkdir -p $R
. scripts/device_common.sh
nvidia-smi --query-gpu=name,clocks.max.sm,clocks.max.mem --format=csv > $R/gpu.txt 2>&1
if [[ ${PART:-ab} == tests ]]; then
  gemm_gpu_tests $B
  exit 0
fi
s=""
for nk in 14336x4096 4096x14336 4096x4096 28672x8192 8192x28672 11008x4096; do
  for m in 1 4 8 12 16; do s="$s${s:+,}${m}x$nk"; done
done
s="$s,1x1024x4096,1x2048x4096,16x1024x4096"
ab_rounds 2 ab "$s"
s1=1x14336x4096,1x4096x14336,1x4096x4096,16x14336x4096,16x4096x14336,1x28672x8192,1x8192x28672
ab_rounds 1 ov "$s1" --overlap  # ov-{base,new}-1.*
timeout 150 $B/tests/test_gemm_gpu --gtest_brief=1 \
  --gtest_filter='*PackedWeightsDispatched*:*PackedHalfGroupsEveryDecodeTile*:*PackedOverlapPreviousChecked*' > $R/gtest-decode.log 2>&1
echo "rc=$?" >> $R/gtest-decode.log
save
