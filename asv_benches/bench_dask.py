"""Dask backend: per-block overhead, distributed/embedded ratio, auto's cross-over.

One in-process ``LocalCluster(processes=False)`` (2 threads) per benchmark class. The
per-block sweep keeps the data fixed (2^20 x 8 f64, 64 MiB) and varies the block size, so
time / blocks is the fixed cost of a block (scheduling + one kernel call + the fan-in).
"""

import statistics
import time

import numpy as np

from daphnelib import DaphneContext
from daphnelib.engine.executor import compile_program, run

from ._config import QUICK

ROWS, COLS = 1 << 20, 8


def _cluster():
    from distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                           dashboard_address=None)
    return cluster, Client(cluster, set_as_default=False)


class PerBlockOverhead:
    """Column sums and t(X) @ X over a fixed matrix cut into ever smaller blocks."""

    timeout = 300
    # Quick mode (the smoke test in make test): two block sizes, a few blocks each.
    params = ([1 << 17, 1 << 20] if QUICK else [1 << 13, 1 << 15, 1 << 17, 1 << 20],
              ["column sums", "t(X) @ X"])
    param_names = ["block_rows", "program"]

    def setup(self, block_rows, program):
        from daphnelib.backends.dask import DaskBackend
        from daphnelib.operator.nodes.matrix import Matrix
        from daphnelib.operator.operation_node import new_node

        self.cluster, self.client = _cluster()
        self.backend = DaskBackend(client=self.client, block_rows=block_rows)
        import dask.array as da

        dc = DaphneContext()
        # The input made on the cluster once, in blocks of block_rows (as dc.from_dask hands
        # one over; one block too): only the blocks' work counts.
        data = self.client.persist(
            da.random.default_rng(0).random((ROWS, COLS), chunks=(block_rows, COLS)))
        dist = new_node(Matrix, dc, "receiveFromNumpy", data)
        self.program = (dist.sum(axis=1) if program == "column sums" else dist.t() @ dist)._lower()

    def teardown(self, block_rows, program):
        self.client.close()
        self.cluster.close()

    def time_distributed(self, block_rows, program):
        self.backend.execute(self.program)


class DistributedOverEmbedded:
    """The same program on both engines; the ratio is time_dask / time_embedded."""

    timeout = 300
    params = [["column means", "t(X) @ X", "elementwise + sum"]]
    param_names = ["program"]

    def setup(self, program):
        from daphnelib.backends.dask import DaskBackend

        self.cluster, self.client = _cluster()
        self.backend = DaskBackend(client=self.client)
        dc = DaphneContext()
        x = dc.from_numpy(np.random.default_rng(0).random((ROWS, COLS)))
        node = {"column means": x.mean(axis=1), "t(X) @ X": x.t() @ x,
                "elementwise + sum": ((x * 2 + 1) > 1.5).sum()}[program]
        self.program = node._lower()
        self.compiled = compile_program(self.program)

    def teardown(self, program):
        self.client.close()
        self.cluster.close()

    def time_embedded(self, program):
        run(self.compiled)

    def time_dask(self, program):
        self.backend.execute(self.program)


class AutoCrossOver:
    """backend="auto" with a 16 MiB budget around its cross-over (2^18 x 8 f64 = 16 MiB), on
    in-memory data (``from_numpy``): up to the cross-over auto runs the embedded engine's
    compiled program and must cost what the embedded engine costs (``track_auto_over_embedded``
    <= 1.1); past it, the ops go to the cluster."""

    timeout = 300
    params = [[1 << 4, 1 << 14, 1 << 20] if QUICK else
              [1 << 4, 1 << 10, 1 << 14, 1 << 17, 1 << 18, 1 << 19, 1 << 20]]
    param_names = ["rows"]

    def setup(self, rows):
        from daphnelib.backends.dask import DaskBackend
        from daphnelib.backends.embedded import EmbeddedBackend

        self.cluster, self.client = _cluster()
        self.auto = DaskBackend(client=self.client, placement="auto", memory_budget=16 << 20)
        self.embedded = EmbeddedBackend()
        x = DaphneContext().from_numpy(np.random.default_rng(1).random((rows, COLS)))
        self.program = (x.t() @ x).sum()._lower()
        self.embedded.execute(self.program), self.auto.execute(self.program)  # compile once

    def teardown(self, rows):
        self.client.close()
        self.cluster.close()

    def time_embedded(self, rows):
        self.embedded.execute(self.program)

    def time_auto(self, rows):
        self.auto.execute(self.program)

    def track_auto_over_embedded(self, rows):
        """The median of auto / embedded over runs interleaved in this process (the order
        alternating), so that load on the machine hits both alike."""
        ratios = []
        for r in range(9 if rows > 1 << 18 else 41):
            pair = (self.time_embedded, self.time_auto)
            times = {}
            for fn in pair if r % 2 == 0 else pair[::-1]:
                t0 = time.perf_counter()
                fn(rows)
                times[fn.__name__] = time.perf_counter() - t0
            ratios.append(times["time_auto"] / times["time_embedded"])
        return statistics.median(ratios)

    track_auto_over_embedded.unit = "x embedded"
