#!/bin/bash
# Eighteenth session, call 2: ncu on the ring decode kernels (decq) and
# their register-ring twins (decr), same shapes: why decq ran 2-4x slower.
R=$OUT/r; mkdir -p $R
source scripts/device_common.sh
CLI=build-gpu/tools/cli/w4a16
M='regex:smsp__average_warps_issue_stalled_.*_per_issue_active\.ratio'
for run in "1x14336x4096 decr_m8n32k128s2w8" "1x14336x4096 decq_m8n32k128s3w8" "16x14336x4096 decq_m16n32k128s4w8" "16x14336x4096 decr_m16n32k128s2w2"; do
  set -- $run
  timeout 120 ncu -k regex:sm80_dec_gemm --launch-skip 3 --launch-count 1 \
    --section SpeedOfLight --section SchedulerStats --section WarpStateStats --section Occupancy --section LaunchStats \
    --section MemoryWorkloadAnalysis --section MemoryWorkloadAnalysis_Tables --metrics "$M" \
    $CLI bench --quick --packed --repeats 3 --shapes $1 --config $2 > $R/ncu-$2-$1.txt 2>&1
  save
done
