"""What sql/duckdb.py keeps between queries: each thread's connection to the single-threaded
database with the small views of its last query registered, and per plan the statement and
result types (its later runs fetch through the DB-API). No answer, dtype, label or error may
differ from a cold run (plans made afresh, a fresh connection to the parallel database, views
registered for the query), whatever happens to the data between runs."""

from __future__ import annotations

import gc
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("sqlglot")
pytest.importorskip("duckdb")

from daphnelib import DaphneContext
from daphnelib.engine.values import FrameValue
from daphnelib.sql import duckdb as engine
from daphnelib.sql import planning
from support import sql_answer

QUERY = "SELECT t.k, sum(t.v) FROM t WHERE t.v > 0.5 GROUP BY t.k ORDER BY t.k"


@contextmanager
def _cold() -> Iterator[None]:
    """Queries as before anything was kept: plans (and their shapes) made afresh, every query
    on a fresh connection to the parallel database."""
    kept, small = planning._PLANS, engine._small
    planning._PLANS = planning._PlanCache(256)
    engine._small = lambda tables: False
    try:
        yield
    finally:
        planning._PLANS, engine._small = kept, small



def _same(got: pd.DataFrame | str, want: pd.DataFrame | str) -> None:
    if isinstance(want, str):
        assert got == want
        return
    assert isinstance(got, pd.DataFrame), got
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    assert list(got.dtypes) == list(want.dtypes)
    assert list(got.columns) == list(want.columns)


def _cold_answer(query: str, views: dict[str, pd.DataFrame]) -> pd.DataFrame | str:
    with _cold():
        return sql_answer(query, views)


def _shared_frame(k: np.ndarray, v: np.ndarray) -> pd.DataFrame:
    df = pd.DataFrame({"k": k, "v": v}, copy=False)
    assert np.shares_memory(df["v"].to_numpy(), v)  # the in-place changes reach the engine
    return df


def test_data_changed_in_place_between_runs_is_read_anew() -> None:
    k, v = np.array([1, 2, 1, 3]), np.array([0.75, 0.25, 1.0, 2.0])
    df = _shared_frame(k, v)
    dc = DaphneContext()
    dc.from_pandas(df).registerView("t")
    first = dc.sql(QUERY).compute()
    assert first["sum(t.v)"].tolist() == [1.75, 2.0]
    session = engine._session()
    assert "__daphnelib_view_0" in session.kept  # the view stayed registered
    v[:] = [1.0, 1.0, 0.0, 0.0]
    k[:] = [5, 6, 5, 6]
    again = dc.sql(QUERY).compute()
    assert again["t.k"].tolist() == [5, 6] and again["sum(t.v)"].tolist() == [1.0, 1.0]
    _same(again, _cold_answer(QUERY, {"t": df}))


def test_a_view_rebound_to_other_data_is_registered_again() -> None:
    rng = np.random.default_rng(0)
    dc = DaphneContext()
    for _ in range(5):  # new arrays each time, possibly where freed ones were
        df = pd.DataFrame({"k": rng.integers(0, 4, 50), "v": rng.random(50)})
        dc.from_pandas(df).registerView("t")
        _same(dc.sql(QUERY).compute(), _cold_answer(QUERY, {"t": df}))


def test_kept_registrations_follow_the_buffers() -> None:
    """The signature changes with any buffer: a view over a slice of the same memory, or the
    same values in other memory, is registered again."""
    v = np.arange(8.0)
    base = engine._signature(_table(v))
    assert engine._signature(_table(v)) == base
    assert engine._signature(_table(v[1:])) != base
    assert engine._signature(_table(v.copy())) != base
    assert engine._signature(_table(v.astype(np.float32))) != base
    masked = pd.array([1.0, None] * 4, dtype="Float64")
    assert engine._signature(_table(masked)) != base
    table = _table(v)  # Arrow slices share the buffers at other offsets
    assert engine._signature(table.slice(0, 4)) != engine._signature(table.slice(1, 4))


def _table(values: object) -> object:
    import pyarrow as pa

    return pa.table({"v": pa.array(values)})


