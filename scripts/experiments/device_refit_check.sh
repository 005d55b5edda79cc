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
over() {  # layer M-list -> shapes
  local out="" m
  for m in $2; do out+="${m}x$1,"; done
  printf '%s' "$out"
}
S=$(over 4096x4096 "576 704 896 1030 1152 1280 1792 2304 2560 3072 5120 6144")
S+=$(over 14336x4096 "576 704 896 1152 1280 1792 2304 3072")
S+=$(over 4096x14336 "576 896 1152 1280 1792 2560")
S+=$(over 6144x4096 "768 1024 1536 2048 4096")
S+=$(over 28672x8192 "640 1024 2048")
S+=$(over 8192x28672 "640 1024 2048")
S+=4096x5120x8192
LARGE=sm90_coop_n128m256k64_rp,sm90_coop_n128m192k64_rp,sm90_coop_n128m128k64_rp,sm90_coop_n128m256k64_sk_rp
run_bench() {  # name seconds bench-args...
  local name=$1 secs=$2; shift 2
  timeout "$secs" $CLI bench --quick "$@" --json "$R/$name.json" > "$R/$name.log" 2>&1
  echo "rc=$?" >> "$R/$name.log"
  save
}
run_bench dispatch-check 120 --packed --shapes "$S"
run_bench forced-check 300 --packed --config "$LARGE" --shapes "$S"
C=$(over 4096x4096 "640 768 1024 1536")$(over 14336x4096 "640 768 1024 1536")$(over 4096x14336 "640 768 1024 1536")
run_bench canonical-forced 120 --config sm90_coop_n128m256k64,sm90_coop_n128m128k64,sm90_coop_n128m256k64_sk \
  --shapes "${C%,}"
