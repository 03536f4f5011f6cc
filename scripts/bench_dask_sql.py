"""SQL GROUP BY on the Dask backend over a frame larger than the worker's memory.

    python scripts/bench_dask_sql.py [--cap-mb 512] [--frame-mb 768]

One worker process capped by ``memory_limit`` holds a persisted 2-column frame (si64 keys
0..999 and values, generated on the worker by ``rand``, 8 MiB partitions) larger than the
cap, so it spills to disk. ``SELECT f.k, sum(f.v), count(*) FROM f GROUP BY f.k`` is
pre-aggregated per partition (docs/dask.md, SQL): it prints the strategy, the time, the
group count and the blocks spilled. Every number comes from this run.
"""

from __future__ import annotations

import argparse
import time

from daphnelib import DaphneContext
from daphnelib.backends.dask import DaskBackend
from daphnelib.operator.nodes.matrix import Matrix
from daphnelib.operator.operation_node import new_node


def main() -> None:
    from distributed import Client, LocalCluster, wait

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cap-mb", type=int, default=512, help="worker memory_limit (MiB)")
    parser.add_argument("--frame-mb", type=int, default=768, help="frame size (MiB)")
    args = parser.parse_args()
    rows = args.frame_mb * (1 << 20) // 16
    with LocalCluster(n_workers=1, threads_per_worker=2, processes=True,
                      memory_limit=f"{args.cap_mb}MiB", dashboard_address=":0") as cluster, \
            Client(cluster) as client:
        backend = DaskBackend(client=client, block_rows=1 << 19)  # 8 MiB partitions
        dc = DaphneContext()
        t0 = time.perf_counter()
        cols = [client.persist(backend.execute_lazy(dc.rand(rows, 1, 0, 999, seed=s)._lower()))
                for s in (3, 4)]
        wait(cols)
        print(f"worker capped at {args.cap_mb} MiB; frame of {rows} rows ({args.frame_mb} MiB) "
              f"generated + persisted in {time.perf_counter() - t0:.1f} s")
        k, v = (new_node(Matrix, dc, "receiveFromNumpy", c) for c in cols)
        dc.createFrame([k, v], ["k", "v"]).registerView("f")
        node = dc.sql("SELECT f.k, sum(f.v) AS s, count(*) AS c FROM f GROUP BY f.k")
        t0 = time.perf_counter()
        out = backend.execute(node._lower(), verbose=True)
        print(f"SQL GROUP BY sum, count: {time.perf_counter() - t0:.1f} s, {out.nrow} groups, "
              f"counts adding up to {int(out.columns[2].sum())} rows")
        spilled = client.run(lambda dask_worker: len(getattr(dask_worker.data, "slow", ())))
        print(f"blocks spilled to disk: {sum(spilled.values())} of "
              f"{sum(c.numblocks[0] for c in cols)}")


if __name__ == "__main__":
    main()
