#!/usr/bin/env bash
# Packed weights (w4a16PackWeights): tests, then the benchmark of the packed
# forward against the canonical one in the same run.  PART=tests|bench|all.
# Output under $OUT: tests.log, bench-canonical.{log,json}, bench-packed.{log,json}.
b=build-gpu
part=${PART:-all}
nvidia-smi -L > $OUT/gpu.txt 2>&1
if [ "$part" != bench ]; then
  {
    $b/tests/test_dispatch_host 2>&1 | tail -3
    $b/tests/test_api_errors 2>&1 | grep -E "FAILED|PASSED|Failure" -A3
    timeout 400 $b/tests/test_gemm_gpu --gtest_filter="${FILTER:-*Packed*:*Sm90ConfigurationsForced*}" 2>&1 \
      | grep -E "^\[|FAIL|Failure|error" | grep -v "^\[ RUN" | head -80
  } > $OUT/tests.log 2>&1
fi
if [ "$part" != tests ]; then
  shapes=${SHAPES:-1x14336x4096,1x4096x14336,1x4096x4096,16x14336x4096,16x4096x14336,32x14336x4096,32x4096x14336,64x14336x4096,64x4096x14336,64x4096x4096,128x14336x4096,128x4096x14336,128x4096x4096,256x14336x4096,256x4096x14336,256x4096x4096}
  for mode in canonical packed; do
    flag=""; [ $mode = packed ] && flag=--packed
    timeout 250 $b/tools/cli/w4a16 bench --quick $flag --shapes "$shapes" --json $OUT/bench-$mode.json > $OUT/bench-$mode.log 2>&1
  done
fi
