#!/bin/bash
# Twenty-fourth session: the M > 512 packed rule (dispatch.cpp,
# cheapest_large_m_tiling) checked at M values and layers it was not fitted
# on: its four candidate tilings forced (each row interleaved with cuBLAS),
# the dispatcher's choice on the same shapes, the canonical path's large-M
# tiles forced at the fitted points, and the packed dispatch GPU tests.
# Usage on the device: tar xzf build-carry/b.tgz && bash THIS
R=$OUT/r; mkdir -p $R
source scripts/device_common.sh
CLI=build-gpu/tools/cli/w4a16
gpu_info
{ timeout 200 build-gpu/tests/test_gemm_gpu \
    --gtest_filter='GemmGpu.PackedWeightsDispatched:GemmGpu.PackedDeterministicAndGraphCapturable'
  echo "test_gemm_gpu rc=$?"; } > $R/gtest-packed-dispatch.log 2>&1
save
S=$(refit_check_shapes)
LARGE=sm90_coop_n128m256k64_rp,sm90_coop_n128m192k64_rp,sm90_coop_n128m128k64_rp,sm90_coop_n128m256k64_sk_rp
quick_bench dispatch-check 120 --packed --shapes "$S"
quick_bench forced-check 300 --packed --config "$LARGE" --shapes "$S"
C=$(shapes_over 4096x4096 "640 768 1024 1536")$(shapes_over 14336x4096 "640 768 1024 1536")$(shapes_over 4096x14336 "640 768 1024 1536")
quick_bench canonical-forced 120 --config sm90_coop_n128m256k64,sm90_coop_n128m128k64,sm90_coop_n128m256k64_sk \
  --shapes "${C%,}"
