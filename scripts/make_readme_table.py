#!/usr/bin/env python3
"""Print a Markdown table of a `w4a16 bench --json` result for the README.

Usage: scripts/make_readme_table.py [RESULT.json ...]
       scripts/make_readme_table.py --compare BEFORE.json AFTER.json
       scripts/make_readme_table.py --host BEFORE1.json AFTER1.json [BEFORE2.json AFTER2.json ...]
       scripts/make_readme_table.py --vs-best DISPATCH.json FORCED.json [FORCED.json ...] [--min-m M]
Without an argument, reads the newest bench/results/*.json of this repository.  With several
files (runs of one device call, e.g. one per group size) it prints each run's caption, then one
table of all their rows in the order given, then each run's command.  --compare: one row per
shape of both runs (same call, e.g. canonical against packed weights): both times, AFTER's
speedup over BEFORE and over cuBLAS (AFTER's run), and both dispatched kernels.  --host: rounds of
two builds in one call (BEFORE, AFTER pairs): per shape the CPU time of one eager call (`host_us`)
of each build and of cuBLAS, and both builds' GPU times, one value per round.  --vs-best: per shape
of DISPATCH (the dispatcher's choice) that the FORCED runs (`bench --config`, same call) also
timed, the dispatched kernel's speedup over cuBLAS against the fastest forced configuration's;
each row's speedup comes from its own cuBLAS replays, interleaved with it, so rows whose SM clock
differs still compare.
Python 3 standard library only.
"""

import argparse
import glob
import json
import os
import re
import sys


def short_dispatch(text):
    """'sm80_rdq_m16n128k128s6 (BMx...) split_k=8 grid=256: why' -> 'sm80_rdq_m16n128k128s6 split_k=8'.
    Packed weights ('packed (sm90 fragment order): <config> ...') keep the configuration's name."""
    if text.startswith("packed (") and "): " in text:
        text = text.split("): ", 1)[1]
    name = text.split(' ', 1)[0]
    split = re.search(r'split_k=(\d+)', text)
    return f"{name} split_k={split.group(1)}" if split else name


def speedup_of(row):
    """cuBLAS time / our time from the recorded times (the JSON's own speedup field is rounded to
    three digits, and rounding that again to two can round the wrong way: 0.9146 -> 0.915 -> 0.92)."""
    t, c = row.get("time_us"), row.get("cublas_us")
    if isinstance(t, (int, float)) and isinstance(c, (int, float)) and t > 0:
        return c / t
    return row.get("speedup")


def newest_result():
    results = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bench", "results")
    files = glob.glob(os.path.join(results, "*.json"))
    if not files:
        sys.exit(f"make_readme_table.py: no JSON results in {os.path.normpath(results)}; pass a path")
    return max(files, key=os.path.getmtime)


def num(value, fmt):
    return "n/a" if value is None else format(value, fmt)


def cell(text):
    # A literal '|' would end the cell, even inside a code span.
    return str(text).replace("|", "\\|")


def caption(meta, rows):
    groups = {(r.get("group"), r.get("zeros")) for r in rows}
    parts = [
        f"**{meta.get('gpu', 'unknown GPU')}** ({meta.get('sm_count', '?')} SMs, "
        f"L2 {int(meta.get('l2_bytes', 0)) / 2**20:.0f} MiB)",
        f"{meta.get('date', '?')}",
        f"commit `{meta.get('git_commit', 'unknown')}`",
        f"ceilings: copy {num(meta.get('copy_bw_gbps'), '.0f')} GB/s (read + write), "
        f"bf16 cuBLAS {num(meta.get('bf16_tflops'), '.0f')} TFLOP/s",
    ]
    if len(groups) == 1:
        group, zeros = next(iter(groups))
        parts.append(f"group {group}, {'zero points' if zeros else 'symmetric'}")
    if meta.get("beta"):
        parts.append(f"beta {meta['beta']}")
    return " · ".join(parts)


LIMITING_REASONS = ("sw-power-cap", "hw-slowdown", "sw-thermal", "hw-thermal", "hw-power-brake")


def clock_cell(row):
    """Median SM clock during the row's timed replays (bench since 12d63e6), 'p' when a power or
    thermal limit was flagged in any sample; '-' when nothing was sampled."""
    mhz = row.get("sm_mhz_median")
    if not mhz:
        return "-"
    reasons = row.get("clock_reasons", "")
    return f"{mhz}" + ("p" if any(r in reasons for r in LIMITING_REASONS) else "")


