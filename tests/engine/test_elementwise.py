"""Elementwise kernels (daphnelib.engine.kernels.elementwise) with DAPHNE's typing and semantics.

Every input is made read-only, so a kernel that wrote into an input would fail here.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from daphnelib._native.buffers import aligned_allocation
from daphnelib.engine.kernels.elementwise import binary, if_else, matmul, outer, unary
from daphnelib.engine.registry import lookup
from daphnelib.engine.values import FrameValue
from daphnelib.engine.valuetypes import (
    DTYPE_OF_VT,
    GENERALITY,
    SIZE_DTYPE,
    STRING_DTYPE,
    SizeScalar,
    is_integral,
    most_general,
    vt_of,
)

S = STRING_DTYPE
INT_DTYPES = [np.int8, np.int32, np.int64, np.uint8, np.uint32, np.uint64]
ARITH = ["+", "-", "*", "/", "^", "%", "min", "max", "pow", "mod"]
COMPARE = ["==", "!=", "<", "<=", ">", ">="]


@pytest.fixture(autouse=True)
def _engine_context() -> Iterator[None]:
    """The executor's context: aligned allocations, IEEE float errors silent."""
    with aligned_allocation(), np.errstate(all="ignore"):
        yield


def ro(values: object, dtype: object = None) -> np.ndarray:
    """A read-only 2-D matrix (lists of rows) of the given dtype."""
    a = np.array(values, dtype=dtype)
    if a.ndim == 1:
        a = a.reshape(1, -1)
    a.flags.writeable = False
    return a


def matrix_of(vt: str, value: int, shape: tuple[int, int] = (2, 3)) -> np.ndarray:
    a = np.full(shape, str(value) if vt == "str" else value, dtype=DTYPE_OF_VT[vt])
    a.flags.writeable = False
    return a


def scalar_of(vt: str, value: int) -> object:
    if vt == "str":
        return str(value)
    if vt == "size":
        return SizeScalar(value)
    return DTYPE_OF_VT[vt].type(value)


def assert_matrix(actual: object, expected: np.ndarray) -> None:
    """Same dtype (with size metadata), shape and values (NaN matches NaN)."""
    assert isinstance(actual, np.ndarray)
    assert actual.dtype == expected.dtype
    assert vt_of(actual) == vt_of(expected)
    np.testing.assert_array_equal(actual, expected)


# --- typing over all value-type pairs -------------------------------------------------------

VTS = st.sampled_from(GENERALITY)


@settings(max_examples=300, deadline=None)
@given(op=st.sampled_from(ARITH + COMPARE + ["&&", "||", "log"]), va=VTS, vb=VTS,
       forms=st.sampled_from(["mm", "ms", "sm", "ss"]))
def test_result_value_type_follows_most_general(op: str, va: str, vb: str, forms: str) -> None:
    lhs = matrix_of(va, 1) if forms[0] == "m" else scalar_of(va, 1)
    rhs = matrix_of(vb, 1) if forms[1] == "m" else scalar_of(vb, 1)
    common = most_general(va, vb)
    if op in ARITH:
        expected = common
    elif op in COMPARE:
        expected = "si64" if common == "str" else common
    elif op == "log":
        expected = "f32" if common == "f32" else "f64"
    else:
        expected = common if is_integral(common) else "ui64"
    string_ok = op in ("+", "min", "max", *COMPARE)
    if common == "str" and not string_ok:
        with pytest.raises(TypeError, match="not defined for strings"):
            binary(op, lhs, rhs)
        return
    result = binary(op, lhs, rhs)
    assert vt_of(result) == expected
    if forms == "ss":
        assert not isinstance(result, np.ndarray)
        assert isinstance(result, str if expected == "str" else np.generic)
    else:
        assert result.shape == (2, 3)
        assert result.dtype == DTYPE_OF_VT[expected]


@pytest.mark.parametrize(("op", "value"), [
    ("+", 2), ("-", 0), ("*", 1), ("/", 1), ("^", 1), ("%", 0), ("min", 1), ("max", 1),
    ("==", 1), ("!=", 0), ("<", 0), ("<=", 1), (">", 0), (">=", 1), ("&&", 1), ("||", 1),
])
@pytest.mark.parametrize("vt", [vt for vt in GENERALITY if vt not in ("bool", "str")])
def test_values_of_one_op_one(op: str, value: int, vt: str) -> None:
    result = binary(op, matrix_of(vt, 1), scalar_of(vt, 1))
    expected_vt = "ui64" if op in ("&&", "||") and vt in ("f32", "f64") else vt
    assert_matrix(result, matrix_of(expected_vt, value))


def test_python_literals_have_daphne_types() -> None:
    assert type(binary("+", 1, 2)) is np.int64
    assert type(binary("+", 1.0, 2)) is np.float64
    assert type(binary("+", True, False)) is np.bool_
    assert binary("+", "a", "b") == "ab"
    assert type(binary("+", "a", "b")) is str
    size = binary("+", SizeScalar(2), SizeScalar(3))
    assert type(size) is SizeScalar and size == 5
    # size ranks below si64: size + int literal is si64
    assert type(binary("+", SizeScalar(2), 3)) is np.int64
    assert type(binary("*", np.float32(2), np.int32(3))) is np.float32


