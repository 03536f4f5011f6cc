"""Joins beyond DAPHNE's inner join, and group-by aggregation, on frames.

Registered here: ``leftOuterJoin``, ``rightOuterJoin``, ``fullOuterJoin``, ``leftSemiJoin``,
``antiJoin`` (all ``op(lhs, rhs, lhsOn..., rhsOn...)``), DaphneDSL's ``semiJoin`` (keys and row
positions), ``groupSum`` (DAPHNE's ``groupSum(frame, grpCol..., sumCol)``) and
``groupBy(frame, nKeys, key..., func, col, ...)``.
The ``innerJoin`` kernel (in ``kernels.frame``) runs :func:`run_join` too.

Keys of any type become int64 arrays (integers as they are, floats as normalised bit patterns,
strings as dictionary codes, temporal ticks and categorical codes as they are) plus a
validity mask, so one native hash table (``_native/relational.pyx``) serves every key type.
Semantics follow DAPHNE where it defines them and SQL where it does not:

- joins: output rows lhs-major, each lhs row followed by its matches in rhs order (a right
  join is rhs-major); all lhs columns, then all rhs columns; null keys (masked, NaT,
  categorical NA) and NaN keys match nothing; unmatched rows of an outer join hold nulls
  (NaN for floats, a nullable column for ints/bools/strings, NaT, categorical NA).
- group-by: one group per distinct key (NaN and null keys each form one group), groups sorted
  ascending by key with NaN and nulls last; ``sum``/``min``/``max`` keep the column's value
  type (DAPHNE), ``count`` is si64, ``mean`` f64; null values are skipped, a group without a
  value gets null; for floats NaN propagates through ``sum`` and sorts above every number in
  ``min``/``max`` (DuckDB's order).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from daphnelib._native import relational as native
from daphnelib.engine.kernels.frame import _check_unique, take_rows
from daphnelib.engine.logical import Logical
from daphnelib.engine.registry import kernel
from daphnelib.engine.values import FrameValue
from daphnelib.engine.valuetypes import SIZE_DTYPE, STRING_DTYPE, vt_of_dtype

NAT = np.iinfo(np.int64).min  # pandas' NaT and period-NA tick
_TEMPORAL = ("datetime", "timedelta", "period")
_HOW = {
    "inner": native.JoinKind.INNER, "left": native.JoinKind.LEFT,
    "full": native.JoinKind.FULL, "semi": native.JoinKind.SEMI, "anti": native.JoinKind.ANTI,
}
AGGREGATES = ("sum", "count", "min", "max", "mean")


# ---------------------------------------------------------------------------------------------
# Key columns
# ---------------------------------------------------------------------------------------------

def column_index(frame: FrameValue, label: str, op: str, side: str = "") -> int:
    """The position of ``label``, or a ValueError naming it and the frame's labels."""
    try:
        return frame.labels.index(label)
    except ValueError:
        where = f"the {side} frame" if side else "the frame"
        raise ValueError(f"{op}: {where} has no column {label!r}; its columns are "
                         f"{frame.labels}") from None


def _kind(record: Logical | None) -> str | None:
    return None if record is None else record.kind


def valid_rows(col: np.ndarray, record: Logical | None) -> np.ndarray | None:
    """True where the column holds a value (not null); None when every row does."""
    kind = _kind(record)
    if kind in ("masked", "string"):
        return None if record.mask is None else ~record.mask
    if kind in _TEMPORAL:
        valid = col != NAT
    elif kind == "category":
        valid = col >= 0
    else:
        return None
    return None if valid.all() else valid


def _key_class(col: np.ndarray, record: Logical | None) -> str:
    kind = _kind(record)
    if kind in (*_TEMPORAL, "category"):
        return kind
    return "str" if col.dtype.kind == "T" else "num"


def _factorize_strings(values: np.ndarray) -> np.ndarray:
    """Dense int64 codes of a string column (Arrow's dictionary encoder when installed)."""
    try:
        import pyarrow as pa
        import pyarrow.compute as pc
    except ImportError:  # codes in sorted order instead: only equality of codes matters
        return np.unique(values, return_inverse=True)[1].astype(np.int64, copy=False)
    codes = pc.dictionary_encode(pa.array(values)).indices
    return codes.to_numpy(zero_copy_only=False).astype(np.int64, copy=False)


