"""SQL on the Dask backend without gathering: string keys per bucket, HAVING pre-aggregated.

Views of 11 and 9 rows in partitions of 3 (ragged: the last is shorter), so each query sees
several partitions and buckets. String keys hold NULLs, empty strings, non-ASCII text and
duplicates, on one side only or on both. Results must be the embedded engine's after sorting
(per-bucket results come bucket by bucket, docs/compatibility.md), floats to 1e-12 (partial
sums add in another order), and the strategy each query took is checked from ``verbose=True``
and from the result staying partitioned (a gathered query comes back local).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

pytest.importorskip("distributed")
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from daphnelib import DaphneContext
from daphnelib.backends.dask import DaskBackend
from daphnelib.engine.executor import compile_program, run

LKEYS = ["b", None, "", "é", "a", "日本", "b", None, "", "only-left", "é"]
RKEYS = ["", "é", "b", None, "only-right", "日本", "b", "a" * 17, ""]


def views(dc: DaphneContext, lkeys: list[str | None], rkeys: list[str | None]) -> None:
    """``t(s, k, a, n)`` and ``u(s, k, b)``: string keys ``s``, int keys ``k``, values."""
    import pandas as pd

    n = len(lkeys)
    dc.from_pandas(pd.DataFrame({
        "s": pd.array(lkeys, "string"), "k": np.arange(n, dtype=np.int64) % 3,
        "a": np.arange(n, dtype=np.int64) * 2 - 5,
        "n": pd.array([None if i % 4 == 1 else i * 0.5 for i in range(n)], "Float64"),
    })).registerView("t")
    dc.from_pandas(pd.DataFrame({"s": pd.array(rkeys, "string"),
                                 "k": np.arange(len(rkeys), dtype=np.int64) % 2,
                                 "b": np.arange(len(rkeys)) * 1.5})).registerView("u")


# query -> the strategy line ``verbose=True`` prints (its start)
JOINS = {
    "SELECT t.s, t.a, u.b FROM t JOIN u ON t.s = u.s": "per bucket: join",
    "SELECT t.s, t.a, u.b FROM t, u WHERE t.s = u.s AND t.a > -3": "per bucket: join",
    "SELECT t.s, t.a, u.s AS us, u.b FROM t LEFT JOIN u ON t.s = u.s": "per bucket: join",
    "SELECT t.a, u.s, u.b FROM t RIGHT JOIN u ON u.s = t.s AND t.a > 0": "per bucket: join",
    "SELECT t.s, t.a, u.s AS us, u.b FROM t FULL OUTER JOIN u ON t.s = u.s":
        "per bucket: join",
    "SELECT t.s, t.k, u.b FROM t JOIN u ON t.s = u.s AND t.k = u.k": "per bucket: join",
    # WHERE on the preserved side is pushed down; on the null-supplying side it is not
    "SELECT t.s, t.a, u.b FROM t LEFT JOIN u ON t.s = u.s WHERE t.a > -4 AND u.b IS NULL":
        "per bucket: join; WHERE pushed down to t; rows",
    "SELECT t.a, u.b FROM t FULL OUTER JOIN u ON t.s = u.s WHERE u.b > 1 OR t.a > 1":
        "per bucket: join; rows",
}
GROUPS = {
    "SELECT t.s, sum(t.a) AS sa, count(*) AS c, avg(t.n) AS m, min(t.n) AS lo FROM t "
    "GROUP BY t.s": "pre-aggregated",
    "SELECT t.s, t.k, max(t.a) AS hi, count(t.n) AS c FROM t GROUP BY t.s, t.k":
        "pre-aggregated",
    # HAVING: on an aggregate not selected, on avg, on count, on a key, repeating a SELECT one
    "SELECT t.s, max(t.a) AS hi FROM t GROUP BY t.s HAVING sum(t.a) > 0": "pre-aggregated",
    "SELECT t.s, count(*) AS c FROM t GROUP BY t.s HAVING avg(t.a) < 4 AND count(*) >= 1":
        "pre-aggregated",
    "SELECT t.s FROM t GROUP BY t.s HAVING count(t.n) = 1 OR t.s = 'é'": "pre-aggregated",
    "SELECT t.k, sum(t.a) / count(*) AS r, avg(t.n) * 2 AS m2 FROM t WHERE t.s <> '' "
    "GROUP BY t.k HAVING min(t.s) > 'a' OR max(t.n) IS NULL": "pre-aggregated",
    "SELECT t.s, avg(t.n) AS m FROM t GROUP BY t.s HAVING avg(t.n) IS NULL OR avg(t.n) > 1":
        "pre-aggregated",
    # not pre-aggregated (the rows move to their bucket): DISTINCT inside, a select alias in
    # HAVING, FILTER
    "SELECT t.s, count(DISTINCT t.k) AS d FROM t GROUP BY t.s HAVING count(DISTINCT t.k) > 1":
        "rows hash-partitioned",
    "SELECT t.s, sum(t.a) AS sa FROM t GROUP BY t.s HAVING sa > 0": "rows hash-partitioned",
    "SELECT t.s, count(*) FILTER (WHERE t.a > 0) AS c FROM t GROUP BY t.s":
        "rows hash-partitioned",
}


def embedded(node: Any) -> Any:
    return run(compile_program(node._lower()))


def sorted_frame(df: Any) -> Any:
    return df.sort_values(list(df.columns), kind="stable", na_position="last").reset_index(
        drop=True)


def assert_agree(got: Any, node: Any) -> None:
    import pandas as pd

    from daphnelib.interop.pandas import to_pandas

    pd.testing.assert_frame_equal(sorted_frame(to_pandas(got)),
                                  sorted_frame(to_pandas(embedded(node))),
                                  check_exact=False, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("query", [*JOINS, *GROUPS])
def test_string_keys_and_having_run_per_bucket(client: Any, query: str,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    """The same rows as the embedded engine; the query ran per bucket (its result is still
    partitioned, one partition per bucket) and was not gathered."""
    from daphnelib.backends import dask_frames

    dc = DaphneContext()
    views(dc, LKEYS, RKEYS)
    node = dc.sql(query)
    backend = DaskBackend(client=client, block_rows=3)
    lazy = backend.execute_lazy(node._lower(), verbose=True)
    out = capsys.readouterr().out
    assert dask_frames.is_partitioned(lazy) and len(lazy.parts) == 4, out
    expected = JOINS.get(query) or "per bucket: group by"
    assert f"sql: {expected}" in out, out
    assert GROUPS.get(query, "") in out, out
    assert "ran on the client" not in out, out
    assert_agree(backend.execute(node._lower()), node)


def test_where_is_not_pushed_to_a_null_supplying_or_positional_side(
        client: Any, capsys: pytest.CaptureFixture[str]) -> None:
    """Dropping rows of a LEFT JOIN's right side before the join would turn matched rows
    into unmatched ones (kept by ``IS NULL``); dropping rows of a POSITIONAL JOIN's side
    would pair other rows. Both gave wrong rows when WHERE was pushed there."""
    import pandas as pd

    from daphnelib.interop.pandas import to_pandas

    backend = DaskBackend(client=client, block_rows=3)
    for query in ("SELECT t.k, t.a, u.b FROM t LEFT JOIN u ON t.k = u.k + 1 WHERE u.b IS NULL",
                  "SELECT t.s, u.b FROM t POSITIONAL JOIN u WHERE u.b > 4"):
        dc = DaphneContext()
        views(dc, LKEYS, RKEYS)
        node = dc.sql(query)
        got = to_pandas(backend.execute(node._lower(), verbose=True))
        assert "pushed down to u" not in capsys.readouterr().out
        want = to_pandas(embedded(node))
        assert len(want) > 0
        pd.testing.assert_frame_equal(sorted_frame(got), sorted_frame(want), check_exact=True)


def test_keys_whose_hash_differs_from_their_equality_are_gathered() -> None:
    """A string key against a number, and categorical codes, do not hash by their SQL
    equality: those queries are not cut into buckets."""
    import pandas as pd

    from daphnelib.backends import dask_sql

    schema = embedded(DaphneContext().from_pandas(pd.DataFrame({
        "s": pd.array(["1"], "string"), "k": [1], "c": pd.Categorical(["x"])})))
    for query, strategy in (("SELECT t.k, u.k FROM t JOIN u ON t.s = u.k", "gathered"),
                            ("SELECT t.k, u.k FROM t JOIN u ON t.c = u.c", "gathered"),
                            ("SELECT t.c, count(*) FROM t GROUP BY t.c", "gathered"),
                            ("SELECT t.k, u.k FROM t JOIN u ON t.s = u.s", "per bucket: join"),
                            ("SELECT t.s, count(*) FROM t GROUP BY t.s",
                             "per bucket: group by")):
        assert dask_sql.analyse(query, {"t": schema, "u": schema}).strategy == strategy, query


def test_pre_aggregation_splits_having_over_partials() -> None:
    """What each partition and each bucket run: HAVING's aggregates become partials (avg a
    sum and a count, each once), and HAVING runs after the combine."""
    import pandas as pd

    from daphnelib.backends import dask_sql

    schema = embedded(DaphneContext().from_pandas(pd.DataFrame({
        "s": pd.array(["x"], "string"), "a": [1.5]})))
    query = "SELECT t.s, max(t.a) AS hi FROM t GROUP BY t.s HAVING avg(t.a) > 1 AND max(t.a) < 9"
    split = dask_sql.pre_aggregation(dask_sql.analyse(query, {"t": schema}))
    assert split is not None
    assert split.partial == ("SELECT t.s AS k0, MAX(t.a) AS p0, COUNT(t.a) AS p1, "
                             "SUM(t.a) AS p2 FROM t GROUP BY t.s")
    assert split.final(frozenset({"p0", "p1", "p2"})) == (
        "SELECT k0 AS c0, MAX(p0) FILTER(WHERE p1 > 0) AS c1 FROM t GROUP BY k0 HAVING "
        "(CAST(SUM(p2) FILTER(WHERE p1 > 0) AS DOUBLE) / NULLIF(SUM(p1), 0)) > 1 AND "
        "MAX(p0) FILTER(WHERE p1 > 0) < 9")


STRING_KEYS = st.one_of(st.none(), st.sampled_from(["", "a", "b", "é", "日本", "a" * 17,
                                                    "x\u00e9y" * 3]))
PROPERTY_QUERIES = [
    "SELECT t.s, t.a, u.b FROM t JOIN u ON t.s = u.s",
    "SELECT t.s, t.a, u.s AS us, u.b FROM t LEFT JOIN u ON t.s = u.s",
    "SELECT t.s, t.a, u.s AS us, u.b FROM t FULL OUTER JOIN u ON t.s = u.s",
    "SELECT t.s, count(*) AS c, sum(t.a) AS sa FROM t GROUP BY t.s HAVING avg(t.a) > -2",
    "SELECT t.s, min(t.n) AS lo FROM t WHERE t.a < 9 GROUP BY t.s HAVING count(t.n) > 0",
]


@settings(max_examples=8, deadline=None, suppress_health_check=[
    HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(lkeys=st.lists(STRING_KEYS, min_size=1, max_size=9),
       rkeys=st.lists(STRING_KEYS, min_size=1, max_size=7), block=st.integers(1, 4),
       query=st.sampled_from(PROPERTY_QUERIES))
def test_string_key_sql_any_keys_and_blocks(client: Any, lkeys: list[str | None],
                                            rkeys: list[str | None], block: int,
                                            query: str) -> None:
    dc = DaphneContext()
    views(dc, lkeys, rkeys)
    node = dc.sql(query)
    assert_agree(DaskBackend(client=client, block_rows=block).execute(node._lower()), node)


def test_bench_script_queries_agree_with_embedded(client: Any) -> None:
    """A smoke of ``scripts/bench_dask_sql.py`` on 3,000 rows in partitions of 700: each of
    its queries gives the embedded engine's answer (GROUP BY rows; the joins' row count and
    sum, which the script computes on the workers)."""
    import importlib.util
    import pathlib

    path = pathlib.Path(__file__).parents[2] / "scripts" / "bench_dask_sql.py"
    spec = importlib.util.spec_from_file_location("_bench_dask_sql", path)
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    rng = np.random.default_rng(5)
    k = rng.integers(0, bench.KEYS, size=(3000, 1))
    v = rng.random((3000, 1)) * 2 - 1
    backend = DaskBackend(client=client, block_rows=700)
    for query in bench.QUERIES.values():
        dc = DaphneContext()
        bench.register_views(dc, dc.from_numpy(k), dc.from_numpy(v))
        _, got = bench.run_query(client, backend, dc, query)
        expected = embedded(dc.sql(query))
        if "GROUP BY" in query:
            assert_agree(got, dc.sql(query))
        else:
            assert got[0] == expected.nrow > 0
            assert got[1] == pytest.approx(float(expected.columns[-1].sum()), rel=1e-12)


def test_workers_size_frame_partitions_by_their_buffers() -> None:
    """Dask's default size of an object it does not know is sys.getsizeof (64 bytes for any
    frame): a worker then never spilled frame partitions and went past its memory_limit."""
    from dask.sizeof import sizeof

    import daphnelib.backends.dask_blocks  # noqa: F401  (what every backend task unpickles)
    from daphnelib.engine.logical import Logical
    from daphnelib.engine.values import FrameValue

    mask = np.zeros(1000, np.bool_)
    frame = FrameValue([np.zeros(1000), np.arange(1000)], ["a", "b"],
                       [None, Logical(kind="masked", mask=mask)], nrow=1000)
    assert sizeof(frame) == 8000 + 8000 + 1000
    assert sizeof([frame, frame]) >= 34000
