#!/bin/bash
# Twenty-first session: the eager host cost of a forward call.
#   PART=ab (default): bench/lab/host_cost_lab (what each CUDA call costs the
#     CPU), then `w4a16 bench --quick --packed` at issue #3 / #4's target M on
#     the three 8B-class layers, main's build before the change (build-carry/var/w4a16-base)
#     and this one, two alternating rounds (the host_us/cub column; the GPU
#     times must not move), then test_launch_memo_gpu.
#   PART=tests: the GPU tests the change reaches (every sm90 configuration
#     forced, canonical and packed; graph capture;
#     threads; the sm_80 tiles forced), test_api_errors, test_gemm_large_gpu,
#     verify, and memcheck / racecheck over test_launch_memo_gpu and verify.
# Build first (sm_90a): cmake --build build-gpu; carry build-carry/ (b.tgz
# with the new CLI and tests, lab/, var/w4a16-base).
# Usage on the device: tar xzf build-carry/b.tgz && PART=... bash THIS
R=$OUT/r; mkdir -p $R
B=build-gpu
CLI=$B/tools/cli/w4a16
source scripts/device_common.sh
gpu_info
L="14336x4096 4096x14336 4096x4096"
SHAPES="$(shapes_at 1 "$L"),$(shapes_at 16 "$L"),$(shapes_at 32 "$L"),$(shapes_at 64 "$L"),$(shapes_at 128 "$L"),$(shapes_at 256 "$L")"
if [ "${PART:-ab}" = ab ]; then
  { build-carry/lab/host_cost_lab 2000; build-carry/lab/host_cost_lab 2000; } > $R/host-cost-lab.txt 2>&1
  save
  ab_rounds 2 host "$SHAPES"
  timeout 120 $B/tests/test_launch_memo_gpu > $R/gtest-memo.log 2>&1
  echo "test_launch_memo_gpu rc=$?" >> $R/gtest-memo.log
  save
else
  timeout 330 $B/tests/test_gemm_gpu \
    --gtest_filter='*Sm90ConfigurationsForced*:*PackedConfigurationsForced*:*GraphCapture*:*Thread*:*EveryConfigurationForced*' \
    > $R/gtest-gemm-gpu.log 2>&1
  echo "test_gemm_gpu rc=$?" >> $R/gtest-gemm-gpu.log
  grep -E "^\[( +OK|  FAILED|  PASSED|  SKIPPED) |rc=" $R/gtest-gemm-gpu.log > $R/gtest-summary.log
  save
  other_gpu_tests $B
  { timeout 120 compute-sanitizer --tool memcheck --error-exitcode 9 $B/tests/test_launch_memo_gpu --gtest_brief=1
    echo "memcheck test_launch_memo_gpu rc=$?"
    timeout 120 compute-sanitizer --tool racecheck --error-exitcode 9 $B/tests/test_launch_memo_gpu --gtest_brief=1
    echo "racecheck test_launch_memo_gpu rc=$?"
    timeout 90 compute-sanitizer --tool memcheck --error-exitcode 9 $CLI verify --quick
    echo "memcheck verify rc=$?"; } > $R/sanitizer-full.log 2>&1
  grep -vE "^(PASS|W4A16|  )" $R/sanitizer-full.log > $R/sanitizer.log
  rm $R/sanitizer-full.log
  save
fi
