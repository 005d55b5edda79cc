#!/usr/bin/env bash
# Device calls for the lean decode stage (ninth session): the packed decode
# kernels' hot loop without zero fills, with the K tail taken after the loop
# and the MMA's B operand an aligned register pair.  From a carried build-gpu
# and the previous main's CLI in build-carry/base/w4a16.  Everything lands in
# $OUT/results.tgz.
#   PART=ab     previous main's CLI against this build's, alternating, on the
#               decode shapes (packed, g = 128 with zeros), then the decode
#               GPU tests
#   PART=tests  every GPU test and `verify --quick`
#   PART=sanitize  memcheck and racecheck over the packed decode-tile tests
#   (PART=ncu, variants and final below)
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
case ${PART:-ab} in
ab)
  s=$(decode_shapes)
  for round in 1 2; do
    for who in base new; do
      cli=$B/tools/cli/w4a16; [ $who = base ] && cli=$BASE
      timeout 120 $cli bench --quick --packed --shapes "$s" --json $R/$who-$round.json > $R/$who-$round.log 2>&1
      echo "rc=$?" >> $R/$who-$round.log
    done
  done
  { timeout 300 $B/tests/test_gemm_gpu --gtest_brief=1 \
      --gtest_filter='*Packed*:*Decode*:*Exact*:*Deterministic*:*PartialKTiles*:*GroupSizesAndZeros*'
    echo "test_gemm_gpu (decode filter) rc=$?"; } > $R/gtest-decode.log 2>&1 ;;
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
esac
tar czf $OUT/results.tgz -C $R . && rm -rf $R
# PART=ncu (appended case, run separately): stall reasons of the decode kernels, both builds.
if [ "${PART}" = ncu ]; then
  R=$OUT/r; mkdir -p $R
  M='regex:smsp__average_warps_issue_stalled_.*_per_issue_active\.ratio'
  for who in base new; do
    cli=$B/tools/cli/w4a16; [ $who = base ] && cli=$BASE
    for shape in 1x14336x4096 1x4096x4096 16x4096x4096; do
      cfg=""; [ $shape = 16x4096x4096 ] && cfg="--config decr_m16n32k128s2w8"
      timeout 120 ncu -k regex:sm80_dec_gemm --launch-skip 3 --launch-count 1 \
        --section SpeedOfLight --section SchedulerStats --section WarpStateStats --section Occupancy \
        --section MemoryWorkloadAnalysis --metrics "$M" \
        $cli bench --quick --packed --repeats 1 --shapes $shape $cfg > $R/ncu-$who-$shape.txt 2>&1
    done
  done
  tar czf $OUT/results.tgz -C $R . && rm -rf $R
fi
# PART=variants (appended): base, v1 (this build's CLI), and the CLIs in
# build-carry/var (gzipped), alternating on the decode shapes.
if [ "${PART}" = variants ]; then
  R=$OUT/r; mkdir -p $R
  for f in build-carry/var/*.gz; do gunzip -c $f > ${f%.gz}; chmod +x ${f%.gz}; done
  s=$(decode_shapes)
  for round in 1 2; do
    for who in base v1 $(cd build-carry/var && ls | grep -v '\.gz$' | sed 's/w4a16-//'); do
      cli=$B/tools/cli/w4a16; [ $who = base ] && cli=$BASE; [ -x build-carry/var/w4a16-$who ] && cli=build-carry/var/w4a16-$who
      timeout 100 $cli bench --quick --packed --shapes "$s" --json $R/$who-$round.json > $R/$who-$round.log 2>&1
      echo "rc=$?" >> $R/$who-$round.log
    done
  done
  tar czf $OUT/results.tgz -C $R . && rm -rf $R
fi
# PART=final (appended): previous main's CLI against this build's on the
# decode shapes (two rounds), then the issue targets with packed weights.
if [ "${PART}" = final ]; then
  R=$OUT/r; mkdir -p $R
  s=$(decode_shapes)
  for round in 1 2; do
    for who in base new; do
      cli=$B/tools/cli/w4a16; [ $who = base ] && cli=$BASE
      timeout 100 $cli bench --quick --packed --shapes "$s" --json $R/$who-$round.json > $R/$who-$round.log 2>&1
      echo "rc=$?" >> $R/$who-$round.log
    done
  done
  timeout 150 $B/tools/cli/w4a16 bench --quick --packed --shapes "$(cat scripts/target_shapes.txt)" \
    --json $R/targets-packed.json > $R/targets-packed.log 2>&1
  echo "rc=$?" >> $R/targets-packed.log
  tar czf $OUT/results.tgz -C $R . && rm -rf $R
fi
