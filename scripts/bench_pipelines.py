"""Engine pipelines against numpy / DuckDB / polars, measured in one run (issue 13 targets).

    python scripts/bench_pipelines.py [--quick] [--big] [--only WORKLOAD ...]

Peak memory: every (workload, implementation) pair runs once in its own fresh interpreter,
which builds the inputs, resets the kernel's peak-RSS counter (``/proc/self/clear_refs``),
runs and reports ``VmHWM - VmRSS`` (tracemalloc misses BLAS and aligned allocations); its
answer is saved, and the parent checks every answer against the reference's. Time: one more
interpreter per workload runs the implementations in turns (so a shared machine's load hits
them alike) and reports medians and CPU/wall (``process_time``; near 2 means both cores were
busy).

``--quick`` shrinks the inputs (1e5 rows instead of 1e6); ``--big`` adds the elementwise
chain at 1e8 cells (0.8 GB input).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable

import numpy as np

LAMBDA = 1e-3
KMEANS_K, KMEANS_ITERS = 8, 10
CHAIN_OPS = 1000
DSL_LOOP_N = 20_000

# -- workloads: each maker takes a size and returns a zero-argument runner -------------------


def _regression_data(n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    X = rng.random((n, 100))
    y = X @ rng.random((100, 1)) + 0.01 * rng.random((n, 1))
    return X, y


def normeq_numpy(n: int) -> Callable[[], np.ndarray]:
    X, y = _regression_data(n)
    eye = np.eye(X.shape[1]) * LAMBDA
    return lambda: np.linalg.solve(X.T @ X + eye, X.T @ y)


def normeq_daphnelib(n: int) -> Callable[[], np.ndarray]:
    from daphnelib import DaphneContext

    X, y = _regression_data(n)
    dc = DaphneContext()

    def run() -> np.ndarray:
        Xn, yn = dc.from_numpy(X), dc.from_numpy(y)
        reg = dc.diagMatrix(dc.fill(LAMBDA, X.shape[1], 1))
        return (Xn.t() @ Xn + reg).solve(Xn.t() @ yn).compute()

    return run


def normeq_dsl(n: int) -> Callable[[], np.ndarray]:
    from daphnelib.dsl import run_script

    X, y = _regression_data(n)
    # The core of DAPHNE's lmDS builtin: regularised normal equations.
    script = f"""
X = receiveFromNumpy({X.ctypes.data}, {X.shape[0]}, {X.shape[1]}, 7);
y = receiveFromNumpy({y.ctypes.data}, {y.shape[0]}, 1, 7);
lambda = fill({LAMBDA}, ncol(X), 1);
A = t(X) @ X + diagMatrix(lambda);
b = t(X) @ y;
beta = solve(A, b);
saveDaphneLibResult(beta);
"""
    buffers = {X.ctypes.data: X, y.ctypes.data: y}
    return lambda: run_script(script, buffers=buffers)


def _kmeans_data(n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(11)
    X = rng.random((n, 10))
    return X, X[:KMEANS_K].copy()


def kmeans_numpy(n: int) -> Callable[[], np.ndarray]:
    X, C0 = _kmeans_data(n)

    def run() -> np.ndarray:
        C = C0
        for _ in range(KMEANS_ITERS):
            D = -2.0 * (X @ C.T) + (C * C).sum(axis=1, keepdims=True).T
            P = (D <= D.min(axis=1, keepdims=True)).astype(np.float64)
            P = P / P.sum(axis=1, keepdims=True)
            C = (P.T @ X) / P.sum(axis=0, keepdims=True).T
        return C

    return run


def _kmeans_step(C, X):
    D = -2.0 * (X @ C.t()) + (C * C).sum(axis=0).t()
    P = D <= D.aggMin(axis=0)
    P = P / P.sum(axis=0)
    return (P.t() @ X) / P.sum(axis=1).t()


def kmeans_daphnelib(n: int) -> Callable[[], np.ndarray]:
    from daphnelib import DaphneContext

    X, C0 = _kmeans_data(n)
    dc = DaphneContext()

    def run() -> np.ndarray:
        Xn, C = dc.from_numpy(X), dc.from_numpy(C0)
        for _ in range(KMEANS_ITERS):
            C = _kmeans_step(C, Xn)
        return C.compute()

    return run


def kmeans_for_loop(n: int) -> Callable[[], np.ndarray]:
    from daphnelib import DaphneContext

    X, C0 = _kmeans_data(n)
    dc = DaphneContext()

    def run() -> np.ndarray:
        Xn, C = dc.from_numpy(X), dc.from_numpy(C0)
        (C,) = dc.for_loop([C], lambda C, i: _kmeans_step(C, Xn), 1, KMEANS_ITERS)
        return C.compute()

    return run


def kmeans_dsl(n: int) -> Callable[[], np.ndarray]:
    from daphnelib.dsl import run_script

    X, C0 = _kmeans_data(n)
    script = f"""
