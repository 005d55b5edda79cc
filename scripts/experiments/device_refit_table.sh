#!/bin/bash
# Twenty-fourth session: the final M > 512 rule (dispatch.cpp,
# cheapest_large_m_tiling) against its candidates in one call: on the 59
# shapes it was fitted on (calls 1-2), the dispatcher's packed choice, then
# the four packed tilings forced; on 12 shapes the canonical choice, then the
# three canonical tilings forced.  Each row interleaved with cuBLAS.
# Tables: scripts/make_readme_table.py --vs-best DISPATCH FORCED.
# Usage on the device: tar xzf build-carry/b.tgz && bash THIS
R=$OUT/r; mkdir -p $R
source scripts/device_common.sh
CLI=build-gpu/tools/cli/w4a16
gpu_info
S=""
for nk in 4096x4096 14336x4096 4096x14336; do S+=$(shapes_over $nk "640 768 1024 1536 2048 4096 8192"); done
S+=$(refit_check_shapes)
quick_bench packed-dispatch 100 --packed --shapes "$S"
quick_bench packed-forced 300 --packed --shapes "$S" \
  --config sm90_coop_n128m256k64_rp,sm90_coop_n128m192k64_rp,sm90_coop_n128m128k64_rp,sm90_coop_n128m256k64_sk_rp
C=""
for nk in 4096x4096 14336x4096 4096x14336; do C+=$(shapes_over $nk "640 768 1024 1536"); done
quick_bench canonical-dispatch 60 --shapes "${C%,}"
quick_bench canonical-forced 100 --shapes "${C%,}" \
  --config sm90_coop_n128m256k64,sm90_coop_n128m128k64,sm90_coop_n128m256k64_sk
