#!/usr/bin/env bash
# Device call (twelfth session, issue #3): the decode kernels with the group
# scale and zero folded into fp32 after the MMAs (build-gpu, W4A16_DEC_FOLD=1)
# against the exact-dequantization build (build-carry/var/w4a16-base), same
# call, two rounds alternating; then the packed decode GPU tests on the fold
# build (which compare against the fp64 reference on bf16-rounded weights).
B=build-gpu
CLI=$B/tools/cli/w4a16
R=$OUT/r; mkdir -p $R
nvidia-smi --query-gpu=name,clocks.max.sm,clocks.max.mem --format=csv > $R/gpu.txt 2>&1
s=1x14336x4096,1x4096x14336,1x4096x4096,1x28672x8192,1x8192x28672,8x14336x4096,8x4096x14336,16x4096x4096,12x4096x4096
for round in 1 2; do
  for who in base fold; do
    cli=$CLI; [ $who = base ] && cli=build-carry/var/w4a16-base
    timeout 100 $cli bench --quick --packed --shapes "$s" > $R/$who-$round.log 2>&1
    timeout 60 $cli bench --quick --packed --config decr_m16n32k128s2w2:1 --shapes 16x14336x4096 > $R/$who-m16w2-$round.log 2>&1
    timeout 60 $cli bench --quick --packed --config decr_m16n32k128s2w8:1 --shapes 16x4096x14336 > $R/$who-m16w8-$round.log 2>&1
  done
done
timeout 200 $B/tests/test_gemm_gpu --gtest_brief=1 --gtest_filter='*Packed*:*Decode*' > $R/tests-fold.log 2>&1; echo "rc=$?" >> $R/tests-fold.log
tar czf $OUT/results.tgz -C $R .
