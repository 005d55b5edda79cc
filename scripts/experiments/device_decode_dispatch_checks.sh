#!/bin/bash
# Nineteenth session: the decode dispatcher rewritten (dispatch.cpp,
# choose_decode: warps in flight counted with the split), from a carried
# build-gpu (sm_90a): test_gemm_gpu but the tests whose kernels the change
# cannot reach (sm90 configurations forced, their graph capture, autotune),
# the other GPU tests, then the dispatched plans on the forced sweeps'
# shapes (calls 6-8 of bench/results/2026-11-27-h100-decode-xring/), both
# layouts, to compare with the forced rows.
R=$OUT/r; mkdir -p $R
B=build-gpu
CLI=$B/tools/cli/w4a16
. scripts/device_common.sh
gpu_info
gemm_gpu_tests_but_sm90 $B 420
other_gpu_tests $B
S="1x2048x8192,8x2048x8192,16x2048x4096,8x3072x8192,1x4096x4096,6x4096x4096,8x4096x4096,8x4096x14336,8x6144x4096,1x1024x4096,16x1024x8192,16x3072x4096"
bench_to dispatched-canon $CLI bench --quick --shapes $S
bench_to dispatched-packed $CLI bench --quick --packed --shapes $S
