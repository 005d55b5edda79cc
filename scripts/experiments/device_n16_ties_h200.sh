#!/bin/bash
# Twenty-fifth session (H200): where the decode rule's warps-in-flight tie
# between the n16 tile and n32 tiles goes to n16 (M <= 4), is n16 the faster
# one on an H200?  The candidates forced at M = 1 / 2 / 4 (packed) and 1 / 4
# (canonical) on N = 3072 / 4096 layers with K = 4096..28672; then the
# canonical M > 512 rule's GPU test (LargeMTilingsDispatched) at main.
# Usage on the device: tar xzf build-carry/b.tgz && bash THIS
R=$OUT/r; mkdir -p $R
source scripts/device_common.sh
CLI=build-gpu/tools/cli/w4a16
gpu_info
L="4096x14336 4096x28672 4096x8192 3072x8192 4096x4096"
P=""; for m in 1 2 4; do P+="$(shapes_at $m "$L"),"; done
C=""; for m in 1 4; do C+="$(shapes_at $m "$L"),"; done
quick_bench packed-forced 150 --packed --shapes "${P%,}" \
  --config decr_m8n16k128s3w8:1,decr_m8n32k128s2w4:4,decr_m8n32k128s2w8:2
quick_bench canonical-forced 120 --shapes "${C%,}" \
  --config dec_m8n16k128s3w8:1,dec_m8n32k128s2w4:4,dec_m8n32k128s2w8:2
timeout 120 build-gpu/tests/test_gemm_gpu --gtest_filter='*LargeMTilingsDispatched*' > $R/gtest-large-m.log 2>&1
echo "rc=$?" >> $R/gtest-large-m.log; save
