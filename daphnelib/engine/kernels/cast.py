"""DaphneDSL's cast family ``as.<vt>``, ``as.<dt>`` and ``as.<dt><<vt>>`` (spec §3.4).

Value-type conversions follow C++ ``static_cast`` where that is well defined (float to integer
truncates toward zero, integer narrowing wraps, anything to bool is ``!= 0``) and raise
ValueError where C++ would produce garbage (NaN, infinity or out-of-range floats to integers,
unparsable strings). Numbers become strings spelled as DAPHNE prints them.

:func:`convert_matrix` and :func:`convert_scalar` are the engine's one implementation of
value-type conversion; other kernels (cbind, rbind, replace, bin, ...) use them.
"""

from __future__ import annotations

import os
import re
from typing import Any

import numpy as np

from daphnelib.engine.printing import _cells
from daphnelib.engine.registry import kernel
from daphnelib.engine.values import FrameValue
from daphnelib.engine.valuetypes import (
    DTYPE_OF_VT,
    SizeScalar,
    is_float,
    most_general,
    vt_of,
    vt_of_dtype,
)

# The value types a cast may name (DaphneDSL has no spelling for the index type "size").
CAST_VTS = ("f64", "f32", "si64", "si32", "si8", "ui64", "ui32", "ui8", "bool", "str")
_CAST_RE = re.compile(r"as\.(?:(matrix|frame|scalar)(?:<(\w+)>)?|(\w+))")


def parse_cast(op: str) -> tuple[str | None, str | None]:
    """``'as.matrix<f64>'`` -> ``('matrix', 'f64')``; ``'as.si32'`` -> ``(None, 'si32')``."""
    m = _CAST_RE.fullmatch(op)
    if m is None:
        raise ValueError(f"malformed cast {op!r}: expected as.<dt>, as.<vt> or as.<dt><<vt>>")
    dt, vt = m.group(1), m.group(2) or m.group(3)
    if vt is not None and vt not in CAST_VTS:
        raise ValueError(f"unknown value type {vt!r} in cast {op!r}; expected one of {CAST_VTS}")
    return dt, vt


# -- argument helpers shared by the kernel modules ---------------------------------------


def count_arg(op: str, name: str, value: Any) -> int:
    """A non-negative integral argument (a Python/numpy int, or an integral float)."""
    if isinstance(value, (bool, np.bool_, str)) or not isinstance(value, (int, float, np.number)):
        raise TypeError(f"{op}: {name} must be a number, got {type(value).__name__} {value!r}")
    if not (value >= 0 and float(value).is_integer()):
        raise ValueError(f"{op}: {name} must be a non-negative integer, got {value!r}")
    return int(value)


def check_allocatable(op: str, shape: tuple[int, int], dtype: np.dtype) -> None:
    """MemoryError naming ``op`` unless a matrix of ``shape`` and ``dtype`` can be allocated,
    checked before a generator starts (an allocation is reserved, not touched, so this is
    cheap): ``rand`` of a huge size fails at once, as ``fill`` does, instead of growing."""
    nbytes = shape[0] * shape[1] * np.dtype(dtype).itemsize
    try:
        # Beyond the machine's memory even where the kernel would overcommit lazily.
        fits = nbytes <= os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):  # no sysconf: the allocation decides
        fits = True
    try:
        if not fits:
            raise MemoryError
        np.empty(shape, dtype)
    except (MemoryError, ValueError):
        gib = nbytes / 2**30
        raise MemoryError(f"{op}: a {shape[0]}x{shape[1]} matrix of {np.dtype(dtype)} needs "
                          f"{gib:.3g} GiB, more than can be allocated") from None


def matrix_arg(op: str, name: str, value: Any) -> np.ndarray:
    if not isinstance(value, np.ndarray) or value.ndim != 2:
        got = (f"an array of shape {value.shape}" if isinstance(value, np.ndarray)
               else type(value).__name__)
        raise TypeError(f"{op}: {name} must be a matrix, got {got}")
    return value


def integral_cells(op: str, what: str, values: np.ndarray,
                   upper: np.ndarray | float) -> np.ndarray:
    """values as int64, each checked to be an integer in [0, upper) (upper broadcasts)."""
    ok = (values >= 0) & (values < upper)
    if is_float(vt_of_dtype(values.dtype)):
        ok &= values == np.floor(values)
    if not ok.all():
        i = np.unravel_index(int(np.argmin(ok)), values.shape)
        bound = np.broadcast_to(upper, values.shape)[i]
        raise ValueError(f"{op}: {what} {values[i]} at {tuple(map(int, i))} must be an integer "
                         f"in [0, {bound})")
    return values.astype(np.int64)


