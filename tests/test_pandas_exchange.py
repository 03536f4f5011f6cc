"""pandas <-> daphnelib exchange: exact round trips, zero-copy both ways, inputs untouched.

Every DataFrame kind goes through every frame operation in the generated suite
(tests/conformance/test_pandas_roundtrip.py); this module reuses its kind builders for the
cross-cutting properties: all kinds in one frame, zero-copy in and out, errors, verbose
reports, index and label handling, and random frames (hypothesis).
"""

from __future__ import annotations

import importlib.util
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conformance.test_pandas_roundtrip import KINDS
from daphnelib import DaphneContext
from daphnelib.engine.logical import Logical
from daphnelib.interop.pandas import frame_value_from_pandas, to_pandas
from daphnelib.script_building.dsl import quote
from support import EXACT

NUMERIC = ["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
           "float32", "float64", "bool"]
HELD = [d for d in NUMERIC if d not in ("int16", "uint16")]

pytestmark = pytest.mark.usefixtures("pandas_copy_on_write")

# Kinds that are one 4-row column labelled "x": they combine into one frame.
HAVE_PYARROW = importlib.util.find_spec("pyarrow") is not None


def _column_kind(name: str) -> bool:
    try:
        df = KINDS[name]()
    except pytest.skip.Exception:  # a kind an optional library (pyarrow) makes
        return False
    return (isinstance(df, pd.DataFrame) and list(df.columns) == ["x"] and len(df) == 4
            and isinstance(df.index, pd.RangeIndex))


COLUMN_KINDS = [k for k in KINDS if _column_kind(k)]


def all_kinds() -> pd.DataFrame:
    """One 4-row frame holding a column of every single-column kind, labelled by kind."""
    return pd.concat([KINDS[k]().set_axis([k], axis=1) for k in COLUMN_KINDS], axis=1)


def numeric_frame(nrow: int = 5) -> pd.DataFrame:
    return pd.DataFrame({d: (np.arange(nrow) % 3).astype(d) for d in NUMERIC})


# ---------------------------------------------------------------------------------------------
# The seed example and round trips
# ---------------------------------------------------------------------------------------------

def test_seed_example(dc):
    df = pd.DataFrame({"a": [1, 2, 3], "b": [1.1, -2.2, 3.3]})
    before = df.copy(deep=True)
    F = dc.from_pandas(df, keepIndex=True)
    df2 = pd.DataFrame({"c": [30, 25, 0], "d": [-1, 2.4, 5.9], "e": [7, 5, 9]})
    F2 = dc.from_pandas(df2)
    df3 = F.cbind(F2).compute(useIndexColumn=True)
    pd.testing.assert_frame_equal(df3, pd.concat([df, df2], axis=1), **EXACT)
    pd.testing.assert_frame_equal(df, before, **EXACT)
    assert list(df.columns) == ["a", "b"] and isinstance(df.index, pd.RangeIndex)


def test_the_kind_table_covers_every_column_kind():
    assert len(COLUMN_KINDS) >= 40
    frame = all_kinds()
    assert frame.shape == (4, len(COLUMN_KINDS))


@pytest.mark.parametrize("shared_memory", [True, False])
@pytest.mark.parametrize("transfer", ["shared memory", "files"])
def test_all_kinds_in_one_frame_round_trip(dc, shared_memory, transfer):
    df = all_kinds()
    df.index = pd.Index(["r0", "r1", "r2", "r3"], name="row")
    before = df.copy(deep=True)
    F = dc.from_pandas(df, shared_memory=shared_memory, keepIndex=True)
    out = F.compute(type=transfer, useIndexColumn=True)
    pd.testing.assert_frame_equal(out, df, **EXACT)
    pd.testing.assert_frame_equal(df, before, **EXACT)


def test_all_kinds_survive_frame_operations(dc):
    df = all_kinds()
    F = dc.from_pandas(df, keepIndex=True)
    n = F.compute().shape[1]
    checks = {
        "rbind": (F.rbind(F), pd.concat([df, df])),
        "rows": (F[1:3, :], df.iloc[1:3]),
        "positions": (F[dc.from_numpy(np.array([3, 0, 0])), :], df.iloc[[3, 0, 0]]),
        "order": (F.order([0], [False]), df.iloc[::-1]),
        "labels": (F[:, ("index", "Int64", "category_str", "str_object")],
                   df[["Int64", "category_str", "str_object"]]),
        "cartesian": (F[:2, :].cartesian(dc.from_pandas(pd.DataFrame({"k": [7, 8]}))),
                      pd.concat([df.iloc[[0, 0, 1, 1]],
                                 pd.DataFrame({"k": [7, 8, 7, 8]}, index=[0, 0, 1, 1])],
                                axis=1)),
    }
    for what, (node, expected) in checks.items():
        out = node.compute(useIndexColumn=True)
        pd.testing.assert_frame_equal(out, expected, check_exact=True, obj=what)
    assert n == len(COLUMN_KINDS) + 1


