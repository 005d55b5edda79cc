#!/usr/bin/env bash
# Sixteenth session: the 16-token decode tile at 168 registers (12 warps per
# SM) with 3 / 6 / 12 warps along K, against the 255-register w2 / w4 / w8
# tiles and the dispatched plan.  Usage on the device: bash THIS CLI OUTDIR
set -u
CLI=$1
R=$2
mkdir -p "$R"
save() { tar czf "$OUT/results.tgz" -C "$R" .; }
run() {  # name shapes configs
  timeout 120 "$CLI" bench --quick --packed --shapes "$2" ${3:+--config "$3"} > "$R/$1.log" 2>&1
  echo "rc=$?" >> "$R/$1.log"
  save
}
for round in 1 2; do
  run disp-m16-$round 12x14336x4096,16x14336x4096,12x4096x14336,16x4096x14336,16x4096x4096,16x8192x4096,16x4096x8192
  run n14336-$round 12x14336x4096,16x14336x4096 decr_m16n32k128s2w2:1,decr_m16n32k128s2w3:1,decr_m16n32k128s2w4:1
  run k14336-$round 12x4096x14336,16x4096x14336 decr_m16n32k128s2w8:1,decr_m16n32k128s2w12:1,decr_m16n32k128s2w6:1
  run n4096-$round 16x4096x4096,16x4096x8192 decr_m16n32k128s2w8:1,decr_m16n32k128s2w12:1,decr_m16n32k128s2w6:1,decr_m16n32k128s2w12:2
  run n8192-$round 16x8192x4096 decr_m16n32k128s2w4:1,decr_m16n32k128s2w6:1,decr_m16n32k128s2w3:1
  run m32-$round 32x4096x14336,32x4096x4096,24x4096x14336 decr_m16n32k128s2w6:1,decr_m16n32k128s2w12:1,decr_m16n32k128s2w8:1
  run disp-m32-$round 32x4096x14336,32x4096x4096,24x4096x14336
done
