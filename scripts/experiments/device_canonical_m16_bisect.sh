#!/usr/bin/env bash
# Sixteenth session: where the canonical 16-token decode time went (22.0 us at
# 16 x 4096 x 14336 in the fifth session, 26.7 at d4a1f53).  CLIs of several
# commits built for sm_90 without the CUTLASS path (build-carry/var/bis/w4a16-<commit>),
# canonical weights, W4A16_PDL=0 (their common launch), two rounds.
# Usage on the device: bash THIS OUTDIR COMMIT...
set -u
R=$1; shift
mkdir -p "$R"
S=1x14336x4096,1x4096x14336,16x14336x4096,16x4096x14336,16x4096x4096
for round in 1 2; do
  for c in "$@"; do
    W4A16_PDL=0 timeout 100 build-carry/var/bis/w4a16-$c bench --quick --shapes $S > "$R/$c-$round.log" 2>&1
    echo "rc=$?" >> "$R/$c-$round.log"
  done
done
