"""What building lazy nodes costs: the tiny 3-op graph of ``bench_pipelines.py --only tiny3op``
without its compute(), and each kind of node on its own, against numpy computing the same
pipeline (issue 13, "build + compute a 3-op graph on 2x2 <= 15 us": this is the build part).

Every case runs ``--loops`` times per sample; the samples of all cases are interleaved in one
process (the machine is shared: compare minimums and medians, and say how loaded it was).
Each time includes the deallocation of what the case built.

    python scripts/bench_node_build.py [--samples 30] [--loops 2000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable

import numpy as np

from daphnelib import DaphneContext


def cases() -> dict[str, Callable[[], object]]:
    dc = DaphneContext()
    a = np.ones((2, 2))
    x = dc.from_numpy(a)
    y = (x + 1.0) * 2.0
    return {
        "numpy": lambda: ((a + 1.0) * 2.0).sum(axis=1, keepdims=True),
        "whole build": lambda: ((dc.from_numpy(a) + 1.0) * 2.0).sum(axis=0),
        "from_numpy(a)": lambda: dc.from_numpy(a),
        "x + 1.0": lambda: x + 1.0,
        "2 * x": lambda: 2 * x,
        "x * x": lambda: x * x,
        "-x": lambda: -x,
        "y.sum(axis=0)": lambda: y.sum(axis=0),
        "y.sum()": lambda: y.sum(),
        "x @ x": lambda: x @ x,
        "x.t()": lambda: x.t(),
    }


def interleaved(cases: dict[str, Callable[[], object]], samples: int, loops: int,
                before: dict[str, Callable[[], None]] | None = None) -> dict[str, list[float]]:
    """Per case, ``samples`` times per call in us, each the mean of ``loops`` calls; the
    cases' samples interleaved so that the load of a shared machine falls on all alike.
    ``before[name]()`` runs untimed before each of that case's samples."""
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(samples):
        for name, case in cases.items():
            if before and name in before:
                before[name]()
            start = time.perf_counter()
            for _ in range(loops):
                case()
            times[name].append((time.perf_counter() - start) / loops * 1e6)
    return times


def print_table(times: dict[str, list[float]], ref: str) -> None:
    """Minimum and median per case, and the median's ratio to case ``ref``'s."""
    base = statistics.median(times[ref])
    print(f"load average {os.getloadavg()[0]:.2f}")
    print(f"{'case':22s} {'min us':>8s} {'median us':>10s} {'x ' + ref:>8s}")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{name:22s} {min(values):8.2f} {median:10.2f} {median / base:8.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--loops", type=int, default=2000)
    args = parser.parse_args()
    print_table(interleaved(cases(), args.samples, args.loops), "numpy")

if __name__ == "__main__":
    main()