def test_size_matrices_keep_the_size_type_and_ui64_drops_it() -> None:
    size = np.arange(4, dtype=np.uint64).view(SIZE_DTYPE).reshape(2, 2)
    result = binary("+", size, SizeScalar(1))
    assert_matrix(result, (np.arange(4, dtype=np.uint64) + 1).view(SIZE_DTYPE).reshape(2, 2))
    assert result.dtype.metadata == {"vt": "size"}
    assert vt_of(binary("+", size, np.uint64(1))) == "ui64"
    assert binary("+", size, np.uint64(1)).dtype.metadata is None
    assert vt_of(binary("<", size, size)) == "size"


def test_bool_arithmetic_is_cs_converted_back_to_bool() -> None:
    t, f = ro([True, True, False, False], bool), ro([True, False, True, False], bool)
    assert_matrix(binary("+", t, f), ro([True, True, True, False], bool))
    assert_matrix(binary("-", t, f), ro([False, True, True, False], bool))
    assert_matrix(binary("*", t, f), ro([True, False, False, False], bool))
    assert_matrix(binary("^", t, f), ro([True, True, False, True], bool))
    assert_matrix(binary("/", t, ro([True] * 4, bool)), t)
    with pytest.raises(ZeroDivisionError, match="'/'"):
        binary("/", t, f)


def test_mixed_signedness_wraps_like_c() -> None:
    assert_matrix(binary("+", ro([-1, -2], np.int64), np.uint64(0)),
                  ro([2**64 - 1, 2**64 - 2], np.uint64))
    assert_matrix(binary("*", ro([-1], np.int8), np.uint8(2)), ro([254], np.uint8))
    # comparisons happen in the common type too: -1 as ui64 is huge
    assert_matrix(binary("<", ro([-1], np.int64), np.uint64(5)), ro([0], np.uint64))
    assert_matrix(binary("+", ro([127], np.int8), np.int8(1)), ro([-128], np.int8))


# --- integer division and remainder -------------------------------------------------------


def c_div_mod(a: int, b: int) -> tuple[int, int]:
    """C's truncating quotient and remainder of Python ints (exact for any size)."""
    q = abs(a) // abs(b)
    q = q if (a < 0) == (b < 0) else -q
    return q, a - q * b


def wrap(values: list[int], dtype: type) -> np.ndarray:
    bits = np.dtype(dtype).itemsize * 8
    return np.array([v % 2**bits for v in values], dtype=np.uint64).astype(dtype)


@st.composite
def int_operands(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray | np.generic]:
    dtype = draw(st.sampled_from(INT_DTYPES))
    shape = draw(st.tuples(st.integers(1, 4), st.integers(1, 4)))
    a = draw(hnp.arrays(dtype, shape))
    rshape = draw(st.sampled_from([shape, (1, shape[1]), (shape[0], 1), ()]))
    b = draw(hnp.arrays(dtype, rshape, elements=hnp.from_dtype(np.dtype(dtype)).filter(bool)))
    a.flags.writeable = False
    return a, (b[()] if rshape == () else b)


@settings(max_examples=200, deadline=None)
@given(int_operands())
def test_integer_division_truncates_and_remainder_follows_the_dividend(operands) -> None:
    a, b = operands
    q, r = binary("/", a, b), binary("%", a, b)
    bb = np.broadcast_to(b, a.shape)
    pairs = [c_div_mod(int(x), int(y)) for x, y in zip(a.ravel(), bb.ravel(), strict=True)]
    assert_matrix(q, wrap([p[0] for p in pairs], a.dtype).reshape(a.shape))
    assert_matrix(r, wrap([p[1] for p in pairs], a.dtype).reshape(a.shape))
    for x, y, (quot, rem) in zip(a.ravel(), bb.ravel(), pairs, strict=True):
        if abs(int(x)) < 2**53 and abs(int(y)) < 2**53:
            assert math.fmod(int(x), int(y)) == rem
            assert int(int(x) / int(y)) == quot or abs(int(x)) >= 2**52


@given(st.integers(-(2**62), 2**62), st.integers(-(2**62), 2**62).filter(bool))
def test_scalar_integer_division_matches_c(a: int, b: int) -> None:
    quot, rem = c_div_mod(a, b)
    assert binary("/", a, b) == quot and type(binary("/", a, b)) is np.int64
    assert binary("%", a, b) == rem and binary("mod", a, b) == rem


def test_integer_kernels_read_strided_and_transposed_views() -> None:
    base = np.arange(-12, 12, dtype=np.int32).reshape(4, 6)
    base.flags.writeable = False
    a, b = base[:, ::2], (base.T | 1)[:3, :].T  # non-contiguous operands
    pairs = [c_div_mod(int(x), int(y)) for x, y in zip(a.ravel(), b.ravel(), strict=True)]
    assert_matrix(binary("/", a, b), np.array([p[0] for p in pairs], np.int32).reshape(4, 3))
    assert_matrix(binary("%", a, b), np.array([p[1] for p in pairs], np.int32).reshape(4, 3))
    exps = ro([[0], [1], [2], [5]], np.int32)
    assert_matrix(binary("^", a, exps), np.array(
        [[int(math.pow(x, e)) for x in r] for r, (e,) in zip(a.tolist(), exps.tolist(),
                                                             strict=True)], np.int32))
    assert_matrix(unary("round", (base / 4.0)[:, ::3]), np.array(
        [[math.copysign(math.floor(abs(v) + 0.5), v) for v in r]
         for r in (base / 4.0)[:, ::3].tolist()]))


