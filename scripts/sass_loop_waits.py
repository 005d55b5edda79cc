#!/usr/bin/env python3
"""Scoreboard waits in the hot loops of the decode kernels' SASS.

Usage: sass_loop_waits.py SASS_FILE EXPECTED_KERNELS
  SASS_FILE: `cuobjdump -sass` output (sm_90a) of a library or binary.
  Exit 0 pass, 1 fail.

Why: the decode kernels (`sm80_dec_gemm_kernel`, src/kernels/sm80/
sm80_dec_gemm.cuh) keep a register ring of k-block stages; each stage is
refilled right after it is consumed, so that its loads fly while the other
stages compute.  ptxas tracks all of a loop's 16-byte global loads with one
of the six hardware scoreboards, and an instruction can only wait for that
scoreboard to drain: every load issued on it so far, not just the one whose
register it reads.  A wait at the top of the loop costs one exposed latency
per trip; a wait after the loop has already issued a refill on the same
scoreboard waits for that refill too, serializing the ring.  ptxas placed
two such waits in the canonical kernels after a change to their prologue
alone (the loop's instructions were identical), which cost 10-20% at
M = 1..16 (docs/perf-notes.md, seventeenth session).

Check: in each decode kernel's hot loop (the longest backward branch), no
instruction waits on a scoreboard that a 16-byte LDG of the loop has set
earlier in the loop body (in address order) without a wait in between.

The control bits are in the high 64-bit word of each 128-bit instruction
(cuobjdump prints it on the line after the instruction): bits 41-44 stall,
45 yield, 46-48 write scoreboard (7 = none), 49-51 read scoreboard, 52-57
the mask of scoreboards waited on.
"""
import re
import sys

KERNEL = "sm80_dec_gemm_kernelINS0_11Sm80DecTile"
INSTR = re.compile(r"^\s+/\*([0-9a-f]{4,})\*/\s+(.*?)\s*;?\s*/\* (0x[0-9a-f]+) \*/")
WORD = re.compile(r"^\s+/\* (0x[0-9a-f]+) \*/")
BRANCH = re.compile(r"\bBRA (0x[0-9a-f]+)")


def kernels(lines):
    """Yields (name, [(address, text, write_sb, wait_mask)]) per decode kernel."""
    name, body = None, []
    i = 0
    while i < len(lines):
        line = lines[i]
        if "Function :" in line:
            if name:
                yield name, body
            fn = line.split("Function :")[1].strip()
            name, body = (fn if KERNEL in fn else None), []
        elif name:
            m = INSTR.match(line)
            if m and i + 1 < len(lines):
                w = WORD.match(lines[i + 1])
                if w:
                    hi = int(w.group(1), 16)
                    body.append((int(m.group(1), 16), m.group(2), (hi >> 46) & 7, (hi >> 52) & 0x3F))
                    i += 1
        i += 1
    if name:
        yield name, body


def serializing_waits(body):
    loops = []
    for addr, text, _, _ in body:
        b = BRANCH.search(text)
        if b and int(b.group(1), 16) < addr:
            loops.append((int(b.group(1), 16), addr))
    if not loops:
        return None, []
    lo, hi = max(loops, key=lambda l: l[1] - l[0])
    loop = [ins for ins in body if lo <= ins[0] <= hi]
    is_ldg128 = lambda t: re.search(r"\bLDG\.E(\.NA)?\.128\b", t) is not None
    ring_sbs = {sb for _, t, sb, _ in loop if is_ldg128(t) and sb != 7}
    pending, bad = set(), []
    for addr, text, sb, wait in loop:
        for s in sorted(ring_sbs):
            if (wait >> s) & 1:
                if s in pending:
                    bad.append((addr, text, s))
                pending.discard(s)
        if is_ldg128(text) and sb in ring_sbs:
            pending.add(sb)
    return (lo, hi, len(loop)), bad


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    lines = open(sys.argv[1]).read().split("\n")
    expected = int(sys.argv[2])
    n, failed = 0, False
    for name, body in kernels(lines):
        n += 1
        loop, bad = serializing_waits(body)
        short = name[:90] + "..."
        if loop is None:
            print(f"{short}: no loop found")
            failed = True
            continue
        print(f"{short}: hot loop {loop[2]} instructions, {len(bad)} serializing waits")
        for addr, text, s in bad:
            print(f"    /*{addr:04x}*/ {text}  waits on scoreboard {s} after a refill on it")
        failed |= bool(bad)
    if n != expected:
        print(f"FAIL: {n} decode kernels, expected {expected}")
        return 1
    if failed:
        print("FAIL: a decode kernel's hot loop waits for its own refills (see the docstring)")
        return 1
    print(f"PASS: {n} kernels, no wait in a hot loop drains a refill issued in it")
    return 0


if __name__ == "__main__":
    sys.exit(main())
