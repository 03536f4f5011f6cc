"""Elementwise kernels: infix operators, unary and binary math builtins, outer ops, ``?:``, ``@``,
the string builtins ``lower``/``upper``/``concat`` and the activations ``relu``/``softmax``.

DAPHNE's typing, not numpy's: a binary op computes in the most general operand value type
(``valuetypes.most_general``), comparisons give 0/1 in that type (si64 for strings), ``&&`` and
``||`` give 0/1 in it with floats replaced by ui64, and the float functions give f64 unless the
input is f32. Integer ``/`` truncates and ``%`` keeps the dividend's sign, as in C (the
``_native.kernels`` Cython loop; numpy's ``//``/``%`` floor); integer ``^`` is libm's ``pow`` in
double, converted back. Float functions use numpy's ufuncs, which may differ from libm in the
last bit (numpy vectorises exp, log, power...).

Scalars take part as 1 x 1 arrays, so every op is one numpy (or Cython) call over arrays of the
operation's value type; a scalar∘scalar op unwraps its 1 x 1 result at the end. Matrix∘matrix
ops follow DAPHNE's broadcasting rule (the rhs is equal-shaped, a 1 x m row or an n x 1 column;
the result has the lhs shape) and numpy broadcasts without copying.
"""

from __future__ import annotations

import operator
import string
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from daphnelib._native import kernels as native
from daphnelib.engine.printing import _cells, format_scalar
from daphnelib.engine.registry import kernel
from daphnelib.engine.values import FrameValue
from daphnelib.engine.valuetypes import (
    DTYPE_OF_VT,
    SIZE_DTYPE,
    STRING_DTYPE,
    SizeScalar,
    is_float,
    is_integral,
    most_general,
    vt_of,
)

Value = Any  # a matrix (2-D ndarray), a numpy scalar, a Python literal or str

# --- operands and results ----------------------------------------------------------------


def _operand(value: Value) -> tuple[np.ndarray, str, bool]:
    """``value`` as a 2-D array (scalars as 1 x 1), its VT, and whether it was a scalar."""
    vt = vt_of(value)
    if isinstance(value, np.ndarray):
        if value.ndim != 2:
            raise TypeError(f"expected a matrix (2-D array), got a {value.ndim}-D array")
        return value, vt, False
    cell = np.empty((1, 1), dtype=DTYPE_OF_VT[vt])  # cheaper than np.full, same conversion
    cell[0, 0] = value
    return cell, vt, True


def _stringify(x: np.ndarray) -> np.ndarray:
    """A string array of the print text of every cell (strings pass through)."""
    if x.dtype == STRING_DTYPE:
        return x
    return _cells(x)


def _cast(x: np.ndarray, vt: str) -> np.ndarray:
    """``x`` as an array of VT ``vt``: no copy when it already is one; ints wrap like C."""
    if vt == "str":
        return _stringify(x)
    return x.astype(DTYPE_OF_VT[vt], copy=False)


def _finish(out: np.ndarray, vt: str, scalar: bool) -> Value:
    """The engine value of a computed array: the unwrapped scalar, or the matrix as VT ``vt``."""
    if scalar:
        value = out[0, 0]
        if vt == "size":
            return SizeScalar(value)
        return value
    if vt == "size":
        return out.view(SIZE_DTYPE)
    if out.dtype.metadata is not None:  # a ui64 result computed from size operands
        return out.view(DTYPE_OF_VT[vt])
    return out


def _shape_error(what: str, op: str, lhs: np.ndarray, rhs: np.ndarray) -> ValueError:
    (n, m), (r, c) = lhs.shape, rhs.shape
    return ValueError(f"{op!r}: {what}; got lhs {n}x{m} and rhs {r}x{c}")


