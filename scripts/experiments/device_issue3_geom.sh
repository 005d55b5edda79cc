#!/usr/bin/env bash
# Issue #3 experiment: decode geometries forced over chosen shapes.
# Arguments: CONFIG@SHAPES ... (SHAPES as for `w4a16 bench --shapes`).
# Output: $OUT/geom.log.
cli=build-gpu/tools/cli/w4a16
for item in "$@"; do
  c=${item%%@*}; s=${item#*@}
  echo "== $c"; timeout 40 $cli bench --quick --config "$c" --shapes "$s"
done 2>&1 | grep -E "^==|sm[89]0_" | cut -c1-150 > $OUT/geom.log
