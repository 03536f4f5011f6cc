"""Arrow PyCapsule exchange: dc.from_arrow / from_polars, Frame.__arrow_c_stream__,
Matrix.__arrow_c_array__, compute(asArrow/asPolars), and the native string conversion."""

from __future__ import annotations

import gc
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from daphnelib import DaphneContext
from daphnelib.engine.valuetypes import STRING_DTYPE
from support import EXACT

pa = pytest.importorskip("pyarrow")


def address(arr: pa.Array) -> int:
    return arr.buffers()[1].address


def engine_columns(node):
    return node._args[0].columns  # the receiveFrame node's FrameValue


# -- ingress ------------------------------------------------------------------------------

def test_fixed_width_columns_enter_without_copy(dc):
    t = pa.table({"i": np.arange(5), "f": np.linspace(0, 1, 5, dtype=np.float32),
                  "u": np.arange(5, dtype=np.uint8)})
    F = dc.from_arrow(t)
    for col, arr in zip(engine_columns(F), t.columns, strict=True):
        assert col.ctypes.data == address(arr.chunk(0))
        assert not col.flags.writeable
    out = pa.table(F)
    assert [address(c.chunk(0)) for c in out.columns] == \
        [address(c.chunk(0)) for c in t.columns]  # and leave without one
    assert out.equals(t)


def test_sliced_arrays_keep_their_offset(dc):
    t = pa.table({"i": np.arange(10), "s": [f"s{i}" for i in range(10)],
                  "n": pa.array([None if i % 3 == 0 else i for i in range(10)])}).slice(3, 5)
    out = pa.table(dc.from_arrow(t))
    assert out.column("i").to_pylist() == list(range(3, 8))
    assert out.column("s").to_pylist() == [f"s{i}" for i in range(3, 8)]
    assert out.column("n").to_pylist() == [None, 4, 5, None, 7]


def test_nulls_become_masks_and_nullable_dtypes(dc):
    t = pa.table({"i": pa.array([1, None, 3], pa.int32()), "b": [True, None, False],
                  "s": ["a", None, "c"], "f": pa.array([1.5, None, np.nan])})
    df = dc.from_arrow(t).compute()
    expected = pd.DataFrame({"i": pd.array([1, None, 3], dtype="Int32"),
                             "b": pd.array([True, None, False], dtype="boolean"),
                             "s": pd.Series(["a", None, "c"], dtype="str"),
                             "f": pd.arrays.FloatingArray(np.array([1.5, 0.0, np.nan]),
                                                          np.array([False, True, False]))})
    pd.testing.assert_frame_equal(df, expected, **EXACT)


def test_logical_types_survive_both_ways(dc):
    t = pa.table({
        "cat": pa.DictionaryArray.from_arrays(pa.array([1, 0, None, 1], pa.int8()),
                                              pa.array(["lo", "hi"]), ordered=True),
        "ts": pa.array([0, 1, None, 3], pa.timestamp("ms", "Europe/Berlin")),
        "dur": pa.array([5, None, 7, 8], pa.duration("s")),
        "h": pa.array([1, 2, 3, 4], pa.int16()),
    })
    df = dc.from_arrow(t).compute()
    assert df["cat"].dtype == pd.CategoricalDtype(["lo", "hi"], ordered=True)
    assert df["cat"].isna().tolist() == [False, False, True, False]
    assert str(df["ts"].dtype) == "datetime64[ms, Europe/Berlin]"
    assert df["dur"].dtype == np.dtype("m8[s]") and df["h"].dtype == np.int16
    back = pa.table(dc.from_arrow(t))
    assert back.schema.field("cat").type == pa.dictionary(pa.int8(), pa.large_string(), True)
    for name in ("ts", "dur", "h"):
        assert back.column(name).equals(t.column(name))
    assert back.column("cat").to_pylist() == t.column("cat").to_pylist()


@pytest.mark.parametrize("typ", [pa.string(), pa.large_string(), pa.string_view()])
def test_every_string_layout(dc, typ):
    values = ["", "ü", None, "x" * 40, "l1\nl2"]
    F = dc.from_arrow(pa.table({"s": pa.array(values, typ)}))
    assert F.compute()["s"].tolist()[:2] == ["", "ü"]
    assert pa.table(F).column("s").to_pylist() == values


def test_decimals_and_nested_types_are_refused_by_name(dc):
    with pytest.raises(TypeError, match=r"'d' is decimal128.*no decimal type"):
        dc.from_arrow(pa.table({"d": pa.array([1], pa.decimal128(5, 2))}))
    with pytest.raises(TypeError, match="'l' has Arrow type list"):
        dc.from_arrow(pa.table({"l": [[1, 2]]}))
    with pytest.raises(TypeError, match="__arrow_c_stream__ or __arrow_c_array__"):
        dc.from_arrow([1, 2, 3])


def test_chunked_tables_are_combined_once(dc, capsys):
    t = pa.concat_tables([pa.table({"x": [1, 2]}), pa.table({"x": [3]})])
    out = dc.from_arrow(t, verbose=True).compute()
    assert out["x"].tolist() == [1, 2, 3]
    assert "combining 2 Arrow chunks" in capsys.readouterr().out


