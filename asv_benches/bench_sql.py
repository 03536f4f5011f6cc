"""Relational benchmarks: joins, group-by and SQL against pandas and DuckDB on the same frames.

Each workload is parametrised by engine: "ours" computes a daphnelib node built once over the
pandas frames (compute() runs the pipeline and returns a DataFrame), "pandas" runs the
equivalent pandas code, "duckdb" the equivalent query over the pandas frames, fetched as a
DataFrame. ``scripts/bench_sql.py`` prints the same workloads side by side with ratios.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

import numpy as np
import pandas as pd

ENGINES = ["ours", "pandas", "duckdb"]
SELECT = "SELECT big.a, big.b FROM big WHERE big.b < 0.1 AND big.a > 500"


def _duckdb(**frames: pd.DataFrame):
    import duckdb

    con = duckdb.connect()
    for name, df in frames.items():
        con.register(name, df)
    return con


def inner_join(n: int) -> dict[str, Callable[[], object]]:
    """Two n-row frames, unique int64 keys in random order, joined on the key."""
    from daphnelib import DaphneContext

    rng = np.random.default_rng(42)
    lhs = pd.DataFrame({"k": rng.permutation(n).astype(np.int64), "a": rng.random(n)})
    rhs = pd.DataFrame({"k2": rng.permutation(n).astype(np.int64), "b": rng.random(n)})
    dc = DaphneContext()
    node = dc.from_pandas(lhs).innerJoin(dc.from_pandas(rhs), "k", "k2")
    con = _duckdb(lhs=lhs, rhs=rhs)
    return {
        "ours": node.compute,
        "pandas": lambda: lhs.merge(rhs, left_on="k", right_on="k2"),
        "duckdb": lambda: con.execute("SELECT * FROM lhs JOIN rhs ON lhs.k = rhs.k2").df(),
    }


def left_join(n: int) -> dict[str, Callable[[], object]]:
    """n lhs rows with unique keys against n rhs rows with repeated keys (some missing)."""
    from daphnelib import DaphneContext

    rng = np.random.default_rng(43)
    lhs = pd.DataFrame({"k": rng.permutation(n).astype(np.int64), "a": rng.random(n)})
    rhs = pd.DataFrame({"k2": rng.integers(0, n, n), "b": rng.random(n)})
    dc = DaphneContext()
    node = dc.from_pandas(lhs).leftJoin(dc.from_pandas(rhs), "k", "k2")
    con = _duckdb(lhs=lhs, rhs=rhs)
    return {
        "ours": node.compute,
        "pandas": lambda: lhs.merge(rhs, left_on="k", right_on="k2", how="left"),
        "duckdb": lambda: con.execute(
            "SELECT * FROM lhs LEFT JOIN rhs ON lhs.k = rhs.k2").df(),
    }


def group_sum(n: int) -> dict[str, Callable[[], object]]:
    """Sum of a float column over 1000 int64 groups, sorted by key."""
    from daphnelib import DaphneContext

    rng = np.random.default_rng(44)
    grp = pd.DataFrame({"k": rng.integers(0, 1000, n), "v": rng.random(n)})
    node = DaphneContext().from_pandas(grp).groupSum("k", "v")
    con = _duckdb(grp=grp)
    return {
        "ours": node.compute,
        "pandas": lambda: grp.groupby("k", sort=True, as_index=False)["v"].sum(),
        "duckdb": lambda: con.execute("SELECT k, sum(v) FROM grp GROUP BY k ORDER BY k").df(),
    }


def filtered_select(n: int) -> dict[str, Callable[[], object]]:
    """SELECT two of three columns WHERE two conditions (about 5% of the rows pass)."""
    from daphnelib import DaphneContext

    rng = np.random.default_rng(45)
    big = pd.DataFrame({"a": rng.integers(0, 1000, n), "b": rng.random(n),
                        "c": rng.integers(0, 100, n).astype(np.int32)})
    dc = DaphneContext()
    dc.from_pandas(big).registerView("big")
    node = dc.sql(SELECT)
    con = _duckdb(big=big)
    return {
        "ours": node.compute,
        "pandas": lambda: big.loc[(big.b < 0.1) & (big.a > 500), ["a", "b"]],
        "duckdb": lambda: con.execute(SELECT).df(),
    }


class _ByEngine:
    params: ClassVar[list[str]] = ENGINES
    param_names: ClassVar[list[str]] = ["engine"]
    timeout = 300


class InnerJoin(_ByEngine):
    def setup(self, engine):
        self.fn = inner_join(1_000_000)[engine]

    def time_inner_join_1e6(self, engine):
        self.fn()


class LeftJoin(_ByEngine):
    def setup(self, engine):
        self.fn = left_join(1_000_000)[engine]

    def time_left_join_1e6(self, engine):
        self.fn()


class GroupSum(_ByEngine):
    def setup(self, engine):
        self.fn = group_sum(1_000_000)[engine]

    def time_group_sum_1e6(self, engine):
        self.fn()


class FilteredSelect(_ByEngine):
    def setup(self, engine):
        self.fn = filtered_select(10_000_000)[engine]

    def time_filtered_select_1e7(self, engine):
        self.fn()
