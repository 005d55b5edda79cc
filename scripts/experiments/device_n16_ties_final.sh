#!/bin/bash
# Twenty-fifth session (H200): the decode rule with the n16 ties refitted
# (dispatch.cpp, choose_decode) against main's build before it
# (build-carry/var/w4a16-base), dispatched, on the shapes whose choice moved
# and two whose choice did not (4096x4096, canonical 4096x8192); then the GPU
# tests that run the dispatcher on moved shapes.
# Usage on the device: tar xzf build-carry/b.tgz && bash THIS
R=$OUT/r; mkdir -p $R
source scripts/device_common.sh
CLI=build-gpu/tools/cli/w4a16
gpu_info
L="4096x14336 4096x28672 4096x8192 3072x8192 4096x4096"
P=""; for m in 1 2 4; do P+="$(shapes_at $m "$L"),"; done
C=""; for m in 1 4; do C+="$(shapes_at $m "4096x14336 4096x28672 4096x8192"),"; done
for who in base new; do
  cli=$CLI; [ $who = base ] && cli=build-carry/var/w4a16-base
  timeout 120 $cli bench --quick --packed --shapes "${P%,}" --json "$R/packed-$who.json" > "$R/packed-$who.log" 2>&1
  echo "rc=$?" >> "$R/packed-$who.log"; save
  timeout 100 $cli bench --quick --shapes "${C%,}" --json "$R/canonical-$who.json" > "$R/canonical-$who.log" 2>&1
  echo "rc=$?" >> "$R/canonical-$who.log"; save
done
decode_gtests build-gpu \
  '*PackedWeightsDispatched*:*DecodeModelShapes*:*DecodeEveryBatchSize1To65*:*LargeMTilingsDispatched*' 300