def test_a_schema_change_gets_its_own_plan_and_result_types() -> None:
    dc = DaphneContext()
    for dtype in (np.float64, np.int64, np.float32, np.int8, np.uint16, "Int64", "Float64"):
        df = pd.DataFrame({"k": [1, 2, 1], "v": pd.array([2, 1, 3], dtype=dtype)})
        dc.from_pandas(df).registerView("t")
        for _ in range(2):  # the second run takes the DB-API path of the plan's shape
            _same(dc.sql(QUERY).compute(), _cold_answer(QUERY, {"t": df}))


def test_large_views_are_not_kept() -> None:
    n = engine.SMALL_ROWS + 1
    v = np.ones(n)
    ref = weakref.ref(v)
    df = _shared_frame(np.zeros(n, dtype=np.int64), v)
    got = sql_answer(QUERY, {"t": df})
    assert isinstance(got, pd.DataFrame) and got["sum(t.v)"].tolist() == [float(n)]
    del v, df, got
    gc.collect()
    assert ref() is None


def test_only_the_last_querys_views_are_kept() -> None:
    v = np.array([1.0, 2.0])
    ref = weakref.ref(v)
    two = "SELECT t.k FROM t WHERE t.k IN (SELECT u.k FROM u)"  # u: the second registration
    got = sql_answer(two, {"t": pd.DataFrame({"k": [1, 3]}),
                           "u": _shared_frame(np.array([1, 2]), v)})
    assert isinstance(got, pd.DataFrame) and got["t.k"].tolist() == [1]
    assert sorted(engine._session().kept) == ["__daphnelib_view_0", "__daphnelib_view_1"]
    del v
    sql_answer("SELECT u.a FROM u", {"u": pd.DataFrame({"a": [1]})})
    gc.collect()
    assert ref() is None
    assert list(engine._session().kept) == ["__daphnelib_view_0"]


def test_errors_are_the_same_on_later_runs() -> None:
    overflow = pd.DataFrame({"k": [1, 1], "v": np.array([2**62, 2**62], dtype=np.int64)})
    bad = pd.DataFrame({"k": [1, 2], "v": ["1", "x"]})
    cases = [("SELECT sum(t.v) AS s FROM t", overflow),
             ("SELECT t.v * t.v AS s FROM t", overflow),
             ("SELECT CAST(t.v AS INT) AS s FROM t", bad)]
    for query, df in cases:
        want = _cold_answer(query, {"t": df})
        assert isinstance(want, str) and want.startswith("SQLError")
        for _ in range(3):
            assert sql_answer(query, {"t": df}) == want
    ok = pd.DataFrame({"k": [1, 1], "v": np.array([1, 2], dtype=np.int64)})
    for _ in range(2):  # learnt the shape on good data, then overflows on the DB-API path
        assert sql_answer("SELECT sum(t.v) AS s FROM t", {"t": ok})["s"].tolist() == [3]
    assert sql_answer("SELECT sum(t.v) AS s FROM t", {"t": overflow}) == _cold_answer(
        "SELECT sum(t.v) AS s FROM t", {"t": overflow})


def test_a_seeded_connection_is_not_kept() -> None:
    """setseed seeds the connection it runs on: it must not seed later queries."""
    df = pd.DataFrame({"a": [1]})
    draws = []
    for _ in range(2):
        sql_answer("SELECT setseed(0.5) AS s FROM t", {"t": df})
        draws.append(sql_answer("SELECT random() AS r FROM t", {"t": df})["r"].iloc[0])
    assert draws[0] != draws[1]


def test_threads_see_their_own_views() -> None:
    errors: list[BaseException] = []

    def work(seed: int) -> None:
        rng = np.random.default_rng(seed)
        try:
            for _ in range(20):
                df = pd.DataFrame({"k": rng.integers(0, 3, 30), "v": rng.random(30)})
                got = sql_answer(QUERY, {"t": df})
                want = df[df.v > 0.5].groupby("k")["v"].sum()
                assert got["t.k"].tolist() == want.index.tolist()
                np.testing.assert_allclose(got["sum(t.v)"].to_numpy(), want.to_numpy())
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(s,)) for s in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors


def test_result_column_indexes_are_not_shared() -> None:
    dc = DaphneContext()
    dc.from_pandas(pd.DataFrame({"k": [1], "v": [1.0]})).registerView("t")
    first, second = dc.sql(QUERY).compute(), dc.sql(QUERY).compute()
    first.columns.name = "mine"
    assert second.columns.name is None
    assert str(second.columns.dtype) == "str"


