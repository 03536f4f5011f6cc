"""Several results per run: ``dc.compute(a, b, c)`` against computing each root on its own.

The three results share an expensive prefix, the Gram matrix ``t(X) @ X`` of a 20000 x 200
matrix (``N`` x ``K``), and each adds a cheap step (a sum, a column mean, a scaled copy).
DaphneLib computes each root separately and so computes the prefix three times; one joint
run computes it once. ``scripts/bench_arrow.py`` prints the saving next to the exchange
ratios.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ._config import QUICK

N, K = (2000, 50) if QUICK else (20000, 200)
MODES = ("together", "separately")


def workloads(n: int = N, k: int = K) -> dict[str, Callable[[], object]]:
    from daphnelib import DaphneContext

    dc = DaphneContext()
    X = dc.from_numpy(np.random.default_rng(0).random((n, k)))
    G = X.t() @ X
    roots = (G.sum(), G.mean(axis=1), G * 2)
    return {"together": lambda: dc.compute(*roots),
            "separately": lambda: tuple(r.compute() for r in roots)}


class SeveralResults:
    params = (MODES,)
    param_names = ("mode",)
    timeout = 300

    def setup(self, mode):
        self.fn = workloads()[mode]
        self.fn()

    def time_compute(self, mode):
        self.fn()