def _check_broadcast(op: str, lhs: Value, rhs: Value) -> None:
    """DAPHNE's rule: the rhs is n x m, 1 x m or n x 1 (a 1 x 1 rhs does not stretch to n x m)."""
    if isinstance(lhs, np.ndarray) and isinstance(rhs, np.ndarray):
        n, m = lhs.shape
        if rhs.shape not in ((n, m), (1, m), (n, 1)):
            raise _shape_error(
                "lhs and rhs must have the same dimensions, or rhs must be a row (1 x m) or a "
                "column (n x 1) vector matching lhs", op, lhs, rhs)


def _out_shape(x: np.ndarray, y: np.ndarray) -> tuple[int, ...]:
    return np.broadcast_shapes(x.shape, y.shape)


def _out(x: np.ndarray, y: np.ndarray, dtype: np.dtype) -> np.ndarray:
    return np.empty(_out_shape(x, y), dtype=dtype)


def _into(ufunc: np.ufunc, x: np.ndarray, y: np.ndarray, vt: str) -> np.ndarray:
    """``ufunc(x, y)`` (a bool-valued ufunc) written as 0/1 in VT ``vt``, in one pass."""
    if vt == "bool":
        return ufunc(x, y)
    return ufunc(x, y, out=_out(x, y, DTYPE_OF_VT[vt]))


# --- binary operations -------------------------------------------------------------------

# An op's typing maps the operand VTs to (the VT both operands are cast to, the result VT).
Typing = Callable[[str, str, str], tuple[str, str]]
Compute = Callable[[np.ndarray, np.ndarray, str], np.ndarray]


def _arith_typing(op: str, va: str, vb: str) -> tuple[str, str]:
    vt = most_general(va, vb)
    if vt == "str" and op not in ("+", "min", "max"):
        raise TypeError(f"{op!r} is not defined for strings (lhs {va}, rhs {vb})")
    return vt, vt


def _float_typing(op: str, va: str, vb: str) -> tuple[str, str]:
    vt = most_general(va, vb)
    if vt == "str":
        raise TypeError(f"{op!r} is not defined for strings (lhs {va}, rhs {vb})")
    vt = "f32" if vt == "f32" else "f64"
    return vt, vt


def _compare_typing(op: str, va: str, vb: str) -> tuple[str, str]:
    vt = most_general(va, vb)
    return vt, "si64" if vt == "str" else vt


def _logical_typing(op: str, va: str, vb: str) -> tuple[str, str]:
    vt = most_general(va, vb)
    if vt == "str":
        raise TypeError(f"{op!r} is not defined for strings (lhs {va}, rhs {vb})")
    return vt, vt if is_integral(vt) else "ui64"


def _concat_typing(op: str, va: str, vb: str) -> tuple[str, str]:
    return "str", "str"