def test_inner_join_keeps_logical_types(dc):
    left = pd.DataFrame({"id": [1, 2, 3, 2], "cat": pd.Categorical(["a", "b", None, "b"]),
                         "n": pd.array([1, None, 3, 4], dtype="Int64")})
    right = pd.DataFrame({"rid": [2, 3, 9], "when": pd.date_range("2024", periods=3, tz="UTC"),
                          "s": pd.array(["x", None, "z"], dtype="string")})
    out = dc.from_pandas(left).innerJoin(dc.from_pandas(right), "id", "rid").compute()
    expected = left.merge(right, left_on="id", right_on="rid", how="inner")
    pd.testing.assert_frame_equal(out, expected, check_exact=True)


# ---------------------------------------------------------------------------------------------
# Zero-copy in and out
# ---------------------------------------------------------------------------------------------

def test_numeric_columns_enter_as_read_only_views(capsys):
    df = numeric_frame(1000)
    value = frame_value_from_pandas(df, verbose=True)
    for label in HELD:
        col = value.columns[value.index_of(label)]
        assert col.dtype == df[label].dtype
        assert np.shares_memory(col, df[label].to_numpy())
        assert not col.flags.writeable
    for label in ("int16", "uint16"):  # DAPHNE lacks them: widened once, said so
        col = value.columns[value.index_of(label)]
        assert col.dtype == {"int16": np.int32, "uint16": np.uint32}[label]
        assert not np.shares_memory(col, df[label].to_numpy())
    assert capsys.readouterr().out.count("copies") == 2


def test_wide_frame_columns_view_the_one_pandas_block():
    block = np.arange(20.0 * 1000).reshape(1000, 20).T.copy()  # (columns, rows), C order
    df = pd.DataFrame(block.T, copy=False)
    assert np.shares_memory(df.to_numpy(), block)
    value = frame_value_from_pandas(df)
    assert all(np.shares_memory(c, block) for c in value.columns)
    np.testing.assert_array_equal(np.stack(value.columns), block)


def test_row_major_blocks_are_copied_once_and_said_so(dc, capsys):
    arr = np.arange(12.0).reshape(3, 4)
    df = pd.DataFrame(arr, copy=False)  # columns are strided views of arr
    F = dc.from_pandas(df, verbose=True)
    assert "strided block" in capsys.readouterr().out
    value = F._evaluate()
    assert all(c.flags.c_contiguous and not np.shares_memory(c, arr) for c in value.columns)
    pd.testing.assert_frame_equal(F.compute(), df, **EXACT)


def test_extension_columns_enter_without_copies():
    nullable = pd.array([1, None, 3], dtype="Int64")
    cat = pd.Categorical(["a", "b", "a"])
    when = pd.date_range("2024", periods=3, tz="Europe/Berlin")
    df = pd.DataFrame({"n": nullable, "c": cat, "t": when})
    value = frame_value_from_pandas(df)
    n, c, t = value.columns
    assert np.shares_memory(n, df["n"].array._data)
    assert np.shares_memory(value.logical[0].mask, df["n"].array._mask)
    assert np.shares_memory(c, df["c"].array.codes)
    assert c.dtype == np.int8 and value.vts() == ["si64", "si8", "si64"]
    assert np.shares_memory(t, df["t"].array._ndarray)
    assert [lg.kind for lg in value.logical] == ["masked", "category", "datetime"]


def test_pass_through_result_aliases_the_input_read_only(dc):
    df = numeric_frame()
    before = df.copy(deep=True)
    out = dc.from_pandas(df).compute()
    for label in HELD:
        assert np.shares_memory(out[label].to_numpy(), df[label].to_numpy())
    with pytest.raises(ValueError, match="read-only"):
        out.iloc[0, 0] = 100
    pd.testing.assert_frame_equal(df, before, **EXACT)


