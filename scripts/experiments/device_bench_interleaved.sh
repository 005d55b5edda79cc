#!/bin/bash
# Twenty-third session: the README's three main tables and the packed M sweep
# with the bench's new method (cuBLAS interleaved with ours in blocks of about
# 2 ms per side, the SM clock sampled per row), and the clock monitor's test.
# Usage on the device: tar xzf build-carry/b.tgz && bash THIS
R=$OUT/r; mkdir -p $R
source scripts/device_common.sh
gpu_info
{ timeout 30 build-gpu/tests/test_gpu_monitor; echo "test_gpu_monitor rc=$?"; } > $R/test-gpu-monitor.log 2>&1
readme_tables build-gpu
OUT_SAVED=$OUT; OUT=$R/sweep; mkdir -p $OUT
timeout 200 bash scripts/device_dispatch_sweep.sh
OUT=$OUT_SAVED
save
