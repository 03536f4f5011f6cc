"""Print pandas exchange costs against pyarrow, and the memory a round trip adds, in one run.

    python scripts/bench_pandas.py [--quick]

The workloads of ``asv_benches/bench_pandas.py``: ``from_pandas(df)`` and the round trip
``from_pandas(df).compute()`` for float64 frames of 1 to 10,000 columns and 1e3 / 1e6 rows
(up to 1e8 cells), next to ``pyarrow.Table.from_pandas(df)`` and its ``.to_pandas()``;
medians and the ratio ours/pyarrow. Then the round trip of a 1e6-row pandas ``str`` column
(``asv_benches/bench_arrow.py``'s ``strings`` workload: Arrow buffers to numpy ``StringDType``
and back in native code) against pyarrow's own conversion of those buffers to a numpy string
array and back, and against ``Table.from_pandas(df).to_pandas()``, which passes the Arrow
column through unconverted. Then, from ``asv_benches/bench_memory.py``, how far the
resident set rises during a round trip of a 1 GiB numpy array, DataFrame and tensor next to
the library's own copy of it: about 0 MiB for numpy and pandas (nothing is copied); one copy for
torch, which has no read-only tensors, so a result that views the caller's tensor is copied
(README, "PyTorch"). ``--quick``: inputs up to
1e7 cells and 64 MiB, 3 repeats.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import timeit
from collections.abc import Callable

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir))

from asv_benches._config import extra_peak_mib
from asv_benches.bench_memory import LIBRARIES, round_trip
from asv_benches.bench_pandas import COLUMNS, ROWS, frame, workloads


def median_seconds(fn: Callable[[], object], repeat: int) -> float:
    """Median seconds per call, batches of about 20 ms."""
    fn()  # warm-up: imports, first-use caches
    number = max(1, int(0.02 / max(timeit.timeit(fn, number=1), 1e-7)))
    return statistics.median(timeit.repeat(fn, number=number, repeat=repeat)) / number


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller inputs, 3 repeats")
    args = parser.parse_args()
    repeat = 3 if args.quick else 11
    max_cells = 10**7 if args.quick else 10**8

    print(f"{'columns':>8s} {'rows':>10s} {'step':>10s} {'ours':>10s} {'pyarrow':>10s} "
          f"{'/pyarrow':>9s}")
    for ncol in COLUMNS:
        for nrow in ROWS:
            if ncol * nrow > max_cells:
                continue
            fns = workloads(frame(ncol, nrow))
            for step in ("from", "round_trip"):
                ours = median_seconds(fns["ours"][step], repeat)
                ref = median_seconds(fns["pyarrow"][step], repeat)
                print(f"{ncol:>8,d} {nrow:>10,d} {step:>10s} {ours * 1e3:8.3f}ms "
                      f"{ref * 1e3:8.3f}ms {ours / ref:9.3f}", flush=True)

    from asv_benches.bench_arrow import workloads as arrow_workloads

    rows = 10**5 if args.quick else 10**6
    fns = arrow_workloads("strings", rows)
    ours, ref, passthrough = (median_seconds(fns[e], repeat)
                              for e in ("pandas", "pyarrow_numpy", "pyarrow"))
    print(f"\nstr column of {rows:,d} rows, round trip: ours {ours * 1e3:.2f} ms, pyarrow's "
          f"numpy conversion {ref * 1e3:.2f} ms (ratio {ours / ref:.3f}), pyarrow's "
          f"pass-through {passthrough * 1e3:.2f} ms (ratio {ours / passthrough:.1f})")

    nbytes = 64 * 2**20 if args.quick else 2**30
    print(f"\nresident set growth during a round trip of a {nbytes / 2**20:,.0f} MiB input")
    for library in LIBRARIES:
        mib = {}
        try:
            for engine in ("ours", "copy"):
                fn = round_trip(library, nbytes, engine)
                fn()  # first-use costs (lazy imports) are not the round trip's
                mib[engine] = extra_peak_mib(fn)
                del fn
        except NotImplementedError as exc:
            print(f"  {library:8s} skipped: {exc}")
            continue
        ours, copy = mib["ours"], mib["copy"]
        print(f"  {library:8s} ours {ours:8.2f} MiB   the library's own copy {copy:8.2f} MiB")


if __name__ == "__main__":
    main()
