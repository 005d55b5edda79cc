#!/bin/bash
# Prepared in the eighteenth session (branch wip/issue3-canonical-refill-ahead),
# not yet run: the canonical two-stage decode kernels (`dec_m8n32k128s2w*`,
# `dec_m16n32k128s2w*`) refilling ahead, their loads anchored to the block in
# use by a run-time zero (load_stage's kDep), against main's build
# (build-carry/var/w4a16-base: main's CLI, sm_90a), two alternating rounds of
# the canonical decode shapes; then the decode GPU tests on this build.
# Local SASS: the 16-token tiles' loops have no short wait (197 registers,
# down from 255); dec_m8n32k128s2w4 keeps one 63 instructions after a load
# that ptxas sank to the end of the compute.
# Usage on the device: bash THIS (writes $OUT/r and $OUT/results.tgz).
R=$OUT/r; mkdir -p $R
CLI=build-gpu/tools/cli/w4a16
source scripts/device_common.sh
gpu_info
for round in 1 2; do
  for who in base new; do
    cli=$CLI; [ $who = base ] && cli=build-carry/var/w4a16-base
    bench_to canon-$who-$round W4A16_X=1 $cli bench --quick --shapes $DECODE_CANON_SHAPES,8x14336x4096,16x28672x8192,1x28672x8192
  done
done
decode_gtests build-gpu "$DECODE_TESTS" 250
