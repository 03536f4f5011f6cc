"""Aggregation kernels (daphnelib.engine.kernels.aggregate): DAPHNE axes, types, NaN rules.

DAPHNE axis 0 aggregates each row (numpy axis 1), axis 1 each column (numpy axis 0).
Inputs are read-only, so a kernel writing into its input would fail.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from daphnelib._native.buffers import aligned_allocation
from daphnelib.engine.registry import lookup
from daphnelib.engine.valuetypes import SIZE_DTYPE, STRING_DTYPE, SizeScalar, vt_of

S = STRING_DTYPE
NUMERIC = [np.int8, np.int32, np.int64, np.uint8, np.uint32, np.uint64, np.float32, np.float64]
NP_AXIS = {None: None, 0: 1, 1: 0}


@pytest.fixture(autouse=True)
def _engine_context() -> Iterator[None]:
    with aligned_allocation(), np.errstate(all="ignore"):
        yield


def agg(op: str, *args: object) -> object:
    return lookup(op)(*args)


def ro(values: object, dtype: object = None) -> np.ndarray:
    a = np.array(values, dtype=dtype)
    a.flags.writeable = False
    return a


def assert_same(actual: object, expected: object) -> None:
    """Same type (matrix dtype incl. size metadata, or scalar type) and values."""
    if isinstance(expected, np.ndarray):
        assert isinstance(actual, np.ndarray)
        assert actual.dtype == expected.dtype and vt_of(actual) == vt_of(expected)
        np.testing.assert_array_equal(actual, expected)
    else:
        assert type(actual) is type(expected)
        np.testing.assert_array_equal(actual, expected)


def float_type(dtype: type) -> type:
    return np.float32 if dtype is np.float32 else np.float64


matrices = st.sampled_from(NUMERIC).flatmap(
    lambda dt: hnp.arrays(dt, st.tuples(st.integers(1, 5), st.integers(1, 5))))


# --- sum, mean, var, stddev --------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(x=matrices, axis=st.sampled_from([None, 0, 1]))
def test_sum_keeps_the_value_type_and_agrees_with_numpy(x: np.ndarray, axis: int | None) -> None:
    x.flags.writeable = False
    ax = NP_AXIS[axis]
    expected = np.add.reduce(x, axis=ax, dtype=x.dtype, keepdims=ax is not None)
    args = (x,) if axis is None else (x, axis)
    assert_same(agg("sum", *args), expected)


@settings(max_examples=150, deadline=None)
@given(x=matrices, axis=st.sampled_from([None, 0, 1]))
def test_mean_var_stddev_equal_numpys_bit_for_bit(x: np.ndarray, axis: int | None) -> None:
    x.flags.writeable = False
    ax, ft = NP_AXIS[axis], float_type(x.dtype.type)
    kw = {"axis": ax, "dtype": ft, "keepdims": ax is not None}
    args = (x,) if axis is None else (x, axis)
    assert_same(agg("mean", *args), np.mean(x, **kw))
    assert_same(agg("var", *args), np.var(x, **kw))
    assert_same(agg("stddev", *args), np.std(x, **kw))


def test_axis_shapes_follow_daphne() -> None:
    x = ro(np.arange(6, dtype=np.int64).reshape(2, 3))
    assert_same(agg("sum", x), np.int64(15))
    assert_same(agg("sum", x, 0), ro([[3], [12]], np.int64))
    assert_same(agg("sum", x, 1), ro([[3, 5, 7]], np.int64))
    assert_same(agg("mean", x, 0), ro([[1.0], [4.0]]))
    assert_same(agg("var", x, 1), ro([[2.25, 2.25, 2.25]]))  # population variance
    assert_same(agg("stddev", x), np.float64(np.sqrt(35 / 12)))


def test_small_int_sums_wrap_and_bool_sums_are_any() -> None:
    assert_same(agg("sum", ro([[100, 100]], np.int8)), np.int8(-56))
    assert_same(agg("sum", ro([[True, True], [False, False]])), np.True_)
    assert_same(agg("sum", ro([[True, True], [False, False]]), 0), ro([[True], [False]]))
    assert_same(agg("mean", ro([[True, False]])), np.float64(0.5))
    size = ro([[1, 2], [3, 4]], np.uint64).view(SIZE_DTYPE)
    total = agg("sum", size)
    assert type(total) is SizeScalar and total == 10
    assert agg("sum", size, 1).dtype.metadata == {"vt": "size"}


def test_float32_stays_float32() -> None:
    x = ro([[1.5, 2.5]], np.float32)
    for op in ("sum", "mean", "var", "stddev"):
        assert type(agg(op, x)) is np.float32
        assert agg(op, x, 0).dtype == np.float32


def test_empty_matrices() -> None:
    empty = ro(np.empty((0, 3)))
    assert_same(agg("sum", empty), np.float64(0))
    assert_same(agg("sum", empty, 1), ro([[0.0, 0.0, 0.0]]))
    assert_same(agg("sum", empty, 0), np.empty((0, 1)))
    assert np.isnan(agg("mean", empty)) and np.isnan(agg("var", empty))
    assert_same(agg("mean", empty, 1), ro([[np.nan] * 3]))


# --- aggMin, aggMax ------------------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(x=matrices, axis=st.sampled_from([None, 0, 1]))
def test_min_max_without_nan_agree_with_numpy(x: np.ndarray, axis: int | None) -> None:
    x = np.nan_to_num(x) if x.dtype.kind == "f" else x
    x.flags.writeable = False
    ax = NP_AXIS[axis]
    args = (x,) if axis is None else (x, axis)
    assert_same(agg("aggMin", *args), np.min(x, axis=ax, keepdims=ax is not None))
    assert_same(agg("aggMax", *args), np.max(x, axis=ax, keepdims=ax is not None))


def test_min_max_nan_rules_follow_daphnes_folds() -> None:
    x = ro([[np.nan, 1.0, 2.0],
            [3.0, np.nan, 0.5]])
    # full aggregate: folded from +-inf, so NaNs are skipped
    assert_same(agg("aggMin", x), np.float64(0.5))
    assert_same(agg("aggMax", x), np.float64(3.0))
    assert_same(agg("aggMin", ro([[np.nan, np.nan]])), np.float64(np.inf))
    # per row / column: folded from the first element, which wins when it is NaN
    assert_same(agg("aggMin", x, 0), ro([[np.nan], [0.5]]))
    assert_same(agg("aggMax", x, 1), ro([[np.nan, 1.0, 2.0]]))


def test_min_max_of_strings_and_empties() -> None:
    s = ro([["pear", "apple"], ["fig", "kiwi"]], S)
    assert agg("aggMin", s) == "apple" and agg("aggMax", s) == "pear"
    assert_same(agg("aggMin", s, 0), ro([["apple"], ["fig"]], S))
    with pytest.raises(ValueError, match="aggMin of an empty 0x3 matrix is undefined"):
        agg("aggMin", np.empty((0, 3)))
    with pytest.raises(ValueError, match="aggMax of an empty 2x0 matrix is undefined"):
        agg("aggMax", np.empty((2, 0)), 0)
    assert_same(agg("aggMax", ro(np.empty((2, 0))), 1), np.empty((1, 0)))


# --- idxMin, idxMax ------------------------------------------------------------------------


def test_positions_are_size_typed_first_occurrence() -> None:
    x = ro([[3, 1, 1], [0, 5, 5]], np.int32)
    assert_same(agg("idxMin", x, 0), ro([[1], [0]], np.uint64).view(SIZE_DTYPE))
    assert_same(agg("idxMax", x, 0), ro([[0], [1]], np.uint64).view(SIZE_DTYPE))
    assert_same(agg("idxMax", x, 1), ro([[0, 1, 1]], np.uint64).view(SIZE_DTYPE))


def test_positions_skip_nan_unless_it_comes_first() -> None:
    x = ro([[np.nan, 1.0, 2.0],
            [3.0, np.nan, 0.5],
            [7.0, 8.0, np.nan]])
    assert_same(agg("idxMin", x, 0), ro([[0], [2], [0]], np.uint64).view(SIZE_DTYPE))
    assert_same(agg("idxMax", x, 0), ro([[0], [0], [1]], np.uint64).view(SIZE_DTYPE))
    assert_same(agg("idxMin", x, 1), ro([[0, 0, 1]], np.uint64).view(SIZE_DTYPE))


@settings(max_examples=100, deadline=None)
@given(hnp.arrays(np.float64, st.tuples(st.integers(1, 4), st.integers(1, 4)),
                  elements=st.sampled_from([np.nan, -1.0, 0.0, 2.0, np.inf])))
def test_positions_match_a_sequential_scan(x: np.ndarray) -> None:
    def scan(values: np.ndarray, better: object) -> int:
        best, pos = values[0], 0
        for i, v in enumerate(values[1:], 1):
            if better(v, best):
                best, pos = v, i
        return pos

    for op, better in (("idxMin", np.less), ("idxMax", np.greater)):
        rows = [[scan(r, better)] for r in x]
        cols = [[scan(c, better) for c in x.T]]
        assert agg(op, x, 0).tolist() == rows
        assert agg(op, x, 1).tolist() == cols


def test_positions_need_an_axis() -> None:
    with pytest.raises(ValueError, match="idxMax: axis must be 0"):
        agg("idxMax", np.ones((2, 2)))
    with pytest.raises(ValueError, match="idxMin of an empty 2x0 matrix"):
        agg("idxMin", np.empty((2, 0)), 0)


# --- running aggregates --------------------------------------------------------------------


@settings(max_examples=100, deadline=None)
@given(x=matrices)
def test_running_aggregates_keep_shape_and_type(x: np.ndarray) -> None:
    x = np.nan_to_num(x) if x.dtype.kind == "f" else x
    x.flags.writeable = False
    assert_same(agg("cumSum", x), np.add.accumulate(x, axis=0, dtype=x.dtype))
    assert_same(agg("cumProd", x), np.multiply.accumulate(x, axis=0, dtype=x.dtype))
    assert_same(agg("cumMin", x), np.minimum.accumulate(x, axis=0))
    assert_same(agg("cumMax", x), np.maximum.accumulate(x, axis=0))


def test_running_aggregates_values_and_nan() -> None:
    x = ro([[1, -2], [3, 4], [-5, 6]], np.int8)
    assert_same(agg("cumSum", x), ro([[1, -2], [4, 2], [-1, 8]], np.int8))
    assert_same(agg("cumProd", x), ro([[1, -2], [3, -8], [-15, -48]], np.int8))
    f = ro([[np.nan, 2.0], [1.0, np.nan], [0.0, 1.0]])
    # a NaN in the first row sticks; later NaNs are skipped (std::min(prev, x))
    assert_same(agg("cumMin", f), ro([[np.nan, 2.0], [np.nan, 2.0], [np.nan, 1.0]]))
    assert_same(agg("cumMax", f), ro([[np.nan, 2.0], [np.nan, 2.0], [np.nan, 2.0]]))
    assert_same(agg("cumSum", f), np.add.accumulate(f, axis=0))
    assert_same(agg("cumMax", ro([["b"], ["a"], ["c"]], S)), ro([["b"], ["b"], ["c"]], S))
    assert_same(agg("cumSum", ro(np.empty((0, 2)))), np.empty((0, 2)))
    assert_same(agg("cumMin", ro(np.empty((0, 2)))), np.empty((0, 2)))


# --- argument checks -----------------------------------------------------------------------


@pytest.mark.parametrize("op", ["sum", "mean", "var", "stddev", "aggMin", "aggMax"])
def test_bad_axes_and_arguments(op: str) -> None:
    with pytest.raises(ValueError, match=f"{op}: axis must be 0 .per row. or 1 .per column."):
        agg(op, np.ones((2, 2)), 2)
    with pytest.raises(ValueError):
        agg(op, np.ones((2, 2)), True)
    with pytest.raises(ValueError, match=f"grouped aggregation {op}.*needs numGroups"):
        agg(op, np.ones((2, 2)), np.zeros((2, 1)))
    with pytest.raises(TypeError, match=f"{op} needs a matrix"):
        agg(op, 3.0)


@pytest.mark.parametrize("op", ["sum", "mean", "var", "stddev", "cumSum", "cumProd"])
def test_numeric_aggregates_reject_strings(op: str) -> None:
    with pytest.raises(TypeError, match=f"{op} is not defined for string matrices"):
        agg(op, ro([["a"]], S))


# --- grouped aggregation: agg(X, groupIds, numGroups), count ----------------------------------


@st.composite
def grouped_inputs(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, int]:
    """A matrix, an n x 1 group-id column (si64, f64 or size typed) and numGroups."""
    dtype = draw(st.sampled_from(NUMERIC))
    n, m, k = draw(st.integers(0, 8)), draw(st.integers(0, 3)), draw(st.integers(1, 4))
    # Small integral values (NaN has its own test): every sum is then exact in any summation
    # order, also in floating point, and so is every mean.
    low = 0 if np.dtype(dtype).kind == "u" else -100
    x = draw(hnp.arrays(np.int64, (n, m), elements=st.integers(low, 100))).astype(dtype)
    ids = np.array(draw(st.lists(st.integers(0, k - 1), min_size=n, max_size=n)), np.int64)
    ids_dtype = draw(st.sampled_from([np.int64, np.float64, SIZE_DTYPE]))
    x.flags.writeable = False
    return x, ro(ids.reshape(n, 1).astype(ids_dtype)), k


def per_group(x: np.ndarray, ids: np.ndarray, k: int, fn: object, dtype: object,
              empty: float = 0) -> np.ndarray:
    """The reference: fn over the rows of each group, one group at a time (``empty`` for a
    group without rows)."""
    out = np.full((k, x.shape[1]), empty, dtype)
    for g in range(k):
        rows = x[ids[:, 0] == g]
        if len(rows):
            out[g] = fn(rows)  # type: ignore[operator]
    return out


@settings(max_examples=150, deadline=None)
@given(data=grouped_inputs())
def test_grouped_aggregates_equal_a_per_group_reference(
        data: tuple[np.ndarray, np.ndarray, int]) -> None:
    x, ids, k = data
    ft = float_type(x.dtype.type)

    def mean(rows: np.ndarray) -> np.ndarray:
        return np.add.reduce(rows, axis=0, dtype=ft) / ft(len(rows))

    def var(rows: np.ndarray) -> np.ndarray:
        dev = rows.astype(ft) - mean(rows)
        return np.add.reduce(dev * dev, axis=0, dtype=ft) / ft(len(rows))

    def sum_(rows: np.ndarray) -> np.ndarray:
        return np.add.reduce(rows, axis=0, dtype=x.dtype)

    assert_same(agg("sum", x, ids, k), per_group(x, ids, k, sum_, x.dtype))
    assert_same(agg("mean", x, ids, k), per_group(x, ids, k, mean, ft, np.nan))
    # The squared deviations are inexact, so their sum depends on the summation order.
    rtol = 1e-5 if ft is np.float32 else 1e-12
    for op, expected in (("var", per_group(x, ids, k, var, ft, np.nan)),
                         ("stddev", np.sqrt(per_group(x, ids, k, var, ft, np.nan)))):
        actual = agg(op, x, ids, k)
        assert isinstance(actual, np.ndarray) and actual.dtype == ft
        np.testing.assert_allclose(actual, expected, rtol=rtol, atol=1e-3 if ft is np.float32
                                   else 1e-9)
    sizes = np.bincount(ids[:, 0].astype(np.int64), minlength=k)
    assert_same(agg("count", x, ids, k),
                np.broadcast_to(sizes.reshape(-1, 1), (k, x.shape[1])).astype(np.int64))
    if sizes.all():
        assert_same(agg("aggMin", x, ids, k), per_group(x, ids, k, lambda r: r.min(0), x.dtype))
        assert_same(agg("aggMax", x, ids, k), per_group(x, ids, k, lambda r: r.max(0), x.dtype))


def test_grouped_values_shapes_and_types() -> None:
    x = ro([[1, 10], [2, 20], [3, 30], [4, 40]], np.int8)
    ids = ro([[1], [0], [1], [0]])
    assert_same(agg("sum", x, ids, 3), ro([[6, 60], [4, 40], [0, 0]], np.int8))
    assert_same(agg("aggMin", x, ids, 2), ro([[2, 20], [1, 10]], np.int8))
    assert_same(agg("aggMax", x, ids, 2), ro([[4, 40], [3, 30]], np.int8))
    assert_same(agg("mean", x, ids, 3), ro([[3.0, 30.0], [2.0, 20.0], [np.nan, np.nan]]))
    assert_same(agg("var", x, ids, 2), ro([[1.0, 100.0], [1.0, 100.0]]))
    assert_same(agg("stddev", x, ids, 2), ro([[1.0, 10.0], [1.0, 10.0]]))
    assert_same(agg("count", x, ids, 3), ro([[2, 2], [2, 2], [0, 0]], np.int64))
    assert_same(agg("sum", ro([[100], [100]], np.int8), ro([[0], [0]]), 1), ro([[-56]], np.int8))
    assert_same(agg("mean", ro([[1.5], [2.5]], np.float32), ro([[0], [0]]), 1),
                ro([[2.0]], np.float32))
    size = ro([[1], [2]], np.uint64).view(SIZE_DTYPE)
    assert vt_of(agg("sum", size, ro([[0], [0]]), 1)) == "size"
    assert vt_of(agg("aggMax", size, ro([[0], [0]]), SizeScalar(1))) == "size"
    assert_same(agg("sum", ro(np.empty((0, 2))), ro(np.empty((0, 1), np.int64)), 2),
                ro(np.zeros((2, 2))))
    assert_same(agg("count", ro([["a"], ["b"]], S), ro([[1], [1]]), 2), ro([[0], [2]], np.int64))


def test_grouped_min_max_nan_rule_and_strings() -> None:
    f = ro([[np.nan, 1.0], [2.0, np.nan], [3.0, 0.5], [np.nan, np.nan]])
    ids = ro([[0], [0], [1], [1]])
    # As per row: a NaN in a group's first row wins, later NaNs are skipped.
    assert_same(agg("aggMin", f, ids, 2), ro([[np.nan, 1.0], [3.0, 0.5]]))
    assert_same(agg("aggMax", f, ids, 2), ro([[np.nan, 1.0], [3.0, 0.5]]))
    s = ro([["pear", "b"], ["apple", "c"], ["fig", "a"]], S)
    g = ro([[1], [0], [1]])
    assert_same(agg("aggMin", s, g, 2), ro([["apple", "c"], ["fig", "a"]], S))
    assert_same(agg("aggMax", s, g, 2), ro([["apple", "c"], ["pear", "b"]], S))


@pytest.mark.parametrize("op", ["sum", "mean", "var", "stddev", "aggMin", "aggMax", "count"])
def test_grouped_argument_checks(op: str) -> None:
    x = ro([[1.0], [2.0], [3.0]])
    with pytest.raises(ValueError, match=rf"{op}: groupIds must be an 3x1 column.*got a 1x3"):
        agg(op, x, ro([[0, 0, 0]]), 1)
    with pytest.raises(ValueError, match=rf"{op}: groupIds must be an 3x1 column.*got int"):
        agg(op, x, 0, 1)
    with pytest.raises(ValueError, match=rf"{op}: group id 2 at \(1,\) must be an integer in "
                                         r"\[0, 2\)"):
        agg(op, x, ro([[0], [2], [1]]), 2)
    with pytest.raises(ValueError, match=rf"{op}: group id 0.5 .* must be an integer"):
        agg(op, x, ro([[0.0], [0.5], [1.0]]), 2)
    with pytest.raises(ValueError, match=rf"{op}: group id -1 "):
        agg(op, x, ro([[0], [-1], [1]]), 2)
    with pytest.raises(ValueError, match=rf"{op}: numGroups must be a non-negative integer"):
        agg(op, x, ro([[0], [0], [0]]), -1)
    with pytest.raises(TypeError, match=rf"{op}: groupIds must be numeric"):
        agg(op, x, ro([["a"], ["b"], ["c"]], S), 2)


@pytest.mark.parametrize("op", ["aggMin", "aggMax"])
def test_grouped_min_max_of_an_empty_group_is_an_error(op: str) -> None:
    with pytest.raises(ValueError, match=f"{op}: group 1 of 3 has no rows"):
        agg(op, ro([[1.0], [2.0]]), ro([[0], [2]]), 3)


def test_grouped_numeric_aggregates_reject_strings() -> None:
    with pytest.raises(TypeError, match="sum is not defined for string matrices"):
        agg("sum", ro([["a"]], S), ro([[0]]), 1)
