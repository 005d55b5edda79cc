#!/bin/bash
# Nineteenth session: the checks of the canonical two-stage decode kernels
# refilling ahead (main after the merge of wip/issue3-canonical-refill-ahead),
# from a carried build-gpu (sm_90a).  Call 2 of the session had run the
# decode GPU tests on the branch's build (same kernel code).
#   PART=tests    : test_gemm_gpu but the tests whose kernels the change
#                   cannot reach (the sm90 CUTLASS configurations forced,
#                   their graph capture, autotune), then test_api_errors,
#                   test_gemm_large_gpu and verify --quick.
#   PART=sanitize : memcheck over verify --quick and the tests that force
#                   every configuration (canonical decode rows included,
#                   split 1 and more) and every M = 1..17 exactly; racecheck
#                   over the forced-configuration test; then the README's
#                   canonical table (bench --quick).
R=$OUT/r; mkdir -p $R
B=build-gpu
. scripts/device_common.sh
gpu_info
case ${PART:-tests} in
  tests)
    gemm_gpu_tests_but_sm90 $B 500
    other_gpu_tests $B
    ;;
  sanitize)
    sanitizers $B '*EveryConfigurationForced*:*ExactEveryBatchSize*' '*EveryConfigurationForced*' 170
    timeout 150 $B/tools/cli/w4a16 bench --quick --json $R/quick.json --csv $R/quick.csv > $R/quick.log 2>&1
    echo "rc=$?" >> $R/quick.log; save
    ;;
esac
