#!/usr/bin/env bash
# Packed weights: every packed-weight configuration forced over mid-M shapes
# (to fit plan_packed).  Arguments: CONFIG@SHAPES ...  Output: $OUT/sweep.log.
cli=build-gpu/tools/cli/w4a16
for item in "$@"; do
  c=${item%%@*}; s=${item#*@}
  echo "== $c"; timeout 100 $cli bench --quick --packed --config "$c" --shapes "$s" 2>&1 | grep -E "^ +[0-9]+ +[0-9]+ " | cut -c1-150
done > $OUT/sweep.log 2>&1
