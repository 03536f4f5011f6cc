"""The Dask backend on this machine: larger than memory, distributed/embedded ratios.

    python scripts/bench_dask.py [--cap-mb 256] [--repeat 3]

1. Larger than memory. One worker process capped by ``memory_limit`` holds a persisted matrix
   1.5 times the cap (generated on the worker by ``rand``), so it spills to disk; column
   aggregates, ``t(X) @ X``, a group-by and a join over it finish. The embedded engine,
   capped alike (RLIMIT_AS in a subprocess), raises MemoryError on ``t(X) @ X``.
2. In memory. Median run times of the same programs on the embedded engine and on the Dask
   backend (threads, this machine), and their ratio.
``backend="auto"`` around its cross-over: ``scripts/bench_dask_auto.py``.

Prints medians only; every number comes from this run.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from daphnelib import DaphneContext
from daphnelib.backends.dask import DaskBackend
from daphnelib.engine.executor import compile_program, run

COLS = 10


def programs(dc: DaphneContext, x: Any) -> dict[str, Any]:
    """The measured programs over a matrix node x."""
    return {
        "column means": x.mean(axis=1),
        "column stddevs": x.stddev(axis=1),
        "t(X) @ X": x.t() @ x,
        "sum((X * 2 + 1) > 1.5)": ((x * 2 + 1) > 1.5).sum(),
    }


def median_time(fn: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def larger_than_memory(cap_mb: int) -> None:
    from distributed import Client, LocalCluster, wait

    rows = 3 * cap_mb * (1 << 20) // (2 * 8 * COLS)  # 1.5x the cap
    print(f"## 1. larger than memory: one worker capped at {cap_mb} MiB, X = rand({rows}, "
          f"{COLS}) = {rows * COLS * 8 / 2**20:.0f} MiB persisted on it")
    with LocalCluster(n_workers=1, threads_per_worker=2, processes=True,
                      memory_limit=f"{cap_mb}MiB", dashboard_address=":0") as cluster, \
            Client(cluster) as client:
        backend = DaskBackend(client=client, block_rows=1 << 18)  # 20 MiB blocks
        dc = DaphneContext()
        t0 = time.perf_counter()
        x = client.persist(backend.execute_lazy(dc.rand(rows, COLS, seed=1)._lower()))
        wait(x)
        print(f"generate + persist: {time.perf_counter() - t0:.1f} s")
        from_dask = _input(dc, x)
        for name in ("column means", "t(X) @ X"):
            node = programs(dc, from_dask)[name]
            t0 = time.perf_counter()
            out = backend.execute(node._lower())
            print(f"{name:24s} {time.perf_counter() - t0:6.1f} s   result {np.shape(out)}")
        spilled = client.run(lambda dask_worker: len(getattr(dask_worker.data, "slow", ())))
        print(f"blocks spilled to disk: {sum(spilled.values())} of {x.numblocks[0]}")
        # A frame over two of X's columns: keys 0..999 and values; group-by and a join.
        keys = _input(dc, client.persist(
            backend.execute_lazy((dc.rand(rows, 1, 0, 999, seed=3))._lower())))
        frame = dc.createFrame([keys, from_dask[:, 1]], ["k", "v"])
        dim = dc.createFrame([dc.seq(0, 499, 1)], ["id"])
        for name, node in (("group-by sum, count", frame.groupBy("k", {"v": ["sum", "count"]})),
                           ("semi-join + nrow", frame.semiJoin(dim, "k", "id").nrow())):
            t0 = time.perf_counter()
            out = backend.execute(node._lower())
            shape = f"{out.nrow} groups" if hasattr(out, "nrow") else f"{int(out)} rows"
            print(f"{name:24s} {time.perf_counter() - t0:6.1f} s   result {shape}")
    print(embedded_capped(cap_mb, f"x = dc.rand({rows}, {COLS}, seed=1)", "x.t() @ x"))


def embedded_capped(cap_mb: int, setup: str, node: str, imports: str = "") -> str:
    """The last line a fresh interpreter prints running ``node`` on the embedded engine with
    its address space capped ``cap_mb`` MiB above its start (RLIMIT_AS): "finished" or the
    MemoryError. ``imports`` run before the cap (libraries are not the data), ``setup``
    after it with ``dc`` a DaphneContext."""
    code = "\n".join([
        "import resource", "from daphnelib import DaphneContext",
        "from daphnelib.engine.executor import compile_program, run", imports,
        "def vm():",
        "    with open('/proc/self/status') as f:",
        "        return next(int(l.split()[1]) * 1024 for l in f if l.startswith('VmSize'))",
        f"cap = vm() + {cap_mb} * 2**20",
        "resource.setrlimit(resource.RLIMIT_AS, (cap, cap))",
        "dc = DaphneContext()", setup,
        "try:",
        f"    run(compile_program(({node})._lower()))",
        "    print('embedded engine: finished')",
        "except MemoryError as exc:",
        f"    print(f'embedded engine capped at {cap_mb} MiB: MemoryError ({{exc}})')"])
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=600)
    return (proc.stdout + proc.stderr).strip().splitlines()[-1]


def _input(dc: DaphneContext, x: Any) -> Any:
    """A matrix node over a distributed array (what ``dc.from_dask`` builds)."""
    from daphnelib.operator.nodes.matrix import Matrix
    from daphnelib.operator.operation_node import new_node

    return new_node(Matrix, dc, "receiveFromNumpy", x)


def in_memory(repeat: int) -> None:
    from distributed import Client, LocalCluster

    rows = 1_000_000
    print(f"\n## 2. in memory: X = {rows}x{COLS} f64 ({rows * COLS * 8 / 2**20:.0f} MiB), "
          f"median of {repeat}; Dask: LocalCluster(processes=False), 2 threads, 64 MiB blocks")
    data = np.random.default_rng(0).random((rows, COLS))
    dc = DaphneContext()
    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                      dashboard_address=":0") as cluster, \
            Client(cluster, set_as_default=False) as client:
        backend = DaskBackend(client=client)
        print(f"{'program':24s} {'embedded':>10s} {'dask':>10s} {'dask/emb':>9s}")
        for name, node in programs(dc, dc.from_numpy(data)).items():
            prog = node._lower()
            t_emb = median_time(lambda p=prog: run(compile_program(p)), repeat)
            t_dask = median_time(lambda p=prog: backend.execute(p), repeat)
            print(f"{name:24s} {t_emb * 1e3:8.1f}ms {t_dask * 1e3:8.1f}ms {t_dask / t_emb:8.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cap-mb", type=int, default=256, help="worker memory_limit (MiB)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per median")
    args = parser.parse_args()
    larger_than_memory(args.cap_mb)
    in_memory(args.repeat)


if __name__ == "__main__":
    main()
