#!/bin/bash
# Twenty-fifth session (H200): does a decode tile with more warps along K win
# past one wave where each warp still has a long k range?  (28672x8192 at
# M = 1: n32 w4, 1.7 waves, 16 k blocks per warp, 36.6 us against 39.9 for
# the rule's w2, 0.85 wave, 32 blocks.)  n32 w2 / w4 / w8 forced unsplit at
# M = 1 and 8 on layers where the rule's choice gives each warp 16..56 blocks.
# Usage on the device: tar xzf build-carry/b.tgz && bash THIS
R=$OUT/r; mkdir -p $R
source scripts/device_common.sh
CLI=build-gpu/tools/cli/w4a16
gpu_info
L="28672x8192 28672x14336 28672x4096 14336x16384 14336x8192 20480x8192"
S="$(shapes_at 1 "$L"),$(shapes_at 8 "28672x8192 14336x16384")"
quick_bench long-k 200 --packed --shapes "$S" \
  --config decr_m8n32k128s2w2:1,decr_m8n32k128s2w4:1,decr_m8n32k128s2w8:1
