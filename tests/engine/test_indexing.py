"""Right indexing, bit-vector filtering and left indexing kernels (spec §3.5)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from daphnelib.engine.kernels import cast as ck
from daphnelib.engine.kernels import frame as fk
from daphnelib.engine.kernels import indexing
from daphnelib.engine.kernels.indexing import insert
from daphnelib.engine.registry import lookup
from daphnelib.engine.values import FrameValue
from daphnelib.engine.valuetypes import SIZE_DTYPE, STRING_DTYPE, vt_of
from support import assert_matrix


def col(*values: object, dtype: object = np.int64) -> np.ndarray:
    return np.array(values, dtype=dtype).reshape(-1, 1)


@pytest.fixture
def x() -> np.ndarray:
    a = np.arange(12, dtype=np.float64).reshape(3, 4)
    a.flags.writeable = False  # inputs from Python are read-only views
    return a


# The registered kernels: matrices go to kernels/indexing.py, frames to kernels/frame.py.
extract, filter_ = lookup("extract"), lookup("filter")


def test_kernels_are_registered() -> None:
    from daphnelib.engine.registry import KERNELS

    assert KERNELS["extract"] == {None: indexing.extract, FrameValue: fk.extract_frame}
    assert KERNELS["filter"] == {None: indexing.filter_, FrameValue: fk.filter_frame}
    assert lookup("insert") is insert


# -- extract -----------------------------------------------------------------------------------


def test_extract_ranges_and_ints_are_views(x: np.ndarray) -> None:
    out = extract(x, slice(1, 3), None)
    assert_matrix(out, x[1:3, :])
    assert np.shares_memory(out, x)
    assert_matrix(extract(x, None, slice(None, 2)), x[:, :2])
    assert_matrix(extract(x, slice(2, None), 1), x[2:, 1:2])
    assert_matrix(extract(x, slice(1, 1), None), np.empty((0, 4)))


def test_extract_single_cell_stays_a_matrix(x: np.ndarray) -> None:
    out = extract(x, 1, 2)
    assert_matrix(out, np.array([[6.0]]))


def test_extract_negative_positions_count_from_the_end(x: np.ndarray) -> None:
    assert_matrix(extract(x, -1, 0), np.array([[8.0]]))
    assert_matrix(extract(x, slice(-2, None), slice(None, -1)), x[1:, :3])
    assert_matrix(extract(x, slice(0, -3), None), np.empty((0, 4)))


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.int8, np.uint8, np.uint64, SIZE_DTYPE])
def test_extract_position_lists(x: np.ndarray, dtype: np.dtype) -> None:
    pos = col(2, 0, 2, dtype=dtype)
    out = extract(x, pos, None)
    assert_matrix(out, x[[2, 0, 2], :])
    assert not np.shares_memory(out, x)
    assert_matrix(extract(x, None, col(3, 1, dtype=dtype)), x[:, [3, 1]])


def test_extract_float_positions_truncate_toward_zero_and_negatives_wrap(x: np.ndarray
                                                                         ) -> None:
    # DAPHNE casts positions to si64: -0.5 -> 0 (the first row), -1.5 -> -1 (the last).
    assert_matrix(extract(x, col(1.9, 0.0, -0.5, -1.5, dtype=np.float64), 0),
                  col(4.0, 0.0, 0.0, 8.0, dtype=np.float64))
    assert_matrix(extract(x, col(-1, -3), col(-4, 3)), x[np.ix_([2, 0], [0, 3])])
    assert_matrix(extract(x, 2.7, np.float32(1.2)), np.array([[9.0]]))


@pytest.mark.parametrize(
    ("rows", "cols", "match"),
    [(3, None, r"row position 3 is out of bounds for the rows of a 3x4 matrix \(valid: 0..2 "
               r"or -3..-1\)"),
     (-4, None, "row position -4"),
     (None, 4, "column position 4 is out of bounds for the columns of a 3x4"),
     (slice(0, 4), None, "row range 0:4 is out of bounds"),
     (slice(-5, None), None, "row range -5:None"),
     (slice(2, 1), None, "ends before it starts"),
     (col(0, 3), None, "row position 3 is out"),
     (col(2**64 - 1, dtype=np.uint64), None, "row position 18446744073709551615"),
     (col(np.nan, dtype=np.float64), None, "row position nan"),
     (None, col(-5), "column position -5")],
)
def test_extract_out_of_bounds(x: np.ndarray, rows: object, cols: object, match: str) -> None:
    with pytest.raises(IndexError, match=match):
        extract(x, rows, cols)


def test_extract_float_range_bounds_truncate_toward_zero(x: np.ndarray) -> None:
    assert_matrix(extract(x, slice(-0.5, None), None), x)  # trunc(-0.5) = 0: from the first
    assert_matrix(extract(x, slice(-3, -1.3), None), x[0:2, :])  # trunc(-1.3) = -1
    assert_matrix(extract(x, slice(0.9, np.float32(2.5)), slice(np.float64(-1.5), None)),
                  x[0:2, 3:])
    with pytest.raises(IndexError, match="row range bound nan is not a number"):
        extract(x, slice(float("nan"), None), None)
    with pytest.raises(IndexError, match="column position inf is not a number"):
        extract(x, None, float("inf"))
    with pytest.raises(TypeError, match="a row range bound must be a number, got str"):
        extract(x, slice("1", None), None)


def test_extract_bad_specs(x: np.ndarray) -> None:
    with pytest.raises(ValueError, match="n x 1"):
        extract(x, np.array([[0, 1]]), None)
    with pytest.raises(TypeError, match="bit-vector"):
        extract(x, col(True, False, dtype=np.bool_), None)
    with pytest.raises(TypeError, match="unsupported row index"):
        extract(x, "a", None)
    with pytest.raises(ValueError, match="no step"):
        extract(x, slice(0, 3, 2), None)


@given(
    shape=st.tuples(st.integers(0, 6), st.integers(1, 6)),
    lo=st.integers(-7, 7) | st.none(), hi=st.integers(-7, 7) | st.none(),
)
def test_extract_ranges_match_numpy_or_raise(shape: tuple, lo: int | None, hi: int | None) -> None:
    a = np.arange(shape[0] * shape[1]).reshape(shape)
    n = shape[0]
    norm = [d if b is None else (b + n if b < 0 else b) for b, d in ((lo, 0), (hi, n))]
    if all(0 <= b <= n for b in norm) and norm[0] <= norm[1]:
        assert_matrix(extract(a, slice(lo, hi), None), a[norm[0] : norm[1], :])
    else:
        with pytest.raises(IndexError, match="row range"):
            extract(a, slice(lo, hi), None)


# -- filter ------------------------------------------------------------------------------------


def test_filter_with_bit_vectors(x: np.ndarray) -> None:
    assert_matrix(filter_(x, col(1, 0, 1), None), x[[0, 2], :])
    assert_matrix(filter_(x, None, np.array([[0.0, 1.0, 1.0, 0.0]])), x[:, [1, 2]])
    assert_matrix(filter_(x, col(0, 1, 0, dtype=np.bool_), col(1, 0, 0, 1, dtype=np.uint8)),
                  x[np.ix_([1], [0, 3])])
    assert filter_(x, col(0, 0, 0), None).shape == (0, 4)


def test_filter_errors(x: np.ndarray) -> None:
    with pytest.raises(ValueError, match="must have 3 cells"):
        filter_(x, col(1, 0), None)
    with pytest.raises(ValueError, match="only 0 and 1"):
        filter_(x, col(1, 2, 0), None)


# -- frames: the same position rules, through the frame kernels -------------------------------

_bound = st.integers(-5, 5) | st.none()
_SPECS = (st.none() | st.integers(-5, 5) | st.floats(-5, 5) | st.builds(slice, _bound, _bound)
          | st.lists(st.integers(-5, 5) | st.floats(-5, 5), max_size=6).map(
              lambda ps: np.array(ps, dtype=np.float64).reshape(-1, 1)))
_BITS = st.none() | st.lists(st.integers(0, 2), max_size=5).map(lambda b: col(*b))


def _outcome(fn: object, x: np.ndarray, frame: bool, rows: object, cols: object) -> object:
    """``fn`` on ``x`` or on a frame of its columns: the result as a matrix of x's value type,
    or the error's type and message (a frame's says "frame" where a matrix's says "matrix")."""
    # Labels c<j>, so the col_<i> names of repeated columns cannot clash with them.
    arg = FrameValue(list(x.T), [f"c{j}" for j in range(x.shape[1])], nrow=len(x)) if frame else x
    try:
        out = fn(arg, rows, cols)
    except (IndexError, ValueError, TypeError) as exc:
        return type(exc), str(exc).replace("frame", "matrix")
    return ck.frame_to_matrix(out, vt_of(x)) if frame else out


