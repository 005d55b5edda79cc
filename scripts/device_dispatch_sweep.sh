#!/usr/bin/env bash
# The dispatched packed-weight kernel over M = 1 .. 8192 (powers of two and
# the points between them) on the three LLM shapes, from a carried build-gpu:
# the README's packed speedup plot (scripts/plot_speedup.py) comes from
# sweep-packed-{small,large}.json.  PDL_AB="1 0 1 0" first runs the M <= 512
# part once per value of W4A16_PDL, alternating, to measure the programmatic
# launch of the K-slice reduction against the plain launch on one warm card
# (sweep-pdl<value>-<i>.log).  PARTS (default "small large") picks the parts;
# "targets" times the issue-#3/#4 target shapes (scripts/target_shapes.txt).
# Output: $OUT/sweep-*.{log,json}, $OUT/targets-packed.{log,json}.
cli=build-gpu/tools/cli/w4a16
export W4A16_GIT_COMMIT=${W4A16_GIT_COMMIT:-unknown}
nvidia-smi --query-gpu=name,clocks.max.sm,temperature.gpu --format=csv,noheader > $OUT/gpu.txt 2>&1
shapes() {  # shapes M-list -> "MxNxK,..." over the three LLM shapes
  local out=""
  for nk in 4096x4096 14336x4096 4096x14336; do
    for m in $1; do out+="${m}x${nk},"; done
  done
  echo "${out%,}"
}
small=$(shapes "1 2 3 4 6 8 9 12 16 17 24 32 40 48 64 80 96 128 160 192 256 320 384 512")
large=$(shapes "768 1024 1536 2048 3072 4096 6144 8192")
i=0
for v in ${PDL_AB:-}; do
  i=$((i + 1))
  W4A16_PDL=$v timeout 200 $cli bench --quick --packed --shapes "$small" > $OUT/sweep-pdl$v-$i.log 2>&1
  echo "rc=$?" >> $OUT/sweep-pdl$v-$i.log
done
for part in ${PARTS-small large}; do
  case $part in
    small) shapes=$small; name=sweep-small; json=sweep-packed-small.json ;;
    large) shapes=$large; name=sweep-large; json=sweep-packed-large.json ;;
    targets) shapes=$(cat scripts/target_shapes.txt); name=targets-packed; json=targets-packed.json ;;
  esac
  timeout 200 $cli bench --quick --packed --shapes "$shapes" --json $OUT/$json > $OUT/$name.log 2>&1
  echo "rc=$?" >> $OUT/$name.log
done
