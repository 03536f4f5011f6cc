"""Frames on the cluster: row partitions that are engine ``FrameValue``s, run by our kernels.

A distributed frame is a :class:`PartitionedFrame`: delayed ``FrameValue`` partitions in row
order, with the labels and (when known) each partition's row count. Column-preserving frame
kernels run per partition, so logical records (nullable masks, categories, datetimes) travel
with their columns as in the embedded engine. Joins and group-by are hash-partitioned: every
row goes to the bucket of its key (numeric and bool keys by value, strings by a stable hash
of their UTF-8 bytes, nulls and NaN to bucket 0), each bucket runs the embedded kernel, and
the buckets are the result's partitions. Their row
order is the buckets' order, not the embedded one (docs/compatibility.md). Outer joins make
nulls in some buckets only; their partitions are then conformed (:func:`conformed`), so every
partition holds a column in the same encoding, as the one embedded result does.

Partitions are plain FrameValues, not pandas: this layer imports no interop (no pandas).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import dask
import numpy as np

from daphnelib.backends.dask_blocks import BlockKernel, fan_in
from daphnelib.engine.kernels.frame import rbind_frame, take_rows
from daphnelib.engine.kernels.relational import valid_rows
from daphnelib.engine.logical import Logical
from daphnelib.engine.values import FrameValue

# Joins run per hash bucket (every row meets all rows with its key there, and a row whose key
# is null or NaN, which matches nothing, stays in one bucket, so the buckets' rows together
# are the join's). With a local right side the ones that keep each lhs row's result within
# its partition run per partition instead (broadcast); a right or full join must see every
# rhs row once, so it is hash-partitioned.
JOINS = ("innerJoin", "leftSemiJoin", "antiJoin", "leftOuterJoin", "rightOuterJoin",
         "fullOuterJoin")
BROADCAST_JOINS = ("innerJoin", "leftSemiJoin", "antiJoin", "leftOuterJoin")
_OUTER_JOINS = ("leftOuterJoin", "rightOuterJoin", "fullOuterJoin")
MAX_BUCKETS = 32


@dataclass(frozen=True)
class PartitionedFrame:
    """Delayed FrameValue partitions in row order. ``schema`` is a 0-row frame with the
    labels, dtypes and logical records of every partition; ``nrows`` None where not known."""

    parts: tuple[Any, ...]
    schema: FrameValue
    nrows: tuple[int | None, ...]


def is_partitioned(value: Any) -> bool:
    return isinstance(value, PartitionedFrame)


def split(frame: FrameValue, chunks: tuple[int, ...]) -> PartitionedFrame:
    """A local frame cut into row partitions of the given sizes (views, no copy)."""
    bounds = np.cumsum((0, *chunks))
    parts = tuple(dask.delayed(take_rows(frame, slice(int(lo), int(hi))), pure=True)
                  for lo, hi in itertools.pairwise(bounds))
    return PartitionedFrame(parts, take_rows(frame, slice(0, 0)), tuple(chunks))


def per_partition(frame: PartitionedFrame, op: str, *args: Any,
                  keeps_rows: bool = True) -> PartitionedFrame:
    """``kernel(op)(partition, *args)`` on every partition (a column-preserving op)."""
    fn = dask.delayed(BlockKernel(op), pure=True)
    parts = tuple(fn(p, *args) for p in frame.parts)
    nrows = frame.nrows if keeps_rows else (None,) * len(parts)
    return PartitionedFrame(parts, BlockKernel(op)(frame.schema, *args), nrows)


def _null_records(frame: FrameValue) -> list[tuple[Logical, np.dtype] | None]:
    """Per column, the record of a column holding nulls (masked, or strings with a mask)
    without its mask, and the values' dtype; None for the others. Small: no per-row data."""
    return [(replace(r, mask=None), c.dtype) if r is not None and r.kind in ("masked", "string")
            and r.mask is not None else None for c, r in zip(frame.columns, frame.logical,
                                                             strict=True)]


