#!/bin/bash
# Prepared in the eighteenth session (branch wip/issue3-decode-xring), not
# yet run: the packed decode tiles with a per-warp activation ring (`decx`:
# weights refilled ahead in registers, activations through two cp.async
# slots in shared memory) against the register-ring `decr` tiles and the
# dispatched plans (CUTLASS 256x32 / 128x64 K-slice tiles at M = 17..64).
# Build first (sm_90a): cmake --build build-gpu --target w4a16_cli test_gemm_gpu.
# Local SASS at 965d052's successor: every decx kernel passes the loop-wait
# check (scripts/sass_loop_waits.py) but the g = 64 instantiation of the
# 16-token w2 / w4 tiles (one wait 92 instructions after its load);
# decx_m16n32k128s2w4b4 (16 warps per SM) spills 68-72 bytes.
# Usage on the device: [ROUNDS=n] bash THIS (writes $OUT/r and $OUT/results.tgz).
R=$OUT/r; mkdir -p $R
CLI=build-gpu/tools/cli/w4a16
source scripts/device_common.sh
gpu_info
# Correctness first (every decx row forced: g = 128 / 64 / per-channel, split 1 and 3).
timeout 300 build-gpu/tests/test_gemm_gpu --gtest_filter='*PackedConfigurationsForced*:*PackedHalfGroupsEveryDecodeTile*' > $R/gtest.log 2>&1; echo "rc=$?" >> $R/gtest.log
grep -E "^\[( +OK|  FAILED|  PASSED) |Failure|decx" $R/gtest.log | head -200 > $R/gtest-summary.log; save
M16=16x14336x4096,16x4096x14336,16x4096x4096,12x14336x4096,16x28672x8192,16x8192x28672
C16=decr_m16n32k128s2w8,decr_m16n32k128s2w4,decr_m16n32k128s2w2,decx_m16n32k128s2w8,decx_m16n32k128s2w4,decx_m16n32k128s2w4b4,decx_m16n32k128s2w2
M32=32x14336x4096,32x4096x14336,32x4096x4096,24x14336x4096,24x4096x14336,48x14336x4096,64x14336x4096,32x28672x8192,32x8192x28672
C32=decx_m32n32k128s2w8,decx_m32n32k128s2w4,decx_m32n32k128s2w2
for round in $(seq 1 ${ROUNDS:-2}); do
  bench_to m16-forced-$round W4A16_PDL=1 $CLI bench --quick --packed --shapes $M16 --config $C16
  bench_to m32-forced-$round W4A16_PDL=1 $CLI bench --quick --packed --shapes $M32 --config $C32
  bench_to m32-dispatched-$round W4A16_PDL=1 $CLI bench --quick --packed --shapes $M32
done
