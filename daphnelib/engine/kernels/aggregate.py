"""Aggregation kernels: full, per-row and per-column aggregates, arg-min/max, running aggregates.

DAPHNE's axis convention is the opposite of numpy's: axis 0 aggregates each row (n x 1),
axis 1 each column (1 x m); no axis gives a scalar. ``sum`` keeps the value type (integers
wrap in it), ``mean``/``var``/``stddev`` are f64 (f32 stays f32), variance is the population
variance, ``idxMin``/``idxMax`` give size-typed positions.

NaN handling follows DAPHNE's kernels, which fold with ``std::min``/``std::max``
(``(x < acc) ? x : acc``): a NaN never replaces the accumulator, but a NaN *start* value stays.
The full aggregate starts from +-inf (NaNs are skipped; all-NaN gives +-inf), the per-row and
per-column aggregates, ``cumMin``/``cumMax`` and ``idxMin``/``idxMax`` start from the first
element (a NaN there wins; later NaNs are skipped).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from daphnelib.engine.registry import kernel
from daphnelib.engine.valuetypes import (
    DTYPE_OF_VT,
    SIZE_DTYPE,
    STRING_DTYPE,
    SizeScalar,
    is_float,
    vt_of,
)


def _matrix(op: str, arg: Any) -> tuple[np.ndarray, str]:
    if not isinstance(arg, np.ndarray) or arg.ndim != 2:
        raise TypeError(f"{op} needs a matrix, got {type(arg).__name__}")
    return arg, vt_of(arg)


def _numeric(op: str, arg: Any) -> tuple[np.ndarray, str]:
    x, vt = _matrix(op, arg)
    if vt == "str":
        raise TypeError(f"{op} is not defined for string matrices")
    return x, vt


def _np_axis(op: str, axis: Any, num_groups: Any = None, *, required: bool = False) -> int | None:
    """numpy's axis for DAPHNE's: 0 (per row) -> 1, 1 (per column) -> 0, None -> None."""
    if axis is None and not required:
        return None
    if isinstance(axis, np.ndarray) or num_groups is not None:
        raise NotImplementedError(f"grouped {op}(X, groupIds, numGroups) is not supported yet")
    if isinstance(axis, (bool, np.bool_)) or axis not in (0, 1):
        raise ValueError(f"{op}: axis must be 0 (per row) or 1 (per column), got {axis!r}")
    return 1 - int(axis)


def _result(value: Any, vt: str) -> Any:
    """Tag a size-typed result (scalar or matrix); other VTs come out of numpy as they are."""
    if vt != "size":
        return value
    return value.view(SIZE_DTYPE) if isinstance(value, np.ndarray) else SizeScalar(value)


def _float_dtype(vt: str) -> np.dtype:
    return DTYPE_OF_VT["f32" if vt == "f32" else "f64"]


def _reduce(ufunc: np.ufunc, x: np.ndarray, ax: int | None, dtype: np.dtype | None = None) -> Any:
    if ax is None and x.dtype == STRING_DTYPE:
        x = x.ravel()  # string min/max reduce over one axis only
    return ufunc.reduce(x, axis=ax, dtype=dtype, keepdims=ax is not None)


# --- sum, mean, var, stddev ----------------------------------------------------------------


@kernel("sum")
def sum_(arg: np.ndarray, axis: int | None = None, num_groups: Any = None) -> Any:
    x, vt = _numeric("sum", arg)
    # Accumulating in the value type itself: si8 sums wrap, bool sums are "any".
    return _result(_reduce(np.add, x, _np_axis("sum", axis, num_groups), DTYPE_OF_VT[vt]), vt)


def _mean(x: np.ndarray, ax: int | None, dtype: np.dtype) -> Any:
    n = x.size if ax is None else x.shape[ax]
    total = _reduce(np.add, x, ax, dtype)
    # The same two steps as numpy's mean, so results agree bit for bit; 0/0 is NaN.
    return np.divide(total, n, out=total) if ax is not None else total / n


def _var(x: np.ndarray, ax: int | None, dtype: np.dtype) -> Any:
    """Population variance, two-pass like numpy's var (and DAPHNE's kernels)."""
    n = x.size if ax is None else x.shape[ax]
    mean = np.add.reduce(x, axis=ax, dtype=dtype, keepdims=True)
    np.divide(mean, n, out=mean)
    dev = np.subtract(x, mean, dtype=dtype)
    np.multiply(dev, dev, out=dev)
    total = _reduce(np.add, dev, ax, dtype)
    return np.divide(total, n, out=total) if ax is not None else total / n


@kernel("mean")
def mean(arg: np.ndarray, axis: int | None = None, num_groups: Any = None) -> Any:
    x, vt = _numeric("mean", arg)
    return _mean(x, _np_axis("mean", axis, num_groups), _float_dtype(vt))


@kernel("var")
def var(arg: np.ndarray, axis: int | None = None, num_groups: Any = None) -> Any:
    x, vt = _numeric("var", arg)
    return _var(x, _np_axis("var", axis, num_groups), _float_dtype(vt))


@kernel("stddev")
def stddev(arg: np.ndarray, axis: int | None = None, num_groups: Any = None) -> Any:
    x, vt = _numeric("stddev", arg)
    v = _var(x, _np_axis("stddev", axis, num_groups), _float_dtype(vt))
    return np.sqrt(v, out=v) if isinstance(v, np.ndarray) else np.sqrt(v)


# --- aggMin, aggMax ------------------------------------------------------------------------


def _check_nonempty(op: str, x: np.ndarray, ax: int | None) -> bool:
    """Whether the aggregate has cells to fill; raises when a cell would aggregate nothing."""
    if x.size:
        return True
    if ax is not None and x.shape[1 - ax] == 0:
        return False  # an empty result: no row (column) to aggregate
    rows, cols = x.shape
    raise ValueError(f"{op} of an empty {rows}x{cols} matrix is undefined")


def _extreme(op: str, plain: np.ufunc, nan_skipping: np.ufunc, start: float) -> Any:
    def aggregate(arg: np.ndarray, axis: int | None = None, num_groups: Any = None) -> Any:
        x, vt = _matrix(op, arg)
        ax = _np_axis(op, axis, num_groups)
        if not _check_nonempty(op, x, ax):
            return np.empty((0, 1) if ax == 1 else (1, 0), dtype=x.dtype)
        if not is_float(vt):
            return _result(_reduce(plain, x, ax), vt)
        if ax is None:
            return nan_skipping.reduce(x, axis=None, initial=x.dtype.type(start))
        out = nan_skipping.reduce(x, axis=ax, keepdims=True)
        first = x[:, :1] if ax == 1 else x[:1, :]
        np.copyto(out, first, where=np.isnan(first))
        return out

    return aggregate


kernel("aggMin")(_extreme("aggMin", np.minimum, np.fmin, np.inf))
kernel("aggMax")(_extreme("aggMax", np.maximum, np.fmax, -np.inf))


# --- idxMin, idxMax ------------------------------------------------------------------------


def _position(op: str, arg_fn: Any, nan_fill: float) -> Any:
    def positions(arg: np.ndarray, axis: int | None = None) -> np.ndarray:
        x, _ = _matrix(op, arg)
        ax = _np_axis(op, axis, required=True)
        if not _check_nonempty(op, x, ax):
            return np.empty((0, 1) if ax == 1 else (1, 0), dtype=SIZE_DTYPE)
        pos = arg_fn(x, axis=ax, keepdims=True)
        if x.dtype.kind == "f" and np.isnan(np.take_along_axis(x, pos, axis=ax)).any():
            # numpy picks the first NaN; DAPHNE skips NaNs unless the first element is one.
            pos = arg_fn(np.where(np.isnan(x), nan_fill, x), axis=ax, keepdims=True)
            first = x[:, :1] if ax == 1 else x[:1, :]
            pos[np.isnan(first)] = 0
        return pos.astype(SIZE_DTYPE)

    return positions


kernel("idxMin")(_position("idxMin", np.argmin, np.inf))
kernel("idxMax")(_position("idxMax", np.argmax, -np.inf))


# --- running aggregates (down each column) -------------------------------------------------


def _running(op: str, ufunc: np.ufunc, nan_skipping: np.ufunc | None = None) -> Any:
    def accumulate(arg: np.ndarray) -> np.ndarray:
        x, vt = _matrix(op, arg) if nan_skipping is not None else _numeric(op, arg)
        if nan_skipping is None or not is_float(vt):
            # In the value type itself (numpy would widen small ints); strings keep theirs.
            dtype = None if vt == "str" else DTYPE_OF_VT[vt]
            return _result(ufunc.accumulate(x, axis=0, dtype=dtype), vt)
        out = nan_skipping.accumulate(x, axis=0)
        if len(x):
            out[:, np.isnan(x[0])] = np.nan
        return out

    return accumulate


kernel("cumSum")(_running("cumSum", np.add))
kernel("cumProd")(_running("cumProd", np.multiply))
kernel("cumMin")(_running("cumMin", np.minimum, np.fmin))
kernel("cumMax")(_running("cumMax", np.maximum, np.fmax))
