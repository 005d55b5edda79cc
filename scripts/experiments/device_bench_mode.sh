#!/bin/bash
# Twenty-third session: why the Hopper tiles at M = 128 / 256 run 8-14% slower
# in `w4a16 bench --packed` than in `--quick --packed` (every run since the
# eighteenth session).  The modes differ in warm-up per shape (100 against
# 30 ms), sampled reference rows (16 against 4) and replays (20 against 5;
# ruled out in the nineteenth session).  Each run below changes one of them
# (--warmup-ms, --sample-rows), with nvidia-smi sampling clocks, power and
# throttle reasons every 50 ms into $R/smi.csv.
# Usage on the device: tar xzf build-carry/b.tgz && bash THIS
R=$OUT/r; mkdir -p $R
B=build-gpu
CLI=$B/tools/cli/w4a16
source scripts/device_common.sh
gpu_info
SHAPES=${SHAPES:-128x14336x4096,128x4096x14336,256x4096x14336,32x14336x4096,1x4096x14336}
nvidia-smi --query-gpu=timestamp,clocks.sm,clocks.mem,power.draw,temperature.gpu,clocks_event_reasons.active \
  --format=csv -lms 50 > $R/smi.csv 2>&1 &
SMI=$!
run() { local name=$1; shift; echo "$(date +%T.%N) start $name" >> $R/steps.txt
  bench_to "$name" X=0 $CLI bench --packed --shapes "$SHAPES" "$@"
  echo "$(date +%T.%N) end $name" >> $R/steps.txt; }
if [ -n "${STEPS:-}" ]; then
  # STEPS="name:args;name:args": the second call (the bench then samples the
  # SM clock itself during each row's timed replays: MHz/cub column).
  IFS=';' read -ra list <<< "$STEPS"
  for step in "${list[@]}"; do run "${step%%:*}" ${step#*:}; done
else
  run quick-w30 --quick
  run quick-w100 --quick --warmup-ms 100
  run quick-w300 --quick --warmup-ms 300
  run full-w100
  run full-w30 --warmup-ms 30
  run full-rows4 --sample-rows 4
  run quick-w1000 --quick --warmup-ms 1000
  run quick-w30b --quick
fi
kill $SMI
save
