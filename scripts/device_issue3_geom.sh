#!/usr/bin/env bash
# Issue #3 experiment: decode geometries with fewer warps along K or two m16
# blocks per warp (less fixed per-warp work per weight byte), forced over the
# decode shapes.  Output: $OUT/geom.log.
cli=build-gpu/tools/cli/w4a16
S1="1x14336x4096,1x4096x14336,1x4096x4096,8x14336x4096,8x4096x14336,8x4096x4096"
S2="16x14336x4096,16x4096x14336,16x4096x4096"
{
  for c in dec_m8n16k128s3 ${M8_CONFIGS}; do echo "== $c"; timeout 40 $cli bench --quick --config $c --shapes $S1; done
  for c in ${M16_CONFIGS}; do echo "== $c"; timeout 40 $cli bench --quick --config $c --shapes $S2; done
} 2>&1 | grep -E "^==|sm80_" | cut -c1-150 > $OUT/geom.log
