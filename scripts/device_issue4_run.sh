#!/usr/bin/env bash
# First GPU run of the CUTLASS Hopper path (issue #4) from a carried build-gpu
# (cmake -DW4A16_CUDA_ARCHS=90a-real, CUTLASS from scripts/setup-deps.sh):
# the sm90 configurations forced through the fp64 / cuBLAS / bit-exact checks,
# the SASS check of their dequantization, then each configuration against the
# current dispatch over M on the LLM shapes.  Outputs into $OUT.
B=build-gpu
export W4A16_GIT_COMMIT=${W4A16_GIT_COMMIT:-$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)}
S=64x4096x4096,128x4096x4096,256x4096x4096,1024x4096x4096,4096x4096x4096
S=$S,128x14336x4096,256x14336x4096,1024x14336x4096,128x4096x14336,256x4096x14336,1024x4096x14336,4096x5120x8192
rows() { grep -E "^ +[0-9]"; }
timeout 120 $B/tests/test_gemm_gpu --gtest_brief=1 --gtest_filter='*Sm90*:*Autotune*' > $OUT/gtest-sm90.log 2>&1; echo "rc=$?" >> $OUT/gtest-sm90.log
bash scripts/check_sm90_sass.sh $B/src/libw4a16.a 5 > $OUT/sass.log 2>&1; echo "rc=$?" >> $OUT/sass.log
sweep() {
  echo "== dispatched"; $B/tools/cli/w4a16 bench --quick --shapes $S | rows
  for c in sm90_coop_n128m128k64 sm90_coop_n128m64k64 sm90_pp_n64m128k64 sm90_coop_n128m128k64_sk sm90_coop_n128m128k64_c2; do
    echo "== forced $c"; $B/tools/cli/w4a16 bench --quick --config $c --shapes $S | rows
  done
}
export B S
timeout 300 bash -c "$(declare -f rows sweep); sweep" > $OUT/sweep.log 2>&1
timeout 60 compute-sanitizer --tool memcheck --error-exitcode 9 $B/tests/test_gemm_gpu --gtest_brief=1 \
  --gtest_filter='*Sm90*' 2>&1 | grep -E "ERROR SUMMARY|PASSED|FAILED" > $OUT/memcheck-sm90.log; echo "rc=$?" >> $OUT/memcheck-sm90.log
grep -E "rc=|FAILED|PASS|FAIL" $OUT/*.log | tail -12
