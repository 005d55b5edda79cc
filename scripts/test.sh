#!/usr/bin/env bash
# The test command: install missing build dependencies, configure and build
# into ./build, run ctest.  Host tests always run; GPU tests skip with a visible
# reason where there is no GPU.  With a GPU (nvidia-smi -L succeeds) it also runs
# `w4a16 verify --quick`.
#
#   bash scripts/test.sh
#   W4A16_CUDA_ARCHS=90a-real bash scripts/test.sh     # one arch only (faster build)
#
# Exit status: ctest's, or verify's if ctest passed and verify failed.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/setup-deps.sh
. scripts/setup-deps.sh

w4a16_setup_deps
w4a16_build build

rc=0
ctest --test-dir build --output-on-failure || rc=$?
w4a16_log "ctest exit status: $rc"

if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
  vrc=0
  build/tools/cli/w4a16 verify --quick || vrc=$?
  w4a16_log "w4a16 verify --quick exit status: $vrc"
  if ((rc == 0)); then rc=$vrc; fi
else
  w4a16_log "no GPU (nvidia-smi -L failed or is missing): GPU tests were skipped, 'w4a16 verify' not run"
  # ctest lists skipped tests without GoogleTest's reason; show it once.
  reason="$(build/tests/test_gemm_gpu --gtest_filter='GemmGpu.EmptyBatch*' 2>&1 | grep -m1 'no CUDA GPU' || true)"
  w4a16_log "skip reason reported by the GPU tests: ${reason:-<none printed>}"
fi
exit "$rc"
