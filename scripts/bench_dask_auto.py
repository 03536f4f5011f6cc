"""backend="auto" against the embedded engine on in-memory data, around the cross-over.

    python scripts/bench_dask_auto.py [--budget-mb 32] [--repeat 41]

For matrices X = rows x 10 f64 made with ``from_numpy`` (in local memory), from 160 bytes to
past the budget, the same lowered programs run on an ``EmbeddedBackend`` and on a
``DaskBackend(placement="auto", memory_budget=budget)`` (threaded ``LocalCluster``, 2 threads),
their runs interleaved in this one process (the order alternating) so that a burst of load
on the machine hits both. Both compile a program once and reuse it, as ``node.compute()``
does. Printed per size and program: where auto put it ("local": the whole program on the
embedded engine; "cluster": op by op), the median times, the ratio of the medians and the
median of the per-pair ratios (auto / embedded). Below the cross-over the ratio must stay
within 1.1x. The last column is the noise floor: a second ``EmbeddedBackend`` interleaved
as a third contestant, against the first (the same code on the same data: any distance from
1.00x there is the machine's load). Last, the smallest sizes again with the graph built anew
for every compute (a new program each time). Every number comes from this run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from daphnelib import DaphneContext
from daphnelib.backends.dask import DaskBackend
from daphnelib.backends.embedded import EmbeddedBackend

COLS = 10


def programs(dc: DaphneContext, x: Any) -> dict[str, Any]:
    """The measured programs over a matrix node x: a product, an elementwise chain, a loop."""
    w0 = dc.fill(0.0, COLS, 1)
    y = x[:, 0]
    return {
        "sum(t(X) @ X)": (x.t() @ x).sum(),
        "sum((X * 2 + 1) > 1.5)": ((x * 2 + 1) > 1.5).sum(),
        "3 gradient steps": dc.for_loop(
            [w0], lambda w, i: (w - (x.t() @ (x @ w - y)) * 1e-7,), 1, 3)[0],
    }


def interleaved(fns: list[Callable[[], Any]], repeat: int) -> list[list[float]]:
    """Run times of each function, one run of each per round, the order rotating."""
    times: list[list[float]] = [[] for _ in fns]
    for r in range(repeat):
        for k in range(len(fns)):
            i = (k + r) % len(fns)
            t0 = time.perf_counter()
            fns[i]()
            times[i].append(time.perf_counter() - t0)
    return times


def pair_ratio(num: list[float], den: list[float]) -> float:
    return statistics.median(a / b for a, b in zip(num, den, strict=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget-mb", type=int, default=32, help="auto's memory_budget (MiB)")
    parser.add_argument("--repeat", type=int, default=41,
                        help="runs per median (a quarter of it past the cross-over)")
    args = parser.parse_args()
    from distributed import Client, LocalCluster

    budget = args.budget_mb << 20
    cross = budget // (8 * COLS)
    sizes = [2, 1_000, 10_000, 100_000, cross // 2, cross * 9 // 10, cross * 3 // 2, cross * 3]
    print(f"# backend='auto' (memory_budget {args.budget_mb} MiB) / embedded, X = rows x {COLS} "
          f"f64 from numpy; cross-over at {cross} rows; load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    dc = DaphneContext()
    rng = np.random.default_rng(0)
    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                      dashboard_address=":0") as cluster, \
            Client(cluster, set_as_default=False) as client:
        auto = DaskBackend(client=client, placement="auto", memory_budget=budget)
        embedded, again = EmbeddedBackend(), EmbeddedBackend()
        print(f"{'rows':>9s} {'MiB':>6s} {'program':24s} {'placed':>7s} {'embedded':>11s} "
              f"{'auto':>11s} {'ratio':>6s} {'pairs':>6s} {'A/A':>6s}")
        worst_local = worst_noise = 0.0
        for rows in sizes:
            x = dc.from_numpy(rng.random((rows, COLS)))
            for name, node in programs(dc, x).items():
                prog = node._lower()
                local = auto._fits(prog)
                repeat = args.repeat if local else max(3, args.repeat // 4) | 1
                for backend in (embedded, again, auto):
                    backend.execute(prog)  # compile once
                t_emb, t_again, t_auto = interleaved(
                    [lambda p=prog: embedded.execute(p), lambda p=prog: again.execute(p),
                     lambda p=prog: auto.execute(p)], repeat)
                m_emb, m_auto = statistics.median(t_emb), statistics.median(t_auto)
                pairs, noise = pair_ratio(t_auto, t_emb), pair_ratio(t_again, t_emb)
                if local:
                    worst_local = max(worst_local, pairs)
                    worst_noise = max(worst_noise, noise)
                print(f"{rows:9d} {rows * COLS * 8 / 2**20:6.1f} {name:24s} "
                      f"{'local' if local else 'cluster':>7s} {m_emb * 1e3:9.3f}ms "
                      f"{m_auto * 1e3:9.3f}ms {m_auto / m_emb:5.2f}x {pairs:5.2f}x "
                      f"{noise:5.2f}x")
        decide = statistics.median(interleaved([lambda: auto._fits(prog)], 1001)[0])
        print(f"where auto stayed local, the worst per-pair ratio: auto/embedded "
              f"{worst_local:.2f}x, embedded/embedded {worst_noise:.2f}x; the cached placement "
              f"decision: {decide * 1e6:.2f} us per compute")
        print("\n# the graph built anew for every compute (a new program each time: "
              "DaphneLib's usual build-then-compute), sum(t(X) @ X)")
        for rows in (2, 1_000, 10_000):
            data = rng.random((rows, COLS))

            def build(data: np.ndarray = data) -> Any:
                x = dc.from_numpy(data)
                return (x.t() @ x).sum()._lower()

            t_emb, t_again, t_auto = interleaved(
                [lambda: embedded.execute(build()), lambda: again.execute(build()),
                 lambda: auto.execute(build())], 10 * args.repeat)
            print(f"{rows:9d} rows: embedded {statistics.median(t_emb) * 1e3:7.3f}ms, auto "
                  f"{statistics.median(t_auto) * 1e3:7.3f}ms, per-pair "
                  f"{pair_ratio(t_auto, t_emb):5.2f}x, A/A {pair_ratio(t_again, t_emb):5.2f}x")
        print(f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
