#!/usr/bin/env bash
# Checks the machine code of the decode kernels (`dec` and `decr`) in a built
# libw4a16: the default forward launches them as programmatic dependents in
# their wait-first mode (GemmParams::programmatic == 2), which promises that
# nothing is read before the previous kernel has ended.  ptxas moves .nc
# loads across griddepcontrol.wait (tenth and fifteenth sessions: it hoisted
# the canonical kernels' prologue weight loads above it until their prologue
# loads were made coherent, sixteenth), so every decode kernel's first
# ACQBULK must come before its first global load (LDG) in the instruction
# stream.
#
#   scripts/check_decode_wait_sass.sh <libw4a16.so or .a> <expected kernel count>
# Exit 0 pass, 1 fail, 77 skip (no cuobjdump; ctest shows it as skipped).
set -euo pipefail
lib="$1"
expected="$2"
. "$(dirname "${BASH_SOURCE[0]}")/find_cuobjdump.sh"
sm90a_sass "$lib"
# A decode kernel: sm80_dec_gemm_kernel<Sm80DecTile<...>> (both weight layouts).
awk -v want="$expected" '
  /Function :/ {
    fn = $3
    dec = (fn ~ /sm80_dec_gemm_kernelINS0_11Sm80DecTile/)
    if (dec) { n++; names[n] = fn; line = 0 }
    next
  }
  dec && /\/\*[0-9a-f]+\*\// {
    line++
    if (/ACQBULK/ && !acq[n]) acq[n] = line
    if (/LDG/ && !ldg[n]) ldg[n] = line
  }
  END {
    bad = 0
    for (i = 1; i <= n; i++) {
      printf "%s: first ACQBULK at instruction %d, first LDG at %d\n", substr(names[i], 1, 90) "...", acq[i], ldg[i]
      if (!acq[i] || !ldg[i] || acq[i] > ldg[i]) bad = 1
    }
    if (n != want) { printf "FAIL: %d decode kernels, expected %d\n", n, want; exit 1 }
    if (bad) { print "FAIL: a decode kernel loads from global memory before griddepcontrol.wait"; exit 1 }
    printf "PASS: %d kernels wait before their first load\n", n
  }' "$sass"
