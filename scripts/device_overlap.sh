#!/usr/bin/env bash
# Device calls for the programmatic launch of a forward call after the
# previous kernel (tenth session, issue #3): one build-gpu, W4A16_OVERLAP=0
# and =1 alternating on the same binary.  Everything lands in $OUT/results.tgz.
#   PART=ab     decode and K-slice shapes (packed, g = 128 with zeros), two
#               rounds each way, then the packed GPU tests with the overlap on
#   PART=tests  every GPU test and `verify --quick`
B=build-gpu
CLI=$B/tools/cli/w4a16
export W4A16_GIT_COMMIT=${W4A16_GIT_COMMIT:-unknown}
R=$OUT/r; mkdir -p $R
nvidia-smi --query-gpu=name,clocks.max.sm,clocks.max.mem --format=csv > $R/gpu.txt 2>&1
shapes() {
  local s=""
  for nk in 14336x4096 4096x14336 4096x4096; do for m in 1 4 8 16 32 64; do s="$s,${m}x$nk"; done; done
  echo "${s#,},1x28672x8192,16x28672x8192,1x8192x28672,16x8192x28672"
}
case ${PART:-ab} in
ab)
  s=$(shapes)
  for round in 1 2; do
    for ov in 0 1; do
      W4A16_OVERLAP=$ov timeout 120 $CLI bench --quick --packed --shapes "$s" --json $R/ov$ov-$round.json \
        > $R/ov$ov-$round.log 2>&1
      echo "rc=$?" >> $R/ov$ov-$round.log
    done
  done
  { W4A16_OVERLAP=1 timeout 300 $B/tests/test_gemm_gpu --gtest_brief=1 \
      --gtest_filter='*Packed*:*Deterministic*:*Graph*:*Chain*'
    echo "test_gemm_gpu (packed filter, W4A16_OVERLAP=1) rc=$?"; } > $R/gtest-overlap.log 2>&1 ;;
tests)
  { timeout 500 $B/tests/test_gemm_gpu --gtest_brief=1; echo "test_gemm_gpu rc=$?"
    timeout 30 $B/tests/test_api_errors --gtest_brief=1; echo "test_api_errors rc=$?"
    timeout 60 $B/tests/test_gemm_large_gpu --gtest_brief=1; echo "test_gemm_large_gpu rc=$?"
    timeout 60 $CLI verify --quick; echo "verify rc=$?"; } > $R/gtest.log 2>&1 ;;
*) echo "unknown PART=$PART" >&2; exit 64 ;;
esac
tar czf $OUT/results.tgz -C $R . && rm -rf $R
