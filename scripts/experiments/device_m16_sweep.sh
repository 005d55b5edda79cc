#!/usr/bin/env bash
# Device call (twelfth session, issues #3 / #4): packed weights at M = 9..32,
# the dispatched plan against the 16-token decode tiles (w2 / w4 / w8 warps
# along K, split 1 and 2) and the 32-token K-slice tiles, forced, on ten
# LLM layer shapes.  Results in $OUT/results.tgz (one JSON per run).
B=build-gpu
CLI=$B/tools/cli/w4a16
R=$OUT/r; mkdir -p $R
nvidia-smi --query-gpu=name,clocks.max.sm,clocks.max.mem --format=csv > $R/gpu.txt 2>&1
s=""
for nk in 4096x4096 6144x4096 4096x8192 8192x4096 11008x4096 4096x11008 14336x4096 4096x14336 28672x8192 8192x28672; do
  for m in 9 12 16 24 32; do s="$s${s:+,}${m}x$nk"; done
done
run() { timeout 150 $CLI bench --quick --packed ${1:+--config $1} --shapes "$s" --json $R/$2.json > $R/$2.log 2>&1; }
run "" dispatched-1
for c in decr_m16n32k128s2w2 decr_m16n32k128s2w4 decr_m16n32k128s2w8; do
  for sp in 1 2; do run $c:$sp ${c#decr_m16n32k128s2}-s$sp; done
done
run sm90_coop_n256m32k64_ks_rp ks256
run sm90_coop_n128m32k64_ks_rp ks128
run "" dispatched-2
tar czf $OUT/results.tgz -C $R .