@pytest.mark.parametrize("dtype", [np.int8, np.int32, np.int64])
def test_int_min_divided_by_minus_one_wraps_instead_of_trapping(dtype: type) -> None:
    low = np.iinfo(dtype).min
    assert_matrix(binary("/", ro([low, 5], dtype), dtype(-1)), ro([low, -5], dtype))
    assert_matrix(binary("%", ro([low, 5], dtype), dtype(-1)), ro([0, 0], dtype))


@pytest.mark.parametrize("op", ["/", "%", "mod"])
@pytest.mark.parametrize("rhs", [0, ro([[1], [0]], np.int64), ro([1, 0], np.int64)])
def test_integer_division_by_zero_raises(op: str, rhs: object) -> None:
    with pytest.raises(ZeroDivisionError, match=f"integer division by zero in '{op}'"):
        binary(op, ro([[1, 2], [3, 4]], np.int64), rhs)


def test_scalar_divided_by_a_matrix_with_a_zero_raises() -> None:
    with pytest.raises(ZeroDivisionError):
        binary("/", 6, ro([1, 0], np.int32))
    assert_matrix(binary("/", 7, ro([2, -3], np.int32)), ro([3, -2], np.int64))


def test_float_division_by_zero_is_ieee() -> None:
    result = binary("/", ro([1.0, -1.0, 0.0], np.float64), 0.0)
    assert_matrix(result, ro([np.inf, -np.inf, np.nan], np.float64))
    assert_matrix(binary("%", ro([5.5, -5.5], np.float64), 2.0), ro([1.5, -1.5], np.float64))
    assert np.isnan(binary("%", 1.0, 0.0))


def test_power_goes_through_double_and_truncates() -> None:
    assert binary("^", 10, -3) == 0 and type(binary("^", 10, -3)) is np.int64
    assert binary("^", 2, 10) == 1024
    assert binary("pow", -2, 3) == -8
    assert_matrix(binary("^", ro([2, -2, 3], np.int32), np.int32(-1)), ro([0, 0, 0], np.int32))
    assert_matrix(binary("^", ro([4.0, 2.0], np.float32), 0.5), ro([2.0, 2**0.5], np.float64))
    assert_matrix(binary("^", ro([4.0], np.float32), np.float32(0.5)), ro([2.0], np.float32))


@settings(max_examples=200, deadline=None)
@given(st.integers(-50, 50), st.integers(-5, 40), st.sampled_from(INT_DTYPES))
def test_integer_power_is_libm_pow_truncated(base: int, exp: int, dtype: type) -> None:
    info = np.iinfo(dtype)
    expected = math.pow(base, exp) if base or exp >= 0 else math.inf
    if not (info.min <= base <= info.max and info.min <= exp <= info.max
            and info.min <= expected <= info.max):
        return  # out of range: C leaves the conversion undefined
    # a scalar exponent may take numpy's exact integer power, a matrix one the libm loop
    assert_matrix(binary("^", ro([base], dtype), ro([exp], dtype)), ro([int(expected)], dtype))
    assert_matrix(binary("^", ro([base, base], dtype), ro([exp, exp], dtype)),
                  ro([int(expected)] * 2, dtype))


def test_integer_power_is_not_off_by_one_ulp() -> None:
    # numpy's vectorised power gives 16677181699666568.0 here; libm gives ...570.0
    assert binary("^", 3, 34) == int(math.pow(3, 34)) == 16677181699666570


def test_log_with_a_base() -> None:
    assert binary("log", 8, 2) == 3.0 and type(binary("log", 8, 2)) is np.float64
    x = ro([1.0, 100.0, 1000.0], np.float32)
    assert_matrix(binary("log", x, np.float32(10)), np.log(x) / np.log(np.float32(10)))
    base = ro([2.0, 10.0, 10.0], np.float64)
    assert_matrix(binary("log", 4, base), np.log(np.float64(4)) / np.log(base))


def test_min_max_keep_the_lhs_when_either_is_nan_like_std_min() -> None:
    lhs = ro([np.nan, 1.0, 3.0, np.nan], np.float64)
    rhs = ro([1.0, np.nan, 2.0, np.nan], np.float64)
    assert_matrix(binary("min", lhs, rhs), ro([np.nan, 1.0, 2.0, np.nan], np.float64))
    assert_matrix(binary("max", lhs, rhs), ro([np.nan, 1.0, 3.0, np.nan], np.float64))
    assert_matrix(binary("max", ro([1, 5], np.int8), np.int8(3)), ro([3, 5], np.int8))


def test_logical_operators() -> None:
    x = ro([0.0, 2.5, np.nan, -1.0], np.float64)
    assert_matrix(binary("&&", x, 1), ro([0, 1, 1, 1], np.uint64))
    assert_matrix(binary("||", x, 0), ro([0, 1, 1, 1], np.uint64))
    assert_matrix(binary("&&", ro([0, 3], np.int8), np.int8(4)), ro([0, 1], np.int8))
    assert type(binary("||", False, True)) is np.bool_ and binary("||", False, True)
    with pytest.raises(TypeError, match="'&&' is not defined for strings"):
        binary("&&", "a", 1)


