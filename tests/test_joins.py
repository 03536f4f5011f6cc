"""Joins and group-by on frames: exact rows and order against a reference, pandas and DuckDB,
logical dtypes carried through, nulls, NaN, empty inputs, errors, a 1e6-row join."""

from __future__ import annotations

import math
import time

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from daphnelib import DaphneContext
from daphnelib.engine.kernels.relational import group_frame, join_frames, semi_join
from daphnelib.engine.valuetypes import SIZE_DTYPE
from daphnelib.interop.pandas import frame_value_from_pandas, to_pandas

METHODS = {"inner": None, "left": "leftJoin", "right": "rightJoin", "full": "outerJoin",
           "semi": "semiJoin", "anti": "antiJoin"}


@pytest.fixture
def dc() -> DaphneContext:
    return DaphneContext()


def _present(v) -> bool:
    return v is not None and v is not pd.NA and not (isinstance(v, float) and math.isnan(v))


def reference(lkeys: list[tuple], rkeys: list[tuple], how: str) -> list[tuple]:
    """(lhs row, rhs row) pairs in DAPHNE's order; None marks a missing side. Null and NaN
    keys match nothing."""
    out, matched = [], set()
    if how == "right":
        return [(li, ri) for ri, li in reference(rkeys, lkeys, "left")]
    for i, a in enumerate(lkeys):
        hits = [j for j, b in enumerate(rkeys)
                if all(map(_present, a)) and all(map(_present, b)) and a == b]
        if how == "semi":
            out += [(i, None)] if hits else []
        elif how == "anti":
            out += [] if hits else [(i, None)]
        else:
            out += [(i, j) for j in hits] or ([] if how == "inner" else [(i, None)])
            matched.update(hits)
    if how == "full":
        out += [(None, j) for j in range(len(rkeys)) if j not in matched]
    return out


def run_join(lhs: pd.DataFrame, rhs: pd.DataFrame, lon, ron, how: str) -> pd.DataFrame:
    """The join through the engine kernel (inner included, multi-column keys)."""
    lon, ron = ([lon], [ron]) if isinstance(lon, str) else (lon, ron)
    value = join_frames(frame_value_from_pandas(lhs), frame_value_from_pandas(rhs), lon, ron,
                        how)
    return to_pandas(value)


def positions(out: pd.DataFrame, how: str) -> list[tuple]:
    li = [None if v is pd.NA else int(v) for v in out["li"].astype("Int64")]
    if how in ("semi", "anti"):
        return [(i, None) for i in li]
    ri = [None if v is pd.NA else int(v) for v in out["ri"].astype("Int64")]
    return list(zip(li, ri, strict=True))


def _keys(df: pd.DataFrame, cols: list[str]) -> list[tuple]:
    return list(zip(*(df[c].astype(object).tolist() for c in cols), strict=True))


# ---------------------------------------------------------------------------------------------
# DAPHNE's layout and order
# ---------------------------------------------------------------------------------------------

def test_inner_join_layout_and_order_with_duplicate_keys(dc):
    lhs = pd.DataFrame({"a": [3, 1, 2, 3], "x": [10.0, 20.0, 30.0, 40.0]})
    rhs = pd.DataFrame({"b": [3, 3, 2, 9], "y": ["p", "q", "r", "s"]})
    out = dc.from_pandas(lhs).innerJoin(dc.from_pandas(rhs), "a", "b").compute()
    assert list(out.columns) == ["a", "x", "b", "y"]
    np.testing.assert_array_equal(out["a"], [3, 3, 2, 3, 3])
    np.testing.assert_array_equal(out["x"], [10.0, 10.0, 30.0, 40.0, 40.0])
    assert out["y"].tolist() == ["p", "q", "r", "p", "q"]
    assert out["a"].dtype == np.int64 and out["x"].dtype == np.float64


