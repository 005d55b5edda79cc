#!/usr/bin/env bash
# One-shot GPU run for issue #3 (decode path) from a carried build-gpu: decode
# report (forced configurations, group sizes, symmetric, 70B shapes), the quick
# benchmark table, the GPU tests and compute-sanitizer on verify --quick.
# Outputs into $OUT.  Each step has its own time limit (device time is scarce).
B=build-gpu
export W4A16_GIT_COMMIT=${W4A16_GIT_COMMIT:-$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)}
R=1x14336x4096,1x4096x14336,1x4096x4096
report() {
  echo "== 70B-class layers, M=8, and M=32/64 (dispatched)"
  $B/tools/cli/w4a16 bench --quick --shapes 8x28672x8192,8x8192x28672,32x14336x4096,32x4096x14336,64x14336x4096,64x4096x14336
  echo "== symmetric g=128 (dispatched)"; $B/tools/cli/w4a16 bench --quick --sym --shapes $R
  for g in 32 64 K; do echo "== group $g (dispatched)"; $B/tools/cli/w4a16 bench --quick --group $g --shapes $R; done
  for c in dec_m8n16k128s3 rdq_m16n128k128s6; do
    echo "== forced $c"; $B/tools/cli/w4a16 bench --quick --config $c --shapes $R,8x14336x4096,8x4096x14336
  done
}
export B R
timeout 120 bash -c "$(declare -f report); report" > $OUT/decode-report.log 2>&1
timeout 80 $B/tools/cli/w4a16 bench --quick --json $OUT/bench.json --csv $OUT/bench.csv > $OUT/bench.log 2>&1
timeout 130 $B/tests/test_gemm_gpu --gtest_brief=1 > $OUT/gtest.log 2>&1; echo "test_gemm_gpu rc=$?" >> $OUT/gtest.log
timeout 20 $B/tests/test_api_errors --gtest_brief=1 >> $OUT/gtest.log 2>&1; echo "test_api_errors rc=$?" >> $OUT/gtest.log
timeout 45 compute-sanitizer --tool memcheck --error-exitcode 9 $B/tools/cli/w4a16 verify --quick > $OUT/memcheck.log 2>&1; echo "memcheck rc=$?" >> $OUT/memcheck.log
timeout 45 compute-sanitizer --tool racecheck --error-exitcode 9 $B/tools/cli/w4a16 verify --quick > $OUT/racecheck.log 2>&1; echo "racecheck rc=$?" >> $OUT/racecheck.log
tail -2 $OUT/gtest.log; grep -E "rc=|ERROR SUMMARY|RACECHECK SUMMARY" $OUT/*.log | tail -8
