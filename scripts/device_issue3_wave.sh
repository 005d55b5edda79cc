#!/usr/bin/env bash
# Issue #3 experiment (branch wip/issue3-wave): decode tile geometries that fit
# the grid in one wave with long per-warp k ranges, and the activation ring
# (decx) that frees registers for deeper weight pipelines.  Forced
# configurations over the decode shapes, the GPU tests, and ncu on the
# baseline and one candidate.  Everything lands in $OUT/results.tgz.
B=build-gpu
export W4A16_GIT_COMMIT=${W4A16_GIT_COMMIT:-unknown}
R=$OUT/r; mkdir -p $R
cli=$B/tools/cli/w4a16
nvidia-smi --query-gpu=name,clocks.max.sm,clocks.max.mem --format=csv > $R/gpu.txt 2>&1
S1="1x14336x4096,1x4096x14336,1x4096x4096,8x14336x4096,8x4096x14336,8x4096x4096,1x28672x8192,1x8192x28672"
S2="16x14336x4096,16x4096x14336,16x4096x4096,12x14336x4096,12x4096x14336"
{
  for c in dec_m8n16k128s3 ${M8_CONFIGS}; do echo "== $c"; timeout 40 $cli bench --quick --config $c --shapes $S1; done
  for c in ${M8_SPLIT1}; do echo "== $c:1"; timeout 40 $cli bench --quick --config $c:1 --shapes $S1; done
  for c in dec_m16n32k128s2 ${M16_CONFIGS}; do echo "== $c"; timeout 40 $cli bench --quick --config $c --shapes $S2; done
} > $R/sweep.log 2>&1
{ timeout 150 $B/tests/test_gemm_gpu --gtest_brief=1; echo "rc=$?"
  timeout 20 $B/tests/test_api_errors --gtest_brief=1; echo "rc=$?"; } > $R/gtest.log 2>&1
for c in dec_m8n16k128s3 ${NCU_CONFIG}; do
  timeout 60 ncu --section SpeedOfLight --section Occupancy --section WarpStateStats --section SchedulerStats \
    --section MemoryWorkloadAnalysis -k regex:dec_gemm --launch-skip 4 -c 1 \
    $cli bench --quick --config $c --shapes 1x14336x4096 --repeats 3 > $R/ncu-$c.log 2>&1
done
tar czf $OUT/results.tgz -C $R . && rm -rf $R
