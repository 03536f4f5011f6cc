"""DAPHNE print()/typeOf text of engine values (spec §4), compared as exact strings."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from daphnelib.engine.printing import format_scalar, format_value, print_value, type_string
from daphnelib.engine.values import FrameValue
from daphnelib.engine.valuetypes import SIZE_DTYPE, STRING_DTYPE, SizeScalar

NEG_NAN = np.copysign(np.nan, -1.0)


def col(*values: object, dtype: object = np.float64) -> np.ndarray:
    return np.array(values, dtype=dtype).reshape(-1, 1)


def row(*values: object, dtype: object = np.float64) -> np.ndarray:
    return np.array(values, dtype=dtype).reshape(1, -1)


# --- spec §4.2 examples ------------------------------------------------------------------


def test_operator_slash_1() -> None:
    values = [
        "scalar / scalar",
        np.int64(2),
        np.float64(0.5),
        np.float64(1.5),
        "matrix / matrix",
        col(2, 2, dtype=np.int64),
        col(3.0, 0.5),
        col(0.5, 1.0),
    ]
    assert "".join(format_value(v) for v in values) == (
        "scalar / scalar\n2\n0.5\n1.5\nmatrix / matrix\n"
        "DenseMatrix(2x1, int64_t)\n2\n2\n"
        "DenseMatrix(2x1, double)\n3\n0.5\n"
        "DenseMatrix(2x1, double)\n0.5\n1\n"
    )


def test_create_frame_1() -> None:
    frame = FrameValue(
        [np.full(5, 123, dtype=np.int64), np.arange(100.5, 141.0, 10.0), np.arange(-4, 5, 2)]
    )
    assert format_value(frame) == (
        "Frame(5x3, [col_0:int64_t, col_1:double, col_2:int64_t])\n"
        "123 100.5 -4\n123 110.5 -2\n123 120.5 0\n123 130.5 2\n123 140.5 4\n"
    )


def test_matrix_literal_success_1() -> None:
    values = [
        np.array([[1, 2], [3, 4]], dtype=np.int64),
        np.array([[True, True], [False, True]]),
        np.array([["a", "b"], ["c", "d"]], dtype=STRING_DTYPE),
        row(1, 2, 3, 4, dtype=np.int64),
    ]
    assert "".join(format_value(v) for v in values) == (
        "DenseMatrix(2x2, int64_t)\n1 2\n3 4\n"
        "DenseMatrix(2x2, bool)\n1 1\n0 1\n"
        "DenseMatrix(2x2, std::string)\na b\nc d\n"
        "DenseMatrix(1x4, int64_t)\n1 2 3 4\n"
    )


def test_matrix_literal_success_7() -> None:
    values = [
        row(*range(8, -1, -1)),
        row(*range(7, -1, -1), dtype=np.float32),
        row(*range(6, -1, -1), dtype=SIZE_DTYPE),
        row(2, 1, 0, dtype=np.uint8),
        row(1, 0, dtype=np.int8),
    ]
    assert "".join(format_value(v) for v in values) == (
        "DenseMatrix(1x9, double)\n8 7 6 5 4 3 2 1 0\n"
        "DenseMatrix(1x8, float)\n7 6 5 4 3 2 1 0\n"
        "DenseMatrix(1x7, uint64_t)\n6 5 4 3 2 1 0\n"
        "DenseMatrix(1x3, uint8_t)\n2 1 0\n"
        "DenseMatrix(1x2, int8_t)\n1 0\n"
    )


def test_sql_strings_3() -> None:
    frame = FrameValue(
        [np.array([0, 2, 7]), np.array(["a", "a", "c"], dtype=STRING_DTYPE)], ["f.a", "f.b"]
    )
    assert format_value(frame) == ("Frame(3x2, [f.a:int64_t, f.b:std::string])\n0 a\n2 a\n7 c\n")


def test_literals_float_8() -> None:
    values = [np.float32(10e12), np.float32(1e6), np.float32(1e-6), np.float32(-1e-6)]
    assert "".join(format_value(v) for v in values) == "1e+13\n1e+06\n1e-06\n-1e-06\n"


def test_literals_float_5() -> None:
    values = [np.float64(1000.0), np.float64(1.0001), np.float64(123.456)]
    assert "".join(format_value(v) for v in values) == "1000\n1.0001\n123.456\n"


def test_literals_float_3_table() -> None:
    values = [np.float32(1.2e5), np.float64(1e-14), np.float64(np.nan), np.float64(-np.inf)]
    assert [format_scalar(v) for v in values] == ["120000", "1e-14", "nan", "-inf"]


def test_operations_bin_2() -> None:
    assert format_value(col(0, np.nan, 1, np.nan, 2)) == (
        "DenseMatrix(5x1, double)\n0\nnan\n1\nnan\n2\n"
    )


def test_operations_idx_max_1() -> None:
    assert format_value(row(1, 0, dtype=SIZE_DTYPE)) == "DenseMatrix(1x2, uint64_t)\n1 0\n"


def test_cast_sca_obj_1() -> None:
    values = [row(0.5), FrameValue([np.array([2.5])]), row(4, dtype=np.int64)]
    assert "".join(format_value(v) for v in values) == (
        "DenseMatrix(1x1, double)\n0.5\n"
        "Frame(1x1, [col_0:double])\n2.5\n"
        "DenseMatrix(1x1, int64_t)\n4\n"
    )


def test_lists_success_2() -> None:
    value = [row(1.0), col(3.0, 2.0), row(-2.0, -5.0)]
    assert format_value(value) == (
        "List(3, DenseMatrix, double)\n"
        "DenseMatrix(1x1, double)\n1\n"
        "DenseMatrix(2x1, double)\n3\n2\n"
        "DenseMatrix(1x2, double)\n-2 -5\n"
    )


def test_type_of_2() -> None:
    dtypes = [np.int8, np.int32, np.int64, np.uint8, np.uint32, np.uint64, np.float32, np.float64]
    names = ["si8", "si32", "si64", "ui8", "ui32", "ui64", "f32", "f64"]
    wide = FrameValue([np.zeros(1, dtype=d) for d in dtypes], [f"col_{n}" for n in names])
    assert type_string(row(1, dtype=np.int64)) == "DenseMatrix(1x1, int64_t)"
    narrow = FrameValue([np.zeros(1, np.int8)], ["col_1"])
    assert type_string(narrow) == "Frame(1x1, [col_1:int8_t])"
    assert type_string(wide) == (
        "Frame(1x8, [col_si8:int8_t, col_si32:int32_t, col_si64:int64_t, col_ui8:uint8_t, "
        "col_ui32:uint32_t, col_ui64:uint64_t, col_f32:float, col_f64:double])"
    )


def test_daphnelib_docs_numpy_matrix() -> None:
    m = np.array(
        [[0.09682182, 0.09636568, 0.78658, 0.6822713], [0.6435621, 0.9633781, 0.07931758, 0.979511]]
    )
    assert format_value(m) == (
        "DenseMatrix(2x4, double)\n"
        "0.0968218 0.0963657 0.78658 0.682271\n"
        "0.643562 0.963378 0.0793176 0.979511\n"
    )


# --- scalars -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.0968218, "0.0968218"),
        (1e6, "1e+06"),
        (1234567.0, "1.23457e+06"),
        (999999.0, "999999"),
        (999999.5, "1e+06"),
        (123456.7, "123457"),
        (1e-5, "1e-05"),
        (1e-4, "0.0001"),
        (0.00012345678, "0.000123457"),
        (1e-14, "1e-14"),
        (123.456, "123.456"),
        (2.0, "2"),
        (-3.0, "-3"),
        (0.0, "0"),
        (-0.0, "-0"),
        (np.nan, "nan"),
        (NEG_NAN, "-nan"),
        (np.inf, "inf"),
        (-np.inf, "-inf"),
        (1e300, "1e+300"),
        (5e-324, "4.94066e-324"),
        (2.5, "2.5"),
        (0.1 + 0.2, "0.3"),
    ],
)
def test_float64_scalar(value: float, text: str) -> None:
    assert format_scalar(np.float64(value)) == text
    assert format_scalar(float(value)) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [(0.1, "0.1"), (1.1, "1.1"), (16777217.0, "1.67772e+07"), (3.4e38, "3.4e+38"), (-0.0, "-0")],
)
def test_float32_scalar(value: float, text: str) -> None:
    assert format_scalar(np.float32(value)) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (np.int64(-9223372036854775808), "-9223372036854775808"),
        (np.uint64(18446744073709551615), "18446744073709551615"),
        (SizeScalar(7), "7"),
        (np.int8(-128), "-128"),
        (np.uint8(255), "255"),
        (np.int32(-5), "-5"),
        (np.uint32(4294967295), "4294967295"),
        (np.bool_(True), "1"),
        (np.bool_(False), "0"),
        (True, "1"),
        (42, "42"),
        ("hello world", "hello world"),
        ('"quoted"', '"quoted"'),
        ("", ""),
    ],
)
def test_other_scalars(value: object, text: str) -> None:
    assert format_scalar(value) == text
    assert format_value(value) == text + "\n"


# --- matrices ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dtype", "cpp"),
    [
        (np.bool_, "bool"),
        (np.int8, "int8_t"),
        (np.uint8, "uint8_t"),
        (np.int32, "int32_t"),
        (np.uint32, "uint32_t"),
        (np.int64, "int64_t"),
        (np.uint64, "uint64_t"),
        (SIZE_DTYPE, "uint64_t"),
        (np.float32, "float"),
        (np.float64, "double"),
        (STRING_DTYPE, "std::string"),
    ],
)
def test_cpp_names(dtype: object, cpp: str) -> None:
    m = np.zeros((2, 3), dtype=dtype) if dtype is not STRING_DTYPE else np.full((2, 3), "0", dtype)
    assert format_value(m) == f"DenseMatrix(2x3, {cpp})\n0 0 0\n0 0 0\n"
    assert type_string(m) == f"DenseMatrix(2x3, {cpp})"


def test_special_floats_in_matrix() -> None:
    m = np.array([[np.nan, NEG_NAN, np.inf], [-np.inf, -0.0, 0.0], [1e6, 1234567.0, 1e-5]])
    assert format_value(m) == (
        "DenseMatrix(3x3, double)\nnan -nan inf\n-inf -0 0\n1e+06 1.23457e+06 1e-05\n"
    )


def test_float32_matrix() -> None:
    m = np.array([[0.1, 1.0 / 3.0], [-0.0, np.nan], [1e6, 2.5e-7]], dtype=np.float32)
    assert format_value(m) == "DenseMatrix(3x2, float)\n0.1 0.333333\n-0 nan\n1e+06 2.5e-07\n"


def test_extreme_integers() -> None:
    m = np.array([[np.iinfo(np.int64).min, np.iinfo(np.int64).max]])
    u = np.array([[np.iinfo(np.uint64).max, 0]], dtype=np.uint64)
    i8 = np.array([[-128, 127]], dtype=np.int8)
    assert format_value(m) == (
        "DenseMatrix(1x2, int64_t)\n-9223372036854775808 9223372036854775807\n"
    )
    assert format_value(u) == "DenseMatrix(1x2, uint64_t)\n18446744073709551615 0\n"
    assert format_value(i8) == "DenseMatrix(1x2, int8_t)\n-128 127\n"


def test_strings_with_spaces_unquoted() -> None:
    m = np.array([["a b", ""], ["x", "é"]], dtype=STRING_DTYPE)
    assert format_value(m) == "DenseMatrix(2x2, std::string)\na b \nx é\n"


def test_transposed_and_strided_views() -> None:
    base = np.arange(6, dtype=np.float64).reshape(2, 3) + 0.5
    assert format_value(base.T) == "DenseMatrix(3x2, double)\n0.5 3.5\n1.5 4.5\n2.5 5.5\n"
    assert format_value(base[:, ::2]) == "DenseMatrix(2x2, double)\n0.5 2.5\n3.5 5.5\n"
    ints = np.arange(6, dtype=np.int32).reshape(2, 3).T
    assert format_value(ints) == "DenseMatrix(3x2, int32_t)\n0 3\n1 4\n2 5\n"


def test_empty_matrices() -> None:
    assert format_value(np.zeros((0, 3))) == "DenseMatrix(0x3, double)\n"
    assert format_value(np.zeros((0, 0), dtype=np.int64)) == "DenseMatrix(0x0, int64_t)\n"
    assert format_value(np.zeros((3, 0))) == "DenseMatrix(3x0, double)\n\n\n\n"


# --- frames ------------------------------------------------------------------------------


def test_empty_frames() -> None:
    assert format_value(FrameValue([])) == "Frame(0x0, [])\n"
    assert format_value(FrameValue([], nrow=10)) == "Frame(10x0, [])\n" + "\n" * 10
    zero_rows = FrameValue([np.zeros(0), np.zeros(0, np.int64)], ["a", "b"])
    assert format_value(zero_rows) == "Frame(0x2, [a:double, b:int64_t])\n"


def test_frame_mixed_columns_and_labels_with_spaces() -> None:
    frame = FrameValue(
        [
            np.array([1.5, np.nan, -0.0]),
            np.array(["x y", "z", ""], dtype=STRING_DTYPE),
            np.array([True, False, True]),
            np.array([1, 2, 3], dtype=SIZE_DTYPE),
            np.array([0.25, 1e7, 3.0], dtype=np.float32),
        ],
        ["my col", "s", "b", "idx", "f"],
    )
    assert format_value(frame) == (
        "Frame(3x5, [my col:double, s:std::string, b:bool, idx:uint64_t, f:float])\n"
        "1.5 x y 1 1 0.25\n"
        "nan z 0 2 1e+07\n"
        "-0  1 3 3\n"
    )


def test_frame_fixed_width_string_column() -> None:
    frame = FrameValue([np.array(["ab", "c"])], ["s"])
    assert format_value(frame) == "Frame(2x1, [s:std::string])\nab\nc\n"


# --- lists, typeOf, print_value -----------------------------------------------------------


def test_list_of_int_matrices() -> None:
    value = [row(1, 2, dtype=np.int64), np.zeros((0, 2), dtype=np.int64)]
    assert format_value(value) == (
        "List(2, DenseMatrix, int64_t)\nDenseMatrix(1x2, int64_t)\n1 2\nDenseMatrix(0x2, int64_t)\n"
    )
    assert type_string(value) == "List(2, DenseMatrix, int64_t)"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (np.int64(1), "int64_t"),
        (np.float64(1.0), "double"),
        (np.float32(1.0), "float"),
        (SizeScalar(3), "uint64_t"),
        (np.uint64(3), "uint64_t"),
        (np.int8(1), "int8_t"),
        (np.bool_(True), "bool"),
        ("abc", "const char*"),
        (np.zeros((2, 3), dtype=np.float32), "DenseMatrix(2x3, float)"),
        (np.full((1, 1), "s", dtype=STRING_DTYPE), "DenseMatrix(1x1, std::string)"),
        (FrameValue([], nrow=4), "Frame(4x0, [])"),
    ],
)
def test_type_string(value: object, text: str) -> None:
    assert type_string(value) == text


def test_print_value_streams(capsys: pytest.CaptureFixture[str]) -> None:
    print_value(np.float64(2.5))
    print_value("no newline", newline=False)
    print_value(np.int64(3), newline=False)
    print_value(row(1, 2, dtype=np.int64), newline=False)
    print_value("to stderr", err=True)
    print_value(FrameValue([], nrow=1), err=True, newline=False)
    out, err = capsys.readouterr()
    assert out == "2.5\nno newline3DenseMatrix(1x2, int64_t)\n1 2\n"
    assert err == "to stderr\nFrame(1x0, [])\n\n"


# --- property: vectorised float formatting equals per-element '.6g' ------------------------


def reference_matrix(m: np.ndarray) -> str:
    def cell(x: float) -> str:
        if np.isnan(x):
            return "-nan" if np.signbit(x) else "nan"
        return format(float(x), ".6g")

    body = "".join(" ".join(cell(x) for x in r) + "\n" for r in m)
    return f"DenseMatrix({m.shape[0]}x{m.shape[1]}, double)\n" + body


shapes = hnp.array_shapes(min_dims=2, max_dims=2, min_side=0)
floats = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True, allow_subnormal=True),
    st.integers(-(10**7), 10**7).map(float),
    st.integers(-(10**7), 10**7).map(lambda i: i / 8.0),
    st.sampled_from([-0.0, 0.0, NEG_NAN, 999999.5, 9999995.0, 0.000099999995, 1e-5, 1e6]),
)


@settings(max_examples=300, deadline=None)
@given(hnp.arrays(np.float64, shapes, elements=floats))
def test_float64_matrix_matches_reference(m: np.ndarray) -> None:
    assert format_value(m) == reference_matrix(m)
    assert format_value(m.T) == reference_matrix(m.T)