X = receiveFromNumpy({X.ctypes.data}, {X.shape[0]}, 10, 7);
C = receiveFromNumpy({C0.ctypes.data}, {KMEANS_K}, 10, 7);
for (i in 1:{KMEANS_ITERS}) {{
    D = -2.0 * (X @ t(C)) + t(sum(C * C, 0));
    P = D <= aggMin(D, 0);
    P = P / sum(P, 0);
    C = (t(P) @ X) / t(sum(P, 1));
}}
saveDaphneLibResult(C);
"""
    buffers = {X.ctypes.data: X, C0.ctypes.data: C0}
    return lambda: run_script(script, buffers=buffers)


def _ew_data(cells: int) -> np.ndarray:
    return np.random.default_rng(3).random((cells // 10, 10))


def ew_numpy(cells: int) -> Callable[[], float]:
    X = _ew_data(cells)
    return lambda: float((((X * 2 + 1) / 3 > 0.5) * X).sum())


def ew_daphnelib(cells: int) -> Callable[[], float]:
    from daphnelib import DaphneContext

    X = _ew_data(cells)
    dc = DaphneContext()

    def run() -> float:
        Xn = dc.from_numpy(X)
        return float(((((Xn * 2.0 + 1.0) / 3.0) > 0.5) * Xn).sum().compute())

    return run


def ew_duckdb(cells: int) -> Callable[[], float]:
    import duckdb
    import pyarrow as pa

    table = pa.table({"x": _ew_data(cells).reshape(-1)})  # zero-copy over the numpy buffer
    con = duckdb.connect()
    con.register("t", table)
    query = "SELECT sum(((x * 2 + 1) / 3 > 0.5)::DOUBLE * x) FROM t"
    return lambda: float(con.execute(query).fetchone()[0])


def ew_polars(cells: int) -> Callable[[], float]:
    import polars as pl

    df = pl.DataFrame({"x": _ew_data(cells).reshape(-1)})
    x = pl.col("x")
    expr = (((x * 2 + 1) / 3 > 0.5).cast(pl.Float64) * x).sum()
    return lambda: float(df.select(expr).item())


def _chain_data() -> np.ndarray:
    return np.random.default_rng(5).random((1000, 1000))


def chain_numpy(_: int) -> Callable[[], np.ndarray]:
    X = _chain_data()

    def run() -> np.ndarray:
        Y = X
        for _ in range(CHAIN_OPS // 2):
            Y = Y * 0.999 + 0.001
        return Y

    return run


def chain_daphnelib(_: int) -> Callable[[], np.ndarray]:
    from daphnelib import DaphneContext

    X = _chain_data()
    dc = DaphneContext()

    def run() -> np.ndarray:
        Y = dc.from_numpy(X)
        for _ in range(CHAIN_OPS // 2):
            Y = Y * 0.999 + 0.001
        return Y.compute()

    return run


def tiny_numpy(_: int) -> Callable[[], np.ndarray]:
    a = np.ones((2, 2))
    return lambda: ((a + 1.0) * 2.0).sum(axis=1, keepdims=True)


def tiny_daphnelib(_: int) -> Callable[[], np.ndarray]:
    from daphnelib import DaphneContext

    a = np.ones((2, 2))
    dc = DaphneContext()
    return lambda: ((dc.from_numpy(a) + 1.0) * 2.0).sum(axis=0).compute()


def loop_python(_: int) -> Callable[[], float]:
    def run() -> float:
        s = np.float64(0.0)
        for i in range(1, DSL_LOOP_N + 1):
            s = s + np.int64(i) * 0.5
        return float(s)

    return run


def loop_dsl(_: int) -> Callable[[], float]:
    from daphnelib.dsl import compile_script, execute

    lowered = compile_script(f"s = 0.0;\nfor (i in 1:{DSL_LOOP_N}) {{ s = s + i * 0.5; }}\n"
                             "saveDaphneLibResult(s);")
    return lambda: float(execute(lowered))


SQL_ROWS = 10_000
SQL_QUERY = "SELECT t.k, sum(t.v) FROM t WHERE t.v > 0.5 GROUP BY t.k ORDER BY t.k"


def _sql_data():
    import pandas as pd

    rng = np.random.default_rng(9)
    return pd.DataFrame({"k": rng.integers(0, 100, SQL_ROWS), "v": rng.random(SQL_ROWS)})


def sql_duckdb(_: int) -> Callable[[], np.ndarray]:
    import duckdb

    con = duckdb.connect()
    con.register("t", _sql_data())

    def run() -> np.ndarray:
        cols = con.execute(SQL_QUERY).fetchnumpy()
        return np.column_stack([np.asarray(c, dtype=np.float64) for c in cols.values()])

    return run


def sql_daphnelib(_: int) -> Callable[[], np.ndarray]:
    from daphnelib import DaphneContext

    dc = DaphneContext()
    dc.from_pandas(_sql_data()).registerView("t")
    # A new query node per run: the fixed cost of a query (parse, plan, run, convert).
    return lambda: dc.sql(SQL_QUERY).compute().to_numpy(dtype=np.float64)


# workload -> (target, per-op divisor, {implementation: maker}); the first one is the reference
WORKLOADS: dict[str, tuple[str, int, dict[str, Callable[[int], Callable[[], object]]]]] = {
    "normeq": ("<= 1.05x numpy, 0 copies of X", 1, {
        "numpy": normeq_numpy, "daphnelib": normeq_daphnelib, "dsl": normeq_dsl}),
    "kmeans": ("<= 1.2x numpy, mem <= 1.5x", 1, {
        "numpy": kmeans_numpy, "daphnelib": kmeans_daphnelib, "for_loop": kmeans_for_loop,
        "dsl": kmeans_dsl}),
    "elementwise": ("< numpy, <= 1.2x duckdb, cpu/wall >= 1.7", 1, {
        "numpy": ew_numpy, "daphnelib": ew_daphnelib, "duckdb": ew_duckdb,
        "polars": ew_polars}),
    "chain1000": ("<= 1.5x numpy, mem <= 3 buffers", 1, {
        "numpy": chain_numpy, "daphnelib": chain_daphnelib}),
    "tiny3op": ("<= 15 us", 1, {"numpy": tiny_numpy, "daphnelib": tiny_daphnelib}),
    "dslloop": ("<= 2 us/op", 2 * DSL_LOOP_N, {"python": loop_python, "dsl": loop_dsl}),
    "sqlgroup": ("<= 1.5x duckdb", 1, {"duckdb": sql_duckdb, "daphnelib": sql_daphnelib}),
}
# Answers that are computed in another order (sums, BLAS) agree to rounding only.
RTOL = {"normeq": 1e-8, "kmeans": 1e-9, "elementwise": 1e-9, "dslloop": 0.0,
        "chain1000": 0.0, "tiny3op": 0.0, "sqlgroup": 1e-12}


def _status_kib(field: str) -> int:
    with open("/proc/self/status") as f:
        return int(re.search(rf"^{field}:\s+(\d+) kB", f.read(), re.M).group(1))


def child_memory(workload: str, impl: str, size: int, out: str) -> None:
    """Peak extra memory of one run on a fresh interpreter; the answer saved to ``out``."""
    maker = WORKLOADS[workload][2][impl]
    maker(min(size, 10_000))()  # warm-up on a small input: imports, kernel registry, BLAS
    run = maker(size)
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # peak RSS := current RSS
    before = _status_kib("VmRSS")
    answer = run()
    peak = _status_kib("VmHWM") - before
    np.save(out, np.asarray(answer))
    print(json.dumps({"peak_mib": peak / 1024}))


def child_time(workload: str, size: int, repeat: int) -> None:
    """Median wall time and CPU/wall of every implementation, their runs interleaved so that
    the load of a shared machine falls on all of them alike."""
    runs = {impl: maker(size) for impl, maker in WORKLOADS[workload][2].items()}
    number = {}
    for impl, run in runs.items():
        run()  # warm-up
        t0 = time.perf_counter()
        run()
        # Fast workloads repeat inside one timing so that the timer's resolution does not matter.
        number[impl] = max(1, int(0.05 / max(time.perf_counter() - t0, 1e-9)))
    walls: dict[str, list[float]] = {impl: [] for impl in runs}
    cpus: dict[str, list[float]] = {impl: [] for impl in runs}
    for _ in range(repeat):
        for impl, run in runs.items():
            r0, c0 = time.perf_counter(), time.process_time()
            for _ in range(number[impl]):
                run()
            walls[impl].append((time.perf_counter() - r0) / number[impl])
            cpus[impl].append((time.process_time() - c0) / number[impl])
    print(json.dumps({impl: {"wall": statistics.median(walls[impl]),
                             "cpu_ratio": sum(cpus[impl]) / sum(walls[impl])}
                      for impl in runs}))


def _child(*args: str) -> dict:
    proc = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True)
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-1] if proc.stderr else "failed"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def bench(workload: str, size: int, repeat: int, tmp: str) -> bool:
    """Print one workload's rows; False if an implementation failed or disagreed."""
    target, per, impls = WORKLOADS[workload]
    label = workload if not size else f"{workload} {size:.0e}"
    mem, answers, ok = {}, {}, True
    for impl in impls:
        out = os.path.join(tmp, f"{workload}-{impl}-{size}.npy")
        mem[impl] = _child("--child-memory", workload, impl, str(size), out)
        if "error" not in mem[impl]:
            answers[impl] = np.load(out)
    times = _child("--child-time", workload, str(size), str(repeat))
    ref = next(iter(impls))
    for impl in impls:
        error = mem[impl].get("error") or times.get("error")
        if error or ref not in answers:
            print(f"{label:<18}{impl:<11}  FAILED: {error or 'the reference failed'}")
            ok, label = False, ""
            continue
        agree = np.allclose(answers[impl], answers[ref], rtol=RTOL[workload], atol=0)
        ok &= bool(agree)
        wall = times[impl]["wall"] / per
        shown = f"{wall * 1e6:9.2f} us" if wall < 1e-3 else f"{wall * 1e3:9.2f} ms"
        peak, ref_peak = mem[impl]["peak_mib"], max(mem[ref]["peak_mib"], 0.01)
        print(f"{label:<18}{impl:<11}{shown:>12}{times[impl]['wall'] / times[ref]['wall']:>8.2f}"
              f"{peak:>10.1f}{peak / ref_peak:>8.2f}{times[impl]['cpu_ratio']:>9.2f}  "
              f"{target if impl == list(impls)[1] else ''}"
              f"{'' if agree else '  ANSWER DIFFERS FROM REFERENCE'}")
        label = ""
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="1e5 rows, 3 repeats")
    parser.add_argument("--big", action="store_true", help="also the elementwise chain at 1e8")
    parser.add_argument("--only", nargs="*", choices=list(WORKLOADS), help="these workloads")
    parser.add_argument("--child-memory", nargs=4, help=argparse.SUPPRESS)
    parser.add_argument("--child-time", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_memory:
        w, impl, size, out = args.child_memory
        child_memory(w, impl, int(size), out)
        return
    if args.child_time:
        w, size, repeat = args.child_time
        child_time(w, int(size), int(repeat))
        return
    repeat = 3 if args.quick else 5
    rows = 10**5 if args.quick else 10**6
    sizes = {"normeq": [rows], "kmeans": [rows], "chain1000": [0], "tiny3op": [0],
             "dslloop": [0], "sqlgroup": [0],
             "elementwise": [rows * 10] + ([10**8] if args.big else [])}
    header = (f"{'workload':<18}{'impl':<11}{'median':>12}{'x ref':>8}{'peak MiB':>10}"
              f"{'x ref':>8}{'cpu/wall':>9}  target")
    print(header)
    print("-" * len(header))
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        for workload in args.only or WORKLOADS:
            for size in sizes[workload]:
                ok &= bench(workload, size, repeat, tmp)
    if not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
