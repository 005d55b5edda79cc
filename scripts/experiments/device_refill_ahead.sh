#!/bin/bash
# Seventeenth session, call 5 (bench/results/2026-11-27-h100-canonical-sb/
# call5-refill-ahead/): the two-stage packed decode kernels with refill
# ahead (build-gpu, then uncommitted) against the 4cd7922 build
# (build-carry/var/w4a16-base), two alternating rounds of packed decode
# shapes; then verify --quick and three decode gtests on the new build.
# Usage on the device: bash THIS (writes $OUT/r and $OUT/results.tgz).
R=$OUT/r; mkdir -p $R
save() { tar czf $OUT/results.tgz -C $R .; }
nvidia-smi --query-gpu=name,clocks.max.sm --format=csv > $R/gpu.txt
S=1x14336x4096,1x4096x14336,1x4096x4096,8x14336x4096,8x4096x14336,16x14336x4096,16x4096x14336,16x4096x4096,1x28672x8192,16x28672x8192,16x8192x28672
for round in 1 2; do
  for who in base dbl; do
    cli=build-gpu/tools/cli/w4a16; [ $who = base ] && cli=build-carry/var/w4a16-base
    timeout 100 $cli bench --quick --packed --shapes $S --json $R/$who-$round.json > $R/$who-$round.log 2>&1; echo "rc=$?" >> $R/$who-$round.log; save
  done
done
timeout 60 build-gpu/tools/cli/w4a16 verify --quick > $R/verify.log 2>&1; echo "rc=$?" >> $R/verify.log; save
timeout 200 build-gpu/tests/test_gemm_gpu --gtest_filter='*EveryConfigurationForced*:*DecodeEveryBatchSize1To65*:*ForwardWaitsForThePreviousKernel*' > $R/gtest.log 2>&1; echo "rc=$?" >> $R/gtest.log
grep -E "^\[( +OK|  FAILED|  PASSED) " $R/gtest.log > $R/gtest-summary.log; save