def _encode(cols: list[np.ndarray], cls: str, nan_valid: bool
            ) -> tuple[list[np.ndarray], list[np.ndarray | None]]:
    """int64 keys for ``cols`` (one key column per side) under one equality, and per side the
    rows whose key can never be equal to anything (NaN in joins, out-of-range integers)."""
    invalid: list[np.ndarray | None] = [None] * len(cols)
    if cls == "str":
        codes = _factorize_strings(np.concatenate(cols) if len(cols) > 1 else cols[0])
        return np.split(codes, np.cumsum([len(c) for c in cols[:-1]])), invalid
    if cls != "num":  # ticks and categorical codes (same logical type on both sides)
        return [c.astype(np.int64, copy=False) for c in cols], invalid
    if any(c.dtype.kind == "f" for c in cols):
        keys = []
        for i, c in enumerate(cols):
            x = c.astype(np.float64, copy=False) + 0.0  # -0.0 becomes 0.0
            nan = np.isnan(x)
            if nan.any():
                if nan_valid:
                    x[nan] = np.nan  # one bit pattern for every NaN
                else:
                    invalid[i] = nan
            keys.append(x.view(np.int64))
        return keys, invalid
    keys = [c.view(np.uint8) if c.dtype == np.bool_ else c for c in cols]
    unsigned64 = [c.dtype.kind == "u" and c.itemsize == 8 for c in keys]
    if any(unsigned64) and not all(unsigned64):
        # uint64 values above int64's range equal no signed value and vice versa; both are
        # marked invalid so the shared int64 bit patterns cannot collide.
        for i, (c, u) in enumerate(zip(keys, unsigned64, strict=True)):
            invalid[i] = c > np.iinfo(np.int64).max if u else c < 0
    return [c.astype(np.int64, copy=False) for c in keys], invalid


def _and_valid(a: np.ndarray | None, b: np.ndarray | None) -> np.ndarray | None:
    if a is None:
        return b
    return a if b is None else a & b


def _dense(keys: np.ndarray, valid: np.ndarray | None) -> tuple[np.ndarray, int]:
    codes, first = native.group_codes(keys, _bytes(valid))
    return codes, len(first)


def _bytes(valid: np.ndarray | None) -> np.ndarray | None:
    return None if valid is None else np.ascontiguousarray(valid).view(np.uint8)


def join_keys(lhs: FrameValue, rhs: FrameValue, lhs_on: Sequence[str], rhs_on: Sequence[str],
              op: str) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None]:
    """One int64 key per row of each side (equal iff all key columns are equal) + validity."""
    if len(lhs_on) != len(rhs_on) or not lhs_on:
        raise ValueError(f"{op}: needs as many lhs as rhs key columns (at least one); got "
                         f"{list(lhs_on)} and {list(rhs_on)}")
    per_key: list[tuple[np.ndarray, np.ndarray]] = []
    lvalid: np.ndarray | None = None
    rvalid: np.ndarray | None = None
    for lname, rname in zip(lhs_on, rhs_on, strict=True):
        i = column_index(lhs, lname, op, "left")
        j = column_index(rhs, rname, op, "right")
        lcol, rcol, lrec, rrec = lhs.columns[i], rhs.columns[j], lhs.logical[i], rhs.logical[j]
        cls = _key_class(lcol, lrec)
        if cls != _key_class(rcol, rrec) or (cls not in ("num", "str")
                                             and not lrec.same_type(rrec)):
            raise TypeError(f"{op}: cannot match key column {lname!r} "
                            f"({_describe(lcol, lrec)}) with {rname!r} ({_describe(rcol, rrec)})")
        (lk, rk), (lbad, rbad) = _encode([lcol, rcol], cls, nan_valid=False)
        lvalid = _and_valid(_and_valid(lvalid, valid_rows(lcol, lrec)),
                            None if lbad is None else ~lbad)
        rvalid = _and_valid(_and_valid(rvalid, valid_rows(rcol, rrec)),
                            None if rbad is None else ~rbad)
        per_key.append((lk, rk))
    if len(per_key) == 1:
        return per_key[0][0], per_key[0][1], lvalid, rvalid
    # Several columns: dense codes per column over both sides, combined positionally.
    n = lhs.nrow
    acc, bound = None, 1
    for lk, rk in per_key:
        codes, g = _dense(np.concatenate([lk, rk]), None)
        if acc is None:
            acc, bound = codes, g
            continue
        if bound * g >= 2**62:
            acc, bound = _dense(acc, None)
        acc = acc * g + codes
        bound *= g
    return acc[:n], acc[n:], lvalid, rvalid