def test_computed_results_reach_pandas_without_copies(dc):
    df = pd.DataFrame(np.arange(12.0).reshape(3, 4), columns=list("abcd"))
    F = dc.from_pandas(df).rbind(dc.from_pandas(df))
    value = F._evaluate()
    out = to_pandas(value)
    whole = out.to_numpy()  # one block: a view, not a copy
    for j in range(4):
        assert np.shares_memory(out.iloc[:, j].to_numpy(), value.columns[j])
        assert np.shares_memory(whole, value.columns[j])
    pd.testing.assert_frame_equal(out, pd.concat([df, df], ignore_index=True), **EXACT)
    out.iloc[0, 0] = -1.0  # an engine-owned result is the caller's to modify
    assert value.columns[0][0] == -1.0


def test_mixed_computed_columns_are_views(dc):
    df = pd.DataFrame({"i": [3, 1, 2], "f": [0.5, 1.5, 2.5],
                       "c": pd.Categorical(["x", "y", "x"]),
                       "n": pd.array([None, 2, 3], dtype="UInt8")})
    value = dc.from_pandas(df).order([0], [True])._evaluate()
    out = to_pandas(value)
    assert np.shares_memory(out["i"].to_numpy(), value.columns[0])
    assert np.shares_memory(out["f"].to_numpy(), value.columns[1])
    assert np.shares_memory(out["c"].array.codes, value.columns[2])
    assert np.shares_memory(out["n"].array._data, value.columns[3])
    pd.testing.assert_frame_equal(out, df.iloc[[1, 2, 0]].reset_index(drop=True), **EXACT)


def test_result_reader_groups_columns_into_blocks():
    from daphnelib._native.buffers import frame_result

    df = pd.DataFrame({"i0": [1, 2], "f0": [0.5, 1.5], "i1": [3, 4], "f1": [2.5, 3.5],
                       "b": [True, False]})
    value = frame_value_from_pandas(df)  # pandas holds one int64 and one float64 block
    result = frame_result(value.columns, value.labels, value.nrow)
    blocks = {tuple(pos.tolist()): block for block, pos in result.blocks()}
    assert sorted(blocks) == [(0, 2), (1, 3), (4,)]
    np.testing.assert_array_equal(blocks[0, 2], [[1, 2], [3, 4]])
    assert np.shares_memory(blocks[1, 3], df["f0"].to_numpy())


def test_verbose_names_each_copy(dc, capsys):
    df = pd.DataFrame({"f": [1.0, 2.0], "h": np.array([1, 2], np.int16), "s": ["a", "b"]})
    dc.from_pandas(df, verbose=True)
    out = capsys.readouterr().out
    assert "'h' once (int16 -> int32)" in out and "'s' once (strings" in out
    assert "'f'" not in out


# ---------------------------------------------------------------------------------------------
# Series, index and labels
# ---------------------------------------------------------------------------------------------

def test_series_is_a_one_column_frame_labelled_as_in_daphnelib(dc, capsys):
    s = pd.Series([1.5, 2.5])
    F = dc.from_pandas(s)
    F.print().compute()
    assert capsys.readouterr().out.splitlines()[0] == "Frame(2x1, [0:double])"
    pd.testing.assert_frame_equal(F.compute(), s.to_frame(), **EXACT)
    named = pd.Series([1, 2], name="v")
    pd.testing.assert_frame_equal(dc.from_pandas(named).compute(), named.to_frame(), **EXACT)


def test_index_is_dropped_without_keep_index(dc):
    df = pd.DataFrame({"x": [1, 2]}, index=pd.Index(["a", "b"], name="k"))
    out = dc.from_pandas(df).compute(useIndexColumn=True)
    pd.testing.assert_frame_equal(out, df.reset_index(drop=True), **EXACT)


def test_index_column_is_an_ordinary_column_unless_used(dc):
    df = pd.DataFrame({"x": [1.5, 2.5]}, index=pd.Index([10, 20]))
    out = dc.from_pandas(df, keepIndex=True).compute()
    assert list(out.columns) == ["index", "x"]
    np.testing.assert_array_equal(out["index"].to_numpy(), [10, 20])
    assert isinstance(out.index, pd.RangeIndex)


def test_multi_index_levels_are_leading_columns(dc, capsys):
    mi = pd.MultiIndex.from_arrays([["a", "b"], pd.to_datetime(["2024-01-01", "2024-01-02"])],
                                   names=["k", "t"])
    df = pd.DataFrame({"x": [1, 2]}, index=mi)
    F = dc.from_pandas(df, keepIndex=True)
    F.print().compute()
    header = capsys.readouterr().out.splitlines()[0]
    assert header == "Frame(2x3, [level_0:std::string, level_1:int64_t, x:int64_t])"
    pd.testing.assert_frame_equal(F.compute(useIndexColumn=True), df, **EXACT)


