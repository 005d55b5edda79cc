#!/usr/bin/env bash
# Per-channel packed weights (--group K) on large layers, from a carried build-gpu: the dispatched
# kernel, the unsliced 256-row K-slice tiles the dispatcher chose before 8bc90e8, and decr forced
# at M = 24 / 32; then PackedWeightsDispatched.  Output: $OUT/per-channel.{log,json}, gtest log.
cli=build-gpu/tools/cli/w4a16
export W4A16_GIT_COMMIT=${W4A16_GIT_COMMIT:-unknown}
nvidia-smi --query-gpu=name,clocks.max.sm,temperature.gpu --format=csv,noheader > $OUT/gpu.txt 2>&1
sh="12x14336x4096,16x14336x4096,16x4096x14336,24x4096x14336,32x4096x14336,64x8192x28672,16x28672x8192"
{ echo "== auto (per-channel, g = K)"
  timeout 90 $cli bench --quick --packed --group K --shapes "$sh" --json $OUT/per-channel-auto.json 2>&1 | grep -E "^ +[0-9]+ +[0-9]+ |copy|rror"
  echo "rc=${PIPESTATUS[0]}"
  echo "== forced sm90_coop_n256m32k64_ks_rp (the choice before the fix)"
  timeout 60 $cli bench --quick --packed --group K --config sm90_coop_n256m32k64_ks_rp --shapes 12x14336x4096,24x4096x14336,32x4096x14336 2>&1 | grep -E "^ +[0-9]+ +[0-9]+ |rror"
  echo "== forced sm90_coop_n256m64k64_ks_rp (the choice before the fix)"
  timeout 60 $cli bench --quick --packed --group K --config sm90_coop_n256m64k64_ks_rp --shapes 64x8192x28672 2>&1 | grep -E "^ +[0-9]+ +[0-9]+ |rror"
  echo "== forced decr_m16n32k128s2w8 at 24/32x4096x14336"
  timeout 60 $cli bench --quick --packed --group K --config decr_m16n32k128s2w8 --shapes 24x4096x14336,32x4096x14336 2>&1 | grep -E "^ +[0-9]+ +[0-9]+ |rror"
} > $OUT/per-channel.log 2>&1
timeout 200 build-gpu/tests/test_gemm_gpu --gtest_brief=1 --gtest_filter='*PackedWeightsDispatched*' > $OUT/gtest-packed-dispatched.log 2>&1; echo "gtest rc=$?" >> $OUT/gtest-packed-dispatched.log
cut -c1-75 $OUT/per-channel.log; tail -3 $OUT/gtest-packed-dispatched.log
