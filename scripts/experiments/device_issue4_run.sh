#!/usr/bin/env bash
# One device call for the CUTLASS Hopper path (issue #4) from a carried
# build-gpu (cmake -DW4A16_CUDA_ARCHS=90a-real, CUTLASS from
# scripts/setup-deps.sh): the sm90 configurations forced through the fp64 /
# cuBLAS / bit-exact checks, the SASS check of their dequantization, then every
# configuration and the dispatcher over the M grid (scripts/config_sweep.sh).
# Outputs into $OUT.  SWEEP_S bounds the sweep (seconds).
B=build-gpu
export W4A16_GIT_COMMIT=${W4A16_GIT_COMMIT:-$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)}
nvidia-smi --query-gpu=name,clocks.max.sm,clocks.max.mem --format=csv > $OUT/gpu.txt 2>&1
timeout 200 $B/tests/test_gemm_gpu --gtest_brief=1 --gtest_filter='*Sm90*:*Autotune*:*Prepack*' > $OUT/gtest-sm90.log 2>&1
echo "rc=$?" >> $OUT/gtest-sm90.log
bash scripts/check_sm90_sass.sh $B/src/libw4a16.a 11 > $OUT/sass.log 2>&1; echo "rc=$?" >> $OUT/sass.log
timeout ${SWEEP_S:-380} bash scripts/config_sweep.sh $B $OUT/sweep "$@" > $OUT/sweep.log 2>&1; echo "rc=$?" >> $OUT/sweep.log
if [[ -n ${SPEC_CONFIGS:-} ]]; then  # the spec's 4096 x 5120 x 8192 under each named configuration
  for c in $SPEC_CONFIGS; do
    f=(--config $c); [[ $c == dispatch ]] && f=()
    timeout 60 $B/tools/cli/w4a16 bench --quick --repeats 10 "${f[@]}" --shapes 4096x5120x8192 --json $OUT/sweep/spec-$c.json | grep -E "^ +[0-9]"
  done > $OUT/spec.log 2>&1
fi
tar czf $OUT/results.tgz -C $OUT sweep $(cd $OUT && ls *.log *.txt) && rm -rf $OUT/sweep
grep -E "rc=|FAILED|PASS|FAIL" $OUT/*.log | tail -20
