#!/usr/bin/env python3
"""Plot w4a16's speedup over cuBLAS bf16 against M from `w4a16 bench --json` results.

Usage: scripts/plot_speedup.py RESULT.json [RESULT.json ...] -o speedup.png
One line per (N, K) weight shape; the y axis is cuBLAS time / w4a16 time (log
scale, 1.0 marked), the x axis is M (log scale).  The title names the GPU, the
commit and the date of the first result (--commit replaces the recorded commit
label, for a run whose binary carried a stale one).  Needs matplotlib (`python3 -m pip
install matplotlib`, or scripts/plot_speedup.sh sets up a private venv).
"""

import argparse
import json
import sys
from collections import defaultdict


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("results", nargs="+", help="bench JSON files")
    ap.add_argument("-o", "--output", required=True, help="PNG to write")
    ap.add_argument("--commit", help="commit label for the title instead of the one recorded in the results")
    args = ap.parse_args()
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        sys.exit("plot_speedup.py: needs matplotlib (python3 -m pip install matplotlib)")

    lines = defaultdict(dict)  # (N, K) -> {M: speedup}
    meta = None
    for path in args.results:
        with open(path) as f:
            data = json.load(f)
        meta = meta or data["meta"]
        for row in data["rows"]:
            if row.get("speedup") is None:
                continue
            lines[(row["N"], row["K"])][row["M"]] = row["speedup"]
    if not lines:
        sys.exit("plot_speedup.py: no rows with a speedup in " + ", ".join(args.results))

    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=120)
    for (n, k), points in sorted(lines.items()):
        ms = sorted(points)
        if len(ms) < 2:
            continue
        ax.plot(ms, [points[m] for m in ms], marker="o", markersize=3, label=f"N={n}, K={k}")
    ax.axhline(1.0, color="black", linewidth=0.8, linestyle="--")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log", base=2)
    ticks = [0.25, 0.5, 1, 2, 4, 8]
    ax.set_yticks(ticks)
    ax.set_yticklabels([f"{t:g}" for t in ticks])
    ax.set_xticks([m for m in (1, 4, 16, 64, 256, 1024, 4096, 16384)])
    ax.set_xticklabels(["1", "4", "16", "64", "256", "1024", "4096", "16384"])
    ax.set_xlabel("M (tokens)")
    ax.set_ylabel("speedup over cuBLAS bf16 (x)")
    ax.set_title(f"w4a16 vs cuBLAS bf16 on dequantized weights - {meta['gpu']}, "
                 f"commit {args.commit or meta['git_commit']}, {meta['date'][:10]}", fontsize=9)
    ax.grid(True, which="both", linewidth=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(args.output)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
