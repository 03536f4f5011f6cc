"""Aggregation kernels: full, per-row, per-column and grouped aggregates, arg-min/max, running
aggregates, grouped ``count``.

DAPHNE's axis convention is the opposite of numpy's: axis 0 aggregates each row (n x 1),
axis 1 each column (1 x m); no axis gives a scalar. ``agg(X, groupIds, numGroups)`` aggregates
the rows of every group (numGroups x m). ``sum`` keeps the value type (integers wrap in it),
``mean``/``var``/``stddev`` are f64 (f32 stays f32), variance is the population variance,
``idxMin``/``idxMax`` give size-typed positions, ``count`` si64 row counts.

NaN handling follows DAPHNE's kernels, which fold with ``std::min``/``std::max``
(``(x < acc) ? x : acc``): a NaN never replaces the accumulator, but a NaN *start* value stays.
The full aggregate starts from +-inf (NaNs are skipped; all-NaN gives +-inf), the per-row,
per-column and grouped aggregates, ``cumMin``/``cumMax`` and ``idxMin``/``idxMax`` start from
the first element (a NaN there wins; later NaNs are skipped). A grouped aggMin/aggMax of a
group without rows is an error; its sum is 0, its mean/var/stddev NaN (0/0).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from daphnelib.engine.kernels.cast import count_arg, integral_cells
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


def _np_axis(op: str, axis: Any, *, required: bool = False) -> int | None:
    """numpy's axis for DAPHNE's: 0 (per row) -> 1, 1 (per column) -> 0, None -> None."""
    if axis is None and not required:
        return None
    if isinstance(axis, np.ndarray):
        raise ValueError(f"{op}: grouped aggregation {op}(X, groupIds, numGroups) needs "
                         "numGroups too; an axis must be 0 (per row) or 1 (per column)")
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


# --- grouped aggregation ------------------------------------------------------------------


class _Groups:
    """The rows of a matrix partitioned by group id, for ``agg(X, groupIds, numGroups)``.

    ``groupIds`` holds one integral id in [0, numGroups) per row of X. The rows are sorted by
    group stably, so every group keeps its rows in their order and is one run of the sorted
    rows; numpy's ``reduceat`` then folds all runs in one call. A grouped aggregate has one
    row per group and X's columns.
    """

    def __init__(self, op: str, x: np.ndarray, group_ids: Any, num_groups: Any) -> None:
        self.k = count_arg(op, "numGroups", num_groups)
        n = x.shape[0]
        if not isinstance(group_ids, np.ndarray) or group_ids.shape != (n, 1):
            got = (f"a {group_ids.shape[0]}x{group_ids.shape[1]} matrix"
                   if isinstance(group_ids, np.ndarray) else type(group_ids).__name__)
            raise ValueError(f"{op}: groupIds must be an {n}x1 column (one group id per row of "
                             f"X), got {got}")
        if vt_of(group_ids) == "str":
            raise TypeError(f"{op}: groupIds must be numeric, got a string matrix")
        self.ids = integral_cells(op, "group id", group_ids[:, 0], self.k)
        self.order = np.argsort(self.ids, kind="stable")
        self.sizes = np.bincount(self.ids, minlength=self.k)
        self.nonempty = self.sizes > 0
        self.starts = (np.cumsum(self.sizes) - self.sizes)[self.nonempty]

    def reduce(self, ufunc: np.ufunc, x: np.ndarray, dtype: np.dtype) -> np.ndarray:
        """``ufunc`` folded over the rows of each group; 0 for an empty group."""
        out = np.zeros((self.k, x.shape[1]), dtype)
        if self.starts.size and x.shape[1]:
            out[self.nonempty] = ufunc.reduceat(x[self.order], self.starts, axis=0, dtype=dtype)
        return out

    def first(self, x: np.ndarray) -> np.ndarray:
        """The first row (in row order) of every non-empty group."""
        return x[self.order[self.starts]]

    def mean(self, x: np.ndarray, dtype: np.dtype) -> np.ndarray:
        """Per group and column; NaN (0/0) for an empty group, like the mean of no values."""
        total = self.reduce(np.add, x, dtype)
        return np.divide(total, self.sizes.astype(dtype).reshape(-1, 1), out=total)

    def var(self, x: np.ndarray, dtype: np.dtype) -> np.ndarray:
        """Population variance, two-pass like the ungrouped one."""
        dev = np.subtract(x, self.mean(x, dtype)[self.ids], dtype=dtype)
        np.multiply(dev, dev, out=dev)
        return self.mean(dev, dtype)

    def require_nonempty(self, op: str) -> None:
        if not self.nonempty.all():
            g = int(np.argmin(self.nonempty))
            raise ValueError(f"{op}: group {g} of {self.k} has no rows, so its {op} is undefined")


def _grouped(op: str, x: np.ndarray, group_ids: Any, num_groups: Any) -> _Groups | None:
    """The grouping of ``op(X, groupIds, numGroups)``; None for the other forms."""
    return None if num_groups is None else _Groups(op, x, group_ids, num_groups)


@kernel("count")
def count(arg: np.ndarray, group_ids: Any, num_groups: Any) -> np.ndarray:
    """The number of rows of every group, numGroups x ncol(X) (si64; NaN cells count too)."""
    x, _ = _matrix("count", arg)
    groups = _Groups("count", x, group_ids, num_groups)
    out = np.empty((groups.k, x.shape[1]), np.int64)
    out[...] = groups.sizes.reshape(-1, 1)
    return out


# --- sum, mean, var, stddev ----------------------------------------------------------------


@kernel("sum")
def sum_(arg: np.ndarray, axis: Any = None, num_groups: Any = None) -> Any:
    x, vt = _numeric("sum", arg)
    # Accumulating in the value type itself: si8 sums wrap, bool sums are "any".
    dtype = DTYPE_OF_VT[vt]
    groups = _grouped("sum", x, axis, num_groups)
    if groups is not None:
        return _result(groups.reduce(np.add, x, dtype), vt)
    return _result(_reduce(np.add, x, _np_axis("sum", axis), dtype), vt)


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
def mean(arg: np.ndarray, axis: Any = None, num_groups: Any = None) -> Any:
    x, vt = _numeric("mean", arg)
    groups = _grouped("mean", x, axis, num_groups)
    if groups is not None:
        return groups.mean(x, _float_dtype(vt))
    return _mean(x, _np_axis("mean", axis), _float_dtype(vt))


def _variance(op: str, arg: np.ndarray, axis: Any, num_groups: Any) -> Any:
    x, vt = _numeric(op, arg)
    groups = _grouped(op, x, axis, num_groups)
    if groups is not None:
        return groups.var(x, _float_dtype(vt))
    return _var(x, _np_axis(op, axis), _float_dtype(vt))


@kernel("var")
def var(arg: np.ndarray, axis: Any = None, num_groups: Any = None) -> Any:
    return _variance("var", arg, axis, num_groups)


@kernel("stddev")
def stddev(arg: np.ndarray, axis: Any = None, num_groups: Any = None) -> Any:
    v = _variance("stddev", arg, axis, num_groups)
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


def _grouped_extreme(op: str, plain: np.ufunc, nan_skipping: np.ufunc, x: np.ndarray, vt: str,
                     groups: _Groups) -> np.ndarray:
    """aggMin/aggMax per group; the first row of a group plays the per-row start's role."""
    groups.require_nonempty(op)
    if vt == "str":
        # numpy cannot reduceat strings: fold their ranks among the distinct values instead.
        distinct, ranks = np.unique(x, return_inverse=True)
        ranks = ranks.reshape(x.shape)
        return distinct[groups.reduce(plain, ranks, ranks.dtype)]
    if not is_float(vt):
        return _result(groups.reduce(plain, x, x.dtype), vt)
    out = groups.reduce(nan_skipping, x, x.dtype)
    zeros = out == 0
    if zeros.any():  # std::min/std::max keep the first of equal values: the first zero's sign
        rows = np.where(x == 0, np.arange(len(x)).reshape(-1, 1), len(x))
        first_zero = np.minimum(groups.reduce(np.minimum, rows, rows.dtype), len(x) - 1)
        np.copyto(out, x[first_zero, np.arange(x.shape[1])], where=zeros)
    first = groups.first(x)
    np.copyto(out, first, where=np.isnan(first))
    return out


