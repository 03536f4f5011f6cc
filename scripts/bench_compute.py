"""``compute()`` of a built tiny graph and its parts, against numpy's same expression.

    python scripts/bench_compute.py [--samples 30] [--number 2000]

The graph is ``sum((X + 1.0) * 2.0, 0)`` on a 2 x 2 matrix (``tiny3op`` of
``bench_pipelines.py`` without the building). Each sample times ``number`` calls of one
part; the parts' samples are interleaved in one process, so the load of a shared machine
falls on all of them alike. Prints the minimum and the median per call of:

- ``numpy``: ``((a + 1.0) * 2.0).sum(axis=1, keepdims=True)``, the reference;
- ``compute``: ``m.compute()`` on one built node (its compiled program found by its key);
- ``compute (fresh)``: ``compute()`` of a node built just before, not timed, each once;
- ``_evaluate``: the engine value without the conversion to the caller's array;
- ``run``: the executor's run of the compiled program on the node's data;
- ``_convert``: the engine value to the caller's array.

Every answer is checked against numpy's first.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

import numpy as np


def parts() -> tuple[dict[str, Callable[[], object]], Callable[[], object], list[object]]:
    """The timed parts, the graph's builder, and the list ``compute (fresh)`` pops from."""
    from daphnelib import DaphneContext
    from daphnelib.engine import executor

    dc = DaphneContext()
    a = np.ones((2, 2))

    def build() -> Any:
        return ((dc.from_numpy(a) + 1.0) * 2.0).sum(axis=0)

    m = build()
    m.compute()
    m.compute()  # the second run generates the program's code
    key, data = m._tree[0], m._tree[1]
    compiled = executor.cached(key)
    value = m._evaluate()
    expected = ((a + 1.0) * 2.0).sum(axis=1, keepdims=True)
    for got in (m.compute(), build().compute(), m._convert(executor.run(compiled, (), data))):
        assert got.dtype == expected.dtype and got.tobytes() == expected.tobytes()
    fresh: list[Any] = []

    def compute_fresh() -> object:
        return fresh.pop().compute()

    return {
        "numpy": lambda: ((a + 1.0) * 2.0).sum(axis=1, keepdims=True),
        "compute": m.compute,
        "compute (fresh)": compute_fresh,
        "_evaluate": m._evaluate,
        "run": lambda: executor.run(compiled, (), data),
        "_convert": lambda: m._convert(value),
    }, build, fresh


def main() -> None:
    from bench_node_build import interleaved, print_table  # a sibling script: sys.path[0]

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--number", type=int, default=2000)
    args = parser.parse_args()
    timed, build, fresh = parts()

    def refill() -> None:
        fresh[:] = [build() for _ in range(args.number)]

    print_table(interleaved(timed, args.samples, args.number, {"compute (fresh)": refill}),
                "numpy")

if __name__ == "__main__":
    main()