def test_inner_join_prints_like_daphne(dc, capsys):
    f = dc.createFrame([dc.from_numpy(np.array([1, 2, 3])), dc.from_numpy(np.array([7, 8, 9]))],
                       ["f.k", "f.v"])
    g = dc.createFrame([dc.from_numpy(np.array([3, 1])), dc.from_numpy(np.array([0.5, 1.5]))],
                       ["g.k", "g.w"])
    f.innerJoin(g, "f.k", "g.k").print().compute()
    assert capsys.readouterr().out == (
        "Frame(2x4, [f.k:int64_t, f.v:int64_t, g.k:int64_t, g.w:double])\n"
        "1 7 1 1.5\n"
        "3 9 3 0.5\n")


@pytest.mark.parametrize("how", ["left", "right", "full", "semi", "anti"])
def test_each_join_kind_through_the_api(dc, how):
    lhs = pd.DataFrame({"li": [0, 1, 2, 3], "k": [1, 2, 2, 5]})
    rhs = pd.DataFrame({"ri": [0, 1, 2], "k2": [2, 7, 1]})
    node = getattr(dc.from_pandas(lhs), METHODS[how])(dc.from_pandas(rhs), "k", "k2")
    out = node.compute()
    assert positions(out, how) == reference(_keys(lhs, ["k"]), _keys(rhs, ["k2"]), how)
    if how in ("semi", "anti"):
        assert list(out.columns) == ["li", "k"]
        assert out["k"].dtype == np.int64  # lhs rows only: nothing becomes nullable
    else:
        assert list(out.columns) == ["li", "k", "ri", "k2"]


def test_left_join_nulls_by_type(dc):
    lhs = pd.DataFrame({"k": [1, 2]})
    rhs = pd.DataFrame({"k2": [1], "i": [7], "f": [1.5], "s": ["x"], "b": [True],
                        "t": pd.to_datetime(["2020-01-01"]), "c": pd.Categorical(["u"]),
                        "n": pd.array([4], dtype="Int32")})
    out = dc.from_pandas(lhs).leftJoin(dc.from_pandas(rhs), "k", "k2").compute()
    assert out["i"].dtype == pd.Int64Dtype() and out["i"].tolist() == [7, pd.NA]
    assert out["f"].dtype == np.float64 and np.isnan(out["f"][1])
    assert out["s"].dtype == pd.Series(["a"]).dtype and out["s"].isna().tolist() == [False, True]
    assert out["b"].dtype == pd.BooleanDtype() and out["b"].tolist() == [True, pd.NA]
    assert out["t"].dtype == rhs["t"].dtype and out["t"].isna().tolist() == [False, True]
    assert out["c"].dtype == rhs["c"].dtype and out["c"].isna().tolist() == [False, True]
    assert out["n"].dtype == pd.Int32Dtype() and out["n"].tolist() == [4, pd.NA]


def test_multi_column_keys(dc):
    lhs = pd.DataFrame({"li": range(5), "a": [1, 1, 2, 2, 1], "b": ["x", "y", "x", "y", "x"]})
    rhs = pd.DataFrame({"ri": range(4), "c": [1, 2, 1, 1], "d": ["x", "y", "y", "x"]})
    for how in METHODS:
        out = run_join(lhs, rhs, ["a", "b"], ["c", "d"], how)
        assert positions(out, how) == reference(_keys(lhs, ["a", "b"]), _keys(rhs, ["c", "d"]),
                                                how), how
    L, R = dc.from_pandas(lhs), dc.from_pandas(rhs)
    for how, node in (("left", L.leftJoin(R, ["a", "b"], ["c", "d"])),
                      ("inner", L.innerJoin(R, ["a", "b"], ("c", "d")))):
        assert positions(node.compute(), how) == reference(
            _keys(lhs, ["a", "b"]), _keys(rhs, ["c", "d"]), how)


# ---------------------------------------------------------------------------------------------
# Against the reference, pandas and DuckDB
# ---------------------------------------------------------------------------------------------