def _describe(col: np.ndarray, record: Logical | None) -> str:
    vt = vt_of_dtype(col.dtype)
    return vt if _kind(record) is None else f"{vt}, {record.describe()}"


# ---------------------------------------------------------------------------------------------
# Row gathers that may introduce nulls
# ---------------------------------------------------------------------------------------------

def _nullable(base: Logical | None, values: np.dtype, mask: np.ndarray) -> Logical:
    """A masked record for values of numpy dtype ``values``: interop picks the library's
    nullable type of that dtype (the engine knows no exchange library's dtypes)."""
    return replace(base or Logical(), kind="masked", dtype=None, mask=mask,
                   extra=np.dtype(values))


def _with_nulls(col: np.ndarray, record: Logical | None, missing: np.ndarray
                ) -> tuple[np.ndarray, Logical | None]:
    """The column with the rows ``missing`` set to null, in the column's own null encoding.

    ``col`` is a fresh buffer (a gather), so it may be written.
    """
    kind = _kind(record)
    if kind in ("masked", "string"):
        mask = missing if record.mask is None else record.mask | missing
        return col, replace(record, mask=mask)  # interop picks the missing-value object
    if kind in _TEMPORAL:
        col[missing] = NAT
        return col, record
    if kind == "category":
        col[missing] = -1
        return col, record
    if col.dtype.kind == "f":
        col[missing] = np.nan
        return col, record
    if col.dtype.kind == "T":
        col[missing] = ""
        base = record if record is not None else Logical()
        return col, replace(base, kind="string", dtype=None, mask=missing, extra=None)
    # ints and bools (plain, widened or densified): the nullable type of the original values
    # (a widened column's record holds its numpy dtype; a densified one's values are its own).
    return col, _nullable(record, record.dtype if kind == "numpy" else col.dtype, missing)


def take_with_nulls(frame: FrameValue, pos: np.ndarray) -> FrameValue:
    """Rows ``pos`` of the frame, where position -1 gives a row of nulls."""
    missing = pos < 0
    if not missing.any():
        return take_rows(frame, pos)
    if frame.nrow:
        base = take_rows(frame, np.where(missing, 0, pos))
    else:  # nothing to gather from: every row is null
        base = FrameValue([np.zeros(len(pos), dtype=c.dtype) for c in frame.columns],
                          frame.labels, [r if r is None or r.mask is None else replace(
                              r, mask=np.zeros(len(pos), np.bool_)) for r in frame.logical],
                          nrow=len(pos))
    columns, logical = [], []
    for col, record in zip(base.columns, base.logical, strict=True):
        col, record = _with_nulls(col, record, missing)  # gathered: a fresh buffer
        columns.append(col)
        logical.append(record)
    return FrameValue(columns, frame.labels, logical, nrow=len(pos))


# ---------------------------------------------------------------------------------------------
# Joins
# ---------------------------------------------------------------------------------------------

JOIN_KINDS = ("inner", "left", "right", "full", "semi", "anti")