# --- strings --------------------------------------------------------------------------------


def test_string_concatenation_stringifies_numbers_as_print_does() -> None:
    assert binary("+", "a", 3) == "a3"
    assert binary("+", 3, "a") == "3a"
    assert binary("+", "1", "2") == "12"
    assert binary("+", "x", 2.0) == "x2"
    assert binary("+", "x", 1e-7) == "x1e-07"
    assert binary("+", "x", np.float32(0.1)) == "x0.1"
    assert binary("+", "b", True) == "b1"
    m = binary("+", ro([1.5, -2.0, 1234567.0], np.float64), "!")
    assert_matrix(m, ro(["1.5!", "-2!", "1.23457e+06!"], S))
    assert_matrix(binary("+", "n=", ro([[-7], [8]], np.int8)), ro([["n=-7"], ["n=8"]], S))


def test_string_comparisons_are_lexicographic_and_si64() -> None:
    a = ro(["apple", "banana", "b"], S)
    assert_matrix(binary("<", a, "b"), ro([1, 0, 0], np.int64))
    assert_matrix(binary("==", a, ro(["apple", "x", "b"], S)), ro([1, 0, 1], np.int64))
    assert binary(">", "b", "abc") == 1 and type(binary(">", "b", "abc")) is np.int64
    # a number is compared with its print text: "10" < "9"
    assert binary("<", "10", 9) == 1
    assert_matrix(binary("min", a, "avocado"), ro(["apple", "avocado", "avocado"], S))


@pytest.mark.parametrize("op", ["-", "*", "/", "^", "%", "log"])
def test_other_arithmetic_on_strings_is_a_type_error(op: str) -> None:
    with pytest.raises(TypeError, match=re.escape(f"'{op}' is not defined for strings")):
        binary(op, ro(["a"], S), 1)


# --- broadcasting ---------------------------------------------------------------------------


def test_broadcasting_rows_columns_and_scalars() -> None:
    x = ro(np.arange(6.0).reshape(2, 3), np.float64)
    row, col = ro([10.0, 20.0, 30.0]), ro([[100.0], [200.0]])
    assert_matrix(binary("+", x, row), x + row)
    assert_matrix(binary("-", x, col), x - col)
    assert_matrix(binary("*", x, 2), x * 2)
    assert_matrix(binary("-", 1, x), 1 - x)
    assert_matrix(binary("+", ro([[1.0, 2.0]]), ro([[5.0]])), ro([[6.0, 7.0]]))
    empty = np.empty((0, 3))
    assert_matrix(binary("+", empty, ro([1.0, 2.0, 3.0])), np.empty((0, 3)))


@pytest.mark.parametrize(("lhs_shape", "rhs_shape"), [
    ((2, 3), (1, 1)), ((2, 3), (3, 2)), ((2, 3), (2, 2)), ((2, 1), (1, 3)), ((1, 3), (2, 3)),
])
@pytest.mark.parametrize("op", ["+", "<", "/", "&&"])
def test_broadcast_violations_name_both_shapes(lhs_shape, rhs_shape, op: str) -> None:
    lhs, rhs = np.ones(lhs_shape), np.ones(rhs_shape)
    msg = (re.escape(f"'{op}'") + f".*got lhs {lhs_shape[0]}x{lhs_shape[1]} and rhs "
           f"{rhs_shape[0]}x{rhs_shape[1]}")
    with pytest.raises(ValueError, match=msg):
        binary(op, lhs, rhs)


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_float_ops_match_numpy_on_broadcast_shapes(data: st.DataObject) -> None:
    shape = data.draw(st.tuples(st.integers(0, 5), st.integers(0, 5)))
    rshape = data.draw(st.sampled_from([shape, (1, shape[1]), (shape[0], 1)]))
    a = data.draw(hnp.arrays(np.float64, shape))
    b = data.draw(hnp.arrays(np.float64, rshape))
    for op, ref in (("+", np.add), ("-", np.subtract), ("*", np.multiply), ("/", np.divide),
                    ("^", np.power), ("%", np.fmod)):
        assert_matrix(binary(op, a, b), ref(a, b))
    assert_matrix(binary("<", a, b), np.less(a, b).astype(np.float64))


# --- unary ----------------------------------------------------------------------------------


def test_round_is_half_away_from_zero() -> None:
    x = ro([0.5, -0.5, 1.5, 2.5, -2.5, 0.49999999999999994, -0.3, 2.0**52 + 1, np.inf, np.nan])
    expected = ro([1.0, -1.0, 2.0, 3.0, -3.0, 0.0, -0.0, 2.0**52 + 1, np.inf, np.nan])
    result = unary("round", x)
    assert_matrix(result, expected)
    assert np.signbit(result[0, 6])
    assert_matrix(unary("round", ro([2.5, -3.5], np.float32)), ro([3.0, -4.0], np.float32))
    assert unary("round", 2.5) == 3.0
    assert_matrix(unary("round", ro([7, -7], np.int32)), ro([7, -7], np.int32))