def table(rows, show_group):
    clocks = any("sm_mhz_median" in r for r in rows)
    head = ["M", "N", "K"] + (["g", "zeros"] if show_group else []) + [
        "time µs", "TFLOP/s", "GB/s", "% floor", "cuBLAS µs", "speedup"] + (["SM MHz"] if clocks else []) + [
        "dispatch"]
    align = ["---:"] * (len(head) - 1) + [":---"]
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join(align) + "|"]
    for r in rows:
        mark = "\\*" if r.get("rotated_below_2x_l2") else ""
        cublas_mark = "†" if r.get("cublas_timing") == "stream" else ""
        cells = [str(r["M"]), str(r["N"]), str(r["K"])]
        if show_group:
            cells += [str(r.get("group")), "yes" if r.get("zeros") else "no"]
        cells += [
            num(r.get("time_us"), ".1f") + mark,
            num(r.get("tflops"), ".1f"),
            num(r.get("gbps"), ".0f"),
            num(r.get("pct_floor"), ".0f"),
            num(r.get("cublas_us"), ".1f") + cublas_mark,
            num(speedup_of(r), ".2f") + "×",
        ] + ([clock_cell(r)] if clocks else []) + [
            f"`{cell(short_dispatch(r.get('dispatch', '')))}`",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def shape_key(row):
    """A result row's problem: M, N, K, group size and zero points."""
    return (row["M"], row["N"], row["K"], row.get("group"), row.get("zeros"))


def compare_table(before, after, labels):
    old = {shape_key(r): r for r in before}
    head = ["M", "N", "K", f"{labels[0]} µs", f"{labels[1]} µs", f"{labels[1]} / {labels[0]}",
            "cuBLAS µs", "speedup", f"{labels[0]} dispatch", f"{labels[1]} dispatch"]
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join(["---:"] * 8 + [":---"] * 2) + "|"]
    for r in after:
        b = old.get(shape_key(r))
        if b is None:
            continue
        t0, t1 = b.get("time_us"), r.get("time_us")
        gain = t0 / t1 if isinstance(t0, (int, float)) and isinstance(t1, (int, float)) and t1 > 0 else None
        lines.append("| " + " | ".join([
            str(r["M"]), str(r["N"]), str(r["K"]), num(t0, ".1f"), num(t1, ".1f"),
            num(gain, ".2f") + "×", num(r.get("cublas_us"), ".1f"), num(speedup_of(r), ".2f") + "×",
            f"`{cell(short_dispatch(b.get('dispatch', '')))}`", f"`{cell(short_dispatch(r.get('dispatch', '')))}`",
        ]) + " |")
    return lines


def host_table(pairs, labels):
    """One row per shape of the first AFTER run: host_us of BEFORE and AFTER and cuBLAS's (AFTER's
    runs), then both GPU times, each cell the rounds' values joined with ' / '."""
    indexed = [({shape_key(r): r for r in before}, {shape_key(r): r for r in after}) for before, after in pairs]
    head = ["M", "N", "K", "dispatch", f"{labels[0]} host µs", f"{labels[1]} host µs", "cuBLAS host µs",
            f"{labels[0]} GPU µs", f"{labels[1]} GPU µs"]
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join(["---:"] * 3 + [":---"] + ["---:"] * 5) + "|"]

    def rounds(k, which, field, fmt):
        return " / ".join(num(run[which][k].get(field), fmt) if k in run[which] else "n/a" for run in indexed)

    for r in pairs[0][1]:
        k = shape_key(r)
        lines.append("| " + " | ".join([
            str(r["M"]), str(r["N"]), str(r["K"]), f"`{cell(short_dispatch(r.get('dispatch', '')))}`",
            rounds(k, 0, "host_us", ".1f"), rounds(k, 1, "host_us", ".1f"), rounds(k, 1, "cublas_host_us", ".1f"),
            rounds(k, 0, "time_us", ".1f"), rounds(k, 1, "time_us", ".1f"),
        ]) + " |")
    return lines