@pytest.mark.parametrize(("fn", "specs"), [(extract, _SPECS), (filter_, _BITS)])
@given(shape=st.tuples(st.integers(0, 4), st.integers(0, 4)), data=st.data())
def test_frames_select_like_matrices(fn: object, specs: st.SearchStrategy, shape: tuple,
                                     data: st.DataObject) -> None:
    x = np.arange(shape[0] * shape[1], dtype=np.int32).reshape(shape)
    rows, cols = data.draw(specs, "rows"), data.draw(specs, "cols")
    expected = _outcome(fn, x, False, rows, cols)
    actual = _outcome(fn, x, True, rows, cols)
    if isinstance(expected, np.ndarray):
        assert_matrix(actual, expected)
    else:
        assert actual == expected


def test_frame_positions_follow_the_matrix_rules() -> None:
    """Float positions truncated, NaN refused, n x 1 only: what frames did differently before."""
    f = ck.matrix_to_frame(np.arange(6, dtype=np.int64).reshape(3, 2))
    assert fk.extract_frame(f, 1.7, -1.5).columns[0].tolist() == [3]
    assert fk.extract_frame(f, 1.7, -0.5).columns[0].tolist() == [2]
    with pytest.raises(IndexError, match=r"row position nan is out of bounds for the rows of a "
                                         r"3x2 frame \(valid: 0..2 or -3..-1\)"):
        fk.extract_frame(f, col(0, np.nan, dtype=np.float64), None)
    with pytest.raises(ValueError, match="row positions must be an n x 1 matrix"):
        fk.extract_frame(f, np.array([[0, 1]]), None)
    with pytest.raises(TypeError, match="row positions must be numbers, got a bool matrix"):
        fk.extract_frame(f, col(True, False, True, dtype=np.bool_), None)
    assert fk.extract_frame(f, None, col(1, 0, 1)).labels == ["col_1", "col_0", "col_2"]
    with pytest.raises(ValueError, match=r"right indexing \(repeated columns are renamed "
                                         r"col_<i>\): .* duplicated labels \['col_1'\]"):
        fk.extract_frame(f, None, col(1, 1))  # the renamed copy clashes with col_1 itself