@settings(max_examples=200, deadline=None)
@given(hnp.arrays(np.float64, (3, 4), elements=st.floats(-1e17, 1e17)))
def test_round_matches_an_exact_reference(x: np.ndarray) -> None:
    # Below 2^52 a double may have a fraction; |v| - floor(|v|) is exact there.
    exact = [math.floor(abs(v)) + (1.0 if abs(v) - math.floor(abs(v)) >= 0.5 else 0.0)
             for v in x.ravel()]
    expected = np.where(np.abs(x) < 2**52, np.copysign(np.reshape(exact, x.shape), x), x)
    assert_matrix(unary("round", x), expected)


@pytest.mark.parametrize("op", ["exp", "ln", "sqrt", "sin", "cos", "tan", "asin", "acos", "atan",
                                "sinh", "cosh", "tanh"])
@pytest.mark.parametrize(("dtype", "result"), [
    (np.int64, np.float64), (np.uint8, np.float64), (np.bool_, np.float64),
    (np.float32, np.float32), (np.float64, np.float64),
])
def test_float_functions_give_f64_except_for_f32(op: str, dtype: type, result: type) -> None:
    names = {"ln": "log", "asin": "arcsin", "acos": "arccos", "atan": "arctan"}
    ref = getattr(np, names.get(op, op))
    x = ro([[0, 1], [1, 0]], dtype)
    assert_matrix(unary(op, x), ref(x.astype(result)))
    assert type(unary(op, dtype(1))) is result


@pytest.mark.parametrize(("op", "value", "domain"), [
    ("sqrt", -1.0, r"\[-0, inf\]"), ("ln", -0.5, r"\[-0, inf\]"), ("asin", 1.5, r"\[-1, 1\]"),
    ("acos", -2, r"\[-1, 1\]"),
])
def test_out_of_domain_arguments_raise(op: str, value: float, domain: str) -> None:
    with pytest.raises(ValueError, match=f"invalid argument .* passed to unary func {op} "
                                         f"with domain {domain}"):
        unary(op, ro([0.5, value, np.nan]))
    with pytest.raises(ValueError):
        unary(op, value)
    assert np.isnan(unary(op, np.nan))
    assert unary("ln", -0.0) == -np.inf


@pytest.mark.parametrize("dtype", [np.int8, np.int64, np.uint8, np.uint64, np.float32, np.float64])
def test_type_keeping_unary_ops(dtype: type) -> None:
    info = np.iinfo(dtype) if np.dtype(dtype).kind in "iu" else None
    values = [0, 3, info.max] if info is not None and info.min == 0 else [-3, 0, 3]
    x = ro(values, dtype)
    assert_matrix(unary("minus", x), np.negative(x))
    assert_matrix(unary("abs", x), np.abs(x))
    assert_matrix(unary("sign", x), np.sign(x))
    for op in ("floor", "ceil", "round"):
        assert_matrix(unary(op, x), x.copy())
    assert_matrix(unary("isNan", x), np.zeros_like(x))


def test_minus_wraps_and_sign_of_nan() -> None:
    low = np.iinfo(np.int64).min
    assert_matrix(unary("minus", ro([low, 1], np.int64)), ro([low, -1], np.int64))
    assert_matrix(unary("minus", ro([1, 0], np.uint8)), ro([255, 0], np.uint8))
    assert_matrix(unary("abs", ro([-128], np.int8)), ro([-128], np.int8))
    sign = unary("sign", ro([-2.0, -0.0, np.nan, np.inf]))
    assert_matrix(sign, ro([-1.0, 0.0, np.nan, 1.0]))
    assert unary("minus", True) is np.True_
    assert_matrix(unary("floor", ro([-1.5, 1.5])), ro([-2.0, 1.0]))
    assert_matrix(unary("ceil", ro([-1.5, 1.5], np.float32)), ro([-1.0, 2.0], np.float32))


def test_is_nan_keeps_the_value_type() -> None:
    assert_matrix(unary("isNan", ro([1.0, np.nan], np.float32)), ro([0.0, 1.0], np.float32))
    assert unary("isNan", np.nan) == 1.0 and type(unary("isNan", np.nan)) is np.float64
    assert_matrix(unary("isNan", ro([True])), ro([False]))


def test_unary_ops_reject_strings() -> None:
    with pytest.raises(TypeError, match="'sqrt' is not defined for strings"):
        unary("sqrt", ro(["4"], S))


def test_unary_kernels_are_registered() -> None:
    x = ro([[4.0]])
    assert_matrix(lookup("sqrt")(x), ro([[2.0]]))
    assert_matrix(lookup("minus")(x), ro([[-4.0]]))


# --- outer, ifElse, matmul ------------------------------------------------------------------


OUTER_REF = {
    "outerAdd": np.add, "outerSub": np.subtract, "outerMul": np.multiply,
    "outerDiv": np.divide, "outerPow": np.power, "outerMod": np.fmod,
    "outerMin": np.minimum, "outerMax": np.maximum,
    "outerLog": lambda a, b: np.log(a) / np.log(b),
}
CMP_REF = {"outerEq": np.equal, "outerNeq": np.not_equal, "outerLt": np.less,
           "outerLe": np.less_equal, "outerGt": np.greater, "outerGe": np.greater_equal,
           "outerAnd": np.logical_and, "outerOr": np.logical_or, "outerXor": np.logical_xor}


