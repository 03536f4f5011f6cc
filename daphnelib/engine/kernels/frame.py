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

from collections.abc import Sequence
from typing import Any

import numpy as np

from daphnelib.engine import logical as lg
from daphnelib.engine.registry import kernel
from daphnelib.engine.values import FrameValue
from daphnelib.engine.valuetypes import DTYPE_OF_VT, SIZE_DTYPE, most_general, vt_of_dtype

RowSpec = slice | np.ndarray  # a resolved row selection: a range (views) or positions


# ---------------------------------------------------------------------------------------------
# Position specs
# ---------------------------------------------------------------------------------------------

def _bound(value: Any, default: int, n: int) -> int:
    if value is None:
        return default
    if isinstance(value, (float, np.floating)):
        value = np.floor(value)
    i = int(value)
    return i + n if i < 0 else i


def resolve(spec: Any, n: int, what: str) -> RowSpec:
    """A position spec (None, int, slice, positions array) over ``n`` rows or columns.

    Returns a slice for all/one/range (so the selection can be a view) or int64 positions.
    Negative positions count from the end, float positions are floored; out of bounds is an
    IndexError.
    """
    if spec is None:
        return slice(0, n)
    if isinstance(spec, (int, np.integer)) and not isinstance(spec, (bool, np.bool_)):
        i = _bound(spec, 0, n)
        if not 0 <= i < n:
            raise IndexError(f"{what} position {int(spec)} is out of bounds for {n} {what}s")
        return slice(i, i + 1)
    if isinstance(spec, slice):
        lo, hi = _bound(spec.start, 0, n), _bound(spec.stop, n, n)
        if not 0 <= lo <= hi <= n:
            raise IndexError(f"{what} range {spec.start}:{spec.stop} is out of bounds for {n} "
                             f"{what}s")
        return slice(lo, hi)
    if isinstance(spec, np.ndarray):
        if spec.ndim == 2 and spec.shape[1] != 1 and spec.shape[0] != 1:
            raise ValueError(f"{what} positions must be an n x 1 matrix, got shape {spec.shape}")
        pos = spec.reshape(-1)
        if pos.dtype.kind == "f":
            if not np.isfinite(pos).all():
                raise IndexError(f"{what} positions must be finite numbers")
            pos = np.floor(pos)
        elif pos.dtype.kind not in "iu":
            raise TypeError(f"{what} positions must be numbers, got value type "
                            f"{vt_of_dtype(pos.dtype)}")
        if pos.dtype.kind == "u" and pos.size and pos.max() > np.iinfo(np.int64).max:
            raise IndexError(f"{what} position {pos.max()} is out of bounds for {n} {what}s")
        pos = pos.astype(np.int64)
        pos = np.where(pos < 0, pos + n, pos)
        bad = (pos < 0) | (pos >= n)
        if bad.any():
            raise IndexError(f"{what} position {spec.reshape(-1)[np.argmax(bad)]} is out of "
                             f"bounds for {n} {what}s")
        return pos
    raise TypeError(f"a {what} index must be an int, a range, a positions matrix or omitted; got "
                    f"{type(spec).__name__}")


def _count(rows: RowSpec, n: int) -> int:
    return len(range(*rows.indices(n))) if isinstance(rows, slice) else len(rows)


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


def _gather(columns: Sequence[np.ndarray], pos: np.ndarray) -> list[np.ndarray]:
    """``col[pos]`` of every column, same-dtype columns written into one shared buffer."""
    out: list[Any] = [None] * len(columns)
    m = len(pos)
    for js in _groups(columns).values():
        if len(js) == 1:
            out[js[0]] = columns[js[0]][pos]
            continue
        buf = np.empty((len(js), m), dtype=columns[js[0]].dtype)
        for row, j in zip(buf, js, strict=True):
            np.take(columns[j], pos, out=row)
        for k, j in enumerate(js):
            out[j] = buf[k]
    return out


def take_rows(frame: FrameValue, rows: RowSpec) -> FrameValue:
    """The frame's rows ``rows`` (a slice gives views, positions a gather), records included."""
    if isinstance(rows, slice):
        cols = [c[rows] for c in frame.columns]
    else:
        cols = _gather(frame.columns, rows)
    return FrameValue(cols, frame.labels, lg.take(frame.logical, rows),
                      nrow=_count(rows, frame.nrow))


