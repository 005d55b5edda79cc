#!/bin/bash
# Prepared in the twenty-fifth session, not run yet: the decode tiles past one
# wave over more widths.  That session's rule takes n32 w4 within two waves
# where w2 is the most within one (28672-wide layers), but at 20480x8192 w8
# at 2.4 waves was faster still (29.8 us against 32.6, H200) and on
# 14336-wide layers w8 at 1.7 waves lost to w4 at 0.85.  n32 w2 / w4 / w8
# forced unsplit at M = 1 and 8 on N = 16384..32768 (K = 4096, 8192), then the
# dispatcher's choice on the same shapes, each row interleaved with cuBLAS.
# Tables: scripts/make_readme_table.py --vs-best DISPATCH FORCED.
# Usage on the device: tar xzf build-carry/b.tgz && bash THIS
R=$OUT/r; mkdir -p $R
source scripts/device_common.sh
CLI=build-gpu/tools/cli/w4a16
gpu_info
L=""
for n in 16384 18432 20480 22528 24576 28672 32768; do L+="${n}x4096 ${n}x8192 "; done
S="$(shapes_at 1 "$L"),$(shapes_at 8 "$L")"
quick_bench waves-dispatch 150 --packed --shapes "$S"
quick_bench waves-forced 300 --packed --shapes "$S" \
  --config decr_m8n32k128s2w2:1,decr_m8n32k128s2w4:1,decr_m8n32k128s2w8:1
