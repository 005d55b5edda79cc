#!/usr/bin/env bash
# Device call for 128-deep Hopper tiles (ninth session, experiment; the k128
# configurations exist only on the branch wip/issue4-k128, build from it): each
# k128 configuration forced against its 64-deep twin (same split), packed
# weights, g = 128 with zeros, on the shapes where the twin is dispatched or
# close; then the dispatched kernel on the same shapes.  From a carried
# build-gpu; everything lands in $OUT/results.tgz.
B=build-gpu
R=$OUT/r; mkdir -p $R
nvidia-smi --query-gpu=name,clocks.max.sm,clocks.max.mem --format=csv > $R/gpu.txt 2>&1
run() {  # label config shapes
  timeout 120 $B/tools/cli/w4a16 bench --quick --packed --config "$2" --shapes "$3" --json $R/$1.json > $R/$1.log 2>&1
  echo "rc=$?" >> $R/$1.log
}
P="96x14336x4096,128x14336x4096,160x14336x4096,192x14336x4096,256x14336x4096,320x14336x4096"
KS="96x4096x14336,128x4096x14336,160x4096x14336,96x4096x4096,128x4096x4096"
K256="256x4096x14336,320x4096x14336,512x4096x14336"
K256b="192x4096x4096,256x4096x4096,320x4096x4096,512x4096x4096"
for round in 1 2; do
  for k in 64 128; do
    run p-k$k-$round sm90_coop_n128m128k${k}_rp "$P"
    run ks4-k$k-$round sm90_coop_n128m128k${k}_ks_rp:4 "$KS"
    run ks256s4-k$k-$round sm90_coop_n128m256k${k}_ks_rp:4 "$K256"
    run ks256s2-k$k-$round sm90_coop_n128m256k${k}_ks_rp:2 "$K256,$K256b"
  done
done
timeout 120 $B/tools/cli/w4a16 bench --quick --packed --shapes "$P,$KS,$K256,$K256b" --json $R/auto.json > $R/auto.log 2>&1
tar czf $OUT/results.tgz -C $R . && rm -rf $R
