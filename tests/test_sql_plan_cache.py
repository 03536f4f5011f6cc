"""The SQL plan cache: a query run again over views of the same schemas is neither parsed nor
planned again, and a plan is never reused for views of another schema, dtype or name."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("sqlglot")
pytest.importorskip("duckdb")

from daphnelib.sql import dialect, planning
from support import sql_answer


@contextmanager
def _uncached() -> Iterator[None]:
    """Plan everything afresh (an empty cache) without forgetting the plans kept so far."""
    kept = planning._PLANS
    planning._PLANS = planning._PlanCache(256)
    try:
        yield
    finally:
        planning._PLANS = kept



def test_a_repeated_query_is_planned_once(monkeypatch: pytest.MonkeyPatch) -> None:
    plans = []
    real = planning._Template.of
    monkeypatch.setattr(planning._Template, "of",
                        classmethod(lambda cls, q, v: plans.append(q) or real(q, v)))
    with _uncached():
        query = "SELECT t.k, sum(t.v) FROM t WHERE t.v > 0.5 GROUP BY t.k ORDER BY t.k"
        df = pd.DataFrame({"k": [1, 2, 1, 3], "v": [0.75, 0.25, 1.0, 2.0]})
        first = sql_answer(query, {"t": df})
        again = sql_answer(query, {"t": df * 2})  # other data, same schema: the same plan
        assert plans == [query]
        assert first["t.k"].tolist() == [1, 3] and first["sum(t.v)"].tolist() == [1.75, 2.0]
        assert again["t.k"].tolist() == [2, 6] and again["sum(t.v)"].tolist() == [3.5, 4.0]
        sql_answer(query, {"t": df.astype({"v": np.float32})})  # another dtype: planned again
        assert plans == [query, query]


def test_a_query_text_is_parsed_once_per_process(monkeypatch: pytest.MonkeyPatch) -> None:
    import sqlglot

    dialect._shared.cache_clear()
    calls = []
    real = sqlglot.parse
    monkeypatch.setattr(sqlglot, "parse", lambda *a, **k: calls.append(a[0]) or real(*a, **k))
    query = "SELECT f.a FROM f WHERE f.a > 2 ORDER BY f.a"
    for _ in range(3):
        assert sql_answer(query, {"f": pd.DataFrame({"a": [3, 1, 4]})})["f.a"].tolist() == [3, 4]
    assert calls == [query]


def test_a_rebuilt_query_node_compiles_once(monkeypatch: pytest.MonkeyPatch) -> None:
    from daphnelib.engine import executor

    compiled = []
    plain = executor.compile_program
    monkeypatch.setattr(executor, "compile_program",
                        lambda p, **kw: compiled.append(p) or plain(p, **kw))
    monkeypatch.setattr(executor, "_CACHE", {})
    df = pd.DataFrame({"a": [3, 1, 4]})
    for factor in (1, 2, 3):
        got = sql_answer("SELECT f.a FROM f WHERE f.a > 2 ORDER BY f.a", {"f": df * factor})
        assert got["f.a"].tolist() == sorted(v for v in (df["a"] * factor) if v > 2)
    assert len(compiled) == 1
    # Another text is another program, though the parse trees have the same shape.
    assert sql_answer("SELECT f.a FROM f WHERE f.a > 3 ORDER BY f.a",
                      {"f": df})["f.a"].tolist() == [4]
    assert len(compiled) == 2


def test_the_cache_keeps_no_data_alive() -> None:
    with _uncached():
        sql_answer("SELECT * FROM t ORDER BY t.a", {"t": pd.DataFrame({"a": [2, 1]})})
        (template,) = planning._PLANS._items.values()
        assert template.origins == (("t", 0),) and template.rid_views == ("t",)


def test_the_cache_is_bounded() -> None:
    cache = planning._PlanCache(2)
    t = planning._Template("SELECT 1", (None,), (None,), (None,), ())
    for key in ("a", "b", "a", "c"):  # "a" used again: "b" is the least recently used
        if cache.get((key,)) is None:
            cache.put((key,), t)
    assert list(cache._items) == [("a",), ("c",)]


# Columns of several dtypes and logical types; the plan depends on them (sum casts, ENUMs for
# ordered categoricals, star expansion and labels, row-number columns).
_COLUMNS = {
    "i64": pd.Series([3, 1, 2, 1], dtype=np.int64),
    "i32": pd.Series([3, 1, 2, 1], dtype=np.int32),
    "u8": pd.Series([3, 1, 2, 1], dtype=np.uint8),
    "f64": pd.Series([0.5, 1.5, -2.0, 1.5]),
    "f32": pd.Series([0.5, 1.5, -2.0, 1.5], dtype=np.float32),
    "bool": pd.Series([True, False, True, True]),
    "str": pd.Series(["b", "a", "m", "z"], dtype="str"),
    "Int64": pd.Series([3, None, 2, 1], dtype="Int64"),
    "ordered": pd.Series(pd.Categorical(["m", "b", "z", "b"], categories=["z", "m", "b"],
                                        ordered=True)),
    "ordered2": pd.Series(pd.Categorical(["m", "b", "z", "b"], categories=["b", "m", "z"],
                                         ordered=True)),
    "unordered": pd.Series(pd.Categorical(["m", "b", "z", "b"])),
    "datetime": pd.Series(pd.to_datetime(["2024-01-02", "2023-05-06", "2024-01-02",
                                          "2020-01-01"])),
}
_QUERIES = [
    "SELECT * FROM {v} ORDER BY {v}.a",
    "SELECT {v}.a, sum({v}.b) FROM {v} GROUP BY {v}.a",
    "SELECT {v}.a, {v}.b FROM {v} WHERE {v}.a < 'm'",
    "SELECT max({v}.b) AS top, count(*) FROM {v}",
    "SELECT DISTINCT {v}.b FROM {v}",
    "SELECT * FROM {v} GROUP BY {v}.a",
]
_step = st.tuples(
    st.sampled_from(["t", "u", "T"]),  # view name (DuckDB ignores case, DAPHNE does not)
    st.sampled_from(sorted(_COLUMNS)), st.sampled_from(sorted(_COLUMNS)),  # dtypes of a, b
    st.sampled_from(["", "x."]),  # label prefix (dropped inside the query)
    st.sampled_from(range(len(_QUERIES))),
)


@settings(max_examples=30, deadline=None)
@given(st.lists(_step, min_size=2, max_size=6))
def test_cached_plans_give_the_uncached_answers(steps: list[tuple[str, str, str, str, int]]
                                                ) -> None:
    """Schemas, dtypes and view names change between runs of the same query texts; every
    run with the plans kept so far answers exactly what a run planned afresh answers."""
    for name, a, b, prefix, q in steps:
        query = _QUERIES[q].format(v=name)
        df = pd.DataFrame({f"{prefix}a": _COLUMNS[a], f"{prefix}b": _COLUMNS[b]})
        views = {name: df, "other": df.iloc[:, ::-1]}
        cached = sql_answer(query, views)
        with _uncached():
            fresh = sql_answer(query, views)
        if isinstance(fresh, str):
            assert cached == fresh
        else:
            assert isinstance(cached, pd.DataFrame)
            pd.testing.assert_frame_equal(cached, fresh, check_exact=True)
            assert list(cached.dtypes) == list(fresh.dtypes)
