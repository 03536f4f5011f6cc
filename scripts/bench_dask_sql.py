"""SQL on the Dask backend over a frame larger than the worker's memory: GROUP BY and joins.

    python scripts/bench_dask_sql.py [--cap-mb 1024] [--frame-mb 1280] [--threads 1]
                                     [--string-join]

One worker process (one thread) capped by ``memory_limit`` holds a persisted 2-column frame
``f`` (si64 keys 0..999 and f64 values, generated on the worker by ``rand``, 8 MiB
partitions) larger than the cap, so it spills to disk. Over it, without gathering
(docs/dask.md, SQL):

1. ``GROUP BY f.k`` (sum, count): pre-aggregated per partition;
2. ``GROUP BY`` a string key (``g.s``, the key as text, made per partition) with HAVING on an
   aggregate it does not select: pre-aggregated, HAVING after the combine;
3. a join of ``f`` with a 100-row table on the numeric key (a tenth of its rows match), and
4. with ``--string-join``, the same join on the string key: both sides hash-partitioned,
   DuckDB per bucket; the joined rows stay on the cluster (counted and summed there). Opt-in:
   at the default sizes its worker went over the cap and was restarted (docs/dask.md).

Each prints its strategy (``verbose=True``), time and a check (group counts adding up to
all rows, joined rows as many as the GROUP BY counted for the matching keys). Then the
embedded engine, capped alike (RLIMIT_AS in a subprocess), runs query 3 and raises
MemoryError. Every number comes from this run.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

KEYS = 1000  # f.k in 0..KEYS-1
STEP = 10  # the joined table holds every STEP-th key: a tenth of f's rows match

QUERIES = {
    "GROUP BY si64 key (sum, count)":
        "SELECT f.k, sum(f.v) AS s, count(*) AS c FROM f GROUP BY f.k",
    "GROUP BY string key, HAVING":
        "SELECT g.s, sum(g.v) AS sv, count(*) AS c FROM g GROUP BY g.s HAVING max(g.v) >= 0",
    "JOIN on si64 key": "SELECT f.k, f.v, d.w FROM f JOIN d ON f.k = d.id",
    "JOIN on string key": "SELECT g.s, g.v, e.w FROM g JOIN e ON g.s = e.s",
}


def register_views(dc: Any, k: Any, v: Any) -> None:
    """``f(k, v)`` over the key and value columns, ``g(s, v)``: f with the key as text (one
    SQL query per partition), ``d(id, w)`` and ``e(s, w)``: every STEP-th key."""
    dc.createFrame([k, v], ["k", "v"]).registerView("f")
    dc.sql("SELECT CAST(f.k AS VARCHAR) AS s, f.v FROM f").registerView("g")
    ids = dc.seq(0, KEYS - 1, STEP)
    dc.createFrame([ids, ids * 2], ["id", "w"]).registerView("d")
    dc.sql("SELECT CAST(d.id AS VARCHAR) AS s, d.w FROM d").registerView("e")


def _summary(frame: Any) -> tuple[int, float]:
    """(rows, sum of the last column) of one partition: what the joined rows come back as."""
    import numpy as np

    return frame.nrow, float(np.sum(frame.columns[-1]))


def run_query(client: Any, backend: Any, dc: Any, query: str) -> tuple[str, Any]:
    """The query on the cluster: (a one-line result, the value). GROUP BY results (one row
    per key) are gathered; join results are counted and summed on the workers."""
    import dask

    from daphnelib.backends import dask_frames

    out = backend.execute_lazy(dc.sql(query)._lower(), verbose=True)
    if "GROUP BY" in query:
        out = client.compute(dask_frames.gathered(out), sync=True) \
            if dask_frames.is_partitioned(out) else out
        return f"{out.nrow} groups, counts adding up to {int(out.columns[2].sum())} rows", out
    summary = dask.delayed(_summary, pure=True)
    parts = client.compute([summary(p) for p in out.parts], sync=True)
    rows, total = sum(r for r, _ in parts), sum(s for _, s in parts)
    return f"{rows} joined rows in {len(parts)} partitions (sum of w {total:.0f})", (rows, total)


def main() -> None:
    from distributed import Client, LocalCluster, wait

    from daphnelib import DaphneContext
    from daphnelib.backends.dask import DaskBackend
    from daphnelib.operator.nodes.matrix import Matrix
    from daphnelib.operator.operation_node import new_node

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cap-mb", type=int, default=1024, help="worker memory_limit (MiB)")
    parser.add_argument("--frame-mb", type=int, default=1280, help="frame size (MiB)")
    parser.add_argument("--threads", type=int, default=1, help="worker threads (each runs a "
                        "bucket's DuckDB query: about 110 MiB for a 3,000,000-row bucket)")
    parser.add_argument("--string-join", action="store_true",
                        help="also query 4, the join on the string key (see docs/dask.md)")
    args = parser.parse_args()
    queries = {name: query for name, query in QUERIES.items()
               if args.string_join or name != "JOIN on string key"}
    rows = args.frame_mb * (1 << 20) // 16
    with LocalCluster(n_workers=1, threads_per_worker=args.threads, processes=True,
                      memory_limit=f"{args.cap_mb}MiB", dashboard_address=":0") as cluster, \
            Client(cluster) as client:
        backend = DaskBackend(client=client, block_rows=1 << 19)  # 8 MiB partitions
        dc = DaphneContext()
        t0 = time.perf_counter()
        cols = [client.persist(backend.execute_lazy(node._lower())) for node in (
            dc.rand(rows, 1, 0, KEYS - 1, seed=3), dc.rand(rows, 1, -1.0, 1.0, seed=4))]
        wait(cols)
        print(f"worker capped at {args.cap_mb} MiB; frame f of {rows} rows ({args.frame_mb} "
              f"MiB) generated + persisted in {time.perf_counter() - t0:.1f} s")
        register_views(dc, *(new_node(Matrix, dc, "receiveFromNumpy", c) for c in cols))
        expected = None
        for name, query in queries.items():
            t0 = time.perf_counter()
            line, out = run_query(client, backend, dc, query)
            print(f"{name}: {time.perf_counter() - t0:.1f} s, {line}")
            if expected is None:  # the GROUP BY's counts of the keys the joins match
                expected = int(out.columns[2][out.columns[0] % STEP == 0].sum())
            elif "JOIN" in query:
                print(f"  {'as' if out[0] == expected else 'NOT as'} expected from the "
                      f"GROUP BY: {expected} rows")
        spilled = client.run(lambda dask_worker: len(getattr(dask_worker.data, "slow", ())))
        print(f"blocks spilled to disk at the end: {sum(spilled.values())} of "
              f"{sum(c.numblocks[0] for c in cols)} input blocks")
    from bench_dask import embedded_capped  # a sibling script: scripts/ is sys.path[0]

    here = str(__file__.rsplit("/", 1)[0])
    print(embedded_capped(
        args.cap_mb, f"register_views(dc, dc.rand({rows}, 1, 0, {KEYS - 1}, seed=3), "
        f"dc.rand({rows}, 1, -1.0, 1.0, seed=4))", "dc.sql(QUERIES['JOIN on si64 key'])",
        imports=f"import sys; sys.path.insert(0, {here!r})\n"
                "from bench_dask_sql import QUERIES, register_views\nimport duckdb, pyarrow"))


if __name__ == "__main__":
    main()
