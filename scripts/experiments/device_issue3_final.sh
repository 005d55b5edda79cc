#!/usr/bin/env bash
# The closing device calls of a decode-path change (issue #3), from a carried
# build-gpu.  PART=tests: every GPU test, memcheck over `verify --quick`,
# racecheck over the dispatched decode tests.  PART=bench: the benchmark table
# and the dispatcher over the M grid (scripts/config_sweep.sh dispatch, the
# data of the README plot).  Everything lands in $OUT/results.tgz.
B=build-gpu
export W4A16_GIT_COMMIT=${W4A16_GIT_COMMIT:-unknown}
R=$OUT/r; mkdir -p $R
nvidia-smi --query-gpu=name,clocks.max.sm,clocks.max.mem --format=csv > $R/gpu.txt 2>&1
if [[ ${PART:-tests} == tests ]]; then
  { timeout 240 $B/tests/test_gemm_gpu --gtest_brief=1; echo "test_gemm_gpu rc=$?"
    timeout 20 $B/tests/test_api_errors --gtest_brief=1; echo "test_api_errors rc=$?"
    timeout 60 $B/tests/test_gemm_large_gpu --gtest_brief=1; echo "test_gemm_large_gpu rc=$?"; } > $R/gtest.log 2>&1
  # racecheck also reports cuBLAS's own TMA/mbarrier kernels (nvjet_*, the tests' reference GEMMs);
  # the summary line below counts the hazards reported in any other kernel.
  { timeout 60 compute-sanitizer --tool memcheck --error-exitcode 9 $B/tools/cli/w4a16 verify --quick; echo "memcheck rc=$?"
    timeout 150 compute-sanitizer --tool racecheck $B/tests/test_gemm_gpu --gtest_brief=1 \
      --gtest_filter='*DecodeEveryBatchSize1To65*:*DecodeModelShapes*'; echo "racecheck rc=$?"; } > $R/sanitizer-full.log 2>&1
  grep -vE "^(PASS|W4A16|  )" $R/sanitizer-full.log > $R/sanitizer.log
  echo "racecheck hazards outside cuBLAS nvjet kernels: $(grep 'Race reported' $R/sanitizer-full.log | grep -vc nvjet)" >> $R/sanitizer.log
  rm $R/sanitizer-full.log
else
  timeout 120 $B/tools/cli/w4a16 bench --quick --json $R/quick.json --csv $R/quick.csv > $R/quick.log 2>&1
  echo "rc=$?" >> $R/quick.log
  timeout 300 bash scripts/config_sweep.sh $B $R/sweep dispatch > $R/sweep.log 2>&1; echo "rc=$?" >> $R/sweep.log
fi
tar czf $OUT/results.tgz -C $R . && rm -rf $R
