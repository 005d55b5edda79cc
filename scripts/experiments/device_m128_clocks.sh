#!/bin/bash
# Prepared in the eighteenth session, not yet run: why the Hopper tiles at
# M = 128 / 256 time 8-11% slower in `bench --packed` over the target shapes
# (20 replays, 100 ms warm-up) than in `bench --quick --packed` (5 replays,
# 30 ms warm-up) of the same binary (bench/results/2026-11-27-h100-decode-ring/,
# calls 6-8).  The four combinations of warm-up and replays on the M = 128 /
# 256 shapes alone, twice, with the SM clock and power sampled every 100 ms
# alongside (nvidia-smi), on main's build.
# Usage on the device: bash THIS (writes $OUT/r and $OUT/results.tgz).
R=$OUT/r; mkdir -p $R
CLI=build-gpu/tools/cli/w4a16
source scripts/device_common.sh
gpu_info
S=128x14336x4096,128x4096x14336,256x14336x4096,256x4096x14336
nvidia-smi --query-gpu=timestamp,clocks.sm,clocks.mem,power.draw,temperature.gpu,clocks_event_reasons.active \
  --format=csv -lms 100 > $R/smi-trace.csv 2>&1 &
SMI=$!
for round in 1 2; do
  bench_to quick-r5-$round W4A16_PDL=1 $CLI bench --quick --packed --shapes $S
  bench_to quick-r20-$round W4A16_PDL=1 $CLI bench --quick --packed --repeats 20 --shapes $S
  bench_to full-r5-$round W4A16_PDL=1 $CLI bench --packed --repeats 5 --shapes $S
  bench_to full-r20-$round W4A16_PDL=1 $CLI bench --packed --shapes $S
done
kill $SMI
save
