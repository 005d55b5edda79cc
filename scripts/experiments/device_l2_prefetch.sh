#!/bin/bash
# Twenty-second session: the packed M <= 8 decode kernels prefetch their first
# two k blocks per warp into L2 before griddepcontrol.wait (the default
# programmatic mode), while the previous grid drains.
#   PART=ab (default): `w4a16 bench --quick --packed` on the decode target
#     shapes: main's build (build-carry/var/w4a16-base), this one, and this
#     one with W4A16_PDL=wait (no prefetch), alternating; then the packed
#     decode GPU tests and memcheck over the wait-for-the-previous-kernel test
#     (call 2; call 1 ran an earlier build that took the prefetch depth from an
#     environment variable: P = 0 / 1 / 2 / 4 / 16 blocks, every decode tile).
#   PART=final: the README's tables (as scripts/experiments/device_refill_checks.sh
#     PART=final), main's build and this one once each on the decode shapes,
#     then test_api_errors, test_gemm_large_gpu, test_launch_memo_gpu, verify.
# Usage on the device: tar xzf build-carry/b.tgz && bash THIS
R=$OUT/r; mkdir -p $R
B=build-gpu
CLI=$B/tools/cli/w4a16
source scripts/device_common.sh
gpu_info
L="14336x4096 4096x14336 4096x4096"
SHAPES="$(shapes_at 1 "$L"),$(shapes_at 16 "$L"),8x4096x14336,1x28672x8192,1x8192x28672"
if [ "${PART:-ab}" = final ]; then
  readme_tables $B
  bench_to base-1 X=0 build-carry/var/w4a16-base bench --quick --packed --shapes "$SHAPES"
  bench_to new-1 X=0 $CLI bench --quick --packed --shapes "$SHAPES"
  other_gpu_tests $B
  exit 0
fi
bench_to base-1 X=0 build-carry/var/w4a16-base bench --quick --packed --shapes "$SHAPES"
bench_to new-1 X=0 $CLI bench --quick --packed --shapes "$SHAPES"
bench_to wait-1 W4A16_PDL=wait $CLI bench --quick --packed --shapes "$SHAPES"
bench_to base-2 X=0 build-carry/var/w4a16-base bench --quick --packed --shapes "$SHAPES"
bench_to new-2 X=0 $CLI bench --quick --packed --shapes "$SHAPES"
decode_gtests $B '*PackedWeightsDispatched*:*ForwardWaitsForThePreviousKernel*:*PackedConfigurationsForced*:*DeterministicAcrossRuns*' 200
{ timeout 60 compute-sanitizer --tool memcheck --error-exitcode 9 $B/tests/test_gemm_gpu --gtest_brief=1 \
    --gtest_filter='*ForwardWaitsForThePreviousKernel*'
  echo "memcheck wait-for-previous rc=$?"; } > $R/sanitizer.log 2>&1
save
