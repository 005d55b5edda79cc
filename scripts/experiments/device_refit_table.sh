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
over() {  # layer M-list -> shapes
  local out="" m
  for m in $2; do out+="${m}x$1,"; done
  printf '%s' "$out"
}
S=""
for nk in 4096x4096 14336x4096 4096x14336; do S+=$(over $nk "640 768 1024 1536 2048 4096 8192"); done
S+=$(over 4096x4096 "576 704 896 1030 1152 1280 1792 2304 2560 3072 5120 6144")
S+=$(over 14336x4096 "576 704 896 1152 1280 1792 2304 3072")
S+=$(over 4096x14336 "576 896 1152 1280 1792 2560")
S+=$(over 6144x4096 "768 1024 1536 2048 4096")
S+=$(over 28672x8192 "640 1024 2048")
S+=$(over 8192x28672 "640 1024 2048")
S+=4096x5120x8192
run_bench() {  # name seconds bench-args...
  local name=$1 secs=$2; shift 2
  timeout "$secs" $CLI bench --quick "$@" --json "$R/$name.json" > "$R/$name.log" 2>&1
  echo "rc=$?" >> "$R/$name.log"
  save
}
run_bench packed-dispatch 100 --packed --shapes "$S"
run_bench packed-forced 300 --packed --shapes "$S" \
  --config sm90_coop_n128m256k64_rp,sm90_coop_n128m192k64_rp,sm90_coop_n128m128k64_rp,sm90_coop_n128m256k64_sk_rp
C=""
for nk in 4096x4096 14336x4096 4096x14336; do C+=$(over $nk "640 768 1024 1536"); done
run_bench canonical-dispatch 60 --shapes "${C%,}"
run_bench canonical-forced 100 --shapes "${C%,}" \
  --config sm90_coop_n128m256k64,sm90_coop_n128m128k64,sm90_coop_n128m256k64_sk