def _signed_zeros(out: np.ndarray, x: np.ndarray, ax: int | None) -> np.ndarray:
    """DAPHNE folds min/max with std::min/std::max, which keep the accumulator on ties: a zero
    result carries the sign of the first zero in its row/column (numpy's SIMD reductions may
    return either). ``out`` is fixed in place (keepdims shape) where it is a zero."""
    zeros = out == 0
    if not zeros.any():
        return out
    flat = x.reshape(-1, 1) if ax is None else x
    axis = 0 if ax is None else ax
    first = np.argmax(flat == 0, axis=axis, keepdims=True)
    signed = np.take_along_axis(flat, first, axis=axis).reshape(out.shape)
    np.copyto(out, signed, where=zeros)
    return out


def _extreme(op: str, plain: np.ufunc, nan_skipping: np.ufunc, start: float) -> Any:
    def aggregate(arg: np.ndarray, axis: Any = None, num_groups: Any = None) -> Any:
        x, vt = _matrix(op, arg)
        groups = _grouped(op, x, axis, num_groups)
        if groups is not None:
            return _grouped_extreme(op, plain, nan_skipping, x, vt, groups)
        ax = _np_axis(op, axis)
        if not _check_nonempty(op, x, ax):
            return np.empty((0, 1) if ax == 1 else (1, 0), dtype=x.dtype)
        if not is_float(vt):
            return _result(_reduce(plain, x, ax), vt)
        if ax is None:
            total = nan_skipping.reduce(x, axis=None, initial=x.dtype.type(start))
            return total if total != 0 else _signed_zeros(np.array([total]), x, None)[0]
        out = nan_skipping.reduce(x, axis=ax, keepdims=True)
        _signed_zeros(out, x, ax)
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
        if len(x) and (out == 0).any():
            # std::min/std::max keep the accumulator unless strictly beaten, so the running
            # value is the element where the running extreme last strictly changed (its sign
            # matters for zeros).
            beaten = (np.less if ufunc is np.minimum else np.greater)(x[1:], out[:-1])
            rows = np.arange(len(x)).reshape(-1, 1)
            last = np.maximum.accumulate(np.where(np.vstack([np.ones_like(x[:1], bool),
                                                             beaten]), rows, 0), axis=0)
            np.copyto(out, np.take_along_axis(x, last, axis=0), where=out == 0)
        if len(x):
            out[:, np.isnan(x[0])] = np.nan
        return out

    return accumulate


kernel("cumSum")(_running("cumSum", np.add))
kernel("cumProd")(_running("cumProd", np.multiply))
kernel("cumMin")(_running("cumMin", np.minimum, np.fmin))
kernel("cumMax")(_running("cumMax", np.maximum, np.fmax))