def _join_frames(lhs: FrameValue, lrows: RowSpec, rhs: FrameValue, rrows: RowSpec,
                 op: str) -> FrameValue:
    """All lhs columns at ``lrows`` next to all rhs columns at ``rrows`` (joins, cartesian)."""
    _check_unique(op, lhs.labels + rhs.labels)
    left, right = take_rows(lhs, lrows), take_rows(rhs, rrows)
    return FrameValue(left.columns + right.columns, left.labels + right.labels,
                      left.logical + right.logical, nrow=left.nrow)


def _check_unique(op: str, labels: list[str]) -> None:
    if len(set(labels)) != len(labels):
        seen: set[str] = set()
        dup = sorted({x for x in labels if x in seen or seen.add(x)})
        raise ValueError(f"{op}: a frame's column labels must be unique; the result would "
                         f"have the duplicated labels {dup}")


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
    return FrameValue([c[:, 0] for c in columns], list(labels) if labels else None, nrow=n)


@kernel("setColLabels")
def set_col_labels(frame: FrameValue, *labels: str) -> FrameValue:
    if len(labels) != frame.ncol:
        raise ValueError(f"setColLabels: the frame has {frame.ncol} columns but {len(labels)} "
                         "labels were given")
    _check_unique("setColLabels", list(labels))
    return FrameValue(frame.columns, list(labels), lg.relabeled(frame.logical), nrow=frame.nrow)


@kernel("setColLabelsPrefix")
def set_col_labels_prefix(frame: FrameValue, prefix: str) -> FrameValue:
    """New label ``prefix.label``; an existing ``x.`` qualifier is replaced, not stacked."""
    labels = [f"{prefix}.{lbl.partition('.')[2] if '.' in lbl else lbl}" for lbl in frame.labels]
    _check_unique("setColLabelsPrefix", labels)
    return FrameValue(frame.columns, labels, lg.relabeled(frame.logical), nrow=frame.nrow)


@kernel("cartesian")
def cartesian(lhs: FrameValue, rhs: FrameValue) -> FrameValue:
    """Every lhs row with every rhs row, lhs-major; all lhs columns, then all rhs columns."""
    n, m = lhs.nrow, rhs.nrow
    lrows = np.repeat(np.arange(n, dtype=np.int64), m)
    rrows = np.tile(np.arange(m, dtype=np.int64), n)
    return _join_frames(lhs, lrows, rhs, rrows, "cartesian")


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

def cbind_frame(lhs: FrameValue, rhs: FrameValue) -> FrameValue:
    """lhs's columns then rhs's (views, no copy); equal row counts, unique labels."""
    if lhs.nrow != rhs.nrow:
        raise ValueError(f"cbind: frames must have the same number of rows, got {lhs.nrow} and "
                         f"{rhs.nrow}")
    _check_unique("cbind", lhs.labels + rhs.labels)
    return FrameValue(lhs.columns + rhs.columns, lhs.labels + rhs.labels,
                      lhs.logical + rhs.logical, nrow=lhs.nrow)


def rbind_frame(lhs: FrameValue, rhs: FrameValue) -> FrameValue:
    """rhs's rows below lhs's; same column count, labels, value types and logical types."""
    if lhs.ncol != rhs.ncol:
        raise ValueError(f"rbind: frames must have the same number of columns, got {lhs.ncol} "
                         f"and {rhs.ncol}")
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
    out: list[Any] = [None] * lhs.ncol
    for js in _groups(lhs.columns).values():
        buf = np.empty((len(js), n1 + n2), dtype=lhs.columns[js[0]].dtype)
        for row, j in zip(buf, js, strict=True):
            row[:n1] = lhs.columns[j]
            row[n1:] = rhs.columns[j]
        for k, j in enumerate(js):
            out[j] = buf[k]
    return FrameValue(out, lhs.labels, logical, nrow=n1 + n2)


def sort_permutation(keys: Sequence[np.ndarray], ascs: Sequence[bool],
                     masks: Sequence[np.ndarray | None] | None = None) -> np.ndarray:
    """The stable permutation sorting rows by ``keys`` (first key primary), ``order``'s rules
    (NaN last either way); a key's masked (missing) entries sort last, in input order."""
    from daphnelib.engine.kernels.reorg import sort_permutation as by_values

    flat_keys, flags = [], []
    for key, asc, mask in zip(keys, ascs, masks or [None] * len(keys), strict=True):
        if mask is not None:
            flat_keys.append(mask)
            flags.append(True)
            key = np.where(mask, np.zeros(1, key.dtype), key)  # ties among the missing
        flat_keys.append(key)
        flags.append(bool(asc))
    if len(flat_keys) > 1:  # np.lexsort crashes on StringDType keys in numpy 2.1: sort ranks
        flat_keys = [np.unique(k, return_inverse=True)[1].reshape(-1) if k.dtype.kind == "T"
                     else k for k in flat_keys]
    return by_values(flat_keys, flags)