@pytest.mark.parametrize("name", [*OUTER_REF, *CMP_REF])
def test_outer_ops_match_numpy_outer(name: str) -> None:
    col = ro([[1.0], [2.0], [4.0]])
    row = ro([[2.0, 0.5, 4.0, 1.0]])
    result = lookup(name)(col, row)
    if name in OUTER_REF:
        expected = OUTER_REF[name](col, row)
    else:
        dtype = np.uint64 if name in ("outerAnd", "outerOr", "outerXor") else np.float64
        expected = CMP_REF[name](col, row).astype(dtype)
    assert_matrix(result, expected)
    assert result.shape == (3, 4)


def test_outer_with_integers_and_strings() -> None:
    col, row = ro([[7], [-7]], np.int64), ro([[2, -2, 7]], np.int64)
    assert_matrix(outer("outerDiv", col, row), ro([[3, -3, 1], [-3, 3, -1]], np.int64))
    assert_matrix(outer("outerMod", col, row), ro([[1, 1, 0], [-1, -1, 0]], np.int64))
    with pytest.raises(ZeroDivisionError):
        outer("outerMod", col, ro([[0]], np.int64))
    assert_matrix(outer("outerConcat", ro([["a"], ["b"]], S), ro([[1, 2]], np.int64)),
                  ro([["a1", "a2"], ["b1", "b2"]], S))
    assert_matrix(outer("outerAdd", 1, ro([[1, 2]], np.int8)), ro([[2, 3]], np.int64))


@pytest.mark.parametrize(("lhs", "rhs"), [((1, 3), (1, 3)), ((3, 1), (3, 1)), ((2, 2), (1, 2))])
def test_outer_shape_errors(lhs, rhs) -> None:
    with pytest.raises(ValueError, match=r"outerAdd needs an m x 1 lhs and a 1 x n rhs.*got lhs"):
        outer("outerAdd", np.ones(lhs), np.ones(rhs))


def test_if_else_elementwise() -> None:
    cond = ro([[1, 0], [0, 1]], np.int64)
    then, other = ro([[1.5, 2.5], [3.5, 4.5]]), ro([[-1.0, -2.0], [-3.0, -4.0]])
    assert_matrix(if_else(cond, then, other), ro([[1.5, -2.0], [-3.0, 4.5]]))
    assert_matrix(if_else(cond, then, 0.0), ro([[1.5, 0.0], [0.0, 4.5]]))
    assert_matrix(if_else(cond, 7, 8), ro([[7, 8], [8, 7]], np.int64))
    # nonzero (NaN too) counts as true, as in DAPHNE's static_cast<bool>
    assert_matrix(if_else(ro([[2.0, np.nan, 0.0]]), "y", "n"), ro([["y", "y", "n"]], S))
    assert_matrix(if_else(ro([[True, False]]), ro([[1, 2]], np.uint8), np.uint8(9)),
                  ro([[1, 9]], np.uint8))


def test_if_else_errors() -> None:
    cond = ro([[1, 0]], np.int64)
    with pytest.raises(TypeError, match="same value type, got f64 and si64"):
        if_else(cond, ro([[1.0, 2.0]]), ro([[1, 2]], np.int64))
    with pytest.raises(ValueError, match="then matrix must have the condition's shape"):
        if_else(cond, ro([[1.0], [2.0]]), 0.0)
    with pytest.raises(TypeError, match="condition of '\\?:' must be numeric"):
        if_else(ro([["a"]], S), 1, 2)


def test_if_else_casts_a_scalar_branch_to_the_matrix_branch_type() -> None:
    out = if_else(ro([[1, 0]], np.int64), ro([[1.5, 2.5]]), 0)
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out, [[1.5, 0.0]])


def test_if_else_chooses_between_frames_with_a_scalar_condition() -> None:
    f = FrameValue([np.array([1, 2], dtype=np.int64)], ["a"])
    g = FrameValue([np.array([0.5, 1.5]), np.array(["x", "y"], dtype=STRING_DTYPE)], ["b", "c"])
    assert if_else(1, f, g) is f and if_else(0.0, f, g) is g
    assert if_else(np.int64(-3), g, f) is g
    with pytest.raises(TypeError, match="needs a scalar condition"):
        if_else(ro([[1]], np.int64), f, g)
    with pytest.raises(TypeError, match="needs a frame as the other operand"):
        if_else(1, f, ro([[1.0]]))
    with pytest.raises(TypeError, match="needs a frame as the other operand"):
        if_else(0, 2.0, g)
    with pytest.raises(TypeError, match="condition of '\\?:' must be numeric"):
        if_else("yes", f, g)


def test_if_else_with_a_scalar_condition_chooses() -> None:
    assert if_else(1, 2, 3) == 2 and if_else(0.0, 2, 3) == 3
    assert type(if_else(True, 2, 3.5)) is np.float64  # the common type, known before running
    m = ro([[1, 2]], np.int64)
    assert_matrix(if_else(np.int64(0), ro([[9, 9]], np.int64), m), m)
    with pytest.raises(TypeError, match="both matrices or both scalars"):
        if_else(1, m, 3)