def _null_targets(summaries: list[list[Any]]) -> list[Any]:
    """Per column, the nullable record some partition has (None where none has one)."""
    return [next((s[j] for s in summaries if s[j] is not None), None)
            for j in range(len(summaries[0]))]


def _with_null_records(frame: FrameValue, targets: list[Any]) -> FrameValue:
    """The frame with each column that some other partition holds nullable (``targets``) and
    this one holds plain (no record, or widened ints) given that nullable record, no value
    missing: the encoding the whole column has in the embedded engine."""
    fix = [j for j, t in enumerate(targets) if t is not None and frame.columns[j].dtype == t[1]
           and (frame.logical[j] is None or frame.logical[j].kind in (None, "numpy"))]
    if not fix:
        return frame
    logical = list(frame.logical)
    for j in fix:
        logical[j] = replace(targets[j][0], mask=np.zeros(frame.nrow, np.bool_))
    return FrameValue(frame.columns, frame.labels, logical, nrow=frame.nrow)


def _nullable_alike(parts: list[FrameValue]) -> list[FrameValue]:
    """Partitions made independently (a query or an outer join per partition) with a column
    nullable in some (they met a null) and plain in others, all with the nullable encoding."""
    targets = _null_targets([_null_records(p) for p in parts])
    if targets.count(None) == len(targets):
        return parts
    return [_with_null_records(p, targets) for p in parts]


def conformed(parts: Sequence[Any]) -> tuple[Any, ...]:
    """Delayed partitions whose columns all share one encoding: each waits for the small
    null summaries of all of them (not their rows), then takes the nullable records."""
    summary = dask.delayed(_null_records, pure=True)
    targets = dask.delayed(_null_targets, pure=True)([summary(p) for p in parts])
    fix = dask.delayed(_with_null_records, pure=True)
    return tuple(fix(p, targets) for p in parts)


def _rbind_all(parts: list[FrameValue]) -> FrameValue:
    parts = _nullable_alike(parts)
    out = parts[0]
    for p in parts[1:]:
        out = rbind_frame(out, p)
    return out


def gathered(frame: PartitionedFrame) -> Any:
    """A delayed FrameValue of all partitions in order (rbind kernel, fan-in tree)."""
    return fan_in(list(frame.parts), _rbind_all)


# -- hash partitioning -------------------------------------------------------------------------


