#!/bin/bash
# Twenty-fifth session (H200): the decode rule with the n16 ties refitted
# (dispatch.cpp, choose_decode) against main's build before it
# (build-carry/var/w4a16-base), dispatched, on the shapes whose choice moved
# and two whose choice did not (4096x4096, canonical 4096x8192); then the GPU
# tests that run the dispatcher on moved shapes; then (data for later refits)
# every decode tile forced with splits 1 / 2 / 4 at M = 1 and M = 16 on the
# 8B- and 70B-class layers.
# Usage on the device: tar xzf build-carry/b.tgz && bash THIS
R=$OUT/r; mkdir -p $R
source scripts/device_common.sh
CLI=build-gpu/tools/cli/w4a16
gpu_info
decode_gtests build-gpu \
  '*PackedWeightsDispatched*:*DecodeModelShapes*:*DecodeEveryBatchSize1To65*:*LargeMTilingsDispatched*' 300
L="4096x14336 4096x28672 4096x8192 3072x8192 4096x4096"
P=""; for m in 1 2 4; do P+="$(shapes_at $m "$L"),"; done
C=""; for m in 1 4; do C+="$(shapes_at $m "4096x14336 4096x28672 4096x8192"),"; done
ab_dispatched "${P%,}" "${C%,}"
M8=""; M16=""
for c in decr_m8n16k128s3w8 decr_m8n32k128s2w2 decr_m8n32k128s2w4 decr_m8n32k128s2w8; do
  for sp in 1 2 4; do M8+="$c:$sp,"; done
done
for c in decr_m16n32k128s2w2 decr_m16n32k128s2w4 decr_m16n32k128s2w8; do
  for sp in 1 2 4; do M16+="$c:$sp,"; done
done
BIG="14336x4096 4096x14336 28672x8192 8192x28672 4096x4096"
quick_bench sweep-m1 100 --packed --shapes "$(shapes_at 1 "$BIG")" --config "${M8%,}"
quick_bench sweep-m16 100 --packed --shapes "$(shapes_at 16 "$BIG")" --config "${M16%,}"
