"""Data generation kernels: fill, seq, diagMatrix, rand, sample (spec §3.11)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from daphnelib.engine.kernels.generate import diag_matrix, fill, rand, sample, seq
from daphnelib.engine.registry import lookup
from daphnelib.engine.valuetypes import SIZE_DTYPE, STRING_DTYPE, SizeScalar, vt_of


def col(*values: object, dtype: object) -> np.ndarray:
    return np.array(values, dtype=dtype).reshape(-1, 1)


def assert_matrix(actual: np.ndarray, expected: np.ndarray) -> None:
    assert actual.dtype == expected.dtype
    assert actual.shape == expected.shape
    np.testing.assert_array_equal(actual, expected)


def test_kernels_are_registered() -> None:
    for name, fn in (("fill", fill), ("seq", seq), ("diagMatrix", diag_matrix),
                     ("rand", rand), ("sample", sample)):
        assert lookup(name) is fn


# -- fill ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "dtype"),
    [(7, np.int64), (2.5, np.float64), (True, np.bool_), (np.float32(1.5), np.float32),
     (np.uint8(200), np.uint8), (np.int32(-3), np.int32)],
)
def test_fill_keeps_the_value_type(value: object, dtype: type) -> None:
    out = fill(value, 2, 3)
    assert_matrix(out, np.full((2, 3), value, dtype=dtype))


def test_fill_string_gives_a_string_matrix() -> None:
    out = fill("ab c", 2, 1)
    assert out.dtype == STRING_DTYPE
    assert out.tolist() == [["ab c"], ["ab c"]]


def test_fill_size_scalar_keeps_the_index_type() -> None:
    out = fill(SizeScalar(4), 1, 2)
    assert vt_of(out) == "size"
    np.testing.assert_array_equal(out, [[4, 4]])


def test_fill_accepts_evaluated_scalar_sizes() -> None:
    # Scalar nodes (nrow(), arithmetic) arrive as numpy scalars, possibly float.
    out = fill(0, SizeScalar(2), np.float64(3.0))
    assert_matrix(out, np.zeros((2, 3), dtype=np.int64))
    assert fill(1.0, 0, 4).shape == (0, 4)


@pytest.mark.parametrize(("rows", "exc"), [(-1, ValueError), (2.5, ValueError),
                                           ("3", TypeError), (True, TypeError)])
def test_fill_rejects_bad_sizes(rows: object, exc: type) -> None:
    with pytest.raises(exc, match="numRows"):
        fill(1, rows, 2)


# -- seq -------------------------------------------------------------------------------------


def test_seq_spec_examples() -> None:
    assert_matrix(seq(2, 8, 3), col(2, 5, 8, dtype=np.int64))
    assert_matrix(seq(2, 8, 1.5), col(2, 3.5, 5, 6.5, 8, dtype=np.float64))
    assert_matrix(seq(1, 4), col(1, 2, 3, 4, dtype=np.int64))


def test_seq_negative_and_fractional_steps() -> None:
    assert_matrix(seq(10, 1, -3), col(10, 7, 4, 1, dtype=np.int64))
    assert_matrix(seq(1, 0, -0.25), col(1, 0.75, 0.5, 0.25, 0, dtype=np.float64))
    assert_matrix(seq(5, 5, 2), col(5, dtype=np.int64))
    assert_matrix(seq(0, 7, 3), col(0, 3, 6, dtype=np.int64))  # end not hit exactly


def test_seq_rounding_neither_drops_nor_adds_the_last_element() -> None:
    # 0.3 / 0.1 == 2.9999999999999996 in binary floating point.
    out = seq(0, 0.3, 0.1)
    assert out.shape == (4, 1)
    np.testing.assert_allclose(out[:, 0], [0, 0.1, 0.2, 0.3], rtol=0, atol=1e-15)
    assert seq(0.0, 0.7, 0.1).shape == (8, 1)
    assert seq(1.0, 0.0, -0.1).shape == (11, 1)
    # Not within rounding of the next element: not added.
    assert seq(0.0, 0.29, 0.1).shape == (3, 1)


@given(
    a=st.integers(-1000, 1000), span=st.integers(0, 1000), step=st.integers(1, 97),
    down=st.booleans(), scale=st.sampled_from([1, 10, 100, 1000, 3, 7]),
)
def test_seq_float_length_matches_exact_arithmetic(
    a: int, span: int, step: int, down: bool, scale: int
) -> None:
    b, s = (a - span, -step) if down else (a + span, step)
    expected = np.arange(a, b + (-1 if down else 1), s)
    out = seq(a / scale, b / scale, s / scale)
    assert out.dtype == np.float64
    assert out.shape == (len(expected), 1)
    np.testing.assert_allclose(out[:, 0], expected / scale, rtol=1e-12, atol=1e-12)


@given(a=st.integers(-10**6, 10**6), b=st.integers(-10**6, 10**6), s=st.integers(1, 1000))
def test_seq_int_matches_range(a: int, b: int, s: int) -> None:
    step = s if b >= a else -s
    expected = np.array(range(a, b + (1 if step > 0 else -1), step), dtype=np.int64)
    assert_matrix(seq(a, b, step), expected.reshape(-1, 1))


def test_seq_value_type_is_the_common_type() -> None:
    assert seq(np.float32(0), np.float32(1), np.float32(0.5)).dtype == np.float32
    assert seq(np.int8(1), 3, 1).dtype == np.int64
    assert seq(np.int32(1), np.int32(3), np.int32(1)).dtype == np.int32
    out = seq(np.int8(-100), np.int8(100), np.int8(50))
    assert_matrix(out, col(-100, -50, 0, 50, 100, dtype=np.int8))
    assert seq(np.int8(-100), np.int8(100), np.int8(1)).shape == (201, 1)


def test_seq_extreme_integers_do_not_overflow() -> None:
    lo, hi = -(2**63), 2**63 - 1
    assert_matrix(seq(lo, hi, 2**63 - 1), col(lo, -1, hi - 1, dtype=np.int64))
    top = np.uint64(2**64 - 1)
    assert_matrix(seq(top, np.uint64(2**64 - 3), -1),
                  col(2**64 - 1, 2**64 - 2, 2**64 - 3, dtype=np.uint64))


def test_seq_step_away_from_the_end_gives_an_empty_column() -> None:
    # As DAPHNE's Seq kernel: a 0 x 1 matrix, not an error.
    assert_matrix(seq(1, 10, -1), np.empty((0, 1), dtype=np.int64))
    assert_matrix(seq(1.0, 0.0, 0.5), np.empty((0, 1), dtype=np.float64))


@pytest.mark.parametrize(
    ("args", "exc", "match"),
    [((1, 5, 0), ValueError, "inc must not be 0"),
     ((1.0, 5.0, 0.0), ValueError, "inc must not be 0"),
     ((np.nan, 5.0, 1.0), ValueError, "finite"),
     ((0.0, np.inf, 1.0), ValueError, "finite"),
     (("a", 5, 1), TypeError, "numbers"),
     ((True, False, True), TypeError, "numbers"),
     ((-1, np.uint64(2**64 - 1), 1), ValueError, "fit")],
)
def test_seq_errors(args: tuple, exc: type, match: str) -> None:
    with pytest.raises(exc, match=match):
        seq(*args)


# -- diagMatrix --------------------------------------------------------------------------------


def test_diag_matrix() -> None:
    out = diag_matrix(col(1, 2, 3, dtype=np.int32))
    assert_matrix(out, np.diag(np.array([1, 2, 3], dtype=np.int32)))
    assert diag_matrix(np.empty((0, 1))).shape == (0, 0)
    size = diag_matrix(col(1, 2, dtype=SIZE_DTYPE))
    assert vt_of(size) == "size"


def test_diag_matrix_needs_a_column() -> None:
    with pytest.raises(ValueError, match="n x 1"):
        diag_matrix(np.ones((2, 2)))
    with pytest.raises(TypeError, match="matrix"):
        diag_matrix(3.0)


# -- rand / sample (through the seeded generator module) ----------------------------------------


def test_rand_kernel_is_seeded_and_in_range() -> None:
    pytest.importorskip("daphnelib.engine.kernels.random")
    a = rand(4, 5, 2.0, 3.0, 1.0, 7)
    assert a.shape == (4, 5) and a.dtype == np.float64
    assert ((a >= 2.0) & (a <= 3.0)).all()
    np.testing.assert_array_equal(a, rand(np.int64(4), 5.0, 2.0, 3.0, 1.0, 7))
    ints = rand(3, 3, 1, 4, 1.0, 7)
    assert ints.dtype == np.int64 and ((ints >= 1) & (ints <= 4)).all()
    assert np.count_nonzero(rand(10, 10, 1.0, 2.0, 0.3, 1)) == 30
    with pytest.raises(ValueError, match="numRows"):
        rand(-1, 2, 0.0, 1.0, 1.0, 1)


def test_sample_kernel_without_replacement_is_a_permutation_subset() -> None:
    pytest.importorskip("daphnelib.engine.kernels.random")
    out = sample(10, 10, False, 3)
    assert out.shape == (10, 1) and out.dtype == np.int64
    assert sorted(out[:, 0].tolist()) == list(range(10))
    np.testing.assert_array_equal(out, sample(10, np.uint64(10), 0, 3))
