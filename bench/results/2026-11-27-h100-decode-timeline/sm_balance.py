#!/usr/bin/env python3
"""Per-SM view of the decode timeline CSVs (bench/lab/dec_timeline_lab.cu):
when each SM's last warp finished its math, grouped by how many CTAs the SM
ran, and by CTA index decile.  Usage: sm_balance.py warps-*.csv[.gz]"""
import collections
import csv
import gzip
import statistics as st
import sys

for path in sys.argv[1:]:
    with (gzip.open(path, "rt") if path.endswith(".gz") else open(path)) as f:
        rows = list(csv.DictReader(f))
    ctas_on = collections.defaultdict(set)
    done_on = collections.defaultdict(list)
    for r in rows:
        sm = int(r["sm"])
        ctas_on[sm].add(int(r["cta"]))
        done_on[sm].append(int(r["math_done_ns"]) / 1e3)
    print(path.split("/")[-1])
    groups = collections.defaultdict(list)
    for sm, ctas in ctas_on.items():
        groups[len(ctas)].append(max(done_on[sm]))
    for n in sorted(groups):
        v = groups[n]
        print(f"  SMs running {n} CTAs: {len(v):3d}; their last warp's math done at "
              f"min {min(v):.2f} / median {st.median(v):.2f} / max {max(v):.2f} us")
    ctas = max(int(r["cta"]) for r in rows) + 1
    dec = collections.defaultdict(list)
    for r in rows:
        dec[int(r["cta"]) * 10 // ctas].append(int(r["math_done_ns"]) / 1e3)
    print("  math done by CTA-index decile (median / max us): " +
          ", ".join(f"{k}: {st.median(v):.2f}/{max(v):.2f}" for k, v in sorted(dec.items())))
