#!/usr/bin/env bash
# Device call (twelfth session, issue #3): the packed decode kernels with parts
# switched off at compile time (W4A16_DEC_LAB, measurement builds, wrong
# results): 1 = no math (all loads, one xor per stage), 2 = weights only (no
# activation or group-parameter loads, the math on constants), 0 = as merged.
R=$OUT/r; mkdir -p $R
nvidia-smi --query-gpu=name,clocks.max.sm,clocks.max.mem --format=csv > $R/gpu.txt 2>&1
s=1x14336x4096,1x4096x14336,1x4096x4096,1x28672x8192,1x8192x28672,8x14336x4096,16x4096x4096
for round in 1 2; do
  for v in 0 1 2; do
    cli=build-carry/var/w4a16-lab$v
    timeout 60 $cli bench --quick --packed --shapes "$s" > $R/lab$v-$round.log 2>&1
    timeout 60 $cli bench --quick --packed --config decr_m16n32k128s2w8:1 --shapes 16x4096x14336 > $R/lab$v-m16-$round.log 2>&1
  done
  timeout 60 build-carry/var/w4a16-lab0 bench --quick --packed --overlap --shapes "$s" > $R/lab0-overlap-$round.log 2>&1
done
timeout 60 build-carry/var/dec_read_lab > $R/read_lab.log 2>&1
tar czf $OUT/results.tgz -C $R .