def join_frames(lhs: FrameValue, rhs: FrameValue, lhs_on: Sequence[str], rhs_on: Sequence[str],
                how: str, op: str | None = None) -> FrameValue:
    """The ``how`` equi-join of two frames on the key columns ``lhs_on``/``rhs_on``.

    Semi and anti joins return lhs rows (with or without a match); every other kind all lhs
    columns then all rhs columns, whose labels must be unique.
    """
    op = op or f"{how} join"
    if how not in JOIN_KINDS:
        raise ValueError(f"{op}: unknown join kind {how!r}; expected one of {JOIN_KINDS}")
    if how not in ("semi", "anti"):
        _check_unique(op, lhs.labels + rhs.labels)
    lk, rk, lvalid, rvalid = join_keys(lhs, rhs, lhs_on, rhs_on, op)
    if how == "right":
        rpos, lpos = native.join_positions(rk, lk, _bytes(rvalid), _bytes(lvalid), _HOW["left"])
    else:
        lpos, rpos = native.join_positions(lk, rk, _bytes(lvalid), _bytes(rvalid), _HOW[how])
    if rpos is None:
        return take_rows(lhs, lpos)
    left, right = take_with_nulls(lhs, lpos), take_with_nulls(rhs, rpos)
    return FrameValue(left.columns + right.columns, left.labels + right.labels,
                      left.logical + right.logical, nrow=len(lpos))


def _split_keys(op: str, keys: Sequence[Any]) -> tuple[list[str], list[str]]:
    if len(keys) % 2 or not keys or not all(isinstance(k, str) for k in keys):
        raise ValueError(f"{op}: expected lhs key labels then as many rhs key labels, got "
                         f"{list(keys)}")
    half = len(keys) // 2
    return list(keys[:half]), list(keys[half:])


def run_join(op: str, how: str, lhs: FrameValue, rhs: FrameValue, keys: Sequence[Any]
             ) -> FrameValue:
    """A join kernel's work: ``keys`` are the lhs key labels, then as many rhs key labels,
    optionally followed by DaphneDSL's ``numRowRes`` (an allocation hint, ignored)."""
    if keys and isinstance(keys[-1], (int, np.integer)):
        keys = keys[:-1]
    lhs_on, rhs_on = _split_keys(op, keys)
    return join_frames(lhs, rhs, lhs_on, rhs_on, how, op)


def _join_kernel(op: str, how: str) -> None:
    def run(lhs: FrameValue, rhs: FrameValue, *keys: Any) -> FrameValue:
        return run_join(op, how, lhs, rhs, keys)

    run.__name__ = f"{how}_join"
    run.__doc__ = f"``{op}(lhs, rhs, lhsOn..., rhsOn...)``: the {how} equi-join."
    kernel(op)(run)


for _op, _how in (("leftOuterJoin", "left"), ("rightOuterJoin", "right"),
                  ("fullOuterJoin", "full"), ("leftSemiJoin", "semi"), ("antiJoin", "anti")):
    _join_kernel(_op, _how)


@kernel("semiJoin")
def semi_join(lhs: FrameValue, rhs: FrameValue, lhs_on: Any, rhs_on: Any,
              num_row_res: Any = -1) -> tuple[FrameValue, np.ndarray]:
    """DaphneDSL's ``semiJoin(lhs, rhs, lhsOn, rhsOn[, numRowRes])``: the lhs key values that
    have a match in rhs's key column, once per lhs row and in lhs order, as a one-column frame
    labelled ``lhsOn``, and those rows' positions (n x 1, size type). ``numRowRes`` is only an
    allocation hint, as for ``innerJoin``."""
    for what, label in (("lhsOn", lhs_on), ("rhsOn", rhs_on)):
        if not isinstance(label, str):
            raise TypeError(f"semiJoin: {what} must be a column label (a string), got "
                            f"{label!r}")
    if not isinstance(lhs, FrameValue) or not isinstance(rhs, FrameValue):
        raise TypeError("semiJoin: lhs and rhs must be frames")
    if isinstance(num_row_res, np.ndarray) or vt_of_dtype(np.asarray(num_row_res).dtype) in (
            "str", "bool") or num_row_res != int(num_row_res):
        raise TypeError(f"semiJoin: numRowRes must be an integer, got {num_row_res!r}")
    lk, rk, lvalid, rvalid = join_keys(lhs, rhs, [lhs_on], [rhs_on], "semiJoin")
    rows, _ = native.join_positions(lk, rk, _bytes(lvalid), _bytes(rvalid), _HOW["semi"])
    j = lhs.labels.index(lhs_on)
    keys = take_rows(FrameValue([lhs.columns[j]], [lhs_on], [lhs.logical[j]]), rows)
    return keys, rows.astype(SIZE_DTYPE).reshape(-1, 1)


