"""Print the core performance figures with their references, measured in one run.

    python scripts/bench_core.py [--quick | --cold [N]]

Reports medians: import time against numpy's and pandas', compute() fixed overhead of a
3-op graph, and numpy round trips at 1e3..1e8 elements (zero-copy: flat in the size).
``--cold N`` reports the cold start only, from N fresh interpreters (default 21): the cost of
``import daphnelib`` + the first ``compute()`` of a 3-op numpy graph (target < 60 ms), next
to ``python -c "import numpy"`` measured in the same run, interleaved so that the machine's
load weighs on both alike.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
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


# receiveFromNumpy, *, sum: the 3-op program of the cold-start target (numpy imported untimed,
# as asv's ColdStart.timeraw_first_result_3_ops does).
FIRST_RESULT = ("from daphnelib import DaphneContext\n"
                "(DaphneContext().from_numpy(np.ones((100, 10))) * 2.0).sum().compute()")


def _child_times(body: str, setup: str, env: dict[str, str]) -> tuple[float, float]:
    """(wall, CPU) seconds of ``body`` in a fresh interpreter, after ``setup``."""
    code = (f"import time\n{setup}\nt0, c0 = time.perf_counter(), time.process_time()\n"
            f"{body}\nprint(time.perf_counter() - t0, time.process_time() - c0)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env=env).stdout.split()
    return float(out[0]), float(out[1])


def _bytecode_env(cache: str) -> dict[str, str]:
    """The environment of an installed package: bytecode cached (here in ``cache``, so the
    tree stays clean). With PYTHONDONTWRITEBYTECODE set, as in some CI and dev shells, every
    process compiles daphnelib's sources again, which no user of a wheel pays."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = cache
    return env


def cold_start(repeat: int) -> None:
    """Print the cold-start medians, each process timing itself (interpreter start excluded).

    CPU time is printed next to wall time: on a shared machine other processes stretch the
    wall time, not (much) the CPU time the import itself takes.
    """
    cases = {"numpy": ("import numpy", ""), "ours": (FIRST_RESULT, "import numpy as np")}
    samples: dict[str, list[tuple[float, float]]] = {k: [] for k in cases}
    with tempfile.TemporaryDirectory() as cache:
        env = _bytecode_env(cache)
        for body, setup in cases.values():  # writes the bytecode caches
            _child_times(body, setup, env)
        for _ in range(repeat):  # interleaved: a burst of load on the machine hits both
            for key, (body, setup) in cases.items():
                samples[key].append(_child_times(body, setup, env))
    (np_wall, np_cpu), (wall, cpu) = (
        tuple(statistics.median(x[i] for x in samples[k]) for i in (0, 1)) for k in cases)
    print(f"cold start (fresh processes, bytecode cached, median of {repeat}; wall / CPU)")
    print(f"  python -c 'import numpy'           {np_wall * 1e3:7.1f} / {np_cpu * 1e3:6.1f} ms")
    print(f"  import daphnelib + first compute() {wall * 1e3:7.1f} / {cpu * 1e3:6.1f} ms  "
          f"(3-op numpy graph, target < 60 ms)")
    print(f"  ratio to numpy's import            {wall / np_wall:7.2f} / {cpu / np_cpu:6.2f}")


def median_call(fn, number: int, repeat: int) -> float:
    return statistics.median(timeit.repeat(fn, number=number, repeat=repeat)) / number


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer repeats, sizes up to 1e6")
    parser.add_argument("--cold", type=int, nargs="?", const=21, metavar="N",
                        help="only the cold start, from N fresh processes (default 21)")
    args = parser.parse_args()
    if args.cold:
        cold_start(args.cold)
        return
    repeat = 3 if args.quick else 11

    from daphnelib import DaphneContext

    t_np = child_median("import numpy", repeat)
    t_pd = child_median("import pandas", repeat)
    t_dl = child_median("from daphnelib import DaphneContext", repeat)
    t_first = child_median("import numpy as np\nfrom daphnelib import DaphneContext\n"
                           "DaphneContext().from_numpy(np.ones((2, 2))).sum().compute()", repeat)
    t_own = child_median(FIRST_RESULT, repeat, setup="import numpy as np")
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
