"""The Frame API (DaphneLib §1.5) through DaphneContext, with DAPHNE's rules and print format."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
import pytest

from daphnelib.engine.kernels import cast as ck
from daphnelib.engine.kernels import frame as fk
from daphnelib.engine.values import FrameValue
from support import EXACT

pytestmark = pytest.mark.usefixtures("pandas_copy_on_write")


@pytest.fixture
def ab(dc):
    return dc.from_pandas(pd.DataFrame({"a": [3, 1, 2], "b": [1.5, -2.0, 3.25]}))


def printed(node: Any, capsys: Any) -> list[str]:
    node.print().compute()
    return capsys.readouterr().out.splitlines()


def test_print_format(ab, capsys):
    assert printed(ab, capsys) == ["Frame(3x2, [a:int64_t, b:double])", "3 1.5", "1 -2",
                                   "2 3.25"]


def test_create_frame_labels_and_print(dc, capsys):
    cols = [dc.fill(123, 3, 1), dc.seq(100.5, 120.5, 10.0), dc.seq(-2, 2, 2)]
    assert printed(dc.createFrame(cols), capsys) == [
        "Frame(3x3, [col_0:int64_t, col_1:double, col_2:int64_t])",
        "123 100.5 -2", "123 110.5 0", "123 120.5 2"]
    out = dc.createFrame(cols[:2], ["x", "y z"]).compute()
    pd.testing.assert_frame_equal(out, pd.DataFrame({"x": [123] * 3, "y z": [100.5, 110.5, 120.5]}),
                                  **EXACT)


def test_create_frame_columns_view_their_matrices(dc):
    data = np.arange(4.0)
    value = dc.createFrame([dc.from_numpy(data)], ["v"])._evaluate()
    assert np.shares_memory(value.columns[0], data)


def test_create_frame_errors(dc):
    with pytest.raises(ValueError, match="2 columns but 1 labels"):
        dc.createFrame([dc.fill(1, 2, 1), dc.fill(2, 2, 1)], ["a"])
    with pytest.raises(ValueError, match="must be unique"):
        dc.createFrame([dc.fill(1, 2, 1), dc.fill(2, 2, 1)], ["a", "a"])
    with pytest.raises(ValueError, match="column 1 has shape"):
        dc.createFrame([dc.fill(1, 2, 1), dc.fill(2, 3, 1)]).compute()
    with pytest.raises(ValueError, match=r"column 0 has shape \(2, 2\)"):
        dc.createFrame([dc.fill(1, 2, 2)]).compute()


def test_metadata(ab):
    for node, value in ((ab.nrow(), 3), (ab.ncol(), 2), (ab.ncell(), 6)):
        out = node.compute()
        assert out == value and out.dtype == np.uint64


def test_cbind_and_its_rules(dc, ab):
    c = dc.from_pandas(pd.DataFrame({"c": ["x", "y", "z"]}))
    out = ab.cbind(c).compute()
    assert list(out.columns) == ["a", "b", "c"] and out["c"].tolist() == ["x", "y", "z"]
    with pytest.raises(ValueError, match=r"duplicated labels \['a', 'b'\]"):
        ab.cbind(ab).compute()
    with pytest.raises(ValueError, match="same number of rows, got 3 and 1"):
        ab.cbind(dc.from_pandas(pd.DataFrame({"z": [1]}))).compute()


def test_rbind_and_its_rules(dc, ab):
    out = ab.rbind(ab).compute()
    df = ab.compute()
    pd.testing.assert_frame_equal(out, pd.concat([df, df], ignore_index=True), **EXACT)
    other_labels = dc.from_pandas(pd.DataFrame({"a": [1], "c": [2.0]}))
    with pytest.raises(ValueError, match="column 1 is 'b' vs 'c'"):
        ab.rbind(other_labels).compute()
    other_types = dc.from_pandas(pd.DataFrame({"a": [1], "b": [2]}))
    with pytest.raises(ValueError, match="column 'b' is f64 vs si64"):
        ab.rbind(other_types).compute()
    with pytest.raises(ValueError, match="same number of columns, got 2 and 1"):
        ab.rbind(dc.from_pandas(pd.DataFrame({"a": [1]}))).compute()


def test_cartesian_is_lhs_major(dc):
    f = dc.from_pandas(pd.DataFrame({"x": [1, 2]}))
    g = dc.from_pandas(pd.DataFrame({"y": ["p", "q", "r"]}))
    out = f.cartesian(g).compute()
    assert out["x"].tolist() == [1, 1, 1, 2, 2, 2]
    assert out["y"].tolist() == ["p", "q", "r"] * 2
    with pytest.raises(ValueError, match="unique"):
        f.cartesian(f).compute()


def test_inner_join_order_and_keys(dc):
    left = pd.DataFrame({"k": [2, 1, 2, 9, np.nan], "v": [10, 20, 30, 40, 50]})
    right = pd.DataFrame({"rk": [2.0, 2.0, 1.0, np.nan], "w": ["a", "b", "c", "d"]})
    out = dc.from_pandas(left).innerJoin(dc.from_pandas(right), "k", "rk").compute()
    # lhs rows in order, each with its rhs matches in rhs order; NaN matches nothing
    assert out["v"].tolist() == [10, 10, 20, 30, 30]
    assert out["w"].tolist() == ["a", "b", "c", "a", "b"]
    assert list(out.columns) == ["k", "v", "rk", "w"]
    strs = dc.from_pandas(pd.DataFrame({"s": ["x", "y"], "n": [1, 2]}))
    other = dc.from_pandas(pd.DataFrame({"t": ["y", "y", "z"], "m": [3, 4, 5]}))
    assert strs.innerJoin(other, "s", "t").compute()["m"].tolist() == [3, 4]
    with pytest.raises(ValueError, match="unique"):
        strs.innerJoin(strs, "s", "s").compute()
    with pytest.raises(TypeError, match="cannot match key"):
        strs.innerJoin(dc.from_pandas(left), "s", "k").compute()


def test_inner_join_with_no_matches_keeps_the_schema(dc):
    a = dc.from_pandas(pd.DataFrame({"k": [1, 2], "x": [0.5, 1.5]}))
    b = dc.from_pandas(pd.DataFrame({"j": [3], "y": pd.Categorical(["u"])}))
    out = a.innerJoin(b, "k", "j").compute()
    assert out.shape == (0, 4) and out["y"].dtype == "category"
    assert list(out.dtypes.astype(str)) == ["int64", "float64", "int64", "category"]


def test_set_col_labels(ab, capsys):
    assert printed(ab.setColLabels(["x", "y"]), capsys)[0] == "Frame(3x2, [x:int64_t, y:double])"
    with pytest.raises(ValueError, match="2 columns but 3 labels"):
        ab.setColLabels(["x", "y", "z"]).compute()
    with pytest.raises(ValueError, match="unique"):
        ab.setColLabels(["x", "x"])


def test_set_col_labels_prefix(dc, capsys):
    f = dc.from_pandas(pd.DataFrame({"a": [1], "t.b": [2], "u.v.w": [3]}))
    assert printed(f.setColLabelsPrefix("p"), capsys)[0] == \
        "Frame(1x3, [p.a:int64_t, p.b:int64_t, p.v.w:int64_t])"
    g = dc.from_pandas(pd.DataFrame({"x.a": [1], "y.a": [2]}))
    with pytest.raises(ValueError, match=r"duplicated labels \['p.a'\]"):
        g.setColLabelsPrefix("p").compute()


def test_order(dc):
    df = pd.DataFrame({"g": [2, 1, 2, 1, 3], "s": ["b", "z", "a", "z", "c"],
                       "v": [0.5, 1.5, 2.5, 3.5, 4.5]})
    f = dc.from_pandas(df)
    out = f.order([0, 1], [False, True]).compute()
    assert out["v"].tolist() == [4.5, 2.5, 0.5, 1.5, 3.5]  # stable: equal keys keep order
    idx = f.order([1], [True], True).compute()
    assert idx.dtype == np.uint64 and idx.shape == (5, 1)
    assert idx[:, 0].tolist() == [2, 0, 4, 1, 3]
    with pytest.raises(ValueError, match="one ascending flag per sort column"):
        f.order([0, 1], [True])


def test_order_puts_missing_values_last(dc):
    df = pd.DataFrame({"n": pd.array([2, None, 1, None], dtype="Int64"), "i": [0, 1, 2, 3],
                       "s": pd.array(["b", None, "a", None], dtype="string")})
    for col in (0, 2):
        for asc, expected in ((True, [2, 0, 1, 3]), (False, [0, 2, 1, 3])):
            out = dc.from_pandas(df).order([col], [asc]).compute()
            assert out["i"].tolist() == expected


def test_to_matrix(dc, ab):
    m = ab.toMatrix().compute()
    assert m.dtype == np.float64 and m.shape == (3, 2)
    np.testing.assert_array_equal(m, [[3, 1.5], [1, -2], [2, 3.25]])
    ints = ab.toMatrix("si64").compute()
    assert ints.dtype == np.int64 and ints[:, 1].tolist() == [1, -2, 3]
    nullable = dc.from_pandas(pd.DataFrame({"n": pd.array([1, None], dtype="Int32")}))
    np.testing.assert_array_equal(nullable.toMatrix("f64").compute(), [[1.0], [np.nan]])


def test_to_matrix_has_the_cast_semantics(dc):
    """Every frame -> matrix path converts like as.<vt>: no numpy garbage."""
    f = dc.from_pandas(pd.DataFrame({"x": [0.5, np.nan], "b": [True, False],
                                     "t": [1 / 3, 2.0]}))
    with pytest.raises(ValueError, match="cannot cast nan to si64"):
        f[:, ["x"]].toMatrix("si64").compute()  # numpy would give INT64_MIN
    strs = f[:, ["b", "t"]].toMatrix("str").compute()
    assert strs.tolist() == [["1", "0.333333"], ["0", "2"]]  # not "True", "0.3333333333333333"
    with pytest.raises(ValueError, match="cannot cast inf to si32"):
        dc.from_pandas(pd.DataFrame({"v": [np.inf]})).toMatrix("si32").compute()
    frame = FrameValue([np.array([np.nan]), np.array([True])], ["x", "b"])
    with pytest.raises(ValueError, match="cannot cast nan to si64"):
        ck.frame_to_matrix(frame, "si64")  # the kernel itself, not only the cast in front
    assert ck.frame_to_matrix(frame, "str").tolist() == [["nan", "1"]]


def test_to_matrix_of_missing_values(dc):
    df = pd.DataFrame({"n": pd.array([7, None, 9], dtype="Int64"),
                       "s": pd.array(["1.5", "2", None], dtype="string"),
                       "f": pd.array([None, 0.25, 1.0], dtype="Float32")})
    out = dc.from_pandas(df).toMatrix("f64").compute()
    np.testing.assert_array_equal(out, [[7, 1.5, np.nan], [np.nan, 2, 0.25], [9, np.nan, 1]])
    assert out.dtype == np.float64
    # a missing value has no integer (or bool, str) value: an error, never the buffer's garbage
    for vt in ("si64", "bool", "str"):
        with pytest.raises(ValueError, match=r"column 'n' has missing values \(the first in "
                                             r"row 1\), which only an f32 or f64 matrix"):
            dc.from_pandas(df[["n"]]).toMatrix(vt).compute()
    ints = dc.from_pandas(df.iloc[[0, 2], :1]).toMatrix("si64").compute()  # no NA left
    assert ints.dtype == np.int64 and ints[:, 0].tolist() == [7, 9]


def test_column_selection_by_label_and_position(dc, capsys):
    f = dc.from_pandas(pd.DataFrame({"a": [1, 2, 3], "b": [4.0, 5.0, 6.0], "c": ["x", "y", "z"]}))
    assert printed(f[:, "b"], capsys)[0] == "Frame(3x1, [b:double])"
    assert printed(f[:, ["c", "a"]], capsys)[0] == "Frame(3x2, [c:std::string, a:int64_t])"
    assert printed(f[1:, 1:3], capsys) == ["Frame(2x2, [b:double, c:std::string])", "5 y", "6 z"]
    assert printed(f[-1, -1], capsys) == ["Frame(1x1, [c:std::string])", "z"]
    rows = dc.from_numpy(np.array([2, 0, 2]))
    assert printed(f[rows, "a"], capsys) == ["Frame(3x1, [a:int64_t])", "3", "1", "3"]
    cols = dc.from_numpy(np.array([0, 0]))
    assert printed(f[0, cols], capsys)[0] == "Frame(1x2, [a:int64_t, col_1:int64_t])"
    with pytest.raises(KeyError, match="no column labelled 'q'"):
        f[:, "q"].compute()
    with pytest.raises(IndexError, match="row position 3 is out of bounds"):
        f[3, :].compute()


def test_selected_columns_are_views(dc):
    df = pd.DataFrame({"a": np.arange(6.0), "b": np.arange(6)})
    value = dc.from_pandas(df)[2:5, "a"]._evaluate()
    assert np.shares_memory(value.columns[0], df["a"].to_numpy())


def test_filter_kernel():
    frame = FrameValue([np.arange(4), np.array(["a", "b", "c", "d"], dtype="T")], ["x", "y"])
    out = fk.filter_frame(frame, np.array([[1], [0], [1], [1]]), np.array([[0, 1]]))
    assert out.labels == ["y"] and out.columns[0].tolist() == ["a", "c", "d"]
    with pytest.raises(ValueError, match="only 0 and 1"):
        fk.filter_frame(frame, np.array([[2], [0], [1], [1]]), None)
    with pytest.raises(ValueError, match="row bit vector has 3 entries"):
        fk.filter_frame(frame, np.array([[1], [0], [1]]), None)
    with pytest.raises(TypeError, match=r"must be a matrix, got an array of shape \(4,\)"):
        fk.filter_frame(frame, np.array([1, 0, 1, 1]), None)


def test_matrix_frame_casts_tile_one_buffer():
    m = np.arange(12.0).reshape(4, 3)
    frame = ck.matrix_to_frame(m)
    assert frame.labels == ["col_0", "col_1", "col_2"]
    base = frame.columns[0].base
    assert all(c.base is base for c in frame.columns)
    assert all(c.dtype == np.float64 and c.flags.c_contiguous for c in frame.columns)
    np.testing.assert_array_equal(ck.frame_to_matrix(frame, "f64"), m)
    column = ck.matrix_to_frame(m[:, :1].copy())
    assert column.labels == ["col_0"] and column.columns[0].base is not None


def test_write_and_read_frame_with_meta(dc, tmp_path):
    df = pd.DataFrame({"i": [1, -2], "f": [0.1, np.nan], "s": ["x,y", 'q"']})
    path = str(tmp_path / "f.csv")
    dc.from_pandas(df).write(path).compute()
    meta = json.loads((tmp_path / "f.csv.meta").read_text())
    assert meta == {"numRows": 2, "numCols": 3, "schema": [
        {"label": "i", "valueType": "si64"}, {"label": "f", "valueType": "f64"},
        {"label": "s", "valueType": "str"}]}
    out = dc.readFrame(path).compute()
    pd.testing.assert_frame_equal(out, df, **EXACT)
