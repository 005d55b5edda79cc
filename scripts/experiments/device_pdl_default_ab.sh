#!/usr/bin/env bash
# Fifteenth session: the forward's own kernel launched programmatically by
# default (wait first) against the previous default (W4A16_PDL=reduce: only
# the split-K reductions), same binary, alternating rounds; then the overlap
# flag once.  Usage on the device: bash THIS CLI OUTDIR [ROUNDS]
set -u
CLI=$1
R=$2
ROUNDS=${3:-2}
mkdir -p "$R"
SHAPES=1x14336x4096,1x4096x14336,1x4096x4096,8x4096x14336,16x14336x4096,16x4096x14336,16x4096x4096,32x14336x4096,32x4096x14336,32x4096x4096,64x14336x4096,64x4096x14336,64x4096x4096,128x14336x4096,128x4096x14336,128x4096x4096,256x14336x4096,256x4096x14336,384x14336x4096,512x4096x14336,1x28672x8192,16x28672x8192
for round in $(seq 1 "$ROUNDS"); do
  for mode in reduce all; do
    W4A16_PDL=$mode timeout 110 "$CLI" bench --quick --packed --shapes "$SHAPES" --json "$R/$mode-$round.json" \
      > "$R/$mode-$round.log" 2>&1
    echo "rc=$?" >> "$R/$mode-$round.log"
    tar czf "$OUT/results.tgz" -C "$R" .
  done
done
timeout 110 "$CLI" bench --quick --packed --overlap --shapes "$SHAPES" --json "$R/overlap.json" > "$R/overlap.log" 2>&1
echo "rc=$?" >> "$R/overlap.log"
tar czf "$OUT/results.tgz" -C "$R" .
