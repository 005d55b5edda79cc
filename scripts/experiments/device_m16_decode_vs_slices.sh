#!/usr/bin/env bash
# Device call (twelfth session, issues #3 / #4): packed weights at M = 9..16 on
# the large layers (where the dispatcher plans 256x32 K slices), against the
# 16-token decode tiles with 8 / 4 / 2 warps along K (their split from the
# decode split rule).  Saves $OUT/results.tgz after every run.
CLI=build-gpu/tools/cli/w4a16
R=$OUT/r; mkdir -p $R
save() { tar czf $OUT/results.tgz -C $R .; }
nvidia-smi --query-gpu=name,clocks.max.sm,clocks.max.mem --format=csv > $R/gpu.txt 2>&1
s=""
for nk in 4096x8192 8192x4096 11008x4096 14336x4096 4096x14336 28672x8192 8192x28672; do
  for m in 9 12 16; do s="$s${s:+,}${m}x$nk"; done
done
run() { timeout 80 $CLI bench --quick --packed ${1:+--config $1} --shapes "$s" --json $R/$2.json > $R/$2.log 2>&1; save; }
run "" dispatched
run decr_m16n32k128s2w8 w8
run decr_m16n32k128s2w4 w4
run decr_m16n32k128s2w2 w2
