#!/usr/bin/env bash
# Closing device calls of the default programmatic launch (fifteenth session,
# issues #3 and #4), from a carried build-gpu.  Each step is added to
# $OUT/results.tgz.
#   PART=tests : test_gemm_gpu, every test (per-test times).
#   PART=rest  : test_api_errors, test_gemm_large_gpu, verify --quick;
#                memcheck over verify --quick and over the packed dispatched
#                test (the default launch), racecheck over the latter.
#   PART=sweep : the packed M sweep of the README's plot (M <= 512, and the
#                large part) and the issue target shapes
#                (scripts/device_dispatch_sweep.sh).
B=build-gpu
CLI=$B/tools/cli/w4a16
export W4A16_GIT_COMMIT=${W4A16_GIT_COMMIT:-unknown}
R=$OUT/r; mkdir -p $R
. scripts/device_common.sh
gpu_info
case ${PART:-tests} in
  tests)
    gemm_gpu_tests $B
    ;;
  rest)
    other_gpu_tests $B
    sanitizers $B '*PackedWeightsDispatched*' '*PackedWeightsDispatched*' 150
    ;;
  sweep)
    OUT=$R PARTS="small large targets" bash scripts/device_dispatch_sweep.sh
    save
    ;;
esac
