"""Preprocessing kernels (daphnelib.engine.kernels.preprocess): ``recode``."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from daphnelib.engine.kernels import preprocess
from daphnelib.engine.registry import lookup
from daphnelib.engine.valuetypes import SIZE_DTYPE, STRING_DTYPE, vt_of

S = STRING_DTYPE


def col(values: list, dtype: object = None) -> np.ndarray:
    a = np.array(values, dtype=dtype).reshape(-1, 1)
    a.flags.writeable = False  # inputs from Python are read-only views
    return a


def assert_matrix(actual: np.ndarray, expected: np.ndarray) -> None:
    assert actual.dtype == expected.dtype and vt_of(actual) == vt_of(expected)
    assert actual.shape == expected.shape
    np.testing.assert_array_equal(actual, expected)


def test_recode_is_registered() -> None:
    assert lookup("recode") is preprocess.recode


def test_recode_in_first_seen_order() -> None:
    codes, dictionary = lookup("recode")(col(["b", "a", "b", "c", "a"], S), False)
    assert_matrix(codes, col([0, 1, 0, 2, 1], np.int64))
    assert_matrix(dictionary, col(["b", "a", "c"], S))


def test_recode_order_preserving_sorts_the_dictionary() -> None:
    codes, dictionary = lookup("recode")(col(["b", "a", "b", "c", "a"], S), True)
    assert_matrix(codes, col([1, 0, 1, 2, 0], np.int64))
    assert_matrix(dictionary, col(["a", "b", "c"], S))
    codes, dictionary = lookup("recode")(col([30, -1, 30, 7], np.int32), 1)
    assert_matrix(codes, col([2, 0, 2, 1], np.int64))
    assert_matrix(dictionary, col([-1, 7, 30], np.int32))


def test_recode_keeps_the_value_type_and_groups_nans() -> None:
    codes, dictionary = lookup("recode")(col([3.0, np.nan, 1.0, np.nan, 3.0]), False)
    assert_matrix(codes, col([0, 1, 2, 1, 0], np.int64))
    assert_matrix(dictionary, col([3.0, np.nan, 1.0]))
    codes, dictionary = lookup("recode")(col([3.0, np.nan, 1.0]), True)
    assert_matrix(codes, col([1, 2, 0], np.int64))  # NaN sorts last
    assert_matrix(dictionary, col([1.0, 3.0, np.nan]))
    size = col([5, 5, 2], np.uint64).view(SIZE_DTYPE)
    assert vt_of(lookup("recode")(size, False)[1]) == "size"
    codes, dictionary = lookup("recode")(col([True, False, True]), False)
    assert_matrix(dictionary, col([True, False]))
    codes, dictionary = lookup("recode")(np.empty((0, 1), np.float32), True)
    assert_matrix(codes, np.empty((0, 1), np.int64))
    assert_matrix(dictionary, np.empty((0, 1), np.float32))


@settings(max_examples=100, deadline=None)
@given(values=st.lists(st.integers(-5, 5), max_size=30), ordered=st.booleans(),
       dtype=st.sampled_from([np.int8, np.int64, np.float64, S]))
def test_recode_round_trips(values: list[int], ordered: bool, dtype: object) -> None:
    arg = col([str(v) for v in values] if dtype is S else values, dtype)
    codes, dictionary = lookup("recode")(arg, ordered)
    assert_matrix(dictionary[codes[:, 0]], arg)  # decoding restores the input
    firsts = list(dict.fromkeys(arg[:, 0].tolist()))
    expected = sorted(firsts) if ordered else firsts
    assert dictionary[:, 0].tolist() == expected
    assert dictionary.flags.c_contiguous


@pytest.mark.parametrize(("args", "exc", "match"), [
    ((np.ones((3, 2)), False), ValueError, "recode: the argument must have exactly one column, "
                                           "got 3x2"),
    ((1.0, False), TypeError, "recode: arg must be a matrix"),
    ((np.ones((3, 1)), np.ones((1, 1))), TypeError, "orderPreserving must be a boolean scalar"),
    ((np.ones((3, 1)), "yes"), TypeError, "orderPreserving must be a boolean scalar"),
])
def test_recode_errors(args: tuple, exc: type, match: str) -> None:
    with pytest.raises(exc, match=match):
        lookup("recode")(*args)
