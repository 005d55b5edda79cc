#!/usr/bin/env bash
# Device calls for the lean decode stage (ninth session): the packed decode
# kernels' hot loop without zero fills, with the K tail taken after the loop
# and the MMA's B operand an aligned register pair.  From a carried build-gpu
# and the previous main's CLI in build-carry/base/w4a16.  Everything lands in
# $OUT/results.tgz.
#   PART=ab        previous main's CLI against this build's, alternating, on
#                  the decode shapes (packed, g = 128 with zeros), then the
#                  decode GPU tests
#   PART=ncu       stall reasons of the decode kernels, both CLIs
#   PART=variants  base, this build (v1) and the gzipped CLIs in
#                  build-carry/var (w4a16-<name>.gz), alternating
#   PART=final     base against this build, then the issue target shapes
#   PART=tests     every GPU test and `verify --quick`
#   PART=sanitize  memcheck and racecheck over the packed decode-tile tests
B=build-gpu
BASE=build-carry/base/w4a16
export W4A16_GIT_COMMIT=${W4A16_GIT_COMMIT:-unknown}
R=$OUT/r; mkdir -p $R
nvidia-smi --query-gpu=name,clocks.max.sm,clocks.max.mem --format=csv > $R/gpu.txt 2>&1
decode_shapes() {
  local s=""
  for nk in 14336x4096 4096x14336 4096x4096; do for m in 1 2 4 8 12 16; do s="$s,${m}x$nk"; done; done
  echo "${s#,},1x28672x8192,16x28672x8192,1x8192x28672,16x8192x28672"
}
cli_of() {  # base | new | v1 | a name in build-carry/var
  case $1 in
    base) echo $BASE ;;
    new | v1) echo $B/tools/cli/w4a16 ;;
    *) echo build-carry/var/w4a16-$1 ;;
  esac
}
ab_rounds() {  # two rounds of the decode shapes, one run per named CLI in turn
  local s; s=$(decode_shapes)
  for round in 1 2; do
    for who in "$@"; do
      timeout 100 $(cli_of $who) bench --quick --packed --shapes "$s" --json $R/$who-$round.json > $R/$who-$round.log 2>&1
      echo "rc=$?" >> $R/$who-$round.log
    done
  done
}
case ${PART:-ab} in
ab)
  ab_rounds base new
  { timeout 300 $B/tests/test_gemm_gpu --gtest_brief=1 \
      --gtest_filter='*Packed*:*Decode*:*Exact*:*Deterministic*:*PartialKTiles*:*GroupSizesAndZeros*'
    echo "test_gemm_gpu (decode filter) rc=$?"; } > $R/gtest-decode.log 2>&1 ;;
ncu)
  M='regex:smsp__average_warps_issue_stalled_.*_per_issue_active\.ratio'
  for who in base new; do
    for shape in 1x14336x4096 1x4096x4096 16x4096x4096; do
      cfg=""; [ $shape = 16x4096x4096 ] && cfg="--config decr_m16n32k128s2w8"
      timeout 120 ncu -k regex:sm80_dec_gemm --launch-skip 3 --launch-count 1 \
        --section SpeedOfLight --section SchedulerStats --section WarpStateStats --section Occupancy \
        --section MemoryWorkloadAnalysis --metrics "$M" \
        $(cli_of $who) bench --quick --packed --repeats 3 --shapes $shape $cfg > $R/ncu-$who-$shape.txt 2>&1
    done
  done ;;
variants)
  for f in build-carry/var/*.gz; do gunzip -c $f > ${f%.gz}; chmod +x ${f%.gz}; done
  ab_rounds base v1 $(cd build-carry/var && ls | grep -v '\.gz$' | sed 's/w4a16-//') ;;
final)
  ab_rounds base new
  timeout 150 $B/tools/cli/w4a16 bench --quick --packed --shapes "$(cat scripts/target_shapes.txt)" \
    --json $R/targets-packed.json > $R/targets-packed.log 2>&1
  echo "rc=$?" >> $R/targets-packed.log ;;
tests)
  { timeout 500 $B/tests/test_gemm_gpu --gtest_brief=1; echo "test_gemm_gpu rc=$?"
    timeout 30 $B/tests/test_api_errors --gtest_brief=1; echo "test_api_errors rc=$?"
    timeout 60 $B/tests/test_gemm_large_gpu --gtest_brief=1; echo "test_gemm_large_gpu rc=$?"
    timeout 60 $B/tools/cli/w4a16 verify --quick; echo "verify rc=$?"; } > $R/gtest.log 2>&1 ;;
sanitize)
  { timeout 200 compute-sanitizer --tool memcheck --error-exitcode 9 $B/tests/test_gemm_gpu --gtest_brief=1 \
      --gtest_filter='*PackedHalfGroupsEveryDecodeTile*:*PackedConfigurationsForced*'; echo "memcheck packed decode rc=$?"
    timeout 200 compute-sanitizer --tool racecheck $B/tests/test_gemm_gpu --gtest_brief=1 \
      --gtest_filter='*PackedHalfGroupsEveryDecodeTile*'; echo "racecheck half-groups rc=$?"; } > $R/sanitizer-full.log 2>&1
  grep -vE "^(PASS|W4A16|  )" $R/sanitizer-full.log > $R/sanitizer.log
  echo "racecheck hazards outside cuBLAS nvjet kernels: $(grep 'Race reported' $R/sanitizer-full.log | grep -vc nvjet)" >> $R/sanitizer.log
  rm $R/sanitizer-full.log ;;
*) echo "unknown PART=$PART" >&2; exit 64 ;;
esac
tar czf $OUT/results.tgz -C $R . && rm -rf $R
