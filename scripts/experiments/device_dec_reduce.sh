#!/usr/bin/env bash
# Device calls for the decode kernels' split-K reduction (eleventh session,
# issue #3).  One carried build-gpu; results in $OUT/results.tgz.
#   PART=bench  this build against build-carry/var/w4a16-base.gz (the build
#               before: in-kernel reduction by the last CTA, counter memset)
#               on the decode shapes whose tiles fill less than half the GPU
#               and split K (GQA K/V projections, N = 512..2048), canonical
#               and packed, two rounds alternating; the issue target shapes
#               (scripts/target_shapes.txt) packed; memcheck and racecheck
#               over the decode tiles forced with split-K 3
#   PART=tests  every GPU test, `verify --quick`
#   PART=splits the decode tiles the dispatcher picks for these shapes, forced
#               to split_k = 1 / 2 / 4 / 8, packed (is the old split rule,
#               fitted when a split cost about 2.5 us more, still right?)
#   PART=rule   the refitted split rule: the split decode shapes dispatched,
#               canonical and packed, and the dispatched-decode GPU tests
B=build-gpu
CLI=$B/tools/cli/w4a16
export W4A16_GIT_COMMIT=${W4A16_GIT_COMMIT:-unknown}
R=$OUT/r; mkdir -p $R
nvidia-smi --query-gpu=name,clocks.max.sm,clocks.max.mem --format=csv > $R/gpu.txt 2>&1
case ${PART:-bench} in
bench)
  gunzip -c build-carry/var/w4a16-base.gz > build-carry/var/w4a16-base && chmod +x build-carry/var/w4a16-base
  s=1x512x4096,1x1024x4096,1x1024x8192,1x1024x14336,1x2048x4096,1x2048x8192,8x1024x4096,16x1024x4096,16x1024x8192,16x2048x4096
  for round in 1 2; do
    for who in base new; do
      cli=$CLI; [ $who = base ] && cli=build-carry/var/w4a16-base
      for packed in "" --packed; do
        tag=$who-${packed:+packed-}$round
        timeout 100 $cli bench --quick $packed --shapes "$s" --json $R/$tag.json > $R/$tag.log 2>&1
        echo "rc=$?" >> $R/$tag.log
      done
    done
  done
  timeout 120 $CLI bench --quick --packed --shapes "$(cat scripts/target_shapes.txt)" --json $R/targets-packed.json \
    > $R/targets-packed.log 2>&1; echo "rc=$?" >> $R/targets-packed.log
  tar czf $OUT/results.tgz -C $R .
  for tool in memcheck racecheck; do
    { timeout 150 compute-sanitizer --tool $tool --error-exitcode 9 $B/tests/test_gemm_gpu --gtest_brief=1 \
        --gtest_filter='*PackedHalfGroupsEveryDecodeTile*'; echo "$tool rc=$?"; } > $R/$tool-full.log 2>&1
    grep -vE "^(PASS|W4A16_FORCE)" $R/$tool-full.log > $R/$tool.log; rm $R/$tool-full.log
  done ;;
tests)
  { timeout 450 $B/tests/test_gemm_gpu --gtest_brief=1; echo "test_gemm_gpu rc=$?"
    timeout 30 $B/tests/test_api_errors --gtest_brief=1; echo "test_api_errors rc=$?"
    timeout 60 $B/tests/test_gemm_large_gpu --gtest_brief=1; echo "test_gemm_large_gpu rc=$?"
    timeout 60 $CLI verify --quick; echo "verify rc=$?"; } > $R/gtest.log 2>&1 ;;
splits)
  s8=1x512x4096,1x1024x4096,1x1024x8192,1x1024x14336,1x2048x4096,1x2048x8192,1x4096x4096,1x4096x14336,8x1024x4096,8x2048x4096
  s16=16x1024x4096,16x1024x8192,16x2048x4096,16x4096x4096
  for round in 1 2; do
    for split in 1 2 4 8; do
      timeout 100 $CLI bench --quick --packed --config decr_m8n16k128s3w8:$split --shapes "$s8" \
        --json $R/m8n16-s$split-$round.json > $R/m8n16-s$split-$round.log 2>&1
      timeout 100 $CLI bench --quick --packed --config decr_m16n32k128s2w8:$split --shapes "$s16" \
        --json $R/m16n32-s$split-$round.json > $R/m16n32-s$split-$round.log 2>&1
    done
  done ;;
rule)
  s=1x512x4096,1x1024x4096,1x1024x8192,1x1024x14336,1x2048x4096,1x2048x8192,8x1024x4096,8x2048x4096,16x1024x4096,16x1024x8192,16x2048x4096
  for packed in "" --packed; do
    tag=rule${packed:+-packed}
    timeout 100 $CLI bench --quick $packed --shapes "$s" --json $R/$tag.json > $R/$tag.log 2>&1
    echo "rc=$?" >> $R/$tag.log
  done
  { timeout 150 $B/tests/test_gemm_gpu --gtest_brief=1 --gtest_filter='*Decode*:*PackedWeightsDispatched*'
    echo "test_gemm_gpu (decode, packed dispatched) rc=$?"; } > $R/gtest-rule.log 2>&1 ;;
*) echo "unknown PART=$PART" >&2; exit 64 ;;
esac
grep -hE " rc=|FAILED|PASSED|ERROR SUMMARY|RACECHECK SUMMARY" $R/*.log
tar czf $OUT/results.tgz -C $R . && rm -rf $R
