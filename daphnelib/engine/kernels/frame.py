"""Frame kernels: DaphneDSL's frame builtins and the frame halves of generic builtins.

Registered here: ``createFrame``, ``setColLabels``, ``setColLabelsPrefix``, ``cartesian`` and
``innerJoin``. The generic builtins (``cbind``, ``rbind``, ``order``, right indexing,
``filter``, ``as.matrix``/``as.frame``) live with their matrix kernels and call the plain
functions below for frames.

Every kernel keeps DAPHNE's rules: labels are unique (a duplicate is a ValueError), rbind
needs the same column count, labels and schema. Column-preserving kernels carry each
column's :class:`~daphnelib.engine.logical.Logical` record, applying row moves to its mask.
Selecting a row range, cbind, and column selection make no copy (columns are views);
gathers allocate one (columns, rows) buffer per dtype, so a uniform frame's result columns
tile one buffer and reach pandas as a single block.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from daphnelib.engine import logical as lg
from daphnelib.engine.kernels.indexing import Selection, axis_selector, bit_selector
from daphnelib.engine.kernels.reorg import sort_permutation as by_values
from daphnelib.engine.kernels.reorg import split_order_args
from daphnelib.engine.registry import kernel
from daphnelib.engine.values import FrameValue
from daphnelib.engine.valuetypes import SIZE_DTYPE, vt_of_dtype

# ---------------------------------------------------------------------------------------------
# Row movement (shared by selection, order, joins, rbind)
# ---------------------------------------------------------------------------------------------

def _groups(columns: Sequence[np.ndarray]) -> dict[Any, list[int]]:
    """Column positions grouped by exact dtype (DAPHNE's index type apart from ui64)."""
    groups: dict[Any, list[int]] = {}
    for j, col in enumerate(columns):
        dt = col.dtype
        groups.setdefault(dt if dt.metadata is None else ("meta", dt), []).append(j)
    return groups


def _tiled(columns: Sequence[np.ndarray], m: int,
           fill: Callable[[np.ndarray, int], Any]) -> list[np.ndarray]:
    """New m-row columns, same-dtype ones tiling one buffer; ``fill(out, j)`` writes column j's."""
    out: list[Any] = [None] * len(columns)
    for js in _groups(columns).values():
        buf = np.empty((len(js), m), dtype=columns[js[0]].dtype)
        for row, j in zip(buf, js, strict=True):
            fill(row, j)
            out[j] = row
    return out


def _count(rows: Selection, n: int) -> int:
    return len(range(*rows.indices(n))) if isinstance(rows, slice) else len(rows)


def take_rows(frame: FrameValue, rows: Selection) -> FrameValue:
    """The frame's rows ``rows`` (a slice gives views, positions a gather), records included."""
    if isinstance(rows, slice):
        cols = [c[rows] for c in frame.columns]
    else:
        cols = _tiled(frame.columns, len(rows),
                      lambda out, j: np.take(frame.columns[j], rows, out=out))
    return FrameValue(cols, frame.labels, lg.take(frame.logical, rows),
                      nrow=_count(rows, frame.nrow))


def _side_by_side(op: str, lhs: FrameValue, rhs: FrameValue) -> FrameValue:
    """lhs's columns then rhs's (equally long), whose labels must be unique."""
    _check_unique(op, lhs.labels + rhs.labels)
    return FrameValue(lhs.columns + rhs.columns, lhs.labels + rhs.labels,
                      lhs.logical + rhs.logical, nrow=lhs.nrow)


def _check_unique(op: str, labels: list[str]) -> None:
    if len(set(labels)) != len(labels):
        seen: set[str] = set()
        dup = sorted({x for x in labels if x in seen or seen.add(x)})
        raise ValueError(f"{op}: a frame's column labels must be unique; the result would "
                         f"have the duplicated labels {dup}")


def _check_same(op: str, what: str, a: int, b: int) -> None:
    if a != b:
        raise ValueError(f"{op}: frames must have the same number of {what}, got {a} and {b}")


def _relabeled(op: str, frame: FrameValue, labels: list[str]) -> FrameValue:
    """The frame's columns under new (unique) labels, as ordinary columns."""
    _check_unique(op, labels)
    return FrameValue(frame.columns, labels, lg.relabeled(frame.logical), nrow=frame.nrow)


# ---------------------------------------------------------------------------------------------
# Kernels registered here
# ---------------------------------------------------------------------------------------------

@kernel("createFrame")
def create_frame(*args: Any) -> FrameValue:
    """``createFrame(col, ...[, label, ...])``: a frame over n x 1 matrices (views of them)."""
    k = 0
    while k < len(args) and isinstance(args[k], np.ndarray):
        k += 1
    columns, labels = args[:k], args[k:]
    if k == 0:
        raise TypeError("createFrame needs at least one n x 1 matrix column")
    if labels and len(labels) != k:
        raise ValueError(f"createFrame got {k} columns but {len(labels)} labels (give all or none)")
    if not all(isinstance(x, str) for x in labels):
        raise TypeError("createFrame: the arguments after the columns must be str labels")
    n = columns[0].shape[0]
    for i, c in enumerate(columns):
        if c.ndim != 2 or c.shape[1] != 1 or c.shape[0] != n:
            raise ValueError(f"createFrame: column {i} has shape {c.shape}; every column must be "
                             f"an {n} x 1 matrix")
    # Views of contiguous columns; a strided one (a column sliced out of a wider matrix) is
    # copied, since the frame kernels (group-by, joins) read contiguous columns.
    return FrameValue([np.ascontiguousarray(c[:, 0]) for c in columns],
                      list(labels) if labels else None, nrow=n)


@kernel("setColLabels")
def set_col_labels(frame: FrameValue, *labels: str) -> FrameValue:
    if len(labels) != frame.ncol:
        raise ValueError(f"setColLabels: the frame has {frame.ncol} columns but {len(labels)} "
                         "labels were given")
    return _relabeled("setColLabels", frame, list(labels))


@kernel("setColLabelsPrefix")
def set_col_labels_prefix(frame: FrameValue, prefix: str) -> FrameValue:
    """New label ``prefix.label``; an existing ``x.`` qualifier is replaced, not stacked."""
    labels = [f"{prefix}.{lbl.partition('.')[2] if '.' in lbl else lbl}" for lbl in frame.labels]
    return _relabeled("setColLabelsPrefix", frame, labels)


@kernel("cartesian")
def cartesian(lhs: FrameValue, rhs: FrameValue) -> FrameValue:
    """Every lhs row with every rhs row, lhs-major; all lhs columns, then all rhs columns."""
    _check_unique("cartesian", lhs.labels + rhs.labels)  # before building n * m rows
    n, m = lhs.nrow, rhs.nrow
    lrows = np.repeat(np.arange(n, dtype=np.int64), m)
    rrows = np.tile(np.arange(m, dtype=np.int64), n)
    return _side_by_side("cartesian", take_rows(lhs, lrows), take_rows(rhs, rrows))


@kernel("innerJoin")
def inner_join(lhs: FrameValue, rhs: FrameValue, *keys: Any) -> FrameValue:
    """``innerJoin(lhs, rhs, lhsOn..., rhsOn...[, numRowRes])``: the equi-join, in a hash
    join's output order (lhs rows in order, each followed by its matches in rhs order); all
    lhs columns, then all rhs columns. NaN and missing keys match nothing; ``numRowRes`` is
    only an allocation hint. The join itself is the relational kernels' (any key count).
    """
    from daphnelib.engine.kernels.relational import run_join

    return run_join("innerJoin", "inner", lhs, rhs, keys)


# ---------------------------------------------------------------------------------------------
# Frame halves of generic builtins
# ---------------------------------------------------------------------------------------------

def _frame_rhs(op: str, rhs: Any) -> FrameValue:
    if not isinstance(rhs, FrameValue):
        raise TypeError(f"{op}: rhs must be a frame like lhs, got {type(rhs).__name__}")
    return rhs


@kernel("cbind", on=FrameValue)
def cbind_frame(lhs: FrameValue, rhs: Any) -> FrameValue:
    """lhs's columns then rhs's (views, no copy); equal row counts, unique labels."""
    rhs = _frame_rhs("cbind", rhs)
    _check_same("cbind", "rows", lhs.nrow, rhs.nrow)
    return _side_by_side("cbind", lhs, rhs)


@kernel("rbind", on=FrameValue)
def rbind_frame(lhs: FrameValue, rhs: Any) -> FrameValue:
    """rhs's rows below lhs's; same column count, labels, value types and logical types."""
    rhs = _frame_rhs("rbind", rhs)
    _check_same("rbind", "columns", lhs.ncol, rhs.ncol)
    if lhs.labels != rhs.labels:
        bad = next(j for j in range(lhs.ncol) if lhs.labels[j] != rhs.labels[j])
        raise ValueError(f"rbind: frames must have the same column labels; column {bad} is "
                         f"{lhs.labels[bad]!r} vs {rhs.labels[bad]!r}")
    n1, n2 = lhs.nrow, rhs.nrow
    for j, (a, b) in enumerate(zip(lhs.columns, rhs.columns, strict=True)):
        if a.dtype != b.dtype or vt_of_dtype(a.dtype) != vt_of_dtype(b.dtype):
            raise ValueError(f"rbind: frames must have the same schema; column "
                             f"{lhs.labels[j]!r} is {vt_of_dtype(a.dtype)} vs "
                             f"{vt_of_dtype(b.dtype)}")
    logical = list(lhs.logical)
    if lhs.logical.count(None) != lhs.ncol or rhs.logical.count(None) != rhs.ncol:
        for j, (a, b) in enumerate(zip(lhs.logical, rhs.logical, strict=True)):
            if not lg.same_type(a, b):
                raise ValueError(f"rbind: column {lhs.labels[j]!r} has different logical types "
                                 f"({lg.describe(a)} vs {lg.describe(b)})")
            logical[j] = lg.concat(a, b, n1, n2)

    def fill(out: np.ndarray, j: int) -> None:
        out[:n1] = lhs.columns[j]
        out[n1:] = rhs.columns[j]

    return FrameValue(_tiled(lhs.columns, n1 + n2, fill), lhs.labels, logical, nrow=n1 + n2)


def sort_permutation(keys: Sequence[np.ndarray], ascs: Sequence[bool],
                     masks: Sequence[np.ndarray | None] | None = None) -> np.ndarray:
    """The stable permutation sorting rows by ``keys`` (first key primary), ``order``'s rules
    (NaN last either way); a key's masked (missing) entries sort last, in input order."""
    flat_keys, flags = [], []
    for key, asc, mask in zip(keys, ascs, masks or [None] * len(keys), strict=True):
        if mask is not None:
            flat_keys.append(mask)
            flags.append(True)
            key = np.where(mask, np.zeros(1, key.dtype), key)  # ties among the missing
        flat_keys.append(key)
        flags.append(bool(asc))
    return by_values(flat_keys, flags)


@kernel("order", on=FrameValue)
def order_frame(frame: FrameValue, *args: Any) -> FrameValue | np.ndarray:
    """``order(F, cols..., ascs..., returnIndexes)``: rows sorted (stably) by those columns;
    with ``returnIndexes`` the n x 1 positions (DAPHNE's index type) instead (arguments
    checked by :func:`reorg.split_order_args`, which the matrix ``order`` shares).
    """
    cols, ascs, return_indexes = split_order_args("order", args, frame.ncol)
    keys = [frame.columns[j] for j in cols]
    masks = [None if frame.logical[j] is None else frame.logical[j].mask for j in cols]
    perm = sort_permutation(keys, ascs, masks)
    if return_indexes:
        return perm.astype(SIZE_DTYPE).reshape(-1, 1)
    return take_rows(frame, perm)


def _column_selection(frame: FrameValue, cols: Any) -> Selection:
    """Columns by label (str), labels (tuple of str) or any position spec."""
    if isinstance(cols, str):
        j = frame.index_of(cols)
        return slice(j, j + 1)
    if isinstance(cols, tuple):
        return np.array([frame.index_of(c) for c in cols], dtype=np.intp)
    return axis_selector(cols, 1, (frame.nrow, frame.ncol), "frame")


def select_columns(frame: FrameValue, cols: Selection) -> FrameValue:
    """The columns ``cols`` (views); a repeated column's later copies are labelled col_<i>."""
    js = range(*cols.indices(frame.ncol)) if isinstance(cols, slice) else cols.tolist()
    labels = [frame.labels[j] for j in js]
    logical = [frame.logical[j] for j in js]
    if len(set(labels)) != len(labels):  # DAPHNE renames duplicates created by extraction
        seen: set[str] = set()
        for i, lbl in enumerate(labels):
            if lbl in seen:
                labels[i] = f"col_{i}"
                logical[i] = None if logical[i] is None else logical[i].relabeled()
            seen.add(labels[i])
        _check_unique("right indexing (repeated columns are renamed col_<i>)", labels)
    return FrameValue([frame.columns[j] for j in js], labels, logical, nrow=frame.nrow)


def _everything(sel: Selection, n: int) -> bool:
    return isinstance(sel, slice) and sel == slice(0, n)


def _select(frame: FrameValue, rows: Selection, cols: Selection) -> FrameValue:
    """The selected columns, then rows; a selection of everything keeps the frame."""
    if not _everything(cols, frame.ncol):
        frame = select_columns(frame, cols)
    return frame if _everything(rows, frame.nrow) else take_rows(frame, rows)


@kernel("extract", on=FrameValue)
def extract_frame(frame: FrameValue, rows: Any, cols: Any) -> FrameValue:
    """Right indexing ``F[rows, cols]``: rows like a matrix; columns also by label(s)."""
    return _select(frame, axis_selector(rows, 0, (frame.nrow, frame.ncol), "frame"),
                   _column_selection(frame, cols))


@kernel("filter", on=FrameValue)
def filter_frame(frame: FrameValue, rowbits: np.ndarray | None,
                 colbits: np.ndarray | None) -> FrameValue:
    """``F[[rowbits, colbits]]``: the rows/columns whose bit is 1 (None: all)."""
    shape = (frame.nrow, frame.ncol)
    return _select(frame, bit_selector(rowbits, 0, shape, "frame"),
                   bit_selector(colbits, 1, shape, "frame"))
