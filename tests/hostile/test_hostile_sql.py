"""SQL: no silent wrong answers (view names by case, BETWEEN, ordered categoricals) and
clean SQLErrors (deep nesting, overflow without our internal CASTs)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("duckdb")
pytest.importorskip("sqlglot")

from daphnelib import DaphneContext
from daphnelib.errors import SQLError


def _view(dc: DaphneContext, name: str, df: pd.DataFrame) -> None:
    dc.from_pandas(df).registerView(name)


def test_views_differing_only_in_case_never_share_a_table(dc: DaphneContext) -> None:
    _view(dc, "t", pd.DataFrame({"x": [1, 2]}))
    _view(dc, "T", pd.DataFrame({"x": [10, 20]}))
    assert dc.sql("SELECT t.x FROM t").compute()["t.x"].tolist() == [1, 2]
    assert dc.sql("SELECT T.x FROM T").compute()["T.x"].tolist() == [10, 20]
    joined = dc.sql("SELECT t.x AS a, u.x AS b FROM t JOIN T AS u ON t.x * 10 = u.x").compute()
    assert joined.to_dict("list") == {"a": [1, 2], "b": [10, 20]}
    # DuckDB's aliases ignore case: both in one FROM list is an error, not a silent mix.
    with pytest.raises(SQLError, match="alias"):
        dc.sql("SELECT t.x FROM t, T").compute()


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(-5, 5), min_size=1, max_size=8), st.integers(-6, 6),
       st.integers(-6, 6))
def test_between_is_symmetric(values: list[int], lo: int, hi: int) -> None:
    dc = DaphneContext()
    _view(dc, "c", pd.DataFrame({"v": values}))
    got = dc.sql(f"SELECT c.v FROM c WHERE c.v BETWEEN {lo} AND {hi}").compute()["c.v"]
    a, b = sorted((lo, hi))
    assert got.tolist() == [v for v in values if a <= v <= b]
    out = dc.sql(f"SELECT c.v FROM c WHERE c.v NOT BETWEEN {lo} AND {hi}").compute()["c.v"]
    assert out.tolist() == [v for v in values if not a <= v <= b]


@settings(max_examples=25, deadline=None)
@given(st.permutations(["a", "b", "c", "d"]),
       st.lists(st.sampled_from("abcd"), min_size=1, max_size=8), st.sampled_from("abcd"))
def test_ordered_categoricals_follow_category_order(order: list[str], values: list[str],
                                                    probe: str) -> None:
    dc = DaphneContext()
    k = pd.Categorical(values, categories=order, ordered=True)
    df = pd.DataFrame({"k": k, "n": np.arange(len(values), dtype=np.int64)})
    _view(dc, "d", df)
    series = df["k"]
    got = dc.sql("SELECT min(d.k) AS lo, max(d.k) AS hi FROM d").compute()
    assert (got["lo"][0], got["hi"][0]) == (series.min(), series.max())
    ordered = dc.sql("SELECT d.k, d.n FROM d ORDER BY d.k").compute()
    expected = df.sort_values("k", kind="stable")
    assert ordered["d.n"].tolist() == expected["n"].tolist()
    assert ordered["d.k"].dtype == series.dtype  # still the categorical
    below = dc.sql(f"SELECT d.n FROM d WHERE d.k < '{probe}'").compute()["d.n"]
    assert below.tolist() == df["n"][series < probe].tolist()
    # The same order as Frame.order on that frame.
    framed = dc.from_pandas(df).order([0], [True]).compute()
    assert framed["n"].tolist() == expected["n"].tolist()


def test_deep_nesting_is_a_sql_error(dc: DaphneContext) -> None:
    _view(dc, "c", pd.DataFrame({"v": [1]}))
    with pytest.raises(SQLError, match="nests too deeply"):
        dc.sql("SELECT " + "(" * 500 + "1" + ")" * 500 + " AS x FROM c").compute()


def test_overflow_message_names_no_internal_cast(dc: DaphneContext) -> None:
    _view(dc, "s", pd.DataFrame({"s": np.array([100, 100], dtype=np.int8),
                                 "u": np.array([2**64 - 1, 0], dtype=np.uint64)}))
    for query in ("SELECT sum(s.s) FROM s", "SELECT s.u + 1 AS y FROM s"):
        with pytest.raises(SQLError, match="integer overflow") as info:
            dc.sql(query).compute()
        assert "CAST" not in str(info.value) and "#1" not in str(info.value)
