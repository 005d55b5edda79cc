#!/usr/bin/env bash
# Fifteenth session: every packed decode tile at split 1..4, forced, on the
# decode target shapes, one bench call per shape (bench --config list), the
# dispatched plan first.  Usage on the device: bash THIS CLI OUTDIR
set -u
CLI=$1
R=$2
mkdir -p "$R"
m8=""
for c in decr_m8n16k128s3w8 decr_m8n32k128s2w2 decr_m8n32k128s2w4 decr_m8n32k128s2w8; do
  for s in 1 2 3 4; do m8="$m8,$c:$s"; done
done
m16=""
for c in decr_m16n32k128s2w2 decr_m16n32k128s2w4 decr_m16n32k128s2w8; do
  for s in 1 2 3 4; do m16="$m16,$c:$s"; done
done
for shape in 1x14336x4096 1x4096x14336 1x4096x4096; do
  timeout 150 "$CLI" bench --quick --packed --shapes "$shape" > "$R/dispatched-$shape.log" 2>&1
  timeout 150 "$CLI" bench --quick --packed --shapes "$shape" --config "${m8#,}" > "$R/forced-$shape.log" 2>&1
  echo "rc=$?" >> "$R/forced-$shape.log"
done
for shape in 16x14336x4096 16x4096x14336 16x4096x4096; do
  timeout 150 "$CLI" bench --quick --packed --shapes "$shape" > "$R/dispatched-$shape.log" 2>&1
  timeout 150 "$CLI" bench --quick --packed --shapes "$shape" --config "${m16#,}" > "$R/forced-$shape.log" 2>&1
  echo "rc=$?" >> "$R/forced-$shape.log"
done
