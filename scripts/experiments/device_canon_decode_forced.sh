#!/bin/bash
# Nineteenth session: after the canonical two-stage decode kernels began to
# refill ahead (baf6e3e: 197 registers in the 16-token tiles instead of 255),
# is the canonical dispatcher (dispatch.cpp, choose_decode) still within 5%
# of the fastest decode tile?  Every canonical decode row forced, then the
# dispatched plan, on the decode shapes (M = 1 / 8: all seven rows; M = 12 /
# 16: the three 16-token rows), one round, from a carried build-gpu (sm_90a).
R=$OUT/r; mkdir -p $R
CLI=build-gpu/tools/cli/w4a16
. scripts/device_common.sh
gpu_info
NK="14336x4096 4096x14336 4096x4096 28672x8192 8192x28672"
ALL=dec_m8n16k128s3w8,dec_m8n32k128s2w2,dec_m8n32k128s2w4,dec_m8n32k128s2w8,dec_m16n32k128s2w2,dec_m16n32k128s2w4,dec_m16n32k128s2w8
M16=dec_m16n32k128s2w2,dec_m16n32k128s2w4,dec_m16n32k128s2w8
for m in 1 8; do bench_to forced-m$m $CLI bench --quick --shapes "$(shapes_at $m "$NK")" --config $ALL; done
for m in 12 16; do bench_to forced-m$m $CLI bench --quick --shapes "$(shapes_at $m "$NK")" --config $M16; done
bench_to dispatched $CLI bench --quick --shapes "$(shapes_at 1 "$NK"),$(shapes_at 8 "$NK"),$(shapes_at 12 "$NK"),$(shapes_at 16 "$NK")"