def test_matmul() -> None:
    rng = np.random.default_rng(1)
    a, b = ro(rng.random((4, 3))), ro(rng.random((3, 5)))
    assert_matrix(matmul(a, b), a @ b)
    ai = ro(rng.integers(-(2**40), 2**40, (3, 4)), np.int64)
    bi = ro(rng.integers(-(2**20), 2**20, (4, 2)), np.int64)
    exact = [[sum(int(ai[i, k]) * int(bi[k, j]) for k in range(4)) for j in range(2)]
             for i in range(3)]
    assert_matrix(matmul(ai, bi), wrap([v for r in exact for v in r], np.int64).reshape(3, 2))
    ones = ro(np.ones((4, 1)), np.float32)
    assert_matrix(matmul(ai.astype(np.int32), ones), ai.astype(np.int32).astype(np.float32) @ ones)
    assert_matrix(matmul(ro([[1, 2]], np.int8), ro([[1.5], [1.0]])), ro([[3.5]]))
    size = np.ones((2, 2), np.uint64).view(SIZE_DTYPE)
    assert matmul(size, size).dtype.metadata == {"vt": "size"}
    assert_matrix(matmul(np.empty((2, 0)), np.empty((0, 3))), np.zeros((2, 3)))


def test_matmul_errors() -> None:
    with pytest.raises(ValueError, match=r"'@'.*got lhs 2x3 and rhs 2x3"):
        matmul(np.ones((2, 3)), np.ones((2, 3)))
    with pytest.raises(TypeError, match="'@' needs two matrices"):
        matmul(np.ones((2, 2)), 2.0)
    with pytest.raises(TypeError, match="'@' is not defined for strings"):
        matmul(ro([["a"]], S), ro([["b"]], S))


def test_native_kernels_refuse_operands_that_do_not_broadcast() -> None:
    from daphnelib._native import kernels

    out = np.empty((2, 3), np.int64)
    for fn in (kernels.trunc_div, kernels.c_mod, kernels.int_pow):
        with pytest.raises(ValueError, match=r"operand shape \(3, 1\) does not broadcast"):
            fn(np.ones((2, 3), np.int64), np.ones((3, 1), np.int64), out)


# --- strings: lower, upper, concat -----------------------------------------------------------


def test_lower_and_upper_change_ascii_letters_only() -> None:
    x = ro([["AbC d1", "ÄÖü ß", ""], ["İx", "mIxEd_CaSe", "ǅ"]], S)
    # DAPHNE applies C's tolower/toupper to every byte: non-ASCII letters stay as they are.
    assert_matrix(lookup("lower")(x), ro([["abc d1", "ÄÖü ß", ""], ["İx", "mixed_case", "ǅ"]], S))
    assert_matrix(lookup("upper")(x), ro([["ABC D1", "ÄÖü ß", ""], ["İX", "MIXED_CASE", "ǅ"]], S))
    assert lookup("lower")("AbC") == "abc" and type(lookup("lower")("AbC")) is str
    assert lookup("upper")("straße") == "STRAßE"


@settings(max_examples=100, deadline=None)
@given(cells=st.lists(st.text(max_size=8), min_size=1, max_size=6))
def test_lower_and_upper_equal_bytewise_c_case_mapping(cells: list[str]) -> None:
    x = ro([cells], S)

    def bytewise(text: str, fn: object) -> str:
        # bytes.lower/upper map the ASCII letters only, like C's tolower/toupper per byte
        return fn(text.encode("utf-8", "surrogatepass")).decode("utf-8", "surrogatepass")

    assert_matrix(lookup("lower")(x), ro([[bytewise(c, bytes.lower) for c in cells]], S))
    assert_matrix(lookup("upper")(x), ro([[bytewise(c, bytes.upper) for c in cells]], S))


@pytest.mark.parametrize("op", ["lower", "upper"])
def test_case_ops_reject_numbers(op: str) -> None:
    with pytest.raises(TypeError, match=f"'{op}' is defined for strings only, got f64"):
        lookup(op)(ro([[1.0]]))
    with pytest.raises(TypeError, match=f"'{op}' is defined for strings only, got si64"):
        lookup(op)(3)


def test_concat_of_scalars_matrices_and_numbers() -> None:
    concat = lookup("concat")
    assert concat("ab", "cd") == "abcd" and type(concat("ab", "cd")) is str
    # Numbers are stringified as print shows them (as `+` does with a string).
    assert concat("x", 1.5) == "x1.5" and concat(2, "y") == "2y" and concat(1, 2) == "12"
    lhs = ro([["a", "b"], ["c", "d"]], S)
    assert_matrix(concat(lhs, "!"), ro([["a!", "b!"], ["c!", "d!"]], S))
    assert_matrix(concat(lhs, ro([["1", "2"]], S)), ro([["a1", "b2"], ["c1", "d2"]], S))
    assert_matrix(concat(lhs, ro([[1], [2]], np.int64)), ro([["a1", "b1"], ["c2", "d2"]], S))
    assert_matrix(concat("<", lhs), ro([["<a", "<b"], ["<c", "<d"]], S))
    with pytest.raises(ValueError, match=r"'concat': lhs and rhs must have the same dimensions"):
        concat(lhs, ro([["1", "2", "3"]], S))


