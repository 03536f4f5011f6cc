"""Print the core performance figures with their references, measured in one run.

    python scripts/bench_core.py [--quick]

Reports medians: import time against numpy's and pandas', compute() fixed overhead of a
3-op graph, and numpy round trips at 1e3..1e8 elements (zero-copy: flat in the size).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import timeit

import numpy as np


def child_median(body: str, repeat: int, setup: str = "") -> float:
    code = (f"import time\n{setup}\nt0 = time.perf_counter()\n{body}\n"
            "print(time.perf_counter() - t0)")
    return statistics.median(
        float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             check=True).stdout)
        for _ in range(repeat)
    )


def median_call(fn, number: int, repeat: int) -> float:
    return statistics.median(timeit.repeat(fn, number=number, repeat=repeat)) / number


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer repeats, sizes up to 1e6")
    args = parser.parse_args()
    repeat = 3 if args.quick else 11

    from daphnelib import DaphneContext

    t_np = child_median("import numpy", repeat)
    t_pd = child_median("import pandas", repeat)
    t_dl = child_median("from daphnelib import DaphneContext", repeat)
    t_first = child_median("import numpy as np\nfrom daphnelib import DaphneContext\n"
                           "DaphneContext().from_numpy(np.ones((2, 2))).sum().compute()", repeat)
    t_own = child_median("from daphnelib import DaphneContext\n"
                         "(DaphneContext().from_numpy(np.ones((100, 10))) * 2.0).sum().compute()",
                         repeat, setup="import numpy as np")
    print("cold start (fresh process, median)")
    print(f"  import numpy                 {t_np * 1e3:8.1f} ms")
    print(f"  import pandas                {t_pd * 1e3:8.1f} ms")
    print(f"  from daphnelib import DaphneContext {t_dl * 1e3:5.1f} ms  ({t_dl / t_np:.2f}x numpy, "
          "target < 150 ms)")
    print(f"  import + first compute       {t_first * 1e3:8.1f} ms")
    print(f"  same, numpy already imported {t_own * 1e3:8.1f} ms  (3-op program, target < 60 ms)")

    dc = DaphneContext()
    X = dc.from_numpy(np.ones((2, 2)))
    node = ((X + 1.0) * 2.0).sum(axis=1)
    node.compute()
    t_overhead = median_call(node.compute, 2000, repeat)
    ref = np.ones((2, 2))
    t_numpy = median_call(lambda: ((ref + 1.0) * 2.0).sum(axis=1, keepdims=True), 2000, repeat)
    print("compute() of a 3-op graph on 2x2 (median)")
    print(f"  daphnelib                    {t_overhead * 1e6:8.1f} us  (target < 50 us)")
    print(f"  numpy, same ops eagerly      {t_numpy * 1e6:8.1f} us")

    print("numpy round trip from_numpy(a).compute() (median)")
    sizes = [10**3, 10**6] if args.quick else [10**3, 10**6, 10**8]
    base = None
    for n in sizes:
        a = np.ones((n // 1000, 1000))
        t = median_call(lambda a=a: dc.from_numpy(a).compute(), 200, repeat)
        base = base or t
        copy = median_call(a.copy, 3 if n >= 10**8 else 50, 3)
        print(f"  {n:>11,d} elements  {t * 1e6:8.1f} us  ({t / base:.2f}x the 1e3 case; "
              f"a numpy copy costs {copy / t:,.2f}x this)")


if __name__ == "__main__":
    main()
