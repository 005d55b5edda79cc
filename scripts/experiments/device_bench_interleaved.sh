#!/bin/bash
# Twenty-third session: the README's three main tables with the bench's new
# method (cuBLAS interleaved with ours, SM clock sampled per row; 12d63e6).
# Usage on the device: tar xzf build-carry/b.tgz && bash THIS
R=$OUT/r; mkdir -p $R
source scripts/device_common.sh
gpu_info
readme_tables build-gpu
