#!/usr/bin/env bash
# Device calls of the canonical decode kernels' default programmatic launch
# (sixteenth session, issue #3), from a carried build-gpu and, for PART=ab,
# the previous build's CLI at build-carry/var/w4a16-base.  Each step is added
# to $OUT/results.tgz.
#   PART=ab    : canonical-weight decode shapes (w4a16GemmForward, no pack)
#                and canonical-layout packs (g = 32), base build / this
#                build / this build with W4A16_PDL=reduce, two alternating
#                rounds; then the g = 32 pack with --overlap, base / this.
#   PART=quick : the decode-related GPU tests (a gtest filter).
#   PART=tests : test_gemm_gpu, every test; then test_api_errors,
#                test_gemm_large_gpu, verify --quick.
#   PART=sanitize: memcheck over verify --quick and two decode tests,
#                racecheck over the decode tests (call 5 of the session ran
#                this with 80 / 120 / 150 s limits).
B=build-gpu
CLI=$B/tools/cli/w4a16
BASE=build-carry/var/w4a16-base
export W4A16_GIT_COMMIT=${W4A16_GIT_COMMIT:-unknown}
R=$OUT/r; mkdir -p $R
. scripts/device_common.sh
gpu_info
CANON=$DECODE_CANON_SHAPES
G32=1x14336x4096,1x4096x14336,1x4096x4096,16x14336x4096,16x4096x14336
case ${PART:-ab} in
  ab)
    for round in 1 2; do
      bench_to canon-base-$round W4A16_X=1 $BASE bench --quick --shapes $CANON
      bench_to canon-new-$round W4A16_X=1 $CLI bench --quick --shapes $CANON
      bench_to canon-reduce-$round W4A16_PDL=reduce $CLI bench --quick --shapes $CANON
      bench_to g32-base-$round W4A16_X=1 $BASE bench --quick --packed --group 32 --shapes $G32
      bench_to g32-new-$round W4A16_X=1 $CLI bench --quick --packed --group 32 --shapes $G32
    done
    bench_to g32-overlap-base W4A16_X=1 $BASE bench --quick --packed --overlap --group 32 --shapes $G32
    bench_to g32-overlap-new W4A16_X=1 $CLI bench --quick --packed --overlap --group 32 --shapes $G32
    ;;
  quick)
    decode_gtests $B "$DECODE_TESTS" 300
    ;;
  tests)
    gemm_gpu_tests $B
    other_gpu_tests $B
    ;;
  sanitize)
    sanitizers $B '*ForwardWaitsForThePreviousKernel*:*ExactEveryBatchSize*' '*DecodeEveryBatchSize1To65*' 200
    ;;
esac