# --- relu, softmax ---------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.int8, np.int32, np.int64, np.float32, np.float64])
def test_relu_keeps_the_value_type(dtype: type) -> None:
    assert_matrix(lookup("relu")(ro([[-3, 0, 5], [7, -1, 1]], dtype)),
                  ro([[0, 0, 5], [7, 0, 1]], dtype))


def test_relu_special_values_and_scalars() -> None:
    out = lookup("relu")(ro([[-0.0, np.nan, -np.inf, np.inf]]))
    assert_matrix(out, ro([[0.0, np.nan, 0.0, np.inf]]))
    assert not np.signbit(out[0, 0])  # prints "0", not "-0"
    for dtype in (np.uint8, np.uint64, np.bool_):
        x = ro([[0, 1, 1]], dtype)
        assert_matrix(lookup("relu")(x), x.copy())
    assert lookup("relu")(np.int64(-4)) == 0 and type(lookup("relu")(np.int64(-4))) is np.int64
    assert lookup("relu")(2.5) == 2.5
    with pytest.raises(TypeError, match="'relu' is not defined for strings"):
        lookup("relu")(ro([["a"]], S))


def softmax_reference(x: np.ndarray, dtype: type) -> np.ndarray:
    e = np.exp(x.astype(dtype) - x.max(axis=1, keepdims=True).astype(dtype))
    return e * (dtype(1) / e.sum(axis=1, keepdims=True))


@settings(max_examples=100, deadline=None)
@given(x=hnp.arrays(st.sampled_from([np.float32, np.float64]),
                    st.tuples(st.integers(0, 4), st.integers(1, 5)),
                    elements=st.floats(-50, 50, width=32)))
def test_softmax_equals_the_row_wise_reference(x: np.ndarray) -> None:
    x.flags.writeable = False
    out = lookup("softmax")(x)
    assert_matrix(out, softmax_reference(x, x.dtype.type))
    np.testing.assert_allclose(out.sum(axis=1), 1.0, rtol=1e-5)


def test_softmax_types_and_special_values() -> None:
    ints = ro([[1, 2, 3], [0, 0, 0]], np.int64)
    assert_matrix(lookup("softmax")(ints), softmax_reference(ints, np.float64))
    assert_matrix(lookup("softmax")(ro([[0, 0]], np.uint8)), ro([[0.5, 0.5]]))
    # Subtracting the row maximum first: no overflow for large values.
    assert_matrix(lookup("softmax")(ro([[1000.0, 1000.0]])), ro([[0.5, 0.5]]))
    assert_matrix(lookup("softmax")(ro([[1.0, np.nan], [1.0, 1.0]])),
                  ro([[np.nan, np.nan], [0.5, 0.5]]))
    assert_matrix(lookup("softmax")(ro(np.empty((2, 0)), np.float32)),
                  np.empty((2, 0), np.float32))
    with pytest.raises(TypeError, match="softmax needs a matrix"):
        lookup("softmax")(1.0)
    with pytest.raises(TypeError, match="'softmax' is not defined for strings"):
        lookup("softmax")(ro([["a"]], S))


# -- the f64 fast paths (numbers, an f64 matrix and a number) equal the 1 x 1 operand path --

_FAST_OPS = ["+", "-", "*", "/", *COMPARE]
_F64_CELLS = st.floats(allow_nan=True, allow_infinity=True, width=64)
_NUMBER = st.one_of(
    _F64_CELLS, _F64_CELLS.map(np.float64), st.integers(-(2**63), 2**63 - 1),
    st.integers(-(2**63), 2**63 - 1).map(np.int64))


def _reference(op: str, lhs: object, rhs: object) -> object:
    """The generic path: operands as 1 x 1 arrays of their VT (what the fast paths skip)."""
    from daphnelib.engine.kernels.elementwise import BINARY

    return BINARY[op](op, lhs, rhs)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(_FAST_OPS), _NUMBER, _NUMBER)
def test_number_fast_path_equals_the_array_path(op: str, lhs: object, rhs: object) -> None:
    assume(isinstance(lhs, float) or isinstance(rhs, float))  # two ints: si64, no fast path
    got, want = binary(op, lhs, rhs), _reference(op, lhs, rhs)
    assert type(got) is type(want)
    assert np.asarray(got).tobytes() == np.asarray(want).tobytes()


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(_FAST_OPS), _NUMBER, st.booleans(),
       hnp.arrays(np.float64, hnp.array_shapes(min_dims=2, max_dims=2, max_side=4),
                  elements=_F64_CELLS))
def test_f64_matrix_number_fast_path_equals_the_array_path(
        op: str, number: object, number_left: bool, matrix: np.ndarray) -> None:
    matrix.flags.writeable = False
    lhs, rhs = (number, matrix) if number_left else (matrix, number)
    got, want = binary(op, lhs, rhs), _reference(op, lhs, rhs)
    assert got.dtype == want.dtype == np.float64
    assert got.shape == want.shape == matrix.shape
    assert got.tobytes() == want.tobytes()
    assert got.ctypes.data % 64 == 0  # aligned like every kernel result