def _int_native(fn: Callable[..., bool], x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Run a Cython integer kernel (it broadcasts extent-1 dimensions itself, no copies).

    A kernel returning True found a zero divisor.
    """
    out = _out(x, y, x.dtype)
    if x.dtype == np.bool_:  # bool has uint8's layout and 0/1 values
        x, y, kout = x.view(np.uint8), y.view(np.uint8), out.view(np.uint8)
    else:
        kout = out
    if fn(x, y, kout):
        raise ZeroDivisionError("integer division by zero")  # Binary names the op
    return out


def _add(x: np.ndarray, y: np.ndarray, vt: str) -> np.ndarray:
    # bool + bool in C is nonzero unless both are false: numpy's bool add (or) agrees.
    return np.add(x, y)  # StringDType add concatenates


def _sub(x: np.ndarray, y: np.ndarray, vt: str) -> np.ndarray:
    # bool(a - b) is a != b; numpy refuses to subtract bools.
    return np.not_equal(x, y) if vt == "bool" else np.subtract(x, y)


def _div(x: np.ndarray, y: np.ndarray, vt: str) -> np.ndarray:
    return np.divide(x, y) if is_float(vt) else _int_native(native.trunc_div, x, y)


def _mod(x: np.ndarray, y: np.ndarray, vt: str) -> np.ndarray:
    return np.fmod(x, y) if is_float(vt) else _int_native(native.c_mod, x, y)


def _pow(x: np.ndarray, y: np.ndarray, vt: str) -> np.ndarray:
    if is_float(vt) or _exact_int_power(x, y):
        return np.power(x, y)
    # libm's pow in double, converted back: 10 ^ -3 == 0 for ints (DAPHNE issue #776).
    return _int_native(native.int_pow, x, y)


def _exact_int_power(x: np.ndarray, y: np.ndarray) -> bool:
    """Whether numpy's exact integer power equals pow() in double for ``x ^ y``.

    True for a scalar exponent e >= 0 when every |x|^e is at most 2^53 and fits the type:
    then pow()'s double is the exact value (libm is within an ulp), and numpy's
    square-and-multiply is ~10x faster than a pow() call per cell.
    """
    if y.size != 1 or x.size == 0 or x.dtype == np.bool_:
        return False
    e = int(y[0, 0])
    if not 0 <= e <= 64:
        return False
    largest = max(abs(int(x.min())), abs(int(x.max())))
    return largest**e <= min(2**53, int(np.iinfo(x.dtype).max))


def _log(x: np.ndarray, y: np.ndarray, vt: str) -> np.ndarray:
    lx = np.log(x)
    return np.divide(lx, np.log(y), out=lx if lx.shape == _out_shape(x, y) else None)


def _minmax(plain: np.ufunc, rhs_wins: Callable[[np.ndarray, np.ndarray], np.ndarray]
            ) -> Compute:
    def compute(x: np.ndarray, y: np.ndarray, vt: str) -> np.ndarray:
        if not is_float(vt):
            return plain(x, y)
        # std::min(lhs, rhs) is (rhs < lhs) ? rhs : lhs, std::max (lhs < rhs) ? rhs : lhs: lhs
        # when either is NaN, and when they are equal (min(0.0, -0.0) is 0.0). numpy's
        # minimum/maximum pick either zero, depending on the array's length and alignment.
        return np.where(rhs_wins(x, y), y, x)

    return compute


def _compare(ufunc: np.ufunc) -> Compute:
    def compute(x: np.ndarray, y: np.ndarray, vt: str) -> np.ndarray:
        return _into(ufunc, x, y, "si64" if vt == "str" else vt)

    return compute


def _logical(ufunc: np.ufunc) -> Compute:
    def compute(x: np.ndarray, y: np.ndarray, vt: str) -> np.ndarray:
        return _into(ufunc, x, y, vt if is_integral(vt) else "ui64")

    return compute


@dataclass(frozen=True, slots=True)
class Binary:
    """One binary op: its typing rule and its computation over cast operand arrays."""

    typing: Typing
    compute: Compute

    def __call__(self, op: str, lhs: Value, rhs: Value) -> Value:
        x, va, x_scalar = _operand(lhs)
        y, vb, y_scalar = _operand(rhs)
        vt, result_vt = self.typing(op, va, vb)
        return _finish(self.apply(op, x, y, vt), result_vt, x_scalar and y_scalar)

    def apply(self, op: str, x: np.ndarray, y: np.ndarray, vt: str) -> np.ndarray:
        """The op over operand arrays already typed by :attr:`typing` (``vt``)."""
        try:
            return self.compute(_cast(x, vt), _cast(y, vt), vt)
        except ZeroDivisionError:
            raise ZeroDivisionError(f"integer division by zero in {op!r}") from None


BINARY: dict[str, Binary] = {
    "+": Binary(_arith_typing, _add),
    "-": Binary(_arith_typing, _sub),
    "*": Binary(_arith_typing, lambda x, y, vt: np.multiply(x, y)),
    "/": Binary(_arith_typing, _div),
    "%": Binary(_arith_typing, _mod),
    "^": Binary(_arith_typing, _pow),
    "min": Binary(_arith_typing, _minmax(np.minimum, lambda x, y: np.less(y, x))),
    "max": Binary(_arith_typing, _minmax(np.maximum, np.less)),
    "log": Binary(_float_typing, _log),
    "==": Binary(_compare_typing, _compare(np.equal)),
    "!=": Binary(_compare_typing, _compare(np.not_equal)),
    "<": Binary(_compare_typing, _compare(np.less)),
    "<=": Binary(_compare_typing, _compare(np.less_equal)),
    ">": Binary(_compare_typing, _compare(np.greater)),
    ">=": Binary(_compare_typing, _compare(np.greater_equal)),
    "&&": Binary(_logical_typing, _logical(np.logical_and)),
    "||": Binary(_logical_typing, _logical(np.logical_or)),
    # Numbers are stringified as print shows them, as `+` does when a side is a string.
    "concat": Binary(_concat_typing, _add),
}
BINARY["pow"], BINARY["mod"] = BINARY["^"], BINARY["%"]
# Only reachable through outerXor (DaphneDSL has no infix xor operator).
_XOR = Binary(_logical_typing, _logical(np.logical_xor))

OUTER: dict[str, Binary] = {
    f"outer{name}": BINARY[op]
    for name, op in (
        ("Add", "+"), ("Sub", "-"), ("Mul", "*"), ("Div", "/"), ("Pow", "^"), ("Log", "log"),
        ("Mod", "%"), ("Min", "min"), ("Max", "max"), ("And", "&&"), ("Or", "||"),
        ("Eq", "=="), ("Neq", "!="), ("Lt", "<"), ("Le", "<="), ("Gt", ">"), ("Ge", ">="),
        ("Concat", "concat"),
    )
}
OUTER["outerXor"] = _XOR


# Scalar fast path: an f64 op over numbers computes exactly what the 1 x 1 arrays would
# (IEEE ops are correctly rounded; ints convert to double the same way), on Python floats,
# except ``/``: numpy's gives inf/nan where Python's raises ZeroDivisionError.
_NUMBERS = frozenset((float, np.float64, int, np.int64))
_F64_SCALAR_OPS: dict[str, Callable[[float, float], Any]] = {
    "+": operator.add, "-": operator.sub, "*": operator.mul,
    "/": lambda a, b: np.float64(a) / b,
    "==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
    ">": operator.gt, ">=": operator.ge,
}


# The same ops over an f64 matrix and a number: the ufunc takes the number as a double.
_F64_MATRIX_OPS: dict[str, np.ufunc] = {
    "+": np.add, "-": np.subtract, "*": np.multiply, "/": np.divide,
    "==": np.equal, "!=": np.not_equal, "<": np.less, "<=": np.less_equal,
    ">": np.greater, ">=": np.greater_equal,
}
_F64 = np.dtype(np.float64)
_ARITH = frozenset("+-*/")


def binary(op: str, lhs: Value, rhs: Value) -> Value:
    """``lhs op rhs`` with DAPHNE's typing and broadcasting (op: a key of :data:`BINARY`)."""
    tl, tr = type(lhs), type(rhs)
    if tl in _NUMBERS:
        if tr in _NUMBERS:
            if tl is float or tl is np.float64 or tr is float or tr is np.float64:
                fast = _F64_SCALAR_OPS.get(op)
                if fast is not None:  # most_general(si64, f64) is f64: an f64 op and result
                    return np.float64(fast(float(lhs), float(rhs)))
        elif tr is np.ndarray and rhs.dtype is _F64 and rhs.ndim == 2 and op in _F64_MATRIX_OPS:
            return _f64_matrix_op(op, np.float64(lhs), rhs)
    elif (tl is np.ndarray and tr in _NUMBERS and lhs.dtype is _F64 and lhs.ndim == 2
          and op in _F64_MATRIX_OPS):
        return _f64_matrix_op(op, lhs, np.float64(rhs))
    _check_broadcast(op, lhs, rhs)
    return BINARY[op](op, lhs, rhs)


def _f64_matrix_op(op: str, x: Any, y: Any) -> np.ndarray:
    """An op of :data:`_F64_MATRIX_OPS` over an f64 matrix and an f64 scalar (either side):
    the result is f64 (comparisons as 0/1), as the 1 x 1 operand path computes it."""
    ufunc = _F64_MATRIX_OPS[op]
    if op in _ARITH:
        return ufunc(x, y)
    shape = x.shape if type(x) is np.ndarray else y.shape
    return ufunc(x, y, out=np.empty(shape, dtype=_F64))


def outer(name: str, lhs: Value, rhs: Value) -> Value:
    """``outer<Op>(lhs, rhs)``: m x 1 lhs, 1 x n rhs -> the m x n matrix of ``lhs_i op rhs_j``."""
    lhs = lhs if isinstance(lhs, np.ndarray) else _operand(lhs)[0]
    rhs = rhs if isinstance(rhs, np.ndarray) else _operand(rhs)[0]
    if lhs.shape[1] != 1 or rhs.shape[0] != 1:
        raise _shape_error(f"{name} needs an m x 1 lhs and a 1 x n rhs", name, lhs, rhs)
    return OUTER[name](name, lhs, rhs)


def _register_binary(op: str) -> None:
    kernel(op)(lambda lhs, rhs: binary(op, lhs, rhs))


def _register_outer(name: str) -> None:
    kernel(name)(lambda lhs, rhs: outer(name, lhs, rhs))


for _op in BINARY:
    _register_binary(_op)
for _name in OUTER:
    _register_outer(_name)


# --- unary operations --------------------------------------------------------------------

_FLOAT_UNARY: dict[str, np.ufunc] = {
    "exp": np.exp, "ln": np.log, "sqrt": np.sqrt,
    "sin": np.sin, "cos": np.cos, "tan": np.tan,
    "asin": np.arcsin, "acos": np.arccos, "atan": np.arctan,
    "sinh": np.sinh, "cosh": np.cosh, "tanh": np.tanh,
}
# DAPHNE rejects arguments outside these domains (std::domain_error); NaN passes.
_DOMAINS: dict[str, tuple[float, float, str]] = {
    "sqrt": (-0.0, np.inf, "[-0, inf]"),
    "ln": (-0.0, np.inf, "[-0, inf]"),
    "asin": (-1.0, 1.0, "[-1, 1]"),
    "acos": (-1.0, 1.0, "[-1, 1]"),
}


def _check_domain(op: str, x: np.ndarray) -> None:
    lo, hi, text = _DOMAINS[op]
    bad = np.less(x, lo)
    if hi != np.inf:
        bad |= np.greater(x, hi)
    if bad.any():
        first = x[bad][0]
        raise ValueError(f"invalid argument {format_scalar(first)!r} passed to unary func "
                         f"{op} with domain {text}")


def _round_half_away(x: np.ndarray) -> np.ndarray:
    """C's round(): halfway cases away from zero (numpy's round goes to even)."""
    out = np.empty(x.shape, x.dtype)
    native.round_half_away(x, out)
    return out


def _keep(float_fn: Callable[[np.ndarray], np.ndarray] | None,
          int_fn: Callable[[np.ndarray], np.ndarray] | None,
          bool_fn: Callable[[np.ndarray], np.ndarray] | None = None,
          ) -> Callable[[np.ndarray, str], np.ndarray]:
    """A VT-keeping unary op; ``None`` means the identity (a copy) for that kind of VT."""

    def compute(x: np.ndarray, vt: str) -> np.ndarray:
        fn = float_fn if is_float(vt) else bool_fn if vt == "bool" else int_fn
        return x.copy() if fn is None else fn(x)

    return compute


def _is_nan(x: np.ndarray) -> np.ndarray:
    if x.dtype.kind == "f":
        return np.isnan(x, out=np.empty(x.shape, x.dtype))
    return np.zeros(x.shape, x.dtype)


def _relu(x: np.ndarray) -> np.ndarray:
    zero = x.dtype.type(0)
    out = np.maximum(x, zero)  # NaN stays NaN
    if x.dtype.kind == "f":
        np.add(out, zero, out=out)  # -0.0 + 0.0 is 0.0: relu(-0.0) prints "0", not "-0"
    return out


_KEEP_UNARY: dict[str, Callable[[np.ndarray, str], np.ndarray]] = {
    # Unary minus wraps for ints; -true is nonzero, so a bool stays as it is.
    "minus": _keep(np.negative, np.negative),
    "abs": _keep(np.abs, np.abs),
    "sign": _keep(np.sign, np.sign),
    "round": _keep(_round_half_away, None),
    "floor": _keep(np.floor, None),
    "ceil": _keep(np.ceil, None),
    "isNan": _keep(_is_nan, _is_nan, _is_nan),
    "relu": _keep(_relu, _relu),
}


UNARY = frozenset((*_FLOAT_UNARY, *_KEEP_UNARY))


def unary_typing(op: str, vt: str) -> str:
    """The result VT of unary ``op`` over an operand of VT ``vt``."""
    if vt == "str":
        raise TypeError(f"{op!r} is not defined for strings")
    if op in _FLOAT_UNARY:
        return "f32" if vt == "f32" else "f64"
    return vt


def unary_apply(op: str, x: np.ndarray, vt: str, result_vt: str) -> np.ndarray:
    """Unary ``op`` over an operand array of VT ``vt`` (see :func:`unary_typing`)."""
    if op in _FLOAT_UNARY:
        if op in _DOMAINS:
            _check_domain(op, x)
        return _FLOAT_UNARY[op](x, dtype=DTYPE_OF_VT[result_vt])
    return _KEEP_UNARY[op](x, vt)


def unary(op: str, arg: Value) -> Value:
    """A DaphneDSL elementwise unary builtin (a key of ``_FLOAT_UNARY`` or ``_KEEP_UNARY``)."""
    x, vt, scalar = _operand(arg)
    result_vt = unary_typing(op, vt)
    return _finish(unary_apply(op, x, vt, result_vt), result_vt, scalar)


def _register_unary(op: str) -> None:
    kernel(op)(lambda arg: unary(op, arg))


for _op in (*_FLOAT_UNARY, *_KEEP_UNARY):
    _register_unary(_op)


# DAPHNE maps each byte with C's tolower/toupper, so only the ASCII letters change (no Unicode
# case mapping: "Ä" and "ß" stay as they are).
_CASE_TABLES = {
    "lower": str.maketrans(string.ascii_uppercase, string.ascii_lowercase),
    "upper": str.maketrans(string.ascii_lowercase, string.ascii_uppercase),
}


def change_case(op: str, arg: Value) -> Value:
    """``lower(arg)`` / ``upper(arg)`` of a string scalar or string matrix."""
    x, vt, scalar = _operand(arg)
    if vt != "str":
        raise TypeError(f"{op!r} is defined for strings only, got {vt}")
    return _finish(np.strings.translate(x, _CASE_TABLES[op]), vt, scalar)


def _register_case(op: str) -> None:
    kernel(op)(lambda arg: change_case(op, arg))


for _op in _CASE_TABLES:
    _register_case(_op)


@kernel("softmax")
def softmax(arg: Value) -> np.ndarray:
    """Each row of a matrix mapped to exp(x - max) / sum(exp(x - max)), as DAPHNE's kernel.

    f32 stays f32, other numeric types give f64. A NaN anywhere in a row makes the whole row
    NaN (it enters the row's sum).
    """
    if not isinstance(arg, np.ndarray):
        raise TypeError(f"softmax needs a matrix (it normalises each row), got "
                        f"{type(arg).__name__}")
    x, vt, _ = _operand(arg)
    if vt == "str":
        raise TypeError("'softmax' is not defined for strings")
    dtype = DTYPE_OF_VT["f32" if vt == "f32" else "f64"]
    if x.shape[1] == 0:
        return np.empty(x.shape, dtype)
    out = np.subtract(x, np.max(x, axis=1, keepdims=True), dtype=dtype)
    np.exp(out, out=out)
    scale = np.add.reduce(out, axis=1, keepdims=True)
    # Multiplied by the reciprocal of the sum, as DAPHNE does (not divided by the sum).
    np.divide(1, scale, out=scale)
    return np.multiply(out, scale, out=out)


# --- matrix product and conditional ------------------------------------------------------


def matrix_product(op: str, lhs: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    """``lhs @ rhs`` in the operands' most general VT (integers exact, wrapping).

    ``op`` names the builtin in error messages (``@``, or ``syrk``/``gemv``, which pass a
    transposed view as ``lhs``: numpy hands the transposition to BLAS, no copy).
    """
    if not (isinstance(lhs, np.ndarray) and isinstance(rhs, np.ndarray)):
        raise TypeError(f"{op!r} needs two matrices, got {type(lhs).__name__} and "
                        f"{type(rhs).__name__}")
    if lhs.shape[1] != rhs.shape[0]:
        raise _shape_error("the number of columns of lhs must equal the number of rows of rhs",
                           op, lhs, rhs)
    vt = most_general(vt_of(lhs), vt_of(rhs))
    if vt == "str":
        raise TypeError(f"{op!r} is not defined for strings")
    return _finish(np.matmul(_cast(lhs, vt), _cast(rhs, vt)), vt, False)


@kernel("@")
def matmul(lhs: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    """The matrix product in the operands' most general VT (integers exact, wrapping)."""
    return matrix_product("@", lhs, rhs)


@kernel("?:")
def if_else(cond: Value, then: Value, other: Value) -> Value:
    """``cond ? then : other``: elementwise for a matrix condition (nonzero = true), else a choice.

    With a matrix condition, then/else are matrices of its shape or scalars, of one VT. With a
    scalar condition, then/else may also both be frames (the chosen one is the result).
    """
    frames = [isinstance(v, FrameValue) for v in (then, other)]
    if any(frames):
        if isinstance(cond, (np.ndarray, FrameValue)):
            raise TypeError("'?:' with frame operands needs a scalar condition")
        if not all(frames):
            raise TypeError("'?:' with a frame operand needs a frame as the other operand too "
                            "(then/else of one data type)")
        if vt_of(cond) == "str":
            raise TypeError("the condition of '?:' must be numeric, got a string")
        return then if cond else other
    t, vt_then, t_scalar = _operand(then)
    e, vt_else, e_scalar = _operand(other)
    if not isinstance(cond, np.ndarray):
        if vt_of(cond) == "str":
            raise TypeError("the condition of '?:' must be numeric, got a string")
        if t_scalar != e_scalar:
            raise TypeError("with a scalar condition, '?:' needs then/else of one data type "
                            "(both matrices or both scalars)")
        # The chosen value in the common VT, so the result type does not depend on the data.
        vt = most_general(vt_then, vt_else)
        return _finish(_cast(t if cond else e, vt), vt, t_scalar)
    # A scalar branch takes the matrix branch's VT (as a DSL literal would be cast); two
    # matrices must agree, as in DAPHNE.
    if t_scalar and not e_scalar:
        t, vt_then = _cast(t, vt_else), vt_else
    elif e_scalar and not t_scalar:
        e, vt_else = _cast(e, vt_then), vt_then
    if vt_then != vt_else:
        raise TypeError(f"'?:' needs then/else values of the same value type, got {vt_then} "
                        f"and {vt_else}")
    c, vt_cond, _ = _operand(cond)
    if vt_cond == "str":
        raise TypeError("the condition of '?:' must be numeric, got a string matrix")
    for value, scalar, what in ((t, t_scalar, "then"), (e, e_scalar, "else")):
        if not scalar and value.shape != c.shape:
            raise _shape_error(f"the {what} matrix must have the condition's shape",
                               "?:", c, value)
    mask = c if c.dtype == np.bool_ else np.not_equal(c, 0)
    return _finish(np.where(mask, t, e), vt_then, False)