_int_keys = st.lists(st.one_of(st.none(), st.integers(-3, 3)), max_size=12)
_float_keys = st.lists(st.sampled_from([0.0, -0.0, 1.5, 2.0, math.nan, math.inf]), max_size=12)
_str_keys = st.lists(st.one_of(st.none(), st.sampled_from(["", "a", "b", "ü", "a b"])),
                     max_size=12)


def _frame(keys: list, side: str, kind: str) -> pd.DataFrame:
    if kind == "int":
        col = pd.array(keys, dtype="Int64")
    elif kind == "float":
        col = np.array(keys, dtype=np.float64)
    else:
        col = pd.array(keys, dtype="str")
    return pd.DataFrame({f"{side}i": np.arange(len(keys)), f"{side}k": col})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), kind=st.sampled_from(["int", "float", "str"]),
       how=st.sampled_from(list(METHODS)))
def test_join_matches_reference(data, kind, how):
    strategy = {"int": _int_keys, "float": _float_keys, "str": _str_keys}[kind]
    lhs = _frame(data.draw(strategy), "l", kind)
    rhs = _frame(data.draw(strategy), "r", kind)
    out = run_join(lhs, rhs, "lk", "rk", how)
    assert positions(out, how) == reference(_keys(lhs, ["lk"]), _keys(rhs, ["rk"]), how)
    if how not in ("semi", "anti"):
        assert out["lk"].dtype == lhs["lk"].dtype and out["rk"].dtype == rhs["rk"].dtype


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), kind=st.sampled_from(["int", "float", "str"]))
def test_dsl_semi_join_gives_the_semi_join_keys_and_positions(data, kind):
    strategy = {"int": _int_keys, "float": _float_keys, "str": _str_keys}[kind]
    lhs = frame_value_from_pandas(_frame(data.draw(strategy), "l", kind))
    rhs = frame_value_from_pandas(_frame(data.draw(strategy), "r", kind))
    keys, tids = semi_join(lhs, rhs, "lk", "rk")
    want = [i for i, _ in reference(_keys(to_pandas(lhs), ["lk"]),
                                    _keys(to_pandas(rhs), ["rk"]), "semi")]
    assert tids.dtype == SIZE_DTYPE and tids.shape == (len(want), 1)
    assert tids[:, 0].tolist() == want
    assert keys.labels == ["lk"] and keys.nrow == len(want)
    assert keys.columns[0].dtype == lhs.columns[1].dtype
    assert to_pandas(keys)["lk"].tolist() == to_pandas(lhs)["lk"].iloc[want].tolist()


def test_dsl_semi_join_errors():
    f = frame_value_from_pandas(pd.DataFrame({"a": [1, 2]}))
    g = frame_value_from_pandas(pd.DataFrame({"b": ["x"]}))
    with pytest.raises(ValueError, match="has no column 'c'"):
        semi_join(f, f, "a", "c")
    with pytest.raises(TypeError, match="cannot match key column 'a'"):
        semi_join(f, g, "a", "b")
    with pytest.raises(TypeError, match="lhsOn must be a column label"):
        semi_join(f, f, 1, "a")
    with pytest.raises(TypeError, match="numRowRes must be an integer"):
        semi_join(f, f, "a", "a", 2.5)
    _, tids = semi_join(f, f, "a", "a", 1)  # numRowRes is a hint
    assert tids[:, 0].tolist() == [0, 1]


@settings(max_examples=30, deadline=None)
@given(lk=st.lists(st.integers(0, 5), max_size=15), rk=st.lists(st.integers(0, 5), max_size=15),
       how=st.sampled_from(["inner", "left", "right", "outer"]))
