#!/usr/bin/env bash
# Device call (twelfth session, issues #3 / #4): where the time of the small-M
# kernels goes on the 8B-class layers.  One carried build-gpu; results in $OUT.
#   ncu-*.csv : per-kernel GPU time (ncu, clocks and caches left alone) of the
#               dispatched packed plans: the GEMM kernel, the split-K reduction
#   ksweep-*  : forced 256x32 K-slice tile at M = 16 over K (the intercept is
#               the fixed cost per call) and over its slice count
#   decr-*    : the 16-token decode tiles forced on the same shapes
B=build-gpu
CLI=$B/tools/cli/w4a16
export W4A16_GIT_COMMIT=${W4A16_GIT_COMMIT:-unknown}
R=$OUT/r; mkdir -p $R
nvidia-smi --query-gpu=name,clocks.max.sm,clocks.max.mem --format=csv > $R/gpu.txt 2>&1
for s in 1x14336x4096 16x14336x4096 16x4096x14336 32x14336x4096 64x14336x4096 64x4096x14336 128x14336x4096; do
  timeout 120 ncu --csv --clock-control none --cache-control none --metrics gpu__time_duration.sum,launch__grid_size \
    --kernel-name regex:'sm80_dec|splitk|device_kernel' --launch-count 60 \
    $CLI bench --quick --packed --shapes $s > $R/ncu-$s.csv 2> $R/ncu-$s.err
done
s1=16x14336x1024,16x14336x2048,16x14336x4096,16x14336x8192,16x14336x16384
timeout 100 $CLI bench --quick --packed --config sm90_coop_n256m32k64_ks_rp:1 --shapes $s1 > $R/ksweep-s1.log 2>&1
timeout 100 $CLI bench --quick --packed --config sm90_coop_n256m32k64_ks_rp:2 --shapes $s1 > $R/ksweep-s2.log 2>&1
s2=16x4096x14336,16x14336x4096,32x14336x4096
for sp in 1 2 4 8; do
  timeout 100 $CLI bench --quick --packed --config sm90_coop_n256m32k64_ks_rp:$sp --shapes $s2 > $R/slices-$sp.log 2>&1
done
for c in decr_m16n32k128s2w2 decr_m16n32k128s2w4 decr_m16n32k128s2w8; do
  for sp in 1 2; do
    timeout 100 $CLI bench --quick --packed --config $c:$sp --shapes 16x14336x4096,16x4096x14336 > $R/decr-$c-$sp.log 2>&1
  done
done
tar czf $OUT/results.tgz -C $R .