def test_daphnelib_index_label_convention_for_plain_frames(dc):
    cols = [dc.from_numpy(np.array([5, 6])), dc.from_numpy(np.array([1.5, 2.5]))]
    out = dc.createFrame(cols, ["index", "v"]).compute(useIndexColumn=True)
    expected = pd.DataFrame({"v": [1.5, 2.5]}, index=pd.Index([5, 6]))
    pd.testing.assert_frame_equal(out, expected, **EXACT)


def test_odd_labels_are_escaped_in_the_generated_dsl(dc):
    labels = ['say "hi"', "a,b", " pad ", "ü\n漢", "back\\slash"]
    df = pd.DataFrame({lbl: [j] for j, lbl in enumerate(labels)})
    F = dc.from_pandas(df)
    script = F.script()
    for lbl in labels:
        assert quote(lbl) in script
    pd.testing.assert_frame_equal(F.compute(), df, **EXACT)


def test_non_string_labels_come_back_with_their_type(dc):
    df = pd.DataFrame({0: [1.0], 5: [2.0], "s": [3.0], 2.5: [4.0], ("t", 1): [5.0]})
    out = dc.from_pandas(df).compute()
    assert list(out.columns) == [0, 5, "s", 2.5, ("t", 1)]
    assert [type(c) for c in out.columns] == [int, int, str, float, tuple]


def test_relabelled_columns_drop_their_original_labels(dc):
    df = pd.DataFrame({1: pd.Categorical(["a", "b"]), 2: [3, 4]})
    out = dc.from_pandas(df).setColLabels(["c", "d"]).compute()
    expected = df.set_axis(["c", "d"], axis=1)
    pd.testing.assert_frame_equal(out, expected, **EXACT)


# ---------------------------------------------------------------------------------------------
# Files and bad input
# ---------------------------------------------------------------------------------------------

def test_files_path_reads_a_daphne_file_with_sidecar_types(dc):
    df = pd.DataFrame({"b": [True, False], "t": pd.to_datetime(["2024-01-01", None]),
                       "s": ["x", None], "n": pd.array([1, None], dtype="Int8")})
    F = dc.from_pandas(df, shared_memory=False)
    assert F.script().startswith("V0 = readFrame(")  # DAPHNE's DSL: the path only
    pd.testing.assert_frame_equal(F.compute(), df, **EXACT)


@pytest.mark.parametrize("column,error,match", [
    (pd.Series([1, "a", 2.5], dtype=object), TypeError, "'bad' holds mixed"),
    (pd.Series([1 + 2j, 3j, 0j]), TypeError, "'bad' holds complex"),
    (pd.Series([b"x", b"y", b"z"], dtype=object), TypeError, "'bad' holds bytes"),
    (pd.arrays.IntervalArray.from_breaks([0, 1, 2, 3]), TypeError, "'bad' has dtype interval"),
])
def test_unsupported_columns_are_named(dc, column, error, match):
    df = pd.DataFrame({"ok": [1, 2, 3], "bad": column})
    with pytest.raises(error, match=match):
        dc.from_pandas(df)


def test_duplicate_and_colliding_labels_are_rejected(dc):
    with pytest.raises(ValueError, match=r"duplicated column labels: \['a'\]"):
        dc.from_pandas(pd.DataFrame([[1, 2, 3]], columns=["a", "b", "a"]))
    with pytest.raises(ValueError, match=r"labels \['0'\] collide"):
        dc.from_pandas(pd.DataFrame({0: [1], "0": [2]}))
    with pytest.raises(TypeError, match="DataFrame or Series"):
        dc.from_pandas(np.zeros((2, 2)))


def test_rbind_of_string_columns_with_and_without_missing_values(dc):
    a = pd.DataFrame({"s": pd.Series(["x", "y"], dtype=object)})
    b = pd.DataFrame({"s": pd.Series([None, "z"], dtype=object)})
    out = dc.from_pandas(a).rbind(dc.from_pandas(b)).compute()
    pd.testing.assert_frame_equal(out, pd.concat([a, b], ignore_index=True), **EXACT)
    assert out["s"].tolist() == ["x", "y", None, "z"]


