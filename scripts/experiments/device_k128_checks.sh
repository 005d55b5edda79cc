#!/bin/bash
# Twentieth session, last call: the 128-deep 128x64 packed tile against its
# 64-deep twin at M = 48 / 64 (one more round), the dispatched packed plans
# at issue #3 / #4's target shapes (with the new eager host-cost column),
# then the GPU tests the change reaches: every sm90 configuration forced
# (canonical and packed), the packed dispatch, the API errors and verify.
# Build first (sm_90a): cmake --build build-gpu.
# Usage on the device: bash THIS (writes $OUT/r and $OUT/results.tgz).
R=$OUT/r; mkdir -p $R
B=build-gpu
CLI=$B/tools/cli/w4a16
source scripts/device_common.sh
gpu_info
L="14336x4096 4096x14336 4096x4096 8192x28672 28672x8192 11008x4096"
bench_to m64-ab $CLI bench --quick --packed --shapes "$(shapes_at 48 "$L"),$(shapes_at 64 "$L")" \
  --config sm90_coop_n128m64k64_rp,sm90_coop_n128m64k128_rp
T="14336x4096 4096x14336 4096x4096"
bench_to targets $CLI bench --quick --packed \
  --shapes "$(shapes_at 1 "$T"),$(shapes_at 16 "$T"),$(shapes_at 32 "$T"),$(shapes_at 48 "$T"),$(shapes_at 64 "$T"),$(shapes_at 128 "$T"),$(shapes_at 256 "$T")"
timeout 330 $B/tests/test_gemm_gpu \
  --gtest_filter='*Sm90ConfigurationsForced*:*PackedConfigurationsForced*:*PackedWeightsDispatched*' \
  > $R/gtest-gemm-gpu.log 2>&1
echo "test_gemm_gpu rc=$?" >> $R/gtest-gemm-gpu.log
grep -E "^\[( +OK|  FAILED|  PASSED|  SKIPPED) |rc=" $R/gtest-gemm-gpu.log > $R/gtest-summary.log
save
other_gpu_tests $B
