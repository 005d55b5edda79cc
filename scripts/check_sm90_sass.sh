#!/usr/bin/env bash
# Checks the machine code of the CUTLASS Hopper kernels in a built libw4a16:
# CUTLASS's ConvertAndScaleWithZero writes the dequantization as a bf16
# multiply and a bf16 add, and only ptxas's contraction of the two into one
# HFMA2.BF16 makes the weights bit-identical to our bf16_rn(s*q + z)
# (docs/cutlass-mixed-input.md, section 2).  So every sm90 mixed-input kernel
# must contain HFMA2.BF16 and no HMUL2.BF16.
#
#   scripts/check_sm90_sass.sh <libw4a16.so or .a> <expected kernel count>
# Exit 0 pass, 1 fail, 77 skip (no cuobjdump; ctest shows it as skipped).
set -euo pipefail
lib="$1"
expected="$2"
. "$(dirname "${BASH_SOURCE[0]}")/find_cuobjdump.sh"
sm90a_sass "$lib"
awk -v want="$expected" '
  /Function :/ { fn = $3; mixed = (fn ~ /MixedInput/); if (mixed) { n++; names[n] = fn } next }
  mixed && /HFMA2\.BF16/ { fma[n]++ }
  mixed && /HMUL2\.BF16/ { mul[n]++ }
  END {
    bad = 0
    for (i = 1; i <= n; i++) {
      printf "%s: HFMA2.BF16 x%d, HMUL2.BF16 x%d\n", substr(names[i], 1, 60) "...", fma[i], mul[i]
      if (fma[i] == 0 || mul[i] > 0) bad = 1
    }
    if (n != want) { printf "FAIL: %d mixed-input kernels, expected %d\n", n, want; exit 1 }
    if (bad) { print "FAIL: a dequantization is not one fused multiply-add"; exit 1 }
    printf "PASS: %d kernels, dequantization fused\n", n
  }' "$sass"