_VALUES = {
    "f64": st.lists(st.sampled_from([0.0, 0.25, 0.75, -1.5, 1e300, np.nan]), min_size=6,
                    max_size=6).map(lambda x: pd.array(x, dtype=np.float64)),
    "i64": st.lists(st.integers(-(2**62), 2**62), min_size=6, max_size=6).map(
        lambda x: pd.array(x, dtype=np.int64)),
    "i16": st.lists(st.integers(-3, 3), min_size=6, max_size=6).map(
        lambda x: pd.array(x, dtype=np.int16)),
    "bool": st.lists(st.booleans(), min_size=6, max_size=6).map(
        lambda x: pd.array(x, dtype=bool)),
    "Int64": st.lists(st.one_of(st.none(), st.integers(-5, 5)), min_size=6, max_size=6).map(
        lambda x: pd.array(x, dtype="Int64")),
    "Float64": st.lists(st.one_of(st.none(), st.floats(-2, 2)), min_size=6, max_size=6).map(
        lambda x: pd.array(x, dtype="Float64")),
}
_QUERIES = [
    QUERY,
    "SELECT t.k, min(t.v), max(t.v), count(t.v) FROM t GROUP BY t.k",
    "SELECT t.v FROM t WHERE t.k > 0",
    "SELECT t.k, sum(t.v) FROM t GROUP BY t.k HAVING count(*) > 1",
    "SELECT t.k, t.v, u.v AS w FROM t JOIN u ON t.k = u.k",
    "SELECT max(t.v) AS m, avg(t.k) AS a FROM t",
]
# what happens to the view's data before a run: keep, change in place, new data, new dtype
_step = st.tuples(st.sampled_from(["keep", "in place", "new", "dtype"]),
                  st.sampled_from(sorted(_VALUES)), st.data(),
                  st.sampled_from(range(len(_QUERIES))))


@settings(max_examples=25, deadline=None)
@given(st.lists(_step, min_size=2, max_size=6))
def test_kept_state_gives_the_cold_answers(steps: list[tuple[object, ...]]) -> None:
    k = np.array([0, 1, 0, 2, 1, 0])
    v = np.array([0.75, 0.25, 1.0, 2.0, 0.5, 0.6])
    for what, dtype, data, q in steps:
        if what == "in place":
            k[:] = k[::-1].copy()
            v *= -1.5
        elif what == "new":
            k, v = k.copy() + 1, v.copy() + 0.5
        frame = _shared_frame(k, v)
        if what == "dtype":
            frame = pd.DataFrame({"k": k, "v": data.draw(_VALUES[dtype])})
        views = {"t": frame, "u": frame.iloc[::-1].reset_index(drop=True)}
        _same(sql_answer(_QUERIES[q], views), _cold_answer(_QUERIES[q], views))


def test_engine_frames_over_changed_columns() -> None:
    """Below the API: run_sql over one FrameValue whose column is changed between runs."""
    k, v = np.array([1, 2, 1]), np.array([0.75, 0.25, 1.0])
    frame = FrameValue([k, v], ["k", "v"])
    first = planning.run_sql(QUERY, {"t": frame})
    assert first.columns[1].tolist() == [1.75]
    v[1] = 0.9
    again = planning.run_sql(QUERY, {"t": frame})
    assert again.columns[0].tolist() == [1, 2] and again.columns[1].tolist() == [1.75, 0.9]


def test_an_interrupted_query_drops_the_kept_connection(monkeypatch: pytest.MonkeyPatch
                                                         ) -> None:
    df = pd.DataFrame({"k": [1, 2], "v": [1.0, 2.0]})
    sql_answer(QUERY, {"t": df})
    before = engine._session()

    def interrupted(con: object, shape: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(engine, "_fetch", interrupted)
    with pytest.raises(KeyboardInterrupt):
        sql_answer(QUERY, {"t": df})
    monkeypatch.undo()
    assert engine._session() is not before
    _same(sql_answer(QUERY, {"t": df}), _cold_answer(QUERY, {"t": df}))
