#!/bin/bash
# Twenty-fourth session: the packed compute-bound configurations forced one by
# one (`bench --config`, each row interleaved with cuBLAS, so rows compare by
# speedup even when the SM clock drifts between them) over M = 96..8192 on the
# three 8B-class layers, and the dispatcher's choice on the same grid: the
# data the packed M >= 96 rules are refitted to.
# Usage on the device: tar xzf build-carry/b.tgz && bash THIS [PARTS]
R=$OUT/r; mkdir -p $R
source scripts/device_common.sh
CLI=build-gpu/tools/cli/w4a16
gpu_info
grid() {  # M list -> shapes over the three layers, (N, K)-major
  local out="" nk
  for nk in 4096x4096 14336x4096 4096x14336; do out+=$(shapes_over $nk "$1"); done
  printf '%s' "${out%,}"
}
part() {  # name seconds M-list configs (empty: the dispatcher)
  local force=()
  [ -n "$4" ] && force=(--config "$4")
  quick_bench "$1" "$2" --packed "${force[@]}" --shapes "$(grid "$3")"
}
MID="96 128 160 192 224 256 320 384 448 512"
BIG="640 768 1024 1536 2048 4096 8192"
MIDCFG=sm90_coop_n128m128k64_rp,sm90_coop_n128m256k64_rp,sm90_coop_n128m192k64_rp,sm90_pp_n64m128k64_rp,sm90_coop_n128m128k64_sk_rp,sm90_coop_n128m256k64_sk_rp,sm90_coop_n128m128k64_ks_rp,sm90_coop_n128m256k64_ks_rp,sm90_coop_n128m192k64_ks_rp,sm90_coop_n128m64k128_rp
BIGCFG=sm90_coop_n128m128k64_rp,sm90_coop_n128m256k64_rp,sm90_coop_n128m192k64_rp,sm90_coop_n128m128k64_sk_rp,sm90_coop_n128m256k64_sk_rp
for p in ${1:-dmid mid dbig big}; do
  case $p in
    dmid) part dispatch-mid 60 "$MID" "" ;;
    mid) part forced-mid 300 "$MID" "$MIDCFG" ;;
    dbig) part dispatch-big 60 "$BIG" "" ;;
    big) part forced-big 240 "$BIG" "$BIGCFG" ;;
  esac
done