def vs_best_table(dispatched, forced, min_m):
    by_shape = {}
    for r in forced:
        by_shape.setdefault(shape_key(r), []).append(r)
    head = ["M", "N", "K", "dispatched", "speedup", "fastest forced", "speedup", "dispatched / fastest"]
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join(["---:"] * 3 + [":---", "---:", ":---", "---:", "---:"]) + "|"]
    ratios = []
    for r in dispatched:
        if r["M"] < min_m or shape_key(r) not in by_shape:
            continue
        best = max(by_shape[shape_key(r)], key=lambda f: speedup_of(f) or 0)
        ours, top = speedup_of(r), speedup_of(best)
        ratio = ours / top if ours and top else None
        if ratio is not None:
            ratios.append(ratio)
        lines.append("| " + " | ".join([
            str(r["M"]), str(r["N"]), str(r["K"]), f"`{cell(short_dispatch(r.get('dispatch', '')))}`",
            num(ours, ".2f") + "×", f"`{cell(short_dispatch(best.get('dispatch', '')))}`", num(top, ".2f") + "×",
            num(100 * ratio if ratio is not None else None, ".0f") + "%",
        ]) + " |")
    return lines, ratios


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("result", nargs="*", help="bench JSON files (default: newest bench/results/*.json)")
    parser.add_argument("--compare", action="store_true", help="two runs: BEFORE AFTER, one row per common shape")
    parser.add_argument("--host", action="store_true",
                        help="BEFORE AFTER pairs of one call: the eager host cost per call, per round")
    parser.add_argument("--vs-best", action="store_true",
                        help="DISPATCH FORCED...: the dispatched kernel against the fastest forced configuration")
    parser.add_argument("--min-m", type=int, default=1, help="--vs-best: only shapes with M >= this")
    parser.add_argument("--labels", default="before,after",
                        help="column labels of --compare / --host (default before,after)")
    args = parser.parse_args()
    if args.compare and len(args.result) != 2:
        sys.exit("make_readme_table.py: --compare takes exactly two JSON files")
    if args.host and (len(args.result) < 2 or len(args.result) % 2 != 0):
        sys.exit("make_readme_table.py: --host takes BEFORE AFTER pairs of JSON files")
    runs = []
    for path in args.result or [newest_result()]:
        try:
            with open(path, encoding="utf-8") as f:
                data = json.load(f)
        except (OSError, json.JSONDecodeError) as e:
            sys.exit(f"make_readme_table.py: cannot read {path}: {e}")
        if not data.get("rows"):
            sys.exit(f"make_readme_table.py: {path} has no rows")
        runs.append((data.get("meta", {}), data["rows"]))
    if args.vs_best:
        if len(runs) < 2:
            sys.exit("make_readme_table.py: --vs-best takes DISPATCH.json and at least one FORCED.json")
        lines, ratios = vs_best_table(runs[0][1], [r for _, rows in runs[1:] for r in rows], args.min_m)
        out = [caption(*runs[0]), ""] + lines
        if ratios:
            out += ["", f"{len(ratios)} shapes: the dispatched kernel at {100 * sum(ratios) / len(ratios):.1f}% of the "
                    f"fastest forced configuration's speedup on average, {100 * min(ratios):.0f}% at worst, below 95% "
                    f"at {sum(1 for x in ratios if x < 0.95)}. speedup = cuBLAS bf16 on the dequantized weights ÷ "
                    "the kernel, each row interleaved with its own cuBLAS replays. Commands: " +
                    "; ".join(f"`{meta['command']}`" for meta, _ in runs if meta.get("command"))]
        print("\n".join(out))
        return
    if args.host:
        labels = args.labels.split(",")
        if len(labels) != 2:
            sys.exit("make_readme_table.py: --labels takes two comma-separated names")
        pairs = [(runs[i][1], runs[i + 1][1]) for i in range(0, len(runs), 2)]
        out = [caption(*runs[1]), ""] + host_table(pairs, labels)
        out += ["", "host µs = CPU time of one eager call (64 calls queued on an idle stream, wall time / 64, "
                "median of 5 batches), one value per round; GPU µs = CUDA-graph time per call. Commands: " +
                "; ".join(f"`{meta['command']}`" for meta, _ in runs[:2] if meta.get("command"))]
        print("\n".join(out))
        return
    if args.compare:
        labels = args.labels.split(",")
        if len(labels) != 2:
            sys.exit("make_readme_table.py: --labels takes two comma-separated names")
        out = ["\n\n".join(caption(meta, run_rows) for meta, run_rows in runs), ""]
        out += compare_table(runs[0][1], runs[1][1], labels)
        commands = [meta["command"] for meta, _ in runs if meta.get("command")]
        out += ["", f"{labels[1]} / {labels[0]} = {labels[0]} time ÷ {labels[1]} time; speedup = cuBLAS bf16 "
                f"on the dequantized weights ÷ {labels[1]} (its run). Commands: " +
                "; ".join(f"`{c}`" for c in commands)]
        print("\n".join(out))
        return
    rows = [r for _, run_rows in runs for r in run_rows]

    show_group = len({(r.get("group"), r.get("zeros")) for r in rows}) > 1
    out = ["\n\n".join(caption(meta, run_rows) for meta, run_rows in runs), ""] + table(rows, show_group)
    notes = []
    if any(r.get("rotated_below_2x_l2") for r in rows):
        notes.append("\\* weights rotated over fewer bytes than 2× L2 (copy cap): partly L2-resident.")
    if any(r.get("cublas_timing") == "stream" for r in rows):
        notes.append("† cuBLAS timed with stream launches (graph capture failed), including launch overhead.")
    notes.append("% floor = max(bytes / copy bandwidth, FLOPs / bf16 rate) ÷ time; time = median per launch "
                 "over CUDA-graph replays with weights rotated through more than 2× L2; "
                 "speedup = cuBLAS bf16 on the dequantized weights ÷ w4a16.")
    if any("sm_mhz_median" in r for r in rows):
        notes.append("cuBLAS timed interleaved with w4a16 (about 2 ms of graph replays each in turn); SM MHz = median SM "
                     "clock (NVML) during w4a16's timed replays, p = a power or thermal limit flagged "
                     "(docs/bench-method.md).")
    commands = [meta["command"] for meta, _ in runs if meta.get("command")]
    if commands:
        notes.append(("Command: " if len(commands) == 1 else "Commands: ") + "; ".join(f"`{c}`" for c in commands))
    out += ["", "\n\n".join(notes)]
    print("\n".join(out))


if __name__ == "__main__":
    main()
