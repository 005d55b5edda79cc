#!/bin/bash
# Twenty-fourth session: a canonical-weight 192-token tile
# (sm90_coop_n128m192k64, new): its forced-configuration test, then the
# canonical large-M tilings forced (128x256, 128x192, 128x128, stream-K
# 128x256; each row interleaved with cuBLAS) on the M > 512 shapes of the
# packed refit, and at M = 160 / 192 / 320 / 384 the canonical choice against
# the 192-token tile forced: the data its cost per row (dispatch.cpp,
# kCanonicalLargeMTilings) is fitted to.
# Usage on the device: tar xzf build-carry/b.tgz && bash THIS
R=$OUT/r; mkdir -p $R
source scripts/device_common.sh
CLI=build-gpu/tools/cli/w4a16
gpu_info
{ W4A16_TEST_SM90_CONFIGS=sm90_coop_n128m192k64 timeout 60 build-gpu/tests/test_gemm_gpu \
    --gtest_filter='GemmGpu.Sm90ConfigurationsForced'
  echo "test_gemm_gpu rc=$?"; } > $R/gtest-192.log 2>&1
save
S=""
for nk in 4096x4096 14336x4096 4096x14336; do S+=$(shapes_over $nk "576 640 768 1024 1152 1280 1536 2048 2304 3072 4096"); done
S+=$(shapes_over 6144x4096 "768 1536")$(shapes_over 28672x8192 "640")$(shapes_over 8192x28672 "640")4096x5120x8192
quick_bench canonical-large-forced 200 --shapes "$S" \
  --config sm90_coop_n128m256k64,sm90_coop_n128m192k64,sm90_coop_n128m128k64,sm90_coop_n128m256k64_sk
MID=""
for nk in 4096x4096 14336x4096 4096x14336; do MID+=$(shapes_over $nk "160 192 320 384"); done
quick_bench canonical-mid-dispatch 40 --shapes "${MID%,}"
quick_bench canonical-mid-forced 40 --shapes "${MID%,}" --config sm90_coop_n128m192k64
