#!/usr/bin/env bash
# Device call for forced split-K on the stream-K configuration (issue #4):
# the Hopper GPU tests (forced splits included), the stream-K configuration at
# split 2 / 4 / 8 over M = 16..512, the dispatcher over M = 1..1024, and
# compute-sanitizer over the graph-capture test (whose dispatched plans use
# split-K).  $OUT/results.tgz is rewritten after every step.
B=build-gpu
R=$OUT/r; mkdir -p $R
pack() { tar czf $OUT/results.tgz -C $R .; }
nvidia-smi --query-gpu=name,clocks.max.sm,clocks.max.mem --format=csv > $R/gpu.txt 2>&1
timeout 90 $B/tests/test_gemm_gpu --gtest_brief=1 --gtest_filter='*Sm90*:*Autotune*:*Prepack*' > $R/gtest.log 2>&1
echo "rc=$?" >> $R/gtest.log; pack
M_RANGE="16 512" timeout 120 bash scripts/config_sweep.sh $B $R sm90_coop_n128m128k64_sk:2 sm90_coop_n128m128k64_sk:4 \
  sm90_coop_n128m128k64_sk:8 > $R/sweep-split.log 2>&1; echo "rc=$?" >> $R/sweep-split.log; pack
M_RANGE="1 1024" timeout 90 bash scripts/config_sweep.sh $B $R dispatch > $R/sweep-dispatch.log 2>&1
echo "rc=$?" >> $R/sweep-dispatch.log; pack
{ timeout 40 compute-sanitizer --tool memcheck --error-exitcode 9 $B/tests/test_gemm_gpu --gtest_brief=1 \
    --gtest_filter='*Sm90GraphCapture*'; echo "rc=$?"
  timeout 50 compute-sanitizer --tool racecheck --error-exitcode 9 $B/tests/test_gemm_gpu --gtest_brief=1 \
    --gtest_filter='*Sm90GraphCapture*'; echo "rc=$?"; } 2>&1 | grep -vE "^(PASS|W4A16|  )" > $R/sanitizer.log; pack
grep -hE "rc=|FAILED|PASSED|ERROR SUMMARY|RACECHECK SUMMARY" $R/*.log