def test_arrays_become_matrices(dc):
    col = pa.array(np.arange(4.0))
    M = dc.from_arrow(col)
    assert M._args[0].ctypes.data == address(col) and M.compute().shape == (4, 1)
    rows = pa.FixedSizeListArray.from_arrays(pa.array(np.arange(6, dtype=np.int32)), 3)
    np.testing.assert_array_equal(dc.from_arrow(rows).compute(),
                                  np.arange(6, dtype=np.int32).reshape(2, 3), strict=True)
    with pytest.raises(TypeError, match="with nulls is no matrix"):
        dc.from_arrow(pa.array([1, None]))


def test_matrix_arrow_array_views_the_result():
    dc = DaphneContext()
    M = dc.from_numpy(np.arange(6, dtype=np.int64).reshape(3, 2)) * 2
    arr = pa.array(M)
    assert arr.type == pa.list_(pa.int64(), 2)
    assert arr.to_pylist() == [[0, 2], [4, 6], [8, 10]]
    col = pa.array(dc.from_numpy(np.array([1.5, 2.5])) + 1)
    assert col.type == pa.float64() and col.to_pylist() == [2.5, 3.5]
    h = dc.from_numpy(np.array([1, 2], np.int16)).compute(asArrow=True)
    assert h.type == pa.int16()  # widened on the way in, narrow again on the way out


def test_consumers_outlive_node_and_context():
    dc = DaphneContext()
    F = dc.from_pandas(pd.DataFrame({"x": np.arange(1000.0)})).cbind(
        dc.from_pandas(pd.DataFrame({"y": np.arange(1000)})))
    table = pa.table(F)
    pl = pytest.importorskip("polars")
    frame = pl.DataFrame(F)
    M = dc.from_numpy(np.arange(10.0).reshape(5, 2)) + 1
    arr = pa.array(M)
    del F, M, dc
    gc.collect()
    np.ones(10**6)  # reuse freed memory, if it were freed
    assert table.column("x").to_pylist() == list(np.arange(1000.0))
    assert frame["y"].to_list() == list(range(1000))
    assert arr.flatten().to_pylist() == list(np.arange(10.0) + 1)


def test_polars_in_and_out(dc):
    pl = pytest.importorskip("polars")
    df = pl.DataFrame({"a": [1, 2, 3], "s": ["x", None, "z"], "f": [0.5, 1.5, 2.5]})
    F = dc.from_polars(df)
    assert F.compute(asPolars=True).equals(df)
    assert pl.DataFrame(F).equals(df)
    with pytest.raises(TypeError, match="polars DataFrame or Series"):
        dc.from_polars(pd.DataFrame({"a": [1]}))


def test_pandas_arrow_dtype_and_duckdb_producers(dc):
    df = pd.DataFrame({"a": pd.array([1, None], dtype="int64[pyarrow]")})
    out = pa.table(dc.from_arrow(df))
    assert out.column("a").to_pylist() == [1, None]
    duckdb = pytest.importorskip("duckdb")
    rel = duckdb.sql("SELECT 1::BIGINT AS x, 'a' AS s")
    assert dc.from_arrow(rel).compute().to_dict("list") == {"x": [1], "s": ["a"]}


# -- native strings -----------------------------------------------------------------------

@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(max_size=30)), max_size=60),
       st.integers(0, 5), st.sampled_from(["string", "large_string", "string_view"]))
def test_native_string_conversion_is_exact(values, start, typ):
    from daphnelib.interop.arrow import strings_from_arrow, strings_to_arrow

    arr = pa.array(values, getattr(pa, typ)()).slice(min(start, len(values)))
    out, mask = strings_from_arrow(arr)
    assert out.dtype == STRING_DTYPE
    expected = arr.to_pylist()
    assert [None if mask is not None and m else s for s, m in
            zip(out.tolist(), mask if mask is not None else [False] * len(out),
                strict=True)] == expected
    assert strings_to_arrow(out, mask).to_pylist() == expected


def test_pandas_str_columns_convert_without_objects(dc):
    df = pd.DataFrame({"s": pd.Series(["a", None, "ü" * 20], dtype="str")})
    out = dc.from_pandas(df).compute()
    pd.testing.assert_frame_equal(out, df, **EXACT)
    assert isinstance(out["s"].array, pd.arrays.ArrowStringArray)


def test_bad_offsets_raise_instead_of_reading_out_of_bounds():
    code = textwrap.dedent("""
        import numpy as np
        from daphnelib._native.strings import strings_from_arrow
        try:
            strings_from_arrow(np.array([0, 2, 1000], np.int32), np.zeros(4, np.uint8))
        except ValueError as exc:
            print("ValueError", exc)
        try:
            strings_from_arrow(np.array([0, 1], np.int64), np.zeros(4, np.uint8),
                               np.zeros(0, np.uint8))
        except ValueError as exc:
            print("ValueError", exc)
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [
        "ValueError Arrow string offsets at row 1 point outside the data buffer",
        "ValueError the Arrow validity bitmap is shorter than the column",
    ]
