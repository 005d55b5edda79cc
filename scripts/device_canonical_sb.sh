#!/usr/bin/env bash
# Device calls of the canonical decode kernels' scoreboard fix (seventeenth
# session, issue #3), from a carried build-gpu and two earlier CLIs (sm_90
# builds of tools/cli without the CUTLASS path) in build-carry/var/bis/:
# w4a16-d1d75eb (before the programmatic launch of the canonical kernels;
# its loops pass ctest decode_loop_sass) and w4a16-73781dd (main before
# this fix; its canonical loops fail it).  Each step is added to
# $OUT/results.tgz.
#   PART=ab    : canonical-weight decode shapes: d1d75eb (W4A16_PDL=0, its
#                default then), 73781dd and this build (default launch),
#                this build with W4A16_PDL=0; g = 32 packs (canonical
#                layout) and g = 128 packs (decr, unchanged code): 73781dd
#                and this build; two alternating rounds; then the decode
#                gtest filter.
#   PART=tests : test_gemm_gpu, every test; then test_api_errors,
#                test_gemm_large_gpu, verify --quick.
#   PART=final : the README's tables (bench --quick, canonical and packed
#                weights); memcheck over verify --quick and the canonical
#                decode tests.
B=build-gpu
CLI=$B/tools/cli/w4a16
OLD=build-carry/var/bis/w4a16-d1d75eb
MAIN=build-carry/var/bis/w4a16-73781dd
export W4A16_GIT_COMMIT=${W4A16_GIT_COMMIT:-unknown}
R=$OUT/r; mkdir -p $R
. scripts/device_common.sh
gpu_info
CANON=$DECODE_CANON_SHAPES
PACKED=1x14336x4096,1x4096x14336,1x4096x4096,16x14336x4096,16x4096x14336
case ${PART:-ab} in
  ab)
    for round in 1 2; do
      bench_to canon-d1d75eb-$round W4A16_PDL=0 $OLD bench --quick --shapes $CANON
      bench_to canon-73781dd-$round W4A16_X=1 $MAIN bench --quick --shapes $CANON
      bench_to canon-new-$round W4A16_X=1 $CLI bench --quick --shapes $CANON
      bench_to canon-new-pdl0-$round W4A16_PDL=0 $CLI bench --quick --shapes $CANON
      bench_to g32-73781dd-$round W4A16_X=1 $MAIN bench --quick --packed --group 32 --shapes $PACKED
      bench_to g32-new-$round W4A16_X=1 $CLI bench --quick --packed --group 32 --shapes $PACKED
    done
    bench_to g128-73781dd W4A16_X=1 $MAIN bench --quick --packed --shapes $PACKED
    bench_to g128-new W4A16_X=1 $CLI bench --quick --packed --shapes $PACKED
    decode_gtests $B "$DECODE_TESTS" 200
    ;;
  tests)
    gemm_gpu_tests $B
    other_gpu_tests $B
    ;;
  final)
    timeout 170 $CLI bench --quick --json $R/quick.json --csv $R/quick.csv > $R/quick.log 2>&1
    echo "rc=$?" >> $R/quick.log; save
    timeout 170 $CLI bench --quick --packed --json $R/quick-packed.json --csv $R/quick-packed.csv > $R/quick-packed.log 2>&1
    echo "rc=$?" >> $R/quick-packed.log; save
    { timeout 90 compute-sanitizer --tool memcheck --error-exitcode 9 $CLI verify --quick
      echo "memcheck verify rc=$?"
      timeout 100 compute-sanitizer --tool memcheck --error-exitcode 9 $B/tests/test_gemm_gpu --gtest_brief=1 \
        --gtest_filter='*ExactEveryBatchSize*:*ForwardWaitsForThePreviousKernel*'
      echo "memcheck tests rc=$?"; } > $R/sanitizer-full.log 2>&1
    grep -vE "^(PASS|W4A16|  )" $R/sanitizer-full.log > $R/sanitizer.log; rm $R/sanitizer-full.log; save
    ;;
esac
