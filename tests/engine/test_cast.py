"""The ``as.*`` cast kernel (spec §3.4)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from daphnelib.engine.kernels.cast import cast, convert_matrix, convert_scalar, parse_cast
from daphnelib.engine.registry import lookup
from daphnelib.engine.values import FrameValue
from daphnelib.engine.valuetypes import DTYPE_OF_VT, SIZE_DTYPE, STRING_DTYPE, SizeScalar, vt_of


def col(*values: object, dtype: object = np.float64) -> np.ndarray:
    return np.array(values, dtype=dtype).reshape(-1, 1)


def assert_matrix(actual: np.ndarray, expected: np.ndarray) -> None:
    assert vt_of(actual) == vt_of(expected)
    assert actual.shape == expected.shape
    np.testing.assert_array_equal(actual, expected)


def assert_scalar(actual: object, expected: object) -> None:
    assert type(actual) is type(expected), (type(actual), type(expected))
    assert actual == expected


def test_registry_dispatches_every_cast_spelling() -> None:
    x = col(1.7, -1.7)
    assert_matrix(lookup("as.si32")(x), col(1, -1, dtype=np.int32))
    assert_matrix(lookup("as.matrix<ui8>")(x[:1]), col(1, dtype=np.uint8))
    assert_scalar(lookup("as.scalar")(x[:1]), np.float64(1.7))


@pytest.mark.parametrize(
    ("op", "expected"),
    [("as.f64", (None, "f64")), ("as.matrix", ("matrix", None)),
     ("as.matrix<si32>", ("matrix", "si32")), ("as.scalar<str>", ("scalar", "str")),
     ("as.frame", ("frame", None)), ("as.bool", (None, "bool"))],
)
def test_parse_cast(op: str, expected: tuple) -> None:
    assert parse_cast(op) == expected


@pytest.mark.parametrize("op", ["as.matrix<f16>", "as.size", "as.", "as.matrix<f64", "cast.f64"])
def test_parse_cast_rejects(op: str) -> None:
    with pytest.raises(ValueError, match="cast"):
        parse_cast(op)


# -- matrix value types --------------------------------------------------------------------------


def test_float_to_int_truncates_toward_zero() -> None:
    x = col(2.9, -2.9, 0.5, -0.5)
    assert_matrix(cast("as.si64", x), col(2, -2, 0, 0, dtype=np.int64))
    assert_matrix(cast("as.ui8", col(255.9, dtype=np.float32)), col(255, dtype=np.uint8))
    edges = col(2.0**31 - 0.5, -(2.0**31) - 0.5)  # truncate onto the extreme si32 values
    assert_matrix(cast("as.si32", edges), col(2**31 - 1, -(2**31), dtype=np.int32))


@pytest.mark.parametrize(
    ("value", "vt"),
    [(np.nan, "si64"), (np.inf, "si32"), (-np.inf, "ui64"), (1e20, "si64"), (-1.0, "ui32"),
     (2.0**31, "si32"), (256.0, "ui8"), (-129.0, "si8")],
)
def test_float_to_int_without_an_integer_value_raises(value: float, vt: str) -> None:
    with pytest.raises(ValueError, match=f"cannot cast .* to {vt}"):
        cast(f"as.{vt}", col(1.0, value))


def test_integer_narrowing_wraps_like_c() -> None:
    assert_matrix(cast("as.ui8", col(300, -1, dtype=np.int64)), col(44, 255, dtype=np.uint8))
    assert_matrix(cast("as.si64", col(2**64 - 1, dtype=np.uint64)), col(-1, dtype=np.int64))


def test_to_bool_is_nonzero() -> None:
    assert_matrix(cast("as.bool", col(0.0, -0.5, np.nan)), col(False, True, True, dtype=np.bool_))
    assert_matrix(cast("as.f32", col(True, False, dtype=np.bool_)), col(1, 0, dtype=np.float32))


def test_numbers_to_strings_use_the_print_spelling() -> None:
    out = cast("as.str", col(1.5, 1 / 3, 1e6, 2.0, np.nan, -np.inf))
    assert out.dtype == STRING_DTYPE
    assert out[:, 0].tolist() == ["1.5", "0.333333", "1e+06", "2", "nan", "-inf"]
    assert cast("as.str", col(True, False, dtype=np.bool_))[:, 0].tolist() == ["1", "0"]
    assert cast("as.str", col(-7, dtype=np.int8))[:, 0].tolist() == ["-7"]


def test_strings_to_numbers_parse() -> None:
    s = col("12", " -3", "4.75", dtype=STRING_DTYPE)
    assert_matrix(cast("as.f64", s), col(12, -3, 4.75))
    assert_matrix(cast("as.si32", s), col(12, -3, 4, dtype=np.int32))
    assert_matrix(cast("as.ui64", col("18446744073709551615", dtype=STRING_DTYPE)),
                  col(2**64 - 1, dtype=np.uint64))
    assert_matrix(cast("as.bool", col("0", "2", dtype=STRING_DTYPE)), col(0, 1, dtype=np.bool_))
    with pytest.raises(ValueError, match="cannot cast string 'abc' to si64"):
        cast("as.si64", col("1", "abc", dtype=STRING_DTYPE))
    with pytest.raises(ValueError, match="cannot cast string 'x' to f64"):
        cast("as.f64", col("x", dtype=STRING_DTYPE))
    with pytest.raises(ValueError, match="nan"):
        cast("as.si64", col("nan", dtype=STRING_DTYPE))


def test_same_type_is_returned_as_is_and_size_becomes_ui64() -> None:
    x = col(1.0)
    assert cast("as.f64", x) is x
    assert cast("as.matrix", x) is x
    size = col(1, 2, dtype=SIZE_DTYPE)
    as_ui64 = cast("as.ui64", size)
    assert vt_of(as_ui64) == "ui64" and np.shares_memory(as_ui64, size)


@given(hnp.arrays(np.int32, st.integers(0, 20)))
def test_int_to_str_round_trips(values: np.ndarray) -> None:
    x = values.reshape(-1, 1)
    assert_matrix(cast("as.si32", cast("as.str", x)), x)


@given(hnp.arrays(np.float64, st.integers(0, 20),
                  elements=st.floats(-1e15, 1e15, allow_nan=False)))
def test_float_to_int_matches_c_truncation(values: np.ndarray) -> None:
    x = values.reshape(-1, 1)
    expected = np.array([int(v) for v in values], dtype=np.int64).reshape(-1, 1)  # int() truncates
    assert_matrix(cast("as.si64", x), expected)


# -- scalars ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("op", "value", "expected"),
    [("as.si32", np.float64(2.7), np.int32(2)),
     ("as.f64", 3, np.float64(3.0)),
     ("as.scalar<f32>", np.int64(5), np.float32(5.0)),
     ("as.bool", np.float64(0.0), np.bool_(False)),
     ("as.str", np.float64(0.1), "0.1"),
     ("as.str", True, "1"),
     ("as.si64", "42", np.int64(42)),
     ("as.scalar", np.int8(3), np.int8(3)),
     ("as.si64", 7, np.int64(7))],
)
def test_scalar_casts(op: str, value: object, expected: object) -> None:
    assert_scalar(cast(op, value), expected)


def test_scalar_cast_errors() -> None:
    with pytest.raises(ValueError, match="cannot cast nan to si64"):
        cast("as.si64", np.float64(np.nan))
    with pytest.raises(ValueError, match="cannot cast string 'x'"):
        convert_scalar("x", "f64")
    with pytest.raises(TypeError, match="no DAPHNE value type"):
        cast("as.f64", object())


def test_scalar_to_matrix_and_back() -> None:
    assert_matrix(cast("as.matrix", np.int32(4)), np.array([[4]], dtype=np.int32))
    assert_matrix(cast("as.matrix<f64>", 4), np.array([[4.0]]))
    m = cast("as.matrix", "hi")
    assert m.dtype == STRING_DTYPE and m.tolist() == [["hi"]]
    assert_scalar(cast("as.scalar", np.array([[2.5]], dtype=np.float32)), np.float32(2.5))
    assert_scalar(cast("as.scalar<si64>", np.array([[2.5]])), np.int64(2))
    assert_scalar(cast("as.scalar", m), "hi")
    assert_scalar(cast("as.scalar", np.array([[3]], dtype=SIZE_DTYPE)), SizeScalar(3))


@pytest.mark.parametrize("shape", [(2, 2), (1, 2), (0, 1)])
def test_as_scalar_needs_1x1(shape: tuple) -> None:
    with pytest.raises(ValueError, match=f"1x1 matrix, got {shape[0]}x{shape[1]}"):
        cast("as.scalar", np.zeros(shape))


# -- frames ----------------------------------------------------------------------------------------


def test_matrix_to_frame_columns_tile_one_buffer() -> None:
    x = np.arange(12, dtype=np.float64).reshape(4, 3)
    f = cast("as.frame", x)
    assert isinstance(f, FrameValue)
    assert f.labels == ["col_0", "col_1", "col_2"] and f.nrow == 4
    for j, c in enumerate(f.columns):
        assert c.flags.c_contiguous
        np.testing.assert_array_equal(c, x[:, j])
    base = f.columns[0].ctypes.data
    assert [c.ctypes.data - base for c in f.columns] == [0, 32, 64]


def test_column_matrix_to_frame_is_zero_copy() -> None:
    x = col(1, 2, 3, dtype=np.int32)
    f = cast("as.frame", x)
    assert np.shares_memory(f.columns[0], x) and f.columns[0].dtype == np.int32


def test_matrix_to_frame_with_value_type() -> None:
    f = cast("as.frame<f32>", col(1, 2, dtype=np.int64))
    assert f.vts() == ["f32"]


def test_frame_to_matrix_and_scalar() -> None:
    f = FrameValue([np.array([1, 2], dtype=np.int64), np.array([0.5, 1.5]),
                    np.array([True, False])], ["a", "b", "c"])
    assert_matrix(cast("as.matrix", f), np.array([[1, 0.5, 1], [2, 1.5, 0]]))
    assert_matrix(cast("as.matrix<si32>", f), np.array([[1, 0, 1], [2, 1, 0]], dtype=np.int32))
    assert cast("as.matrix<str>", f).tolist() == [["1", "0.5", "1"], ["2", "1.5", "0"]]
    thirds = FrameValue([np.array([1 / 3, np.nan])])
    assert cast("as.matrix<str>", thirds)[:, 0].tolist() == ["0.333333", "nan"]
    with pytest.raises(ValueError, match="cannot cast nan to si64"):
        cast("as.matrix<si64>", thirds)
    one = FrameValue([np.array([7], dtype=np.int8)], ["x"])
    assert_scalar(cast("as.scalar", one), np.int8(7))
    assert_scalar(cast("as.scalar<f64>", one), np.float64(7.0))
    with pytest.raises(ValueError, match="1x1 frame, got 2x3"):
        cast("as.scalar", f)


def test_frame_to_matrix_converts_by_the_cast_rules() -> None:
    """Every column by convert_matrix, so as.matrix<vt> agrees with as.<vt> of that column."""
    f = FrameValue([np.array([1.5, -2.5]), np.array([True, False]),
                    np.array(["7", "-8.5"], dtype=STRING_DTYPE)], ["a", "b", "c"])
    assert_matrix(cast("as.matrix<si32>", f), np.array([[1, 1, 7], [-2, 0, -8]], dtype=np.int32))
    for vt in ("f64", "f32", "si8", "si64", "bool", "str"):
        out = cast(f"as.matrix<{vt}>", f)
        for j, column in enumerate(f.columns):
            assert_matrix(out[:, j:j + 1], convert_matrix(column.reshape(-1, 1), vt))
    assert cast("as.matrix<str>", f).tolist() == [["1.5", "1", "7"], ["-2.5", "0", "-8.5"]]
    with pytest.raises(ValueError, match="cannot cast inf to ui8"):
        cast("as.matrix<ui8>", FrameValue([np.array([1.0, np.inf])]))


def test_frame_casts_cannot_change_column_types() -> None:
    f = FrameValue([np.array([1, 2], dtype=np.int64)])
    assert cast("as.frame", f) is f
    assert cast("as.frame<si64>", f) is f
    with pytest.raises(TypeError, match="cannot change a frame's column types"):
        cast("as.frame<f64>", f)
    with pytest.raises(TypeError, match=r"use as\.matrix<f64>"):
        cast("as.f64", f)


def test_scalar_to_frame() -> None:
    f = cast("as.frame", np.float64(2.5))
    assert f.labels == ["col_0"] and f.columns[0].tolist() == [2.5]


@pytest.mark.parametrize("vt", ["f64", "f32", "si64", "si32", "si8", "ui64", "ui32", "ui8",
                                "bool", "str"])
def test_every_value_type_has_its_dtype(vt: str) -> None:
    out = convert_matrix(col(1, 0, dtype=np.int64), vt)
    assert out.dtype == DTYPE_OF_VT[vt] and vt_of(out) == vt
