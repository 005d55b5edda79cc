#!/bin/bash
# Eighteenth session, call 1 (bench/results/2026-11-27-h100-decode-ring/):
# the packed decode kernels through a per-warp shared-memory ring (`decq`)
# against the register-ring ones (`decr`), forced side by side on the decode
# shapes (one bench per token-tile size, so that every forced row shares its
# shape's weights and cuBLAS timing), the dispatched plans too; then the
# forced packed-configuration GPU tests (every decq row, g = 128 / 64 /
# per-channel, split 3).
# Call 3 (ROUNDS=1 GTEST=1): the ring's smem layout keeping global lines
# contiguous (the first layout scattered each line in 16-byte pieces).
# Usage on the device: [ROUNDS=n] [NODISPATCH=1] bash THIS (writes $OUT/r and $OUT/results.tgz).
R=$OUT/r; mkdir -p $R
CLI=build-gpu/tools/cli/w4a16
source scripts/device_common.sh
gpu_info
M1=1x14336x4096,1x4096x14336,1x4096x4096,1x28672x8192,1x8192x28672,8x14336x4096,8x4096x14336
C1=decr_m8n16k128s3w8,decr_m8n32k128s2w8,decr_m8n32k128s2w4,decq_m8n16k128s4w8,decq_m8n32k128s3w8,decq_m8n32k128s3w4
M16=16x14336x4096,16x4096x14336,16x4096x4096,16x28672x8192,16x8192x28672,12x14336x4096,32x14336x4096,32x4096x14336
C16=decr_m16n32k128s2w8,decr_m16n32k128s2w4,decr_m16n32k128s2w2,decq_m16n32k128s4w8,decq_m16n32k128s4w4,decq_m16n32k128s4w2
for round in $(seq 1 ${ROUNDS:-2}); do
  bench_to m1-forced-$round W4A16_PDL=1 $CLI bench --quick --packed --shapes $M1 --config $C1
  bench_to m16-forced-$round W4A16_PDL=1 $CLI bench --quick --packed --shapes $M16 --config $C16
done
[ -n "$NODISPATCH" ] || bench_to dispatched W4A16_PDL=1 $CLI bench --quick --packed --shapes $M1,$M16
timeout 300 build-gpu/tests/test_gemm_gpu --gtest_filter='*PackedConfigurationsForced*:*PackedHalfGroupsEveryDecodeTile*' > $R/gtest.log 2>&1; echo "rc=$?" >> $R/gtest.log
grep -E "^\[( +OK|  FAILED|  PASSED) |Failure|decq" $R/gtest.log | head -200 > $R/gtest-summary.log; save
