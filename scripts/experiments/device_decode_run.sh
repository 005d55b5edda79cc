#!/usr/bin/env bash
# One-shot GPU run for a decode-path change (issue #3), from a carried build:
# the GPU tests, the benchmark table, the decode report (70B-class layers,
# M = 1 / 8 / 16 / 32 / 64, group sizes, symmetric) and compute-sanitizer
# (memcheck over `verify --quick`, racecheck over the decode tests).
# Everything lands in $OUT/results.tgz; each step has its own time limit.
B=${B:-build-gpu}
export W4A16_GIT_COMMIT=${W4A16_GIT_COMMIT:-unknown}
R=$OUT/r; mkdir -p $R
cli=$B/tools/cli/w4a16
nvidia-smi --query-gpu=name,clocks.max.sm,clocks.max.mem --format=csv > $R/gpu.txt 2>&1
{ timeout 240 $B/tests/test_gemm_gpu --gtest_brief=1; echo "test_gemm_gpu rc=$?"
  timeout 20 $B/tests/test_api_errors --gtest_brief=1; echo "test_api_errors rc=$?"
  timeout 60 $B/tests/test_gemm_large_gpu --gtest_brief=1; echo "test_gemm_large_gpu rc=$?"; } > $R/gtest.log 2>&1
timeout 120 $cli bench --quick --json $R/quick.json --csv $R/quick.csv > $R/quick.log 2>&1; echo "rc=$?" >> $R/quick.log
S3=14336x4096,4096x14336,4096x4096
shapes() { local out="" m nk; for nk in ${2//,/ }; do for m in $1; do out+="${m}x${nk},"; done; done; echo "${out%,}"; }
{
  echo "== dispatched, M = 1 .. 64 on the three LLM shapes"
  timeout 150 $cli bench --quick --json $R/decode-m.json --shapes $(shapes "1 2 4 8 12 16 32 64" $S3)
  echo "== 70B-class layers (dispatched)"
  timeout 200 $cli bench --quick --json $R/decode-70b.json --shapes $(shapes "1 8 16" 28672x8192,8192x28672)
  echo "== symmetric g=128 (dispatched)"
  timeout 100 $cli bench --quick --sym --json $R/decode-sym.json --shapes $(shapes "1 16" $S3)
  for g in 32 64 K; do
    echo "== group $g (dispatched)"
    timeout 100 $cli bench --quick --group $g --json $R/decode-g$g.json --shapes $(shapes "1 16" $S3)
  done
} > $R/decode-report.log 2>&1
# racecheck also reports cuBLAS's own TMA/mbarrier kernels (nvjet_*, the tests'
# reference GEMMs): the last line counts the hazards in any other kernel.
{ timeout 60 compute-sanitizer --tool memcheck --error-exitcode 9 $cli verify --quick; echo "memcheck rc=$?"
  timeout 120 compute-sanitizer --tool racecheck $B/tests/test_gemm_gpu --gtest_brief=1 \
    --gtest_filter='*DecodeModelShapes*:*DeterministicAcrossRuns*'; echo "racecheck rc=$?"; } > $R/sanitizer-full.log 2>&1
grep -vE "^(PASS|W4A16|  )" $R/sanitizer-full.log > $R/sanitizer.log
echo "racecheck hazards outside cuBLAS nvjet kernels: $(grep 'Race reported' $R/sanitizer-full.log | grep -vc nvjet)" >> $R/sanitizer.log
rm $R/sanitizer-full.log
tar czf $OUT/results.tgz -C $R . && rm -rf $R