def order_frame(frame: FrameValue, col_idxs: Sequence[Any], ascs: Sequence[Any],
                return_indexes: bool) -> FrameValue | np.ndarray:
    """``order(F, cols..., ascs..., returnIndexes)``: rows sorted (stably) by those columns;
    with ``returnIndexes`` the n x 1 positions (DAPHNE's index type) instead."""
    if len(col_idxs) != len(ascs) or not col_idxs:
        raise ValueError(f"order needs one ascending flag per sort column and at least one "
                         f"column; got {len(col_idxs)} columns and {len(ascs)} flags")
    idxs = []
    for c in col_idxs:
        sl = resolve(int(c), frame.ncol, "column")
        idxs.append(sl.start)
    keys = [frame.columns[j] for j in idxs]
    masks = [None if frame.logical[j] is None else frame.logical[j].mask for j in idxs]
    perm = sort_permutation(keys, [bool(a) for a in ascs], masks)
    if return_indexes:
        return perm.astype(SIZE_DTYPE).reshape(-1, 1)
    return take_rows(frame, perm)


def _column_positions(frame: FrameValue, cols: Any) -> RowSpec:
    if isinstance(cols, str):
        return slice(frame.index_of(cols), frame.index_of(cols) + 1)
    if isinstance(cols, tuple):
        return np.array([frame.index_of(c) for c in cols], dtype=np.int64)
    return resolve(cols, frame.ncol, "column")


def select_columns(frame: FrameValue, cols: RowSpec) -> FrameValue:
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
    return FrameValue([frame.columns[j] for j in js], labels, logical, nrow=frame.nrow)


def extract_frame(frame: FrameValue, rows: Any, cols: Any) -> FrameValue:
    """Right indexing ``F[rows, cols]``: rows like a matrix; columns also by label(s)."""
    colsel = _column_positions(frame, cols)
    all_cols = isinstance(colsel, slice) and colsel == slice(0, frame.ncol)
    out = frame if all_cols else select_columns(frame, colsel)
    rowsel = resolve(rows, frame.nrow, "row")
    if isinstance(rowsel, slice) and rowsel == slice(0, frame.nrow):
        return out
    return take_rows(out, rowsel)


def _bits(bits: np.ndarray | None, n: int, what: str) -> np.ndarray | None:
    if bits is None:
        return None
    flat = np.asarray(bits).reshape(-1)
    if flat.shape[0] != n:
        raise ValueError(f"filter: the {what} bit vector has {flat.shape[0]} entries, the frame "
                         f"has {n} {what}s")
    if flat.dtype.kind not in "biuf" or not ((flat == 0) | (flat == 1)).all():
        raise ValueError(f"filter: the {what} bit vector must hold only 0 and 1")
    return np.flatnonzero(flat)


def filter_frame(frame: FrameValue, rowbits: np.ndarray | None,
                 colbits: np.ndarray | None) -> FrameValue:
    """``F[[rowbits, colbits]]``: the rows/columns whose bit is 1 (None: all)."""
    cpos = _bits(colbits, frame.ncol, "column")
    out = frame if cpos is None else select_columns(frame, cpos)
    rpos = _bits(rowbits, frame.nrow, "row")
    return out if rpos is None else take_rows(out, rpos)


def frame_to_matrix(frame: FrameValue, vt: str | None = None) -> np.ndarray:
    """``as.matrix<vt>(F)``: an nrow x ncol matrix (vt None: the most general column VT).

    Missing entries of nullable columns become NaN when the matrix is floating point.
    """
    vts = frame.vts()
    if vt is None:
        vt = most_general(*vts) if vts else "f64"
    dtype = DTYPE_OF_VT[vt]
    out = np.empty((frame.nrow, frame.ncol), dtype=dtype)
    for j, col in enumerate(frame.columns):
        out[:, j] = col  # casts with C semantics (numpy 'unsafe'), strings parse/format
    if dtype.kind == "f" and frame.logical.count(None) != frame.ncol:
        for j, record in enumerate(frame.logical):
            if record is not None and record.mask is not None:
                out[record.mask, j] = np.nan
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
