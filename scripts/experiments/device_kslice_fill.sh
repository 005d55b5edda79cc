#!/usr/bin/env bash
# Device call (twelfth session, issue #4): K slices that leave half the SMs
# idle are no longer planned, and 16 < M <= 32 takes 256x32 slices on small
# weights too.  This build (dispatched) against the build before
# (build-carry/var/w4a16-base), two rounds alternating, then the GPU tests of
# the dispatched packed plans.  Each step is added to $OUT/results.tgz.
B=build-gpu
CLI=$B/tools/cli/w4a16
R=$OUT/r; mkdir -p $R
save() { tar czf $OUT/results.tgz -C $R .; }
nvidia-smi --query-gpu=name,clocks.max.sm,clocks.max.mem --format=csv > $R/gpu.txt 2>&1
s=9x4096x11008,16x4096x11008,24x4096x11008,32x4096x11008,48x4096x11008,64x4096x11008,96x4096x11008,128x4096x11008
s=$s,24x4096x4096,32x4096x4096,24x6144x4096,32x6144x4096,24x1024x4096,16x14336x4096,16x4096x14336,32x14336x4096,32x4096x14336
for round in 1 2; do
  for who in base new; do
    cli=$CLI; [ $who = base ] && cli=build-carry/var/w4a16-base
    timeout 60 $cli bench --quick --packed --shapes "$s" --json $R/$who-$round.json > $R/$who-$round.log 2>&1
    save
  done
done
timeout 200 $B/tests/test_gemm_gpu --gtest_brief=1 \
  --gtest_filter='*PackedWeightsDispatched*:*PackedDeterministicAndGraphCapturable*:*DecodeModelShapes*' > $R/gtest.log 2>&1
echo "rc=$?" >> $R/gtest.log
save
