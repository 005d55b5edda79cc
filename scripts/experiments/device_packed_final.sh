#!/usr/bin/env bash
# The closing device calls of a change to the packed-weight path, from a
# carried build-gpu (used for the packed weights at 511cd65, when the tests
# part also ran the sanitizers, and for the K slices at 1a324ba).
# PART=tests: every GPU test and `verify --quick`.  PART=bench: memcheck over
# `verify --quick`, racecheck over the packed dispatched tests, the benchmark
# table with canonical and with packed weights, and the issue-#3/#4 target
# shapes plus the 70B-class layers with canonical and packed weights.
# Everything lands in $OUT/results.tgz.
B=build-gpu
export W4A16_GIT_COMMIT=${W4A16_GIT_COMMIT:-unknown}
R=$OUT/r; mkdir -p $R
nvidia-smi --query-gpu=name,clocks.max.sm,clocks.max.mem --format=csv > $R/gpu.txt 2>&1
if [[ ${PART:-tests} == tests ]]; then
  { timeout 420 $B/tests/test_gemm_gpu --gtest_brief=1; echo "test_gemm_gpu rc=$?"
    timeout 30 $B/tests/test_api_errors --gtest_brief=1; echo "test_api_errors rc=$?"
    timeout 60 $B/tests/test_gemm_large_gpu --gtest_brief=1; echo "test_gemm_large_gpu rc=$?"
    timeout 60 $B/tools/cli/w4a16 verify --quick; echo "verify rc=$?"; } > $R/gtest.log 2>&1
else
  # racecheck also reports cuBLAS's own TMA/mbarrier kernels (nvjet_*, the tests' reference GEMMs);
  # the summary line below counts the hazards reported in any other kernel.
  { timeout 90 compute-sanitizer --tool memcheck --error-exitcode 9 $B/tools/cli/w4a16 verify --quick; echo "memcheck rc=$?"
    timeout 200 compute-sanitizer --tool racecheck $B/tests/test_gemm_gpu --gtest_brief=1 \
      --gtest_filter='*PackedWeightsDispatched*'; echo "racecheck rc=$?"; } > $R/sanitizer-full.log 2>&1
  grep -vE "^(PASS|W4A16|  )" $R/sanitizer-full.log > $R/sanitizer.log
  echo "racecheck hazards outside cuBLAS nvjet kernels: $(grep 'Race reported' $R/sanitizer-full.log | grep -vc nvjet)" >> $R/sanitizer.log
  rm $R/sanitizer-full.log
  timeout 120 $B/tools/cli/w4a16 bench --quick --json $R/quick.json --csv $R/quick.csv > $R/quick.log 2>&1
  echo "rc=$?" >> $R/quick.log
  timeout 120 $B/tools/cli/w4a16 bench --quick --packed --json $R/quick-packed.json --csv $R/quick-packed.csv > $R/quick-packed.log 2>&1
  echo "rc=$?" >> $R/quick-packed.log
  shapes=$(cat scripts/target_shapes.txt)  # the issue-#3/#4 targets and the 70B-class layers
  for mode in canonical packed; do
    flag=""; [ $mode = packed ] && flag=--packed
    timeout 150 $B/tools/cli/w4a16 bench --quick $flag --shapes "$shapes" --json $R/targets-$mode.json > $R/targets-$mode.log 2>&1
    echo "rc=$?" >> $R/targets-$mode.log
  done
fi
tar czf $OUT/results.tgz -C $R . && rm -rf $R