def test_join_rows_equal_pandas_and_duckdb(lk, rk, how):
    import duckdb

    lhs = pd.DataFrame({"k": np.array(lk, dtype=np.int64), "a": np.arange(len(lk)) * 1.5})
    rhs = pd.DataFrame({"k2": np.array(rk, dtype=np.int64), "b": np.arange(len(rk)) * 10})
    ours = run_join(lhs, rhs, "k", "k2", "full" if how == "outer" else how)
    theirs = lhs.merge(rhs, left_on="k", right_on="k2", how=how)
    con = duckdb.connect()
    con.register("l", lhs)
    con.register("r", rhs)
    kind = {"inner": "INNER", "left": "LEFT", "right": "RIGHT", "outer": "FULL"}[how]
    duck = con.execute(f"SELECT * FROM l {kind} JOIN r ON l.k = r.k2").df()

    def rows(df: pd.DataFrame) -> list[tuple]:
        return sorted(tuple(-math.inf if pd.isna(v) else float(v) for v in row)
                      for row in df[["k", "a", "k2", "b"]].itertuples(index=False))

    assert rows(ours) == rows(theirs) == rows(duck)


def test_nan_and_null_keys_match_nothing_unlike_pandas():
    lhs = pd.DataFrame({"li": [0, 1, 2], "k": [np.nan, 1.0, -0.0]})
    rhs = pd.DataFrame({"ri": [0, 1], "k2": [np.nan, 0.0]})
    out = run_join(lhs, rhs, "k", "k2", "inner")
    assert positions(out, "inner") == [(2, 1)]  # -0.0 == 0.0; NaN never matches (DAPHNE)
    assert len(lhs.merge(rhs, left_on="k", right_on="k2")) == 2  # pandas matches NaN to NaN


def test_signed_and_unsigned_keys_compare_by_value():
    lhs = pd.DataFrame({"li": [0, 1, 2], "k": np.array([-1, 5, 7], dtype=np.int64)})
    rhs = pd.DataFrame({"ri": [0, 1, 2], "k2": np.array([2**64 - 1, 5, 7], dtype=np.uint64)})
    assert positions(run_join(lhs, rhs, "k", "k2", "inner"), "inner") == [(1, 1), (2, 2)]
    rhs32 = pd.DataFrame({"ri": [0], "k2": np.array([7], dtype=np.int32)})
    assert positions(run_join(lhs, rhs32, "k", "k2", "inner"), "inner") == [(2, 0)]
    rhsf = pd.DataFrame({"ri": [0, 1], "k2": [5.0, 5.5]})
    assert positions(run_join(lhs, rhsf, "k", "k2", "inner"), "inner") == [(1, 0)]


@pytest.mark.parametrize("how", list(METHODS))
@pytest.mark.parametrize("empty", ["lhs", "rhs", "both"])
def test_empty_inputs(how, empty):
    lhs = pd.DataFrame({"li": [0, 1], "k": [1, 2], "s": ["a", "b"]})
    rhs = pd.DataFrame({"ri": [0, 1], "k2": [2, 3], "t": pd.to_datetime(["2020", "2021"])})
    if empty in ("lhs", "both"):
        lhs = lhs.iloc[:0]
    if empty in ("rhs", "both"):
        rhs = rhs.iloc[:0]
    out = run_join(lhs, rhs, "k", "k2", how)
    assert positions(out, how) == reference(_keys(lhs, ["k"]), _keys(rhs, ["k2"]), how)
    assert out["s"].dtype == lhs["s"].dtype
    if how not in ("semi", "anti"):
        assert out["t"].dtype == rhs["t"].dtype


