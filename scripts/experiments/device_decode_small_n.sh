#!/bin/bash
# Nineteenth session: the decode tiles on small layers (N = 1024..3072, K =
# 4096 / 8192), where the rewritten choose_decode (warps in flight counted
# with the K split) moves off the n16 tile and off unsplit w8 tiles: every
# decode row forced, canonical and packed, M = 1 / 8 (the 8-token rows) and
# M = 16 (the 16-token rows), one round, from a carried build-gpu (sm_90a;
# the forced rows' splits come from choose_dec_split, which this session
# did not change).
R=$OUT/r; mkdir -p $R
CLI=build-gpu/tools/cli/w4a16
. scripts/device_common.sh
gpu_info
NK="1024x4096 2048x4096 3072x4096 1024x8192 2048x8192 3072x8192"
M8=m8n16k128s3w8,m8n32k128s2w2,m8n32k128s2w4,m8n32k128s2w8
M16=m16n32k128s2w2,m16n32k128s2w4,m16n32k128s2w8
rows() { local p=$1 out="" c; for c in ${2//,/ }; do out="$out,${p}_$c"; done; echo "${out#,}"; }
for m in 1 8 16; do
  set=$M8; [ $m = 16 ] && set=$M16
  bench_to canon-m$m $CLI bench --quick --shapes "$(shapes_at $m "$NK")" --config "$(rows dec $set)"
  bench_to packed-m$m $CLI bench --quick --packed --shapes "$(shapes_at $m "$NK")" --config "$(rows decr $set)"
done