# ---------------------------------------------------------------------------------------------
# Group-by
# ---------------------------------------------------------------------------------------------

def _group_rank(col: np.ndarray, record: Logical | None) -> tuple[np.ndarray, np.ndarray]:
    """Per row the rank of its key among the distinct keys (nulls and NaN last), and per
    rank the first row holding that key."""
    valid = valid_rows(col, record)
    (keys,), _ = _encode([col], _key_class(col, record), nan_valid=True)
    codes, first = native.group_codes(keys, _bytes(valid))
    order = _key_order(col[first], None if valid is None else ~valid[first])
    rank = np.empty(len(first), dtype=np.int64)
    rank[order] = np.arange(len(first), dtype=np.int64)
    return rank[codes], first[order]


def _key_order(reps: np.ndarray, nulls: np.ndarray | None) -> np.ndarray:
    """Stable ascending order of the distinct keys' representatives: NaN, then nulls last."""
    if reps.dtype.kind == "T" or nulls is not None:
        # Null representatives hold arbitrary values; rank them after everything else.
        uniq, rank = np.unique(reps, return_inverse=True)
        reps = rank.reshape(-1)
        if nulls is not None:
            reps = np.where(nulls, len(uniq), reps)
    return np.argsort(reps, kind="stable")


def group_codes(frame: FrameValue, keys: Sequence[str], op: str
                ) -> tuple[np.ndarray, np.ndarray]:
    """Group id per row (ids ascending in key order) and the first row of each group."""
    if not keys:
        raise ValueError(f"{op}: needs at least one key column")
    idx = [column_index(frame, k, op) for k in keys]
    if len(idx) == 1:
        return _group_rank(frame.columns[idx[0]], frame.logical[idx[0]])
    acc, bound = None, 1
    for j in idx:
        rank, first = _group_rank(frame.columns[j], frame.logical[j])
        g = len(first)
        if acc is None:
            acc, bound = rank, g
            continue
        if bound * g >= 2**62:  # re-rank densely (order-preserving) before it could overflow
            uniq, acc = np.unique(acc, return_inverse=True)
            bound = len(uniq)
        acc = acc * g + rank
        bound *= g
    codes, first = native.group_codes(acc, None)
    order = np.argsort(acc[first], kind="stable")
    rank = np.empty(len(first), dtype=np.int64)
    rank[order] = np.arange(len(first), dtype=np.int64)
    return rank[codes], first[order]


def _string_extrema(values: np.ndarray, codes: np.ndarray, ngroups: int,
                    valid: np.ndarray | None, want_max: bool) -> tuple[np.ndarray, np.ndarray]:
    if valid is not None:
        values, codes = values[valid], codes[valid]
    perm = np.lexsort((np.unique(values, return_inverse=True)[1].reshape(-1), codes))
    sorted_codes = codes[perm]
    groups = np.arange(ngroups)
    lo = np.searchsorted(sorted_codes, groups, "left")
    hi = np.searchsorted(sorted_codes, groups, "right")
    counts = (hi - lo).astype(np.int64)
    out = np.full(ngroups, "", dtype=STRING_DTYPE)
    has = counts > 0
    pick = hi - 1 if want_max else lo
    out[has] = values[perm[pick[has]]]
    return out, counts


