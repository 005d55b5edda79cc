#!/usr/bin/env bash
# Packed weights: configurations forced over chosen shapes, next to the
# dispatched choice, in one device call (the sweeps of
# bench/results/2026-11-26-h100-packed-sweep/ and .../2026-11-26-h100-kslices/).  Arguments: CONFIG@SHAPES ... where
# CONFIG "auto" means the dispatcher's choice.  Output: $OUT/sweep.log.
cli=build-gpu/tools/cli/w4a16
nvidia-smi --query-gpu=name,clocks.max.sm,temperature.gpu --format=csv,noheader
for item in "$@"; do
  c=${item%%@*}; s=${item#*@}
  if [ "$c" = auto ]; then force=(); else force=(--config "$c"); fi
  echo "== $c"
  timeout 150 $cli bench --quick --packed "${force[@]}" --shapes "$s" 2>&1 | grep -E "^ +[0-9]+ +[0-9]+ |copy|error|FAIL" | cut -c1-160
done 2>&1 | tee $OUT/sweep.log
