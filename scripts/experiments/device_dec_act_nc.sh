#!/usr/bin/env bash
# Sixteenth session: canonical decode kernels with the hot loop's activation
# loads .nc (build-carry/var/w4a16-ncx) against coherent (w4a16-73781dd), two
# alternating rounds.  Usage on the device: bash THIS OUTDIR
set -u
R=$1
mkdir -p "$R"
S=1x14336x4096,1x4096x14336,1x4096x4096,16x14336x4096,16x4096x14336,16x4096x4096
for round in 1 2; do
  for v in 73781dd ncx; do
    timeout 100 build-carry/var/w4a16-$v bench --quick --shapes $S > "$R/$v-$round.log" 2>&1
    echo "rc=$?" >> "$R/$v-$round.log"
  done
done