def test_logical_dtypes_survive_every_join(dc):
    lhs = pd.DataFrame({
        "k": [1, 2, 3],
        "cat": pd.Categorical(["x", "y", "x"], categories=["y", "x"], ordered=True),
        "ts": pd.date_range("2021-03-01", periods=3, freq="h", tz="Asia/Tokyo"),
        "td": pd.to_timedelta([1, 2, 3], unit="s"),
        "s": pd.array(["a", None, "c"], dtype="string"),
        "obj": np.array(["p", "q", None], dtype=object),
        "n": pd.array([1.5, None, 2.5], dtype="Float64"),
        "b": pd.array([True, None, False], dtype="boolean"),
        "i16": np.array([1, 2, 3], dtype=np.int16),
    })
    rhs = pd.DataFrame({"k2": [3, 1, 1, 9], "r": [0.5, 1.5, 2.5, 3.5]})
    L, R = dc.from_pandas(lhs), dc.from_pandas(rhs)
    for how, method in METHODS.items():
        node = L.innerJoin(R, "k", "k2") if method is None else getattr(L, method)(R, "k", "k2")
        out = node.compute()
        idx = [i for i, _ in reference(_keys(lhs, ["k"]), _keys(rhs, ["k2"]), how)]
        for col in lhs.columns:
            if how in ("right", "full") and col in ("k", "i16"):
                continue  # nulls make numpy int columns nullable (checked below)
            assert out[col].dtype == lhs[col].dtype, (how, col)
            if None not in idx:
                expected = lhs[col].iloc[idx].reset_index(drop=True)
                pd.testing.assert_series_equal(out[col], expected, check_names=False)
    full = L.outerJoin(R, "k", "k2").compute()
    assert full["i16"].dtype == pd.Int16Dtype() and full["i16"].tolist()[-1] is pd.NA
    assert full["ts"].isna().tolist()[-1] and full["cat"].isna().tolist()[-1]


# ---------------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------------

def test_unknown_key_column_names_it(dc):
    L = dc.from_pandas(pd.DataFrame({"a": [1]}))
    R = dc.from_pandas(pd.DataFrame({"b": [1]}))
    with pytest.raises(ValueError, match=r"left frame has no column 'zz'.*\['a'\]"):
        L.leftJoin(R, "zz", "b").compute()
    with pytest.raises(ValueError, match=r"right frame has no column 'q'"):
        L.antiJoin(R, "a", "q").compute()


def test_label_clash_names_the_labels(dc):
    L = dc.from_pandas(pd.DataFrame({"id": [1], "v": [2]}))
    R = dc.from_pandas(pd.DataFrame({"id": [1], "v": [3], "w": [4]}))
    with pytest.raises(ValueError, match=r"duplicated labels \['id', 'v'\]"):
        L.outerJoin(R, "id", "id").compute()
    out = L.semiJoin(R, "id", "id").compute()  # lhs columns only: no clash
    assert list(out.columns) == ["id", "v"]
    renamed = L.leftJoin(R.setColLabelsPrefix("r"), "id", "r.id").compute()
    assert list(renamed.columns) == ["id", "v", "r.id", "r.v", "r.w"]


def test_arguments_are_checked_at_construction(dc):
    L = dc.from_pandas(pd.DataFrame({"a": [1]}))
    with pytest.raises(ValueError, match="1 left key columns"):
        L.leftJoin(L, "a", ["a", "b"])
    with pytest.raises(TypeError, match="needs a Frame"):
        L.leftJoin(np.ones(1), "a", "a")
    with pytest.raises(TypeError, match="left_on must be a column label"):
        L.outerJoin(L, [], [])
    with pytest.raises(ValueError, match="names a column twice"):
        L.semiJoin(L, ["a", "a"], ["a", "a"])


def test_incompatible_key_types(dc):
    L = dc.from_pandas(pd.DataFrame({"a": [1]}))
    R = dc.from_pandas(pd.DataFrame({"s": ["1"], "t": pd.to_datetime(["2020"])}))
    with pytest.raises(TypeError, match=r"cannot match key column 'a' \(si64\) with 's'"):
        L.leftJoin(R, "a", "s").compute()
    with pytest.raises(TypeError, match="cannot match key column 'a'"):
        L.leftJoin(R, "a", "t").compute()


# ---------------------------------------------------------------------------------------------
# Scale
# ---------------------------------------------------------------------------------------------

def test_million_row_join_is_fast_and_right(dc):
    n = 10**6
    rng = np.random.default_rng(7)
    lhs = pd.DataFrame({"k": rng.permutation(n).astype(np.int64), "a": rng.random(n)})
    rhs = pd.DataFrame({"k2": rng.integers(0, n, n), "b": rng.random(n)})
    node = dc.from_pandas(lhs).leftJoin(dc.from_pandas(rhs), "k", "k2")
    t0 = time.perf_counter()
    out = node.compute()
    elapsed = time.perf_counter() - t0
    expected = lhs.merge(rhs, left_on="k", right_on="k2", how="left")
    assert len(out) == len(expected)
    assert out["k2"].isna().sum() == expected["k2"].isna().sum()
    assert out["b"].sum() == pytest.approx(expected["b"].sum())
    np.testing.assert_array_equal(out["k"], expected["k"])  # both keep lhs order
    assert elapsed < 3.0, f"1e6 x 1e6 left join took {elapsed:.2f} s"