def _mix(z: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser: every input bit reaches the low bits the bucket is taken from
    (the bit patterns of small whole floats differ only in their high bits)."""
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def string_hash(col: np.ndarray) -> np.ndarray:
    """A uint64 per string from its UTF-8 bytes, the same in every process (Python's ``hash``
    of a str is salted per process). Each row's bytes, zero-padded to whole 8-byte words
    (little-endian), are mixed word by word with a key per position and summed (mod 2^64),
    then mixed with the byte count: vectorised over rows and words alike.

    Rows are taken in classes of similar length (word counts within a power of two), padded
    to their class's widest row only: one long string never makes every row as wide, so the
    work and memory stay proportional to the column's bytes."""
    from daphnelib._native.strings import strings_to_arrow

    offsets, data = strings_to_arrow(col)
    nbytes = np.diff(offsets)
    nwords = -(-nbytes // 8)
    h = _mix(nbytes.astype(np.uint64))
    length_class = np.zeros(len(nwords), np.intp)
    long_enough = nwords > 0
    length_class[long_enough] = np.log2(nwords[long_enough]).astype(np.intp) + 1
    for c in np.unique(length_class[long_enough]):  # at most 64 classes, not rows
        in_class = np.flatnonzero(length_class == c)
        width = int(nwords[in_class].max())
        # Rows in chunks of about _HASH_CHUNK_BYTES padded bytes: the byte positions are
        # int64 (8 bytes per padded byte), so a whole partition at once cost 8x its keys.
        step = max(1, _HASH_CHUNK_BYTES // (width * 8))
        for lo in range(0, len(in_class), step):
            rows = in_class[lo:lo + step]
            row_words = nwords[rows][:, None]
            at = np.arange(width * 8)
            inside = at < nbytes[rows][:, None]
            pos = np.where(inside, offsets[rows][:, None] + at, 0)
            words = np.where(inside, data[pos], 0).astype(np.uint8).view("<u8")
            position = np.arange(width, dtype=np.uint64)
            mixed = _mix(words ^ _mix(position + np.uint64(1)))
            mixed[position[None, :] >= row_words] = 0  # past the row's own words
            h[rows] = _mix(h[rows] ^ mixed.sum(axis=1, dtype=np.uint64))
    return h


_HASH_CHUNK_BYTES = 1 << 18


def _bucket_ids(frame: FrameValue, keys: Sequence[str], buckets: int) -> np.ndarray:
    """Per row its bucket: equal keys share one (numbers by value, -0.0 as 0.0); rows with a
    null or NaN key go to bucket 0."""
    h = np.zeros(frame.nrow, np.uint64)
    missing = np.zeros(frame.nrow, bool)
    for k in keys:
        j = frame.index_of(k)
        col, record = frame.columns[j], frame.logical[j]
        valid = valid_rows(col, record)
        if valid is not None:
            missing |= ~valid
        if col.dtype.kind == "T":
            h = _mix(h ^ string_hash(col))
            continue
        if col.dtype.kind not in "biuf":
            raise TypeError("distributed join/group-by keys must be numeric or strings, "
                            f"got {col.dtype}")
        v = col.astype(np.float64) + 0.0
        nan = np.isnan(v)
        missing |= nan
        h = _mix(h ^ _mix(np.where(nan, 0.0, v).view(np.uint64)))
    ids = (h % np.uint64(buckets)).astype(np.intp)
    ids[missing] = 0
    return ids


class Bucketize:
    """A partition cut into ``buckets`` frames by the hash of its key columns."""

    __slots__ = ("buckets", "keys")

    def __init__(self, keys: Sequence[str], buckets: int) -> None:
        self.keys, self.buckets = tuple(keys), buckets

    def __call__(self, frame: FrameValue) -> list[FrameValue]:
        ids = _bucket_ids(frame, self.keys, self.buckets)
        order = np.argsort(ids, kind="stable")
        counts = np.bincount(ids, minlength=self.buckets)
        bounds = np.cumsum((0, *counts))
        return [take_rows(frame, order[bounds[b]:bounds[b + 1]]) for b in range(self.buckets)]


def _pick(buckets: list[FrameValue], b: int) -> FrameValue:
    return buckets[b]


def bucket_count(partitions: int) -> int:
    """Hash buckets for a shuffle: one per partition, at most MAX_BUCKETS (the shuffle makes
    partitions x buckets pieces)."""
    return max(1, min(partitions, MAX_BUCKETS))


def shuffled(frame: PartitionedFrame, keys: Sequence[str], buckets: int) -> list[Any]:
    """Per bucket a delayed FrameValue holding every row whose key hashes there."""
    cut = dask.delayed(Bucketize(keys, buckets), pure=True)
    pick = dask.delayed(_pick, pure=True)
    pieces = [cut(p) for p in frame.parts]
    return [fan_in([pick(pc, b) for pc in pieces], _rbind_all) for b in range(buckets)]


def join(op: str, lhs: PartitionedFrame, rhs: PartitionedFrame, keys: tuple) -> PartitionedFrame:
    """A join kernel on matching hash buckets of both sides."""
    labels = [k for k in keys if isinstance(k, str)]  # a trailing numRowRes is only a hint
    lhs_on, rhs_on = labels[:len(labels) // 2], labels[len(labels) // 2:]
    buckets = bucket_count(max(len(lhs.parts), len(rhs.parts)))
    run = dask.delayed(BlockKernel(op), pure=True)
    parts = tuple(run(lb, rb, *keys) for lb, rb in zip(shuffled(lhs, lhs_on, buckets),
                                                       shuffled(rhs, rhs_on, buckets),
                                                       strict=True))
    if op in _OUTER_JOINS:
        parts = conformed(parts)
    return PartitionedFrame(parts, BlockKernel(op)(lhs.schema, rhs.schema, *keys),
                            (None,) * buckets)


def broadcast_join(op: str, lhs: PartitionedFrame, rhs: FrameValue, keys: tuple
                   ) -> PartitionedFrame:
    """A join (one of BROADCAST_JOINS) with a local (small) right side: every partition joins
    the whole right side, so nothing is shuffled and the rows come in the embedded order."""
    run = dask.delayed(BlockKernel(op), pure=True)
    shared = dask.delayed(rhs, pure=True)
    parts = tuple(run(p, shared, *keys) for p in lhs.parts)
    if op in _OUTER_JOINS:
        parts = conformed(parts)
    return PartitionedFrame(parts, BlockKernel(op)(lhs.schema, take_rows(rhs, slice(0, 0)),
                                                   *keys), (None,) * len(parts))


# Aggregates that combine from per-partition partials: a partial count is summed.
_COMBINE = {"sum": "sum", "count": "sum", "min": "min", "max": "max"}


class Regrouped:
    """The combining group-by over partial aggregates, relabelled as the one-pass result."""

    __slots__ = ("args", "labels", "op")

    def __init__(self, op: str, args: tuple, labels: Sequence[str]) -> None:
        self.op, self.args, self.labels = op, args, tuple(labels)

    def __call__(self, frame: FrameValue) -> FrameValue:
        return BlockKernel("setColLabels")(BlockKernel(self.op)(frame, *self.args), *self.labels)


def _combining_args(op: str, args: tuple) -> tuple | None:
    """groupBy's arguments over the partial aggregates, or None when an aggregate (mean)
    does not combine."""
    if op == "groupSum":
        keys, col = args[:-1], args[-1]
        return ("groupSum", (*keys, f"SUM({col})"))
    nkeys, keys, pairs = args[0], args[1:1 + args[0]], args[1 + args[0]:]
    combined = []
    for func, col in zip(pairs[::2], pairs[1::2], strict=True):
        again = _COMBINE.get(str(func).lower())
        if again is None:
            return None
        combined += [again, f"{str(func).upper()}({col})"]
    return ("groupBy", (nkeys, *keys, *combined))


def group(op: str, frame: PartitionedFrame, args: tuple) -> PartitionedFrame:
    """``groupBy``/``groupSum`` per hash bucket of the group keys (each key in one bucket).

    sum/count/min/max aggregate each partition first (what moves is one row per key and
    partition), then combine per bucket; mean shuffles the rows themselves.
    """
    keys = args[1:1 + args[0]] if op == "groupBy" else args[:-1]
    schema = BlockKernel(op)(frame.schema, *args)
    buckets = bucket_count(len(frame.parts))
    combining = _combining_args(op, args)
    if combining is not None:
        frame = per_partition(frame, op, *args, keeps_rows=False)
        final: Any = Regrouped(*combining, schema.labels)
    else:
        final = BlockKernel(op, *args)
    run = dask.delayed(final, pure=True)
    parts = tuple(run(b) for b in shuffled(frame, keys, buckets))
    return PartitionedFrame(parts, schema, (None,) * buckets)


def row_counts(frame: PartitionedFrame, compute: Any) -> tuple[int, ...]:
    """The partitions' row counts (computed where not known)."""
    if None not in frame.nrows:
        return tuple(int(n) for n in frame.nrows)
    count = dask.delayed(_nrow, pure=True)
    return tuple(int(n) for n in compute(dask.delayed(list)([count(p) for p in frame.parts])))


def _nrow(frame: FrameValue) -> int:
    return frame.nrow
