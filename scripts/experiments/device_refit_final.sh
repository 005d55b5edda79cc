#!/bin/bash
# Twenty-fourth session, after the M > 512 refit (packed and canonical): the
# GPU tests of the dispatched large-M tilings, the README's three main tables
# and the packed M sweep (scripts/device_dispatch_sweep.sh), on one card.
# Usage on the device: tar xzf build-carry/b.tgz && bash THIS
R=$OUT/r; mkdir -p $R
source scripts/device_common.sh
gpu_info
{ timeout 200 build-gpu/tests/test_gemm_gpu --gtest_filter='GemmGpu.LargeMTilingsDispatched:GemmGpu.PackedWeightsDispatched:GemmGpu.PackedDeterministicAndGraphCapturable'
  echo "test_gemm_gpu rc=$?"; } > $R/gtest-large-m.log 2>&1
grep -E "^\[( +OK|  FAILED|  PASSED|  SKIPPED) |rc=" $R/gtest-large-m.log > $R/gtest-summary.log
save
readme_tables build-gpu
OUT_SAVED=$OUT; OUT=$R/sweep; mkdir -p $OUT
timeout 220 bash scripts/device_dispatch_sweep.sh
OUT=$OUT_SAVED
save
