"""Right indexing (``extract``), bit-vector filtering (``filter``) and left indexing (``insert``).

Position specs (spec §3.5): None (all), an int, a ``slice(lo, hi)`` with hi exclusive and
either bound optional, or an n x 1 matrix of positions (any numeric type; floats truncated
toward zero as DAPHNE's cast to si64; repeats and any order allowed). Negative positions
count from the end. Out of bounds is an IndexError. Results are always matrices; ranges and
single positions give views of the input (inputs are read-only), position lists a new
array. ``insert`` never writes into its input: it copies, then assigns (DAPHNE's
copy-on-write).

:func:`axis_selector` and :func:`bit_selector` are the one implementation of these rules: the
frame kernels resolve a frame's rows and columns with them too (axes of length nrow and
ncol) and only add column labels.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from daphnelib.engine.kernels.cast import matrix_arg, same_vt
from daphnelib.engine.registry import kernel
from daphnelib.engine.values import FrameValue
from daphnelib.engine.valuetypes import is_float, vt_of_dtype

# A resolved selection along one axis: a range (so the result can be a view) or positions.
Selection = slice | np.ndarray

_AXES = ("row", "column")


def _where(axis: int, shape: tuple[int, ...], dt: str) -> str:
    n = shape[axis]
    valid = f"0..{n - 1} or -{n}..-1" if n else "none"
    return f"{_AXES[axis]}s of a {shape[0]}x{shape[1]} {dt} (valid: {valid})"


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, bool)


def _integral(p: Any, axis: int, what: str) -> int:
    """A single position or range bound as an int: floats truncated toward zero (DAPHNE casts
    them to si64), NaN and infinities refused."""
    if not _is_number(p):
        raise TypeError(f"a {_AXES[axis]} {what} must be a number, got {type(p).__name__} {p!r}")
    if isinstance(p, (float, np.floating)):
        if not np.isfinite(p):
            raise IndexError(f"{_AXES[axis]} {what} {p} is not a number")
        p = np.trunc(p)
    return int(p)


def _position(p: Any, axis: int, shape: tuple[int, ...], dt: str) -> int:
    """One position, negative counting from the end, truncated if a float; checked."""
    n, q = shape[axis], _integral(p, axis, "position")
    if not -n <= q < n:
        raise IndexError(f"{_AXES[axis]} position {q} is out of bounds for the "
                         f"{_where(axis, shape, dt)}")
    return q + n if q < 0 else q


def _range(spec: slice, axis: int, shape: tuple[int, ...], dt: str) -> slice:
    if spec.step not in (None, 1):
        raise ValueError(f"{_AXES[axis]} ranges have no step, got step {spec.step}")
    n = shape[axis]
    bounds = []
    for bound, default in ((spec.start, 0), (spec.stop, n)):
        b = default if bound is None else _integral(bound, axis, "range bound")
        b = b + n if b < 0 else b
        if not 0 <= b <= n:
            raise IndexError(f"{_AXES[axis]} range {spec.start}:{spec.stop} is out of bounds "
                             f"for the {_where(axis, shape, dt)}")
        bounds.append(b)
    lo, hi = bounds
    if lo > hi:
        raise IndexError(f"{_AXES[axis]} range {spec.start}:{spec.stop} ends before it starts "
                         f"(for the {_where(axis, shape, dt)})")
    return slice(lo, hi)


def _positions(arr: np.ndarray, axis: int, shape: tuple[int, ...], dt: str) -> np.ndarray:
    """An n x 1 positions matrix as a 1-D intp array of checked, non-negative positions."""
    if arr.ndim != 2 or arr.shape[1] != 1:
        raise ValueError(f"{_AXES[axis]} positions must be an n x 1 matrix, got shape {arr.shape}")
    vt = vt_of_dtype(arr.dtype)
    if vt in ("str", "bool"):
        raise TypeError(f"{_AXES[axis]} positions must be numbers, got a {vt} matrix (use a "
                        "bit-vector filter for 0/1 masks)")
    pos = arr[:, 0]
    n = shape[axis]
    if is_float(vt):
        pos = np.trunc(pos)  # NaN and infinities fail the bounds test below
    # Compared before any cast, so huge unsigned or float values cannot wrap into range.
    ok = (pos < n) if arr.dtype.kind == "u" else (pos >= -n) & (pos < n)
    if not ok.all():
        bad = pos[int(np.argmin(ok))]
        raise IndexError(f"{_AXES[axis]} position {bad} is out of bounds for the "
                         f"{_where(axis, shape, dt)}")
    pos = pos.astype(np.intp)
    if arr.dtype.kind != "u":
        pos[pos < 0] += n
    return pos


def axis_selector(spec: Any, axis: int, shape: tuple[int, ...], dt: str = "matrix", *,
                  lists: bool = True) -> Selection:
    """A position spec along ``axis`` (0 rows, 1 columns) of a ``dt`` ("matrix"/"frame") of
    ``shape``: a normalised ``slice(lo, hi)`` for all/one/range, else checked positions.

    ``lists=False`` (left indexing) refuses positions matrices.
    """
    if spec is None:
        return slice(0, shape[axis])
    if isinstance(spec, slice):
        return _range(spec, axis, shape, dt)
    if isinstance(spec, np.ndarray):
        if not lists:
            raise TypeError(f"left indexing takes ints and ranges only, got a {_AXES[axis]} "
                            "positions matrix")
        return _positions(spec, axis, shape, dt)
    if _is_number(spec):
        p = _position(spec, axis, shape, dt)
        return slice(p, p + 1)
    raise TypeError(f"unsupported {_AXES[axis]} index {spec!r} ({type(spec).__name__})")


def bit_selector(bits: Any, axis: int, shape: tuple[int, ...], dt: str = "matrix") -> Selection:
    """The positions whose bit is 1 in a 0/1 column or row vector along ``axis`` (None: all)."""
    if bits is None:
        return slice(0, shape[axis])
    what = f"{_AXES[axis]} bit vector"
    bits = matrix_arg("filter", what, bits)
    n = shape[axis]
    if 1 not in bits.shape or bits.size != n:
        raise ValueError(f"filter: the {what} has {bits.size} entries (shape {bits.shape}) but "
                         f"must have {n} cells in one column or row, one per {_AXES[axis]} of "
                         f"the {shape[0]}x{shape[1]} {dt}")
    flat = bits.reshape(-1)
    if vt_of_dtype(flat.dtype) == "str" or not ((flat == 0) | (flat == 1)).all():
        raise ValueError(f"filter: the {what} must hold only 0 and 1")
    return np.flatnonzero(flat)


def _select(op: str, resolve: Callable[..., Selection], arg: Any, rows: Any, cols: Any) -> Any:
    """``extract``/``filter`` of a matrix: its selected cells (frames: ``kernels/frame.py``)."""
    arg = matrix_arg(op, "arg", arg)
    r, c = resolve(rows, 0, arg.shape), resolve(cols, 1, arg.shape)
    if isinstance(r, np.ndarray) and isinstance(c, np.ndarray):
        return arg[np.ix_(r, c)]
    return arg[r, c]


@kernel("extract")
def extract(arg: Any, rows: Any, cols: Any) -> Any:
    """``arg[rows, cols]``; always a matrix (a 1x1 stays a matrix)."""
    return _select("extract", axis_selector, arg, rows, cols)


@kernel("filter")
def filter_(arg: Any, rowbits: Any, colbits: Any) -> Any:
    """The rows/columns whose bit is 1 (``X[[rbits, cbits]]``); None keeps all."""
    return _select("filter", bit_selector, arg, rowbits, colbits)


@kernel("insert")
def insert(arg: Any, rows: Any, cols: Any, value: Any) -> np.ndarray:
    """A copy of ``arg`` with ``arg[rows, cols] = value``; ``arg`` itself is never written.

    As DAPHNE requires, ``value`` must have exactly the shape of the region and arg's value type.
    """
    if isinstance(arg, FrameValue):
        raise TypeError("left indexing works on matrices only, not on frames")
    arg = matrix_arg("insert", "arg", arg)
    if not isinstance(value, np.ndarray) or value.ndim != 2:
        raise TypeError(f"left indexing assigns a matrix, got {type(value).__name__} {value!r}")
    r = axis_selector(rows, 0, arg.shape, lists=False)
    c = axis_selector(cols, 1, arg.shape, lists=False)
    region = arg[r, c]
    if region.shape != value.shape:
        raise ValueError(f"left indexing: the {value.shape[0]}x{value.shape[1]} value does not "
                         f"fit the {region.shape[0]}x{region.shape[1]} target region of a "
                         f"{arg.shape[0]}x{arg.shape[1]} matrix")
    vt, value_vt = vt_of_dtype(arg.dtype), vt_of_dtype(value.dtype)
    if not same_vt(vt, value_vt):
        raise TypeError(f"left indexing needs the value type of the matrix: the matrix is {vt}, "
                        f"the assigned value is {value_vt} (cast it with as.{vt} / asType)")
    out = arg.copy(order="C")
    out[r, c] = value
    return out
