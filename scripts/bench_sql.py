"""Print relational performance against pandas and DuckDB, measured in one run.

    python scripts/bench_sql.py [--quick]

The workloads of ``asv_benches/bench_sql.py`` side by side: an inner join of two 1e6-row
frames on an int64 key, a left join (1e6 x 1e6, repeated and missing keys), a group-by sum
over 1e6 rows (1000 groups), and a filtered SELECT over 1e7 rows. Reports medians (the
engines take turns, repeat after repeat) and the ratios ours/pandas and ours/DuckDB
(targets: <= 1 and <= 2).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import timeit
from collections.abc import Callable

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir))

from asv_benches.bench_sql import filtered_select, group_sum, inner_join, left_join


def medians(fns: dict[str, Callable[[], object]], repeat: int) -> dict[str, float]:
    """Median seconds per engine; the engines take turns, so load changes hit them alike."""
    for fn in fns.values():
        fn()  # warm-up: imports, first-use caches
    times: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(repeat):
        for k, fn in fns.items():
            times[k] += timeit.repeat(fn, number=1, repeat=1)
    return {k: statistics.median(v) for k, v in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="10x smaller inputs, 3 repeats")
    args = parser.parse_args()
    scale = 10 if args.quick else 1
    repeat = 3 if args.quick else 15
    n, big = 10**6 // scale, 10**7 // scale
    rows = [(f"inner join {n:.0e} x {n:.0e} (int64 key)", inner_join, n),
            (f"left join {n:.0e} x {n:.0e} (dup. keys)", left_join, n),
            (f"group-by sum {n:.0e} rows", group_sum, n),
            (f"filtered SELECT {big:.0e} rows", filtered_select, big)]
    print(f"{'workload':40s} {'ours':>9s} {'pandas':>9s} {'DuckDB':>9s} "
          f"{'/pandas':>8s} {'/DuckDB':>8s}")
    for name, build, size in rows:
        t = medians(build(size), repeat)
        print(f"{name:40s} {t['ours'] * 1e3:7.1f}ms {t['pandas'] * 1e3:7.1f}ms "
              f"{t['duckdb'] * 1e3:7.1f}ms {t['ours'] / t['pandas']:8.2f} "
              f"{t['ours'] / t['duckdb']:8.2f}", flush=True)


if __name__ == "__main__":
    main()
