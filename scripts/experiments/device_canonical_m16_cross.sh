#!/usr/bin/env bash
# Prepared in the sixteenth session, run in the seventeenth (call 1 of
# bench/results/2026-11-27-h100-canonical-sb/): separates the CLI's bench
# loop from the library in the canonical decode regression between d1d75eb
# and d4a1f53 (bench/results/2026-11-27-h100-m16-occupancy/, call 7).  CLIs
# built for sm_90 without the CUTLASS path into build-carry/var/bis/:
#   w4a16-d1d75eb, w4a16-7003415, w4a16-73781dd: library and bench of one commit
#   w4a16-7003415-notopwait           : 7003415 with the wait-first branch at
#                                       the kernel's top kept out of the
#                                       canonical kernels: their SASS is then
#                                       d1d75eb's, instruction for instruction
#                                       (cuobjdump, dec_m16n32k128s2w8); the
#                                       hot loops of d1d75eb and 7003415 are
#                                       identical anyway, 73781dd's reordered
#   w4a16-newlib-oldbench             : main at 67a7344 (73781dd's library) with d1d75eb's tools/cli
#   w4a16-oldlib-newbench             : d1d75eb with 67a7344's tools/cli
# (rebuild: git worktree of the commit, tools/cli/{bench,main}.cpp from the
# other, cmake -DW4A16_CUDA_ARCHS=90-real -DW4A16_BUILD_TESTS=OFF, target
# w4a16_cli).  Canonical weights, W4A16_PDL=0, two rounds; then ncu on the
# 16-token kernel of the two single-commit builds.
# Usage on the device: bash THIS OUTDIR
set -u
R=$1
mkdir -p "$R"
S=1x4096x14336,16x14336x4096,16x4096x14336
for round in 1 2; do
  for c in d1d75eb 7003415 7003415-notopwait 73781dd newlib-oldbench oldlib-newbench; do
    W4A16_PDL=0 timeout 100 build-carry/var/bis/w4a16-$c bench --quick --shapes $S > "$R/$c-$round.log" 2>&1
    echo "rc=$?" >> "$R/$c-$round.log"
  done
  tar czf "$OUT/results.tgz" -C "$R" .
done
for c in d1d75eb 73781dd; do
  W4A16_PDL=0 timeout 150 ncu --kernel-name regex:sm80_dec_gemm_kernel --launch-count 1 --set full \
    build-carry/var/bis/w4a16-$c bench --quick --shapes 16x4096x14336 --repeats 3 > "$R/ncu-$c.txt" 2>&1
  tar czf "$OUT/results.tgz" -C "$R" .
done