# -- frames go to the frame kernels ------------------------------------------------------------


def test_frames_are_dispatched_to_the_frame_kernels() -> None:
    f = FrameValue([np.arange(3), np.arange(3.0)], ["a", "b"])
    out = extract(f, slice(0, 2), "a")
    assert isinstance(out, FrameValue) and out.labels == ["a"]
    assert out.columns[0].tolist() == [0, 1]
    assert filter_(f, col(1, 0, 1), None).columns[1].tolist() == [0.0, 2.0]
    with pytest.raises(TypeError, match="must be a matrix, got FrameValue"):
        indexing.extract(f, 0, 0)  # the matrix kernel itself takes matrices only
    with pytest.raises(TypeError, match="matrices only"):
        insert(f, 0, 0, np.ones((1, 1)))


# -- insert (left indexing) --------------------------------------------------------------------


def test_insert_returns_a_new_array_and_leaves_the_input(x: np.ndarray) -> None:
    before = x.copy()
    out = insert(x, 1, slice(1, 3), np.array([[-1.0, -2.0]]))
    expected = before.copy()
    expected[1, 1:3] = [-1, -2]
    assert_matrix(out, expected)
    assert not np.shares_memory(out, x)
    assert out.flags.writeable and out.flags.c_contiguous
    np.testing.assert_array_equal(x, before)


def test_insert_ranges_negative_and_all(x: np.ndarray) -> None:
    out = insert(x, slice(-2, None), None, np.zeros((2, 4)))
    assert_matrix(out[1:], np.zeros((2, 4)))
    assert_matrix(out[:1], x[:1])
    out = insert(x, -1, -1, np.array([[99.0]]))
    assert out[2, 3] == 99.0 and out[0, 0] == 0.0


def test_insert_size_and_ui64_are_the_same_type() -> None:
    pos = col(1, 2, dtype=SIZE_DTYPE)
    out = insert(pos, 0, 0, np.array([[7]], dtype=np.uint64))
    assert vt_of(out) == "size"
    np.testing.assert_array_equal(out[:, 0], [7, 2])


def test_insert_strings() -> None:
    s = col("a", "b", dtype=STRING_DTYPE)
    assert insert(s, 1, 0, col("z", dtype=STRING_DTYPE)).tolist() == [["a"], ["z"]]


@pytest.mark.parametrize(
    ("rows", "cols", "value", "exc", "match"),
    [(1, 1, np.array([[1, 2]], dtype=np.float64), ValueError,
      "1x2 value does not fit the 1x1 target region of a 3x4 matrix"),
     (slice(0, 2), 0, np.ones((1, 1)), ValueError, "1x1 value does not fit the 2x1"),
     (1, 1, np.array([[1]], dtype=np.int64), TypeError,
      "matrix is f64, the assigned value is si64"),
     (1, 1, np.array([[1]], dtype=np.float32), TypeError, "value is f32"),
     (col(0, 1), 0, np.ones((2, 1)), TypeError, "ints and ranges only"),
     (1, 1, 5.0, TypeError, "assigns a matrix"),
     (3, 0, np.ones((1, 1)), IndexError, "row position 3")],
)
def test_insert_errors(
    x: np.ndarray, rows: object, cols: object, value: object, exc: type, match: str
) -> None:
    with pytest.raises(exc, match=match):
        insert(x, rows, cols, value)
