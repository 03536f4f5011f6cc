"""Print Arrow / polars / DLPack round-trip costs with ratios against the libraries' own
conversions, and the saving of several results per run, all measured in one run.

    python scripts/bench_arrow.py [--quick]

The workloads of ``asv_benches/bench_arrow.py`` (see its docstring) and
``asv_benches/bench_multi.py``; every round trip is checked to give its input back before
timing. ``--quick``: 1e5 rows and a smaller matrix, 3 repeats.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import timeit
from collections.abc import Callable

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir))


def median_seconds(fn: Callable[[], object], repeat: int) -> float:
    """Median seconds per call, batches of about 20 ms."""
    fn()
    number = max(1, int(0.02 / max(timeit.timeit(fn, number=1), 1e-7)))
    return statistics.median(timeit.repeat(fn, number=number, repeat=repeat)) / number


REFERENCES = {"numeric": ("pyarrow", "polars_own"),
              "strings": ("pyarrow", "polars_own", "pyarrow_numpy"),
              "tensor": ("numpy_own",)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller inputs, 3 repeats")
    args = parser.parse_args()
    if args.quick:
        os.environ["DAPHNELIB_BENCH_QUICK"] = "1"
    from asv_benches import bench_arrow, bench_multi

    repeat = 3 if args.quick else 11
    print(f"round trips of {bench_arrow.ROWS:,d} rows (median ms; ratio = ours / reference)")
    for kind in bench_arrow.KINDS:
        bench_arrow.check(kind)
        fns = bench_arrow.workloads(kind)
        times = {engine: median_seconds(fn, repeat) for engine, fn in fns.items()}
        refs = REFERENCES[kind]
        print(f"\n{kind}: " + "  ".join(f"{r} {times[r] * 1e3:.3f}" for r in refs))
        for engine, t in times.items():
            if engine in refs:
                continue
            ratios = "  ".join(f"/{r} {t / times[r]:8.3f}" for r in refs)
            print(f"  ours via {engine:7s} {t * 1e3:9.3f} ms  {ratios}", flush=True)

    fns = bench_multi.workloads()
    together, separately = (fns[m]() for m in bench_multi.MODES)
    for a, b in zip(together, separately, strict=True):
        assert (a == b).all() if hasattr(a, "all") else a == b
    times = {m: median_seconds(fns[m], repeat) for m in bench_multi.MODES}
    print(f"\nseveral results per run ({bench_multi.N} x {bench_multi.K}, shared t(X) @ X): "
          f"dc.compute(a, b, c) {times['together'] * 1e3:.2f} ms, each root alone "
          f"{times['separately'] * 1e3:.2f} ms, saving "
          f"{1 - times['together'] / times['separately']:.0%}")


if __name__ == "__main__":
    main()
