"""Engine pipelines (issue 13): the workloads of ``scripts/bench_pipelines.py``, tracked.

For every workload and implementation (numpy, DuckDB and polars as references; daphnelib's
Python API, ``for_loop`` and DaphneDSL), asv times one run and tracks:

- ``track_ratio``: the median time over the reference's (numpy; the Python loop for the DSL
  scalar loop), both measured in the same process, so machine noise cancels;
- ``track_extra_peak_mib``: how far the resident set rises while one run executes.

The workload definitions live in the script (one source); ``DAPHNELIB_BENCH_QUICK=1`` runs
them on 1e4 rows instead of 1e6.
"""

from __future__ import annotations

import importlib.util
import statistics
import sys
import timeit
from pathlib import Path

from ._config import QUICK, extra_peak_mib


def _script():
    name = "daphnelib_bench_pipelines"
    if name not in sys.modules:
        path = Path(__file__).resolve().parents[1] / "scripts" / "bench_pipelines.py"
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


_W = _script().WORKLOADS
ROWS = 10**4 if QUICK else 10**6
SIZES = {"normeq": ROWS, "kmeans": ROWS, "elementwise": ROWS * 10, "chain1000": 0,
         "tiny3op": 0, "dslloop": 0, "sqlgroup": 0}
CASES = [f"{w}:{impl}" for w, (_, _, impls) in _W.items() for impl in impls]


def _maker(case: str):
    workload, impl = case.split(":")
    return _W[workload][2][impl], SIZES[workload]


def _median(fn, repeat: int = 5) -> float:
    fn()
    number = max(1, int(0.05 / max(timeit.timeit(fn, number=1), 1e-9)))
    return statistics.median(timeit.repeat(fn, number=number, repeat=repeat)) / number


class Pipelines:
    params = [CASES]
    param_names = ["workload:implementation"]
    timeout = 900
    number = 1
    repeat = 3

    def setup(self, case):
        maker, size = _maker(case)
        self.run = maker(size)
        self.run()  # lazy imports and compilation before measuring

    def time_run(self, case):
        self.run()

    def track_ratio(self, case):
        workload = case.split(":")[0]
        reference = next(iter(_W[workload][2]))
        ref_maker, size = _maker(f"{workload}:{reference}")
        return _median(self.run) / _median(ref_maker(size))

    track_ratio.unit = "x reference"

    def track_extra_peak_mib(self, case):
        return extra_peak_mib(self.run)

    track_extra_peak_mib.unit = "MiB"