def keep_vt(arr: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """``arr`` viewed with ``dtype``'s metadata: numpy drops it in concatenate/where, and the
    metadata is what tells the index type "size" apart from ui64."""
    if dtype.metadata and arr.dtype.metadata != dtype.metadata:
        return arr.view(dtype)
    return arr


# -- value-type conversion ----------------------------------------------------------------


def same_vt(a: str, b: str) -> bool:
    # size is DAPHNE's size_t, which is uint64_t on every platform DAPHNE supports.
    return a == b or {a, b} == {"size", "ui64"}


def _floats_to_ints(arr: np.ndarray, vt: str) -> np.ndarray:
    """C's truncating cast, refusing the values for which C's result is undefined."""
    info = np.iinfo(DTYPE_OF_VT[vt])
    truncated = np.trunc(arr)
    # The bounds are -2^k and 2^k (max + 1 rounds to it), exact in f32 and f64 alike.
    bad = ~((truncated >= float(info.min)) & (truncated < float(info.max) + 1.0))
    if bad.any():
        value = arr.flat[int(np.argmax(bad.ravel()))]
        raise ValueError(
            f"cannot cast {value} to {vt}: NaN, infinity and values outside "
            f"[{info.min}, {info.max}] have no integer value"
        )
    return truncated.astype(DTYPE_OF_VT[vt])


def _parse_strings(arr: np.ndarray, vt: str) -> np.ndarray:
    """Strings to a numeric/bool value type: integers parse exactly, then floats."""
    target = np.float64 if is_float(vt) or vt == "bool" else np.int64
    try:
        try:
            parsed = arr.astype(target)
        except OverflowError:  # integer text beyond si64: ui64 may still hold it
            parsed = arr.astype(np.uint64)
    except ValueError:
        try:
            parsed = arr.astype(np.float64)
        except ValueError:
            for text in arr.flat:  # error path only: name the first bad cell
                try:
                    float(text)
                except ValueError:
                    raise ValueError(f"cannot cast string {text!r} to {vt}") from None
            raise
    return convert_matrix(parsed, vt)


def convert_matrix(arr: np.ndarray, vt: str) -> np.ndarray:
    """``arr`` (any shape) with value type ``vt``; ``arr`` itself when it already has it."""
    src = vt_of_dtype(arr.dtype)
    if src == vt:
        return arr
    dtype = DTYPE_OF_VT[vt]
    if vt == "str":
        return _cells(arr)
    if src == "str":
        return _parse_strings(arr, vt)
    if vt == "bool":
        return arr != 0
    if is_float(src) and not is_float(vt):
        return keep_vt(_floats_to_ints(arr, vt), dtype)
    if arr.dtype == dtype:  # size <-> ui64: the same bits, only the metadata differs
        return arr.view(dtype)
    return keep_vt(arr.astype(dtype), dtype)


def _as_array(value: Any) -> np.ndarray:
    """A scalar as a 1x1 matrix of its own value type."""
    return np.full((1, 1), value, dtype=DTYPE_OF_VT[vt_of(value)])


def scalar_of(arr: np.ndarray) -> Any:
    """The engine scalar in cell (0, 0): a numpy scalar, SizeScalar or Python str."""
    value = arr[0, 0]
    if vt_of_dtype(arr.dtype) == "size":
        return SizeScalar(value)
    return str(value) if isinstance(value, str) else value


def convert_scalar(value: Any, vt: str) -> Any:
    """A scalar converted to ``vt`` by the matrix rules (so both always agree)."""
    if vt_of(value) == vt and not isinstance(value, (bool, int, float)):
        return value
    return scalar_of(convert_matrix(_as_array(value), vt))


# -- data-type conversion -----------------------------------------------------------------


def frame_to_matrix(frame: FrameValue, vt: str | None = None) -> np.ndarray:
    """``as.matrix<vt>(F)``: an nrow x ncol matrix (vt None: the most general column VT).

    Each column is converted by the cast rules (:func:`convert_matrix`). Missing entries
    of nullable columns become NaN in a floating-point matrix; no other value type can hold
    them, so there they are a ValueError.
    """
    vts = frame.vts()
    if vt is None:
        vt = most_general(*vts) if vts else "f64"
    out = np.empty((frame.nrow, frame.ncol), dtype=DTYPE_OF_VT[vt])
    for j, (col, record) in enumerate(zip(frame.columns, frame.logical, strict=True)):
        missing = None if record is None else record.mask
        if missing is None or not missing.any():
            out[:, j] = convert_matrix(col, vt)
            continue
        if not is_float(vt):
            raise ValueError(f"as.matrix<{vt}>: column {frame.labels[j]!r} has missing values "
                             f"(the first in row {int(np.argmax(missing))}), which only an f32 "
                             "or f64 matrix can hold (NaN)")
        present = ~missing  # only these are values: the buffer holds garbage under the mask
        out[present, j] = convert_matrix(col[present], vt)
        out[missing, j] = np.nan
    return out


def matrix_to_frame(arr: np.ndarray) -> FrameValue:
    """``as.frame(X)``: one column per matrix column, labelled col_0, col_1, ...

    A single column is a view; wider matrices are transposed once so that each column is
    contiguous and all of them tile one buffer.
    """
    if arr.ndim != 2:
        raise ValueError(f"as.frame needs a matrix, got shape {arr.shape}")
    by_column = arr.T
    if not (arr.flags.f_contiguous or arr.shape[1] == 1):
        by_column = np.ascontiguousarray(by_column)
    return FrameValue(list(by_column), nrow=arr.shape[0])


def _require_1x1(shape: tuple[int, int], what: str) -> None:
    if shape != (1, 1):
        raise ValueError(f"as.scalar needs a 1x1 {what}, got {shape[0]}x{shape[1]}")


def _frame_as_frame(frame: FrameValue, vt: str | None) -> FrameValue:
    if vt is not None and any(not same_vt(v, vt) for v in frame.vts()):
        raise TypeError(f"as.frame<{vt}> cannot change a frame's column types "
                        f"({dict(zip(frame.labels, frame.vts(), strict=True))})")
    return frame


def _frame_as_scalar(frame: FrameValue, vt: str | None) -> Any:
    _require_1x1((frame.nrow, frame.ncol), "frame")
    value = scalar_of(frame.columns[0].reshape(1, 1))
    return value if vt is None else convert_scalar(value, vt)


def _matrix_as_scalar(arr: np.ndarray, vt: str | None) -> Any:
    _require_1x1(arr.shape, "matrix")
    return scalar_of(arr if vt is None else convert_matrix(arr, vt))


def _scalar_as_matrix(value: Any, vt: str | None) -> np.ndarray:
    arr = _as_array(value)
    return arr if vt is None else convert_matrix(arr, vt)


# (source data type, target data type) -> conversion(value, vt or None)
_CASTS = {
    ("matrix", "matrix"): lambda v, vt: v if vt is None else convert_matrix(v, vt),
    ("matrix", "frame"): lambda v, vt: matrix_to_frame(v if vt is None else convert_matrix(v, vt)),
    ("matrix", "scalar"): _matrix_as_scalar,
    ("scalar", "scalar"): lambda v, vt: v if vt is None else convert_scalar(v, vt),
    ("scalar", "matrix"): _scalar_as_matrix,
    ("scalar", "frame"): lambda v, vt: matrix_to_frame(_scalar_as_matrix(v, vt)),
    ("frame", "matrix"): frame_to_matrix,
    ("frame", "frame"): _frame_as_frame,
    ("frame", "scalar"): _frame_as_scalar,
}


@kernel("as")
def cast(op: str, value: Any) -> Any:
    """``as.<dt>``, ``as.<vt>`` or ``as.<dt><<vt>>`` applied to a matrix, frame or scalar."""
    dt, vt = parse_cast(op)
    if isinstance(value, FrameValue):
        kind = "frame"
    elif isinstance(value, np.ndarray):
        kind = "matrix"
    else:
        vt_of(value)  # TypeError for values the engine does not hold
        kind = "scalar"
    if kind == "frame" and dt is None:
        raise TypeError(f"{op} of a frame: a frame's column types cannot be changed by a cast; "
                        f"use as.matrix<{vt}>")
    return _CASTS[kind, dt or kind](value, vt)



