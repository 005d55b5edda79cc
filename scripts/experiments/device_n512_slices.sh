#!/bin/bash
# Twentieth session: 512-row K-slice tiles (sm90_coop_n512m{16,32,64}k64_ks_rp:
# each consumer warpgroup converts and multiplies 4 m64 blocks per k tile
# instead of the 256-row tile's 2) against the dispatched plans (the decode
# kernels at M <= 16) and the 256-row slices at M = 8..64, packed weights;
# then every sm90 configuration forced through the GPU tests (the new rows
# with N off the 512-row tile, K tails, split 3, beta).
# Build first (sm_90a): cmake --build build-gpu --target w4a16_cli test_gemm_gpu.
# Usage on the device: [ROUNDS=n] bash THIS (writes $OUT/r and $OUT/results.tgz).
R=$OUT/r; mkdir -p $R
CLI=build-gpu/tools/cli/w4a16
source scripts/device_common.sh
gpu_info
L="14336x4096 4096x14336 4096x4096 8192x28672 28672x8192 11008x4096"
S16="$(shapes_at 8 "$L"),$(shapes_at 16 "$L")"
S32="$(shapes_at 24 "$L"),$(shapes_at 32 "$L")"
S64="$(shapes_at 40 "$L"),$(shapes_at 48 "$L"),$(shapes_at 64 "$L")"
for round in $(seq 1 ${ROUNDS:-2}); do
  bench_to m16-dispatched-$round $CLI bench --quick --packed --shapes $S16
  bench_to m16-forced-$round $CLI bench --quick --packed --shapes $S16 \
    --config sm90_coop_n256m32k64_ks_rp,sm90_coop_n512m32k64_ks_rp,sm90_coop_n512m16k64_ks_rp
  bench_to m32-dispatched-$round $CLI bench --quick --packed --shapes $S32
  bench_to m32-forced-$round $CLI bench --quick --packed --shapes $S32 \
    --config sm90_coop_n256m32k64_ks_rp,sm90_coop_n512m32k64_ks_rp
  bench_to m64-dispatched-$round $CLI bench --quick --packed --shapes $S64
  bench_to m64-forced-$round $CLI bench --quick --packed --shapes $S64 \
    --config sm90_coop_n256m64k64_ks_rp,sm90_coop_n512m64k64_ks_rp
done
timeout ${TEST_SECS:-270} build-gpu/tests/test_gemm_gpu --gtest_filter='*Sm90ConfigurationsForced*:*PackedConfigurationsForced*' > $R/gtest.log 2>&1
echo "rc=$?" >> $R/gtest.log
grep -E "^\[( +OK|  FAILED|  PASSED) |Failure|n512" $R/gtest.log | head -200 > $R/gtest-summary.log; save
