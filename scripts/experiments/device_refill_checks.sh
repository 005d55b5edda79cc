#!/bin/bash
# Eighteenth session: the checks the seventeenth session left undone on the
# two-stage packed decode kernels that refill ahead (`7fabd0d`, main at
# `2bce60d`; the decode kernels unchanged since), from a carried build-gpu.
#   PART=tests : test_gemm_gpu without the tests whose kernels the change
#                cannot reach (the sm90 CUTLASS configurations forced, their
#                graph capture, autotune), then test_api_errors,
#                test_gemm_large_gpu and verify --quick.
#   PART=sanitize : memcheck over verify --quick and the packed decode-tile
#                tests (g = 64 half groups: every decode tile, split 1 and
#                3), racecheck over the same tests.
#   PART=final : the README's tables: bench --quick with packed and with
#                canonical weights, then the issue target shapes (packed, 20
#                replays).  Calls 6 and 7 ran these commands typed inline,
#                call 8 the last one again on a fresh machine.
R=$OUT/r; mkdir -p $R
B=build-gpu
. scripts/device_common.sh
gpu_info
case ${PART:-tests} in
  tests)
    gemm_gpu_tests_but_sm90 $B 480
    other_gpu_tests $B
    ;;
  sanitize)
    sanitizers $B '*PackedHalfGroupsEveryDecodeTile*:*ForwardWaitsForThePreviousKernel*' '*PackedHalfGroupsEveryDecodeTile*' 150
    ;;
  final)
    readme_tables $B
    ;;
esac
