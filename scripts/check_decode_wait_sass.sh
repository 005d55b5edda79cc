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
# Second check (twenty-second session): the packed M <= 8 kernels (`decr`
# with BM = 8) ask L2 for their first k blocks before that wait, in a called
# subroutine (not inlined: inlined it moved the hot loops' schedule), so
# exactly those kernels must contain L2 prefetches (CCTL.E.PF2): a build
# where the prefetch was dropped (or reached the 16-token tiles, whose loops
# it slowed) fails.  That the call precedes the wait is the source's order,
# which ptxas keeps (a call is not moved across ACQBULK); the SASS layout of
# the two wait-first branches cannot show it (checked by hand: a build with
# the wait moved above the call passed a layout check of it).
#
#   scripts/check_decode_wait_sass.sh <libw4a16.so or .a> <expected kernel count> [<expected prefetching count>]
# Exit 0 pass, 1 fail, 77 skip (no cuobjdump or no python3; ctest shows it as skipped).
set -euo pipefail
lib="$1"
expected="$2"
want_pf="${3:-0}"
if ! command -v python3 > /dev/null; then
  echo "SKIP: no python3"
  exit 77
fi
. "$(dirname "${BASH_SOURCE[0]}")/find_cuobjdump.sh"
sm90a_sass "$lib"
# A decode kernel: sm80_dec_gemm_kernel<Sm80DecTile<...>> (both weight layouts).
python3 - "$sass" "$expected" "$want_pf" <<'PY'
import re, sys
path, want, want_pf = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
kernels = []  # (name, [instruction text])
for line in open(path):
    m = re.search(r"Function : (\S+)", line)
    if m:
        kernels.append((m.group(1), []))
        continue
    m = re.search(r"/\*[0-9a-f]{4,}\*/\s+(.*?)\s*;", line)
    if m and kernels:
        kernels[-1][1].append(m.group(1))
bad = bad_pf = False
n = n_pf = 0
for name, code in kernels:
    if "sm80_dec_gemm_kernelINS0_11Sm80DecTile" not in name:
        continue
    n += 1
    first = lambda word: next((i + 1 for i, t in enumerate(code) if word in t), 0)
    acq, ldg = first("ACQBULK"), first("LDG")
    # Sm80DecTile<8, BN, WK, WN, STAGES, MINB, true (packed), HALF>
    packed8 = re.search(r"Sm80DecTileILi8E(Li\d+E){5}Lb1E", name) is not None
    n_prefetches = sum("CCTL.E.PF2" in t for t in code)
    n_pf += n_prefetches > 0
    bad_pf |= packed8 != (n_prefetches > 0)
    print(f"{name[:90]}...: first ACQBULK at instruction {acq}, first LDG at {ldg}, {n_prefetches} L2 prefetches")
    bad |= not acq or not ldg or acq > ldg
if n != want:
    sys.exit(print(f"FAIL: {n} decode kernels, expected {want}") or 1)
if bad:
    sys.exit(print("FAIL: a decode kernel loads from global memory before griddepcontrol.wait") or 1)
if n_pf != want_pf or bad_pf:
    sys.exit(print(f"FAIL: {n_pf} kernels prefetch into L2, expected {want_pf}: the packed M <= 8 tiles, "
                   "exactly") or 1)
print(f"PASS: {n} kernels wait before their first load, {n_pf} of them prefetch into L2 first")
PY
