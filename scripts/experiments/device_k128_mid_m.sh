#!/bin/bash
# Twentieth session: 128-deep k tiles for the packed Hopper tiles that serve
# M = 17..128 (sm90_coop_n256m32k128_ks_rp, sm90_coop_n128m64k128_rp,
# sm90_coop_n128m128k128_rp / _ks_rp) against their 64-deep twins, which the
# dispatcher runs there, on the 8B- and 70B-class layers, packed weights,
# g = 128 with zeros.  The ninth session measured 128x128 k128 0-4% faster at
# M = 96 / 128 on the canonical-weight build of then (bench/results/2026-11-26-h100-k128/).
# Build first (sm_90a): cmake --build build-gpu --target w4a16_cli.
# Usage on the device: [ROUNDS=n] bash THIS (writes $OUT/r and $OUT/results.tgz).
R=$OUT/r; mkdir -p $R
CLI=build-gpu/tools/cli/w4a16
source scripts/device_common.sh
gpu_info
L="14336x4096 4096x14336 4096x4096 8192x28672 28672x8192 11008x4096"
S32="$(shapes_at 24 "$L"),$(shapes_at 32 "$L")"
S64="$(shapes_at 48 "$L"),$(shapes_at 64 "$L")"
S128="$(shapes_at 96 "$L"),$(shapes_at 128 "$L")"
for round in $(seq 1 ${ROUNDS:-2}); do
  bench_to m32-$round $CLI bench --quick --packed --shapes $S32 \
    --config sm90_coop_n256m32k64_ks_rp,sm90_coop_n256m32k128_ks_rp
  bench_to m64-$round $CLI bench --quick --packed --shapes $S64 \
    --config sm90_coop_n128m64k64_rp,sm90_coop_n128m64k128_rp
  bench_to m128-$round $CLI bench --quick --packed --shapes $S128 \
    --config sm90_coop_n128m128k64_rp,sm90_coop_n128m128k128_rp,sm90_coop_n128m128k64_ks_rp,sm90_coop_n128m128k128_ks_rp
done