def test_rbind_needs_the_same_logical_types(dc):
    a = dc.from_pandas(pd.DataFrame({"x": pd.Categorical(["a", "b"])}))
    b = dc.from_pandas(pd.DataFrame({"x": pd.Categorical(["b", "a"], categories=["b", "a"])}))
    with pytest.raises(ValueError, match="column 'x' has different logical types"):
        a.rbind(b).compute()


# ---------------------------------------------------------------------------------------------
# Random frames
# ---------------------------------------------------------------------------------------------

def _random_column(kind: str, n: int, rng: np.random.Generator, na: float) -> Any:
    missing = rng.random(n) < na
    ints = rng.integers(-100, 100, n)
    words = np.array(["", "a", "béta", "x,y", 'q"', "long text"], dtype=object)[
        rng.integers(0, 6, n)]
    if kind in ("int8", "int16", "int64", "uint8", "uint64"):
        return (np.abs(ints) if kind.startswith("u") else ints).astype(kind)
    if kind in ("float32", "float64"):
        return np.where(missing, np.nan, rng.normal(size=n)).astype(kind)
    if kind == "bool":
        return ints > 0
    if kind in ("Int64", "UInt8", "Float64", "boolean"):
        values = {"Int64": ints, "UInt8": np.abs(ints), "Float64": ints / 7,
                  "boolean": ints > 0}[kind]
        return pd.array(np.where(missing, None, values).tolist(), dtype=kind)
    if kind == "category":
        return pd.Categorical(np.where(missing, None, words), ordered=bool(n % 2))
    if kind in ("datetime", "datetime_tz", "timedelta"):
        ticks = np.where(missing, np.iinfo(np.int64).min, ints * 86_400_000_000)
        if kind == "timedelta":
            return ticks.view("m8[us]")
        t = pd.DatetimeIndex(ticks.view("M8[us]"))
        return t.tz_localize("Asia/Kolkata") if kind == "datetime_tz" else t
    obj = np.where(missing, None, words)
    if kind == "object":
        return pd.Series(obj, dtype=object)
    return pd.array(obj, dtype={"string": "string[python]", "arrow": "string[pyarrow]"}[kind])


KIND_NAMES = ["int8", "int16", "int64", "uint8", "uint64", "float32", "float64", "bool",
              "Int64", "UInt8", "Float64", "boolean", "category", "datetime", "datetime_tz",
              "timedelta", "object", "string", *(["arrow"] if HAVE_PYARROW else [])]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kinds=st.lists(st.sampled_from(KIND_NAMES), max_size=6),
       nrow=st.one_of(st.integers(0, 5), st.integers(0, 1000)),
       labels=st.lists(st.one_of(st.text(max_size=5), st.integers(-3, 3)), min_size=6,
                       max_size=6, unique_by=str),
       na=st.sampled_from([0.0, 0.3, 1.0]), seed=st.integers(0, 2**32 - 1))
def test_random_frames_round_trip(kinds, nrow, labels, na, seed):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({labels[j]: _random_column(k, nrow, rng, na) for j, k in enumerate(kinds)},
                      index=pd.RangeIndex(nrow))
    before = df.copy(deep=True)
    dc = DaphneContext()
    F = dc.from_pandas(df, keepIndex=True)
    pd.testing.assert_frame_equal(F.compute(useIndexColumn=True), df, **EXACT)
    pd.testing.assert_frame_equal(F.rbind(F).compute(useIndexColumn=True), pd.concat([df, df]),
                                  check_exact=True)
    pd.testing.assert_frame_equal(df, before, **EXACT)


def test_logical_record_is_documented_and_immutable():
    record = Logical("masked", pd.Int64Dtype(), mask=np.array([True, False]))
    taken = record.take(np.array([1, 1, 0]))
    np.testing.assert_array_equal(taken.mask, [False, False, True])
    assert record.mask.tolist() == [True, False] and taken.same_type(record)
    with pytest.raises(AttributeError):
        record.kind = "other"  # type: ignore[misc]


def test_str_index_round_trips_exactly(dc):
    """With or without pyarrow (pandas then keeps str in python storage, a StringArray that
    is also a NumpyExtensionArray), keepIndex + useIndexColumn gives the index back."""
    df = pd.DataFrame({"price": [9.5, 3.25, 7.0]},
                      index=pd.Index(["apple", "pear", "plum"], name="fruit"))
    back = dc.from_pandas(df, keepIndex=True).compute(useIndexColumn=True)
    pd.testing.assert_frame_equal(back, df, **EXACT)
