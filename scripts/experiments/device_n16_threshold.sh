#!/bin/bash
# Nineteenth session: where the 8-token n16 tile (three stages, classic
# refill) stops beating the n32 two-stage tiles (refill ahead) plus split-K
# on layers with few 32-column tiles (dispatch.cpp, choose_decode: n16 when
# the n32 tiles x 8 warps fill < 0.9 of the warp slots, i.e. N < ~7600 on
# H100).  After baf6e3e the canonical n32 tiles beat n16 by 6-12% at M = 8
# on 4096x4096 / 4096x14336 (call 6) while n16 still won at M = 1 on
# 4096^2.  The four 8-token rows forced at M = 1..8 on four such layers,
# canonical and packed, one round, from a carried build-gpu (sm_90a).
R=$OUT/r; mkdir -p $R
CLI=build-gpu/tools/cli/w4a16
. scripts/device_common.sh
gpu_info
NK="4096x4096 4096x14336 2048x8192 6144x4096"
for m in 1 2 3 4 6 8; do
  bench_to canon-m$m $CLI bench --quick --shapes "$(shapes_at $m "$NK")" \
    --config dec_m8n16k128s3w8,dec_m8n32k128s2w2,dec_m8n32k128s2w4,dec_m8n32k128s2w8
  bench_to packed-m$m $CLI bench --quick --packed --shapes "$(shapes_at $m "$NK")" \
    --config decr_m8n16k128s3w8,decr_m8n32k128s2w2,decr_m8n32k128s2w4,decr_m8n32k128s2w8
done
