#!/usr/bin/env python3
"""Scoreboard waits in the hot loops of the decode kernels' SASS.

Usage: sass_loop_waits.py SASS_FILE EXPECTED_KERNELS
  SASS_FILE: `cuobjdump -sass` output (sm_90a) of a library or binary.
  Exit 0 pass, 1 fail.

Why: the decode kernels (`sm80_dec_gemm_kernel`, src/kernels/sm80/
sm80_dec_gemm.cuh) keep a register ring of k-block stages whose loads fly
while other stages compute.  ptxas tracks all of a loop's 16-byte global
loads with one of the six hardware scoreboards, and an instruction can only
wait for that scoreboard to drain: for every load issued on it so far, not
just the one whose register it reads.  A wait that drains a load issued a
few instructions earlier exposes a whole memory latency.  The ring
tolerates one such wait per loop trip (the classic order, refill right after
use, drains the last stage's refill at the top of the loop); the
refill-ahead order of the two-stage kernels has none (each wait drains
loads issued one stage of compute earlier), but for one in the canonical
8-token tiles (allowed_short_waits).  ptxas placed two more
in the canonical kernels after a change to their prologue alone (the loop's
instructions were identical), which cost 10-20% at M = 1..16
(docs/perf-notes.md, seventeenth session).

Check: in each decode kernel's hot loop (the longest backward branch), at
most one wait per trip drains a 16-byte LDG issued fewer than MIN_DISTANCE
instructions before it (counted around the loop's back edge); none in the
refill-ahead kernels (two stages, packed or 16 tokens: Sm80DecTile<BM, ...,
STAGES = 2, ..., REORDERED, ...> in the mangled name).

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


MIN_DISTANCE = 100


TILE = re.compile(r"Sm80DecTileILi(\d+)ELi(\d+)ELi(\d+)ELi(\d+)ELi(\d+)ELi(\d+)ELb([01])ELb([01])E")


def allowed_short_waits(name):
    """0 for the refill-ahead kernels (two stages: packed weights, and the canonical
    16-token tiles), else 1.  The canonical 8-token two-stage tiles refill ahead too,
    but ptxas sinks one of their loads to the end of the block's compute (a wait
    about 60 instructions after it); measured faster than the classic order anyway
    (docs/perf-notes.md, nineteenth session)."""
    t = TILE.search(name)
    if not t or int(t.group(5)) != 2:
        return 1
    return 0 if t.group(7) == "1" or int(t.group(1)) == 16 else 1


def short_waits(body):
    """The loop's bounds and its waits that drain a 16-byte load issued fewer than MIN_DISTANCE
    instructions before: [(address, text, scoreboard, distance)]."""
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
    # Two passes over the body: the first sets what is in flight at the back edge.
    newest = {s: None for s in ring_sbs}
    short = []
    n = len(loop)
    for rep in range(2):
        for idx, (addr, text, sb, wait) in enumerate(loop):
            g = rep * n + idx
            for s in sorted(ring_sbs):
                if (wait >> s) & 1:
                    if rep == 1 and newest[s] is not None and g - newest[s] < MIN_DISTANCE:
                        short.append((addr, text, s, g - newest[s]))
                    newest[s] = None
            if is_ldg128(text) and sb in ring_sbs:
                newest[sb] = g
    return (lo, hi, n), short


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    lines = open(sys.argv[1]).read().split("\n")
    expected = int(sys.argv[2])
    n, failed = 0, False
    for name, body in kernels(lines):
        n += 1
        loop, short = short_waits(body)
        label = name[:90] + "..."
        if loop is None:
            print(f"{label}: no loop found")
            failed = True
            continue
        allowed = allowed_short_waits(name)
        print(f"{label}: hot loop {loop[2]} instructions, {len(short)} short wait(s), {allowed} allowed")
        for addr, text, s, d in short:
            print(f"    /*{addr:04x}*/ {text}  drains scoreboard {s}, {d} instructions after its newest load")
        failed |= len(short) > allowed
    if n != expected:
        print(f"FAIL: {n} decode kernels, expected {expected}")
        return 1
    if failed:
        print("FAIL: a decode kernel's hot loop drains just-issued loads too often (see the docstring)")
        return 1
    print(f"PASS: {n} kernels, no more short waits per hot-loop trip than allowed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
