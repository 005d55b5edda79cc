#!/usr/bin/env bash
# The closing device call of a Hopper-path change (issue #4), from a carried
# build-gpu: every GPU test, the dispatcher over the M grid
# (scripts/config_sweep.sh dispatch), the benchmark table, and
# compute-sanitizer (memcheck over `verify --quick`, racecheck over the
# graph-capture test).  Everything lands in $OUT/results.tgz.
B=build-gpu
export W4A16_GIT_COMMIT=${W4A16_GIT_COMMIT:-$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)}
R=$OUT/r; mkdir -p $R/sweep
nvidia-smi --query-gpu=name,clocks.max.sm,clocks.max.mem --format=csv > $R/gpu.txt 2>&1
{ timeout 120 $B/tests/test_gemm_gpu --gtest_brief=1; echo "rc=$?"
  timeout 20 $B/tests/test_api_errors --gtest_brief=1; echo "rc=$?"
  timeout 60 $B/tests/test_gemm_large_gpu --gtest_brief=1; echo "rc=$?"; } > $R/gtest.log 2>&1
timeout 170 bash scripts/config_sweep.sh $B $R/sweep dispatch > $R/sweep.log 2>&1; echo "rc=$?" >> $R/sweep.log
timeout 100 $B/tools/cli/w4a16 bench --quick --json $R/quick.json --csv $R/quick.csv > $R/quick.log 2>&1
echo "rc=$?" >> $R/quick.log
{ timeout 50 compute-sanitizer --tool memcheck --error-exitcode 9 $B/tools/cli/w4a16 verify --quick; echo "rc=$?"
  timeout 50 compute-sanitizer --tool racecheck --error-exitcode 9 $B/tests/test_gemm_gpu --gtest_brief=1 \
    --gtest_filter='*Sm90GraphCapture*'; echo "rc=$?"; } 2>&1 | grep -vE "^(PASS|W4A16|  )" > $R/sanitizer.log
tar czf $OUT/results.tgz -C $R . && rm -rf $R
