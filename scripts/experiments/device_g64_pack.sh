#!/usr/bin/env bash
# Device calls for packed g = 64 weights (the decode kernels' half groups,
# eighth session), from a carried build-gpu.  Everything lands in
# $OUT/results.tgz.
#   PART=tests    every GPU test and `verify --quick`
#   PART=sanitize memcheck and racecheck over the g = 64 decode-tile test,
#                 memcheck over `verify --quick`, racecheck over the packed
#                 dispatched tests
#   PART=bench    g = 64 with canonical weights against the g = 64 pack (same
#                 run), then the g = 128 targets packed (the unchanged path)
B=build-gpu
export W4A16_GIT_COMMIT=${W4A16_GIT_COMMIT:-unknown}
R=$OUT/r; mkdir -p $R
nvidia-smi --query-gpu=name,clocks.max.sm,clocks.max.mem --format=csv > $R/gpu.txt 2>&1
case ${PART:-tests} in
tests)
  { timeout 500 $B/tests/test_gemm_gpu --gtest_brief=1; echo "test_gemm_gpu rc=$?"
    timeout 30 $B/tests/test_api_errors --gtest_brief=1; echo "test_api_errors rc=$?"
    timeout 60 $B/tests/test_gemm_large_gpu --gtest_brief=1; echo "test_gemm_large_gpu rc=$?"
    timeout 60 $B/tools/cli/w4a16 verify --quick; echo "verify rc=$?"; } > $R/gtest.log 2>&1 ;;
sanitize)
  # racecheck also reports cuBLAS's own TMA/mbarrier kernels (nvjet_*, the tests' reference GEMMs);
  # the summary lines count the hazards reported in any other kernel.
  { timeout 150 compute-sanitizer --tool memcheck --error-exitcode 9 $B/tests/test_gemm_gpu --gtest_brief=1 \
      --gtest_filter='*PackedHalfGroupsEveryDecodeTile*'; echo "memcheck half-groups rc=$?"
    timeout 150 compute-sanitizer --tool racecheck $B/tests/test_gemm_gpu --gtest_brief=1 \
      --gtest_filter='*PackedHalfGroupsEveryDecodeTile*'; echo "racecheck half-groups rc=$?"
    timeout 100 compute-sanitizer --tool memcheck --error-exitcode 9 $B/tools/cli/w4a16 verify --quick; echo "memcheck verify rc=$?"
    timeout 180 compute-sanitizer --tool racecheck $B/tests/test_gemm_gpu --gtest_brief=1 \
      --gtest_filter='*PackedWeightsDispatched*'; echo "racecheck dispatched rc=$?"; } > $R/sanitizer-full.log 2>&1
  grep -vE "^(PASS|W4A16|  )" $R/sanitizer-full.log > $R/sanitizer.log
  echo "racecheck hazards outside cuBLAS nvjet kernels: $(grep 'Race reported' $R/sanitizer-full.log | grep -vc nvjet)" >> $R/sanitizer.log
  rm $R/sanitizer-full.log ;;
bench)
  s=""
  for nk in 14336x4096 4096x14336 4096x4096; do for m in 1 8 16 32 48 64 128 256; do s="$s,${m}x$nk"; done; done
  s="${s#,},1x28672x8192,16x28672x8192,64x28672x8192,1x8192x28672,16x8192x28672,64x8192x28672"
  for round in 1 2; do
    for mode in canonical packed; do
      flag=""; [ $mode = packed ] && flag=--packed
      timeout 150 $B/tools/cli/w4a16 bench --quick --group 64 $flag --shapes "$s" --json $R/g64-$mode-$round.json \
        > $R/g64-$mode-$round.log 2>&1
      echo "rc=$?" >> $R/g64-$mode-$round.log
    done
  done
  timeout 150 $B/tools/cli/w4a16 bench --quick --packed --shapes "$(cat scripts/target_shapes.txt)" \
    --json $R/targets-packed.json > $R/targets-packed.log 2>&1
  echo "rc=$?" >> $R/targets-packed.log ;;
esac
tar czf $OUT/results.tgz -C $R . && rm -rf $R