# ---------------------------------------------------------------------------------------------
# Group-by
# ---------------------------------------------------------------------------------------------

def test_group_sum_labels_and_order_like_daphne(dc, capsys):
    f = dc.createFrame([dc.from_numpy(np.array([2, 1, 2, 1, 3])),
                        dc.from_numpy(np.array([10, 20, 30, 40, 50]))], ["g", "v"])
    f.groupSum("g", "v").print().compute()
    assert capsys.readouterr().out == (
        "Frame(3x2, [g:int64_t, SUM(v):int64_t])\n1 60\n2 40\n3 50\n")


def test_group_by_all_aggregates_against_pandas(dc):
    rng = np.random.default_rng(3)
    n = 2000
    df = pd.DataFrame({"k": rng.integers(0, 50, n), "s": rng.choice(["b", "a", "c"], n),
                       "v": rng.integers(-100, 100, n).astype(np.int32), "x": rng.random(n)})
    out = dc.from_pandas(df).groupBy(["s", "k"], {"v": ["sum", "count", "min", "max"],
                                                  "x": ["mean", "min", "max"]}).compute()
    exp = df.groupby(["s", "k"], sort=True).agg(
        sv=("v", "sum"), cv=("v", "count"), mnv=("v", "min"), mxv=("v", "max"),
        ax=("x", "mean"), mnx=("x", "min"), mxx=("x", "max")).reset_index()
    assert list(out.columns) == ["s", "k", "SUM(v)", "COUNT(v)", "MIN(v)", "MAX(v)", "MEAN(x)",
                                 "MIN(x)", "MAX(x)"]
    assert out["s"].tolist() == exp["s"].tolist()
    np.testing.assert_array_equal(out["k"], exp["k"])
    np.testing.assert_array_equal(out["SUM(v)"], exp["sv"])
    assert out["SUM(v)"].dtype == np.int32 and out["COUNT(v)"].dtype == np.int64
    np.testing.assert_array_equal(out["COUNT(v)"], exp["cv"])
    np.testing.assert_array_equal(out["MIN(v)"], exp["mnv"])
    np.testing.assert_array_equal(out["MAX(v)"], exp["mxv"])
    np.testing.assert_allclose(out["MEAN(x)"], exp["ax"], rtol=1e-12)
    np.testing.assert_array_equal(out["MIN(x)"], exp["mnx"])
    np.testing.assert_array_equal(out["MAX(x)"], exp["mxx"])


@settings(max_examples=40, deadline=None)
@given(keys=st.lists(st.sampled_from([1.0, -2.0, 0.0, -0.0, math.nan]), min_size=1,
                     max_size=20),
       vals=st.data())
def test_group_by_float_keys_against_duckdb(keys, vals):
    import duckdb

    v = vals.draw(st.lists(st.integers(-5, 5), min_size=len(keys), max_size=len(keys)))
    df = pd.DataFrame({"k": np.array(keys), "v": np.array(v, dtype=np.int64)})
    out = to_pandas(group_frame(frame_value_from_pandas(df), ["k"],
                                [("sum", "v"), ("count", "*"), ("max", "v")]))
    con = duckdb.connect()
    con.register("t", pd.DataFrame({"k": np.array(keys)}).assign(v=df["v"]))
    # DuckDB treats NaN as one value above every number, as we do (pandas NaN = null).
    duck = con.execute("SELECT k, sum(v)::BIGINT, count(*), max(v) FROM t GROUP BY k "
                       "ORDER BY k").df()
    np.testing.assert_array_equal(out["k"], duck["k"])
    np.testing.assert_array_equal(out["SUM(v)"], duck.iloc[:, 1])
    np.testing.assert_array_equal(out["COUNT(*)"], duck.iloc[:, 2])
    np.testing.assert_array_equal(out["MAX(v)"], duck.iloc[:, 3])


