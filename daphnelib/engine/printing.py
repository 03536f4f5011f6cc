"""Text rendering of engine values, byte-for-byte as DAPHNE's ``print()`` and ``typeOf``.

Floats use C++'s default stream format (``format(x, '.6g')``) with glibc's spellings of
negative NaN (``-nan``); matrices and frames print a header line and then one line per row,
cells joined by single spaces. Cells are formatted with vectorised numpy string operations.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence

import numpy as np

from daphnelib.engine.values import CSRMatrix, FrameValue
from daphnelib.engine.valuetypes import CPP_NAME, STRING_DTYPE, vt_of, vt_of_dtype

_G6 = np.array("%.6g", dtype=STRING_DTYPE)
# Integral floats below this magnitude print as their plain integer digits under '.6g'.
_INT_LIMIT = 1e6


def _float_cells(a: np.ndarray) -> np.ndarray:
    """``a`` (f32/f64, any shape) as a StringDType array of '.6g' texts."""
    # float32 -> float64 is exact, and C++ streams print floats through double as well.
    x = a.astype(np.float64, copy=False)
    out = np.empty(x.shape, dtype=STRING_DTYPE)
    # Integer conversion is ~10x faster than %-formatting and exact for these values;
    # comparisons with NaN are false, so non-finite values take the general path.
    integral = (np.abs(x) < _INT_LIMIT) & (x == np.trunc(x))
    out[integral] = x[integral].astype(np.int64).astype(STRING_DTYPE)
    rest = ~integral
    out[rest] = np.strings.mod(_G6, x[rest])
    # Python prints every NaN as 'nan' and the integer path loses the sign of -0.0.
    negative = np.signbit(x)
    out[negative & (x == 0)] = "-0"
    out[negative & np.isnan(x)] = "-nan"
    return out


def _cells(a: np.ndarray) -> np.ndarray:
    """The print text of every element of ``a``, as a StringDType array of the same shape."""
    vt = vt_of_dtype(a.dtype)
    if vt in ("f32", "f64"):
        return _float_cells(a)
    if vt == "bool":
        return a.astype(np.uint8).astype(STRING_DTYPE)
    # Integers print in decimal; strings (StringDType, fixed-width, bytes, objects) raw.
    return a.astype(STRING_DTYPE)


def _rows_text(rows: Iterable[Sequence[str]]) -> str:
    """Lines of cells joined by single spaces, each ending with a newline."""
    return "".join(" ".join(row) + "\n" for row in rows)


def _matrix_header(m: np.ndarray | CSRMatrix) -> str:
    kind = "CSRMatrix" if isinstance(m, CSRMatrix) else "DenseMatrix"
    return f"{kind}({m.shape[0]}x{m.shape[1]}, {CPP_NAME[vt_of_dtype(m.dtype)]})"


def _frame_header(f: FrameValue) -> str:
    cols = ", ".join(f"{lbl}:{CPP_NAME[vt]}" for lbl, vt in zip(f.labels, f.vts(), strict=True))
    return f"Frame({f.nrow}x{f.ncol}, [{cols}])"


def _list_header(items: list[np.ndarray]) -> str:
    # A Python list keeps no element type once empty; assume double, DAPHNE's usual value type.
    vt = vt_of_dtype(items[0].dtype) if items else "f64"
    return f"List({len(items)}, DenseMatrix, {CPP_NAME[vt]})"


def format_scalar(value: object) -> str:
    """The text of a scalar (numpy scalar, Python number/bool or str), without newline."""
    if isinstance(value, str):
        return value
    vt = vt_of(value)
    if vt in ("f32", "f64"):
        return str(_float_cells(np.array([value]))[0])
    if vt == "bool":
        return "1" if value else "0"
    return str(int(value))


def format_value(value: object) -> str:
    """Exactly what DAPHNE's ``print(value)`` writes, trailing newline(s) included."""
    if isinstance(value, np.ndarray):
        rows = _cells(value).tolist()
        return _matrix_header(value) + "\n" + _rows_text(rows)
    if isinstance(value, CSRMatrix):
        # DAPHNE prints a CSR matrix row by row with its zeros, as a dense one.
        return _matrix_header(value) + "\n" + _rows_text(_cells(value.to_dense()).tolist())
    if isinstance(value, FrameValue):
        if value.ncol:
            rows = zip(*(_cells(c).tolist() for c in value.columns), strict=True)
        else:
            rows = [()] * value.nrow
        return _frame_header(value) + "\n" + _rows_text(rows)
    if isinstance(value, list):
        return _list_header(value) + "\n" + "".join(format_value(m) for m in value)
    return format_scalar(value) + "\n"


def print_value(value: object, newline: bool = True, err: bool = False) -> None:
    """DAPHNE's ``print(value, newline, err)``; ``newline=False`` only affects scalars."""
    text = format_value(value)
    if not newline and not isinstance(value, (np.ndarray, CSRMatrix, FrameValue, list)):
        text = text[:-1]
    # Looked up at call time so that redirected streams (pytest's capsys) are honoured.
    (sys.stderr if err else sys.stdout).write(text)


def type_string(value: object) -> str:
    """DAPHNE's ``typeOf(value)``: the print header of matrices/frames/lists, else the C++ type."""
    if isinstance(value, (np.ndarray, CSRMatrix)):
        return _matrix_header(value)
    if isinstance(value, FrameValue):
        return _frame_header(value)
    if isinstance(value, list):
        return _list_header(value)
    vt = vt_of(value)
    return "const char*" if vt == "str" else CPP_NAME[vt]