def aggregate(func: str, col: np.ndarray, record: Logical | None, codes: np.ndarray,
              ngroups: int, label: str, op: str) -> tuple[np.ndarray, Logical | None]:
    """One aggregate column over the groups ``codes`` (0..ngroups-1)."""
    valid = valid_rows(col, record)
    vbytes = _bytes(valid)
    kind = _kind(record)
    if func == "count":
        return native.group_count(codes, ngroups, vbytes), None
    numeric = col.dtype.kind in "biuf" and kind in (None, "numpy", "masked", "sparse")
    if func in ("sum", "mean"):
        if not numeric:
            raise TypeError(f"{op}: cannot {func} column {label!r} ({_describe(col, record)})")
        if func == "mean":
            sums, counts = native.group_sum(col.astype(np.float64, copy=False), codes, ngroups,
                                            vbytes)
            with np.errstate(invalid="ignore", divide="ignore"):
                return sums / counts, None
        sums, counts = native.group_sum(col.view(np.uint8) if col.dtype == np.bool_ else col,
                                        codes, ngroups, vbytes)
        out = sums.astype(np.int64 if col.dtype == np.bool_ else col.dtype, copy=False)
        empty = counts == 0
        if kind == "masked":
            if col.dtype == np.bool_:  # sums of booleans are counts
                return out, _nullable(None, out.dtype, empty)
            return out, Logical("masked", record.dtype, mask=empty, extra=record.extra)
        if empty.any():  # only nullable inputs have groups without a value
            return _with_nulls(out, None, empty)
        return out, None
    if func not in ("min", "max"):
        raise ValueError(f"{op}: unknown aggregate {func!r}; expected one of {AGGREGATES}")
    if kind == "category" and not record.ordered:
        raise TypeError(f"{op}: cannot take the {func} of unordered categorical column {label!r}")
    if col.dtype.kind == "T":
        out, counts = _string_extrema(col, codes, ngroups, valid, func == "max")
    elif col.dtype.kind in "biuf":
        vals = col.view(np.uint8) if col.dtype == np.bool_ else col
        out, counts = native.group_minmax(vals, codes, ngroups, vbytes, func == "max")
        out = out.view(col.dtype)
    else:
        raise TypeError(f"{op}: cannot take the {func} of column {label!r} "
                        f"({_describe(col, record)})")
    out_record = None if record is None else record.relabeled()
    empty = counts == 0
    if kind == "masked":  # pandas' masked arrays always carry a mask
        return out, replace(out_record, mask=empty)
    if kind == "string":
        return out, replace(out_record, mask=empty if empty.any() else None)
    if empty.any():
        return _with_nulls(out, out_record, empty)
    return out, out_record


def group_frame(frame: FrameValue, keys: Sequence[str],
                aggs: Sequence[tuple[str, str]], op: str = "groupBy") -> FrameValue:
    """One row per distinct key (ascending), the key columns then one column per aggregate
    ``(func, col)`` labelled ``FUNC(col)``; ``col`` may be ``*`` for ``count``."""
    codes, first = group_codes(frame, keys, op)
    ngroups = len(first)
    key_cols = take_rows(FrameValue([frame.columns[frame.labels.index(k)] for k in keys],
                                    list(keys), [frame.logical[frame.labels.index(k)]
                                                 for k in keys], nrow=frame.nrow), first)
    columns, labels, logical = list(key_cols.columns), list(key_cols.labels), list(
        key_cols.logical)
    for func, name in aggs:
        func = func.lower()
        label = f"{func.upper()}({name})"
        if name == "*":
            if func != "count":
                raise ValueError(f"{op}: only count takes '*', got {func}(*)")
            out, record = native.group_count(codes, ngroups, None), None
        else:
            j = column_index(frame, name, op)
            out, record = aggregate(func, frame.columns[j], frame.logical[j], codes, ngroups,
                                    name, op)
        columns.append(out)
        labels.append(label)
        logical.append(record)
    _check_unique(op, labels)
    return FrameValue(columns, labels, logical, nrow=ngroups)


@kernel("groupBy")
def group_by(frame: FrameValue, nkeys: int, *rest: str) -> FrameValue:
    """``groupBy(F, nKeys, key..., func, col, ...)``: see :func:`group_frame`."""
    keys, pairs = rest[:nkeys], rest[nkeys:]
    if len(pairs) % 2:
        raise ValueError(f"groupBy: aggregates come as (function, column) pairs, got {pairs}")
    return group_frame(frame, keys, list(zip(pairs[::2], pairs[1::2], strict=True)))


@kernel("groupSum")
def group_sum(frame: FrameValue, *cols: str) -> FrameValue:
    """``groupSum(F, grpCol..., sumCol)``: the group columns and ``SUM(sumCol)``."""
    if len(cols) < 2:
        raise ValueError(f"groupSum needs at least one group column and a sum column, got "
                         f"{list(cols)}")
    return group_frame(frame, cols[:-1], [("sum", cols[-1])], "groupSum")