def test_group_by_null_keys_and_values(dc):
    df = pd.DataFrame({"k": pd.array(["b", None, "a", "b", None], dtype="string"),
                       "v": pd.array([1, 2, None, None, 5], dtype="Int64"),
                       "s": pd.array(["x", "y", None, "w", "z"], dtype="string")})
    out = dc.from_pandas(df).groupBy("k", [("v", "sum"), ("v", "count"), ("v", "mean"),
                                           ("s", "min"), ("s", "max"), ("*", "count")]).compute()
    assert out["k"].tolist()[:2] == ["a", "b"] and out["k"].isna().tolist() == [False] * 2 + [True]
    assert out["k"].dtype == df["k"].dtype
    assert out["SUM(v)"].dtype == pd.Int64Dtype()
    assert out["SUM(v)"].tolist() == [pd.NA, 1, 7]  # SQL: no value -> null (not 0)
    assert out["COUNT(v)"].tolist() == [0, 1, 2] and out["COUNT(*)"].tolist() == [1, 2, 2]
    assert np.isnan(out["MEAN(v)"][0]) and out["MEAN(v)"].tolist()[1:] == [1.0, 3.5]
    assert out["MIN(s)"].tolist()[1:] == ["w", "y"] and out["MIN(s)"].isna()[0]
    assert out["MAX(s)"].tolist()[1:] == ["x", "z"]
    assert out["MIN(s)"].dtype == df["s"].dtype


def test_group_by_keeps_logical_types_of_keys_and_extrema(dc):
    df = pd.DataFrame({
        "c": pd.Categorical(["lo", "hi", "lo", None], categories=["lo", "hi"], ordered=True),
        "t": pd.to_datetime(["2020-01-03", "2020-01-01", None, "2020-01-02"]).tz_localize("UTC"),
        "x": np.array([1.0, np.nan, 3.0, 4.0]),
    })
    out = dc.from_pandas(df).groupBy("c", {"t": ["min", "max"], "x": ["sum", "max", "min"],
                                           "c": "max"}).compute()
    assert out["c"].dtype == df["c"].dtype and out["c"].tolist()[:2] == ["lo", "hi"]
    assert out["c"].isna().tolist() == [False, False, True]  # null group last
    assert out["MIN(t)"].dtype == df["t"].dtype
    assert out["MIN(t)"][0] == pd.Timestamp("2020-01-03", tz="UTC")  # NaT skipped
    assert out["MAX(c)"].dtype == df["c"].dtype
    np.testing.assert_array_equal(out["SUM(x)"], [4.0, np.nan, 4.0])  # NaN propagates
    np.testing.assert_array_equal(out["MAX(x)"], [3.0, np.nan, 4.0])  # NaN sorts highest
    np.testing.assert_array_equal(out["MIN(x)"], [1.0, np.nan, 4.0])


def test_group_by_empty_frame(dc):
    df = pd.DataFrame({"k": np.array([], dtype=np.int64), "v": np.array([], dtype=np.float32)})
    out = dc.from_pandas(df).groupBy("k", {"v": ["sum", "count", "mean"]}).compute()
    assert out.shape == (0, 4)
    assert out["SUM(v)"].dtype == np.float32 and out["COUNT(v)"].dtype == np.int64


