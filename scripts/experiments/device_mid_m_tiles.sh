#!/usr/bin/env bash
# Device call (thirteenth session, issue #4): the 160- and 192-token Hopper
# tiles (persistent and K slices, packed weights) against the dispatched
# choice at 128 < M <= 512, where 128x256 tiles waste up to half their MMAs
# (M = 320: 512 token rows computed) and 128x128 tiles dequantize the weights
# up to 4 times.  Forced runs (--config NAME[:S]) over the same shapes; each
# step is added to $OUT/results.tgz.
B=build-gpu
CLI=$B/tools/cli/w4a16
R=$OUT/r; mkdir -p $R
save() { tar czf $OUT/results.tgz -C $R .; }
nvidia-smi --query-gpu=name,clocks.max.sm,clocks.max.mem --format=csv > $R/gpu.txt 2>&1
s=""
for nk in 4096x4096 14336x4096 4096x14336; do
  for m in 136 160 192 224 256 288 320 384 448 512; do s="$s${s:+,}${m}x$nk"; done
done
s="$s,160x4096x11008,192x4096x11008,320x4096x11008,384x4096x11008"
run() {  # run LABEL [CONFIG]
  local label=$1; shift
  local extra=(); [ $# -gt 0 ] && extra=(--config "$1")
  timeout 100 $CLI bench --quick --packed --shapes "$s" "${extra[@]}" --json $R/$label.json > $R/$label.log 2>&1
  echo "rc=$?" >> $R/$label.log
  save
}
run dispatched
for c in sm90_coop_n128m160k64_rp sm90_coop_n128m192k64_rp; do run ${c#sm90_coop_} $c; done
for c in sm90_coop_n128m160k64_ks_rp sm90_coop_n128m192k64_ks_rp; do
  for sp in 2 4; do run ${c#sm90_coop_}-s$sp $c:$sp; done
done
# Stream-K (CUTLASS's own heuristic, 132 units) where the persistent tiles
# leave SMs idle: 14336 / 128 = 112 tiles on 132 SMs at M <= 128.
s0=$s
s=48x14336x4096,64x14336x4096,96x14336x4096,128x14336x4096,64x4096x14336,128x4096x14336,256x4096x14336,256x14336x4096
run sk-dispatched
for c in sm90_coop_n128m64k64_sk_rp sm90_coop_n128m128k64_sk_rp sm90_coop_n128m256k64_sk_rp; do run ${c#sm90_coop_} $c; done
s=$s0
run dispatched-2