def test_group_by_errors(dc):
    F = dc.from_pandas(pd.DataFrame({"k": [1], "s": ["a"],
                                     "c": pd.Categorical(["x"], ordered=False)}))
    with pytest.raises(ValueError, match="unknown aggregate 'median'"):
        F.groupBy("k", {"s": "median"})
    with pytest.raises(ValueError, match=r"asked for more than once"):
        F.groupBy("k", [("s", "min"), ("s", "MIN")])
    with pytest.raises(ValueError, match="only count takes"):
        F.groupBy("k", {"*": "sum"})
    with pytest.raises(ValueError, match=r"has no column 'zz'"):
        F.groupBy("zz", {"s": "min"}).compute()
    with pytest.raises(ValueError, match=r"has no column 'q'"):
        F.groupSum("k", "q").compute()
    with pytest.raises(TypeError, match=r"cannot sum column 's'"):
        F.groupBy("k", {"s": "sum"}).compute()
    with pytest.raises(TypeError, match="unordered categorical"):
        F.groupBy("k", {"c": "max"}).compute()


def test_group_by_wide_multi_key_does_not_overflow():
    rng = np.random.default_rng(0)
    n = 5000
    cols = {f"k{i}": rng.integers(0, 2**40, n) for i in range(3)}
    cols["k0"][: n // 2] = cols["k0"][n // 2:]  # duplicate some full keys
    cols["k1"][: n // 2] = cols["k1"][n // 2:]
    cols["k2"][: n // 2] = cols["k2"][n // 2:]
    df = pd.DataFrame(cols).assign(v=1)
    out = to_pandas(group_frame(frame_value_from_pandas(df), ["k0", "k1", "k2"],
                                [("count", "v")]))
    exp = df.groupby(["k0", "k1", "k2"], sort=True)["v"].count().reset_index()
    for c in ("k0", "k1", "k2"):
        np.testing.assert_array_equal(out[c], exp[c])
    np.testing.assert_array_equal(out["COUNT(v)"], exp["v"])


# ---------------------------------------------------------------------------------------------
# The pandas round-trip kinds through joins
# ---------------------------------------------------------------------------------------------

def _roundtrip_module():
    import importlib.util
    import pathlib

    path = pathlib.Path(__file__).parent / "conformance" / "test_pandas_roundtrip.py"
    spec = importlib.util.spec_from_file_location("_pandas_kinds_for_joins", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ROUNDTRIP = _roundtrip_module()


@pytest.mark.parametrize("kind", list(ROUNDTRIP.KINDS))
def test_every_pandas_kind_survives_joins(dc, kind):
    data = ROUNDTRIP.frame_of(ROUNDTRIP.KINDS[kind]())
    n = len(data)
    F = dc.from_pandas(data, keepIndex=True).cbind(
        dc.from_pandas(pd.DataFrame({"__row": np.arange(n)})))
    keys = dc.from_pandas(pd.DataFrame({"rk": np.arange(n)[::-1].copy()}))
    extra = dc.from_pandas(pd.DataFrame({"rk": np.r_[np.arange(n), -1]}))

    def same(node, drop):
        out = node.compute(useIndexColumn=True).drop(columns=drop)
        assert out.columns.tolist() == data.columns.tolist()
        pd.testing.assert_frame_equal(out.set_axis(data.columns, axis=1), data,
                                      check_exact=True)

    same(F.semiJoin(keys, "__row", "rk"), ["__row"])
    same(F.leftJoin(keys, "__row", "rk"), ["__row", "rk"])
    same(F.antiJoin(dc.from_pandas(pd.DataFrame({"rk": [-5]})), "__row", "rk"), ["__row"])
    full = F.outerJoin(extra, "__row", "rk").compute().drop(columns=["__row", "rk"])
    index_cols = full.shape[1] - data.shape[1]
    for j, dtype in enumerate(data.dtypes):
        got = full.iloc[:, index_cols + j]
        assert got.isna().iloc[-1]  # the unmatched rhs row: null in every lhs column
        if got.dtype != dtype:  # numpy ints/bools and sparse ints gain a nullable type
            base = dtype.subtype if isinstance(dtype, pd.SparseDtype) else dtype
            assert got.dtype == pd.array(np.zeros(0, base)).dtype, (kind, dtype, got.dtype)
        pd.testing.assert_series_equal(got.iloc[:-1].astype(dtype).set_axis(data.index),
                                       data.iloc[:, j], check_exact=True, check_names=False)
