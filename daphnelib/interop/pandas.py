"""pandas <-> engine exchange: DataFrames in and out through shared memory, exactly.

Ingress (:func:`frame_value_from_pandas`): one engine column per pandas column, taken block by
block from the DataFrame's block manager, each by the codec of its kind
(:mod:`daphnelib.interop.codecs`; about 0.4 µs per column, whatever the row count;
``df[c].to_numpy()`` costs ~11 µs per column in pandas 3). Numeric and bool columns enter as
read-only views of pandas' buffers; so do datetime/timedelta/period ticks, categorical codes
and the values and masks of nullable columns. Copies happen only where DAPHNE lacks the
layout or type: int16/uint16/float16 (widened), strings (Python objects or Arrow buffers
become a numpy ``StringDType`` column), sparse columns (densified), blocks whose columns are
strided (pandas 2.2 keeps ``DataFrame(2-D array)`` row-major: one copy makes the columns
contiguous) and keepIndex's RangeIndex; ``verbose=True`` names each. ``df`` is never modified.

Each column whose pandas dtype is not the engine buffer's own gets a
:class:`~daphnelib.engine.logical.Logical` record (kind, pandas dtype, mask, original label,
index role) that column-preserving kernels carry, so dtypes survive computation.

Egress (:func:`to_pandas`): the native result reader builds numpy arrays over the engine's
buffers; when every column has the same numeric dtype and the columns tile one buffer pandas
gets that as one 2-D block; otherwise each run of same-dtype columns lying back to back in
memory (a block pandas handed in, an engine gather buffer) is one block and other columns are
blocks of their own, all without copies. Only columns with a logical record are converted
back (categorical from codes, nullable from values + mask...); strings become the dtype
pandas gives str by default (object in 2.2, ``str`` in 3.x) unless a record says otherwise.

With ``keepIndex=True`` the row index is stored as leading column(s): ``index`` for one level
(``level_0`` if ``index`` is already a column label), ``level_<i>`` for the levels of a
MultiIndex; ``compute(useIndexColumn=True)`` turns them back into the index (name and type
included). Frames without such records (files, createFrame) fall back to DaphneLib's rule: a
column labelled ``index`` becomes the (unnamed) index.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from daphnelib.engine.logical import INT_LABEL, NO_LABEL, Logical
from daphnelib.engine.values import FrameValue
from daphnelib.engine.valuetypes import STR
from daphnelib.interop.codecs import Ingress, codec, ingest_block, ingest_pandas

try:  # pandas >= 3: hand pandas finished blocks (no per-column constructor work)
    from pandas.api.internals import create_dataframe_from_blocks as _from_blocks
except ImportError:  # pandas 2.2: the same, through the internals that function wraps
    def _from_blocks(blocks: list[tuple[Any, np.ndarray]], index: pd.Index,
                     columns: pd.Index) -> pd.DataFrame:
        from pandas.core.internals.api import make_block
        from pandas.core.internals.managers import BlockManager

        mgr = BlockManager([make_block(values, placement=places, ndim=2)
                            for values, places in blocks], [columns, index])
        return pd.DataFrame._from_mgr(mgr, mgr.axes)




# ---------------------------------------------------------------------------------------------
# Ingress
# ---------------------------------------------------------------------------------------------

def _blocks(df: pd.DataFrame) -> Iterator[tuple[list[int], Any]]:
    """(column positions, values) per block: 2-D numpy (columns, rows) or an array per column."""
    mgr = getattr(df, "_mgr", None)
    blocks = getattr(mgr, "blocks", None)
    if blocks is None:  # not a block manager: one column at a time (public API)
        for j in range(df.shape[1]):
            yield [j], df.iloc[:, j].array
        return
    for blk in blocks:
        yield blk.mgr_locs.as_array.tolist(), blk.values


def frame_value_from_pandas(
    df: pd.DataFrame | pd.Series, *, keepIndex: bool = False,
    verbose: bool = False,
) -> FrameValue:
    """The engine frame of a DataFrame (a Series is a one-column frame); see the module doc."""
    if isinstance(df, pd.Series):
        df = df.to_frame()  # label: the name, or 0 (DAPHNE label "0") as in DaphneLib
    elif not isinstance(df, pd.DataFrame):
        raise TypeError(f"from_pandas needs a pandas DataFrame or Series, got {type(df).__name__}")
    col_index = df.columns
    if not col_index.is_unique:
        dup = col_index[col_index.duplicated()].unique().tolist()
        raise ValueError(f"from_pandas: DAPHNE frame labels must be unique; duplicated column "
                         f"labels: {dup}")
    ncol = len(col_index)
    names = col_index.tolist()
    ing = Ingress("from_pandas", verbose)
    columns: list[Any] = [None] * ncol
    logical: list[Logical | None] = [None] * ncol
    for locs, vals in _blocks(df):
        if getattr(vals, "ndim", 1) == 1:  # an extension array: one column
            columns[locs[0]], logical[locs[0]] = ingest_pandas(vals, names[locs[0]], ing)
            continue
        whole = ingest_block(vals, [names[j] for j in locs], ing)
        if whole is not None:  # one codec for the block: its rows are the columns
            block, record = whole
            for j, col in zip(locs, block, strict=True):
                columns[j] = col
                logical[j] = record
        else:  # object blocks: a column per row
            for j, row in zip(locs, vals, strict=True):
                columns[j], logical[j] = ingest_pandas(row, names[j], ing)
    labels = _labels(col_index, names, logical)
    if keepIndex:
        index_cols, index_labels, index_logical = _index_columns(df.index, labels, ing)
        columns = index_cols + columns
        labels = index_labels + labels
        logical = index_logical + logical
    return FrameValue(columns, labels, logical, nrow=len(df))


def _labels(col_index: pd.Index, names: list[Any], logical: list[Logical | None]) -> list[str]:
    """DAPHNE labels (str); non-str pandas labels are kept in the columns' records."""
    if col_index.inferred_type in ("string", "empty"):
        return names
    from_range = isinstance(col_index, pd.RangeIndex)
    if col_index.dtype.kind in "iu":  # int labels: one shared record ("int of the label")
        shared = Logical(label=INT_LABEL, label_range=from_range)
        for j, record in enumerate(logical):
            logical[j] = shared if record is None else replace(
                record, label=INT_LABEL, label_range=from_range)
        return [str(name) for name in names]
    labels = []
    for j, name in enumerate(names):
        if type(name) is str:
            labels.append(name)
            continue
        labels.append(str(name))
        logical[j] = replace(logical[j] or Logical(), label=name)
    if len(set(labels)) != len(labels):
        dup = sorted({x for x in labels if labels.count(x) > 1})
        raise ValueError(f"from_pandas: column labels {dup} collide once written as DAPHNE's "
                         "string labels")
    return labels


def _index_columns(
    index: pd.Index, data_labels: list[str], ing: Ingress,
) -> tuple[list[np.ndarray], list[str], list[Logical | None]]:
    """The row index as leading columns (keepIndex), each marked with its level and name."""
    if isinstance(index, pd.MultiIndex):
        levels = [(index.get_level_values(i), f"level_{i}") for i in range(index.nlevels)]
    else:
        levels = [(index, "level_0" if "index" in data_labels else "index")]
    cols, labels, logical = [], [], []
    for level, (values, label) in enumerate(levels):
        how = getattr(values, "freq", None)
        if isinstance(values, pd.RangeIndex):
            ing.copied(label, "RangeIndex -> int64 column")
            col = np.arange(values.start, values.stop, values.step, dtype=np.int64)
            col.flags.writeable = False
            record, how = None, "range"
        else:
            arr = values.array
            # The Index's own ndarray, no copy; not for pandas' StringArray, a subclass that
            # is how a str Index holds its values without pyarrow (its dtype is recorded).
            if type(arr) is pd.arrays.NumpyExtensionArray:
                arr = arr.to_numpy()
            col, record = ingest_pandas(arr, label, ing)
        cols.append(col)
        labels.append(label)
        logical.append(replace(record or Logical(), index=(level, values.name, how)))
    return cols, labels, logical


# ---------------------------------------------------------------------------------------------
# Egress
# ---------------------------------------------------------------------------------------------

def _column_index(labels: list[str], logical: list[Logical | None]) -> pd.Index:
    if not labels:
        return pd.RangeIndex(0)
    if logical.count(None) == len(logical) or all(
            lg is None or lg.label is NO_LABEL for lg in logical):
        if len(labels) > _KEPT_LABELS:
            return pd.Index(labels)
        # A view of a kept Index: its own object (a name set on it stays its own) over the
        # same immutable values; pandas takes ~60 us to infer a str Index from a list.
        return _label_index(tuple(labels)).view()
    first = logical[0]
    if first is not None and first.label is INT_LABEL and logical.count(first) == len(logical):
        # Every column shares the int-label record (a frame of int-labelled numeric columns).
        ints = np.fromiter(map(int, labels), np.int64, len(labels))
        rng = _as_range(ints) if first.label_range else None
        return pd.Index(ints) if rng is None else pd.RangeIndex(rng.start, rng.stop, rng.step)
    objs = [lbl if lg is None or lg.label is NO_LABEL else int(lbl) if lg.label is INT_LABEL
            else lg.label for lbl, lg in zip(labels, logical, strict=True)]
    if all(lg is not None and lg.label_range for lg in logical):
        rng = _as_range(np.asarray(objs, dtype=np.int64))  # labels of a RangeIndex: ints
        if rng is not None:
            return pd.RangeIndex(rng.start, rng.stop, rng.step)
    return pd.Index(objs)


_KEPT_LABELS = 64  # frames this narrow have their column Index kept (per label tuple)


@lru_cache(maxsize=128)
def _label_index(labels: tuple[str, ...]) -> pd.Index:
    return pd.Index(list(labels))


def _as_range(arr: np.ndarray) -> range | None:
    """``arr`` as a range when its values form one (a RangeIndex that survived computation)."""
    n = len(arr)
    if n < 2:
        return range(int(arr[0]), int(arr[0]) + 1) if n else range(0)
    start, step = int(arr[0]), int(arr[1]) - int(arr[0])
    if step == 0 or not np.array_equal(arr, start + step * np.arange(n, dtype=np.int64)):
        return None
    return range(start, start + step * n, step)


def _row_index(arrays: list[Any], records: list[Logical | None]) -> pd.Index:
    """The DataFrame index from the index columns' arrays, in level order."""
    info = [(None, None) if r is None or r.index is None else r.index[1:] for r in records]
    names = [name for name, _ in info]
    if len(arrays) > 1:
        return pd.MultiIndex.from_arrays(arrays, names=names)
    arr, (name, how) = arrays[0], info[0]
    if isinstance(how, str) and isinstance(arr, np.ndarray) and arr.dtype.kind in "iu":
        rng = _as_range(arr)
        if rng is not None:
            return pd.RangeIndex(rng.start, rng.stop, rng.step, name=name)
    dtype = arr.dtype if isinstance(arr, np.ndarray) else None
    index = pd.Index(arr, dtype=dtype, name=name, copy=False)
    if how is not None and not isinstance(how, str):
        # A DatetimeIndex/TimedeltaIndex frequency, if the values still fit it (reversed by a
        # descending order, as pandas' own sort gives).
        for freq in (how, -how):
            try:
                index.freq = freq
                break
            except (ValueError, AttributeError, TypeError):
                pass
    return index


def _block_list(result: Any, restored: dict[int, Any], newpos: np.ndarray) -> list[Any]:
    """pandas blocks: the result's same-dtype runs as 2-D views, restored columns alone.

    ``newpos`` maps a result column to its DataFrame position (-1: it became the index).
    """
    blocks = []
    for block, pos in result.blocks():
        places = newpos[pos]
        if len(pos) > 1 and places.min() >= 0 and restored.keys().isdisjoint(pos.tolist()):
            blocks.append((block, places))
            continue
        for row, j in enumerate(pos.tolist()):
            if newpos[j] < 0:
                continue
            arr = restored.get(j, block[row])
            if isinstance(arr, np.ndarray):
                arr = arr.reshape(1, -1)
            blocks.append((arr, newpos[j:j + 1]))
    return blocks


def to_pandas(value: FrameValue, *, useIndexColumn: bool = False) -> pd.DataFrame:
    """The DataFrame of an engine frame; columns view the engine's buffers (see module doc)."""
    from daphnelib._native.buffers import frame_result

    if not isinstance(value, FrameValue):
        raise TypeError(f"to_pandas needs a frame, got {type(value).__name__}")
    result = frame_result(value.columns, value.labels, value.nrow)
    labels = value.labels  # Python strings: the C labels of the result stop at a NUL
    logical = value.logical
    n = len(labels)
    # Columns whose record restores a type (label-only records just name the column); a
    # record shared by every column (int labels) is checked once.
    shared = logical[0] if n and logical.count(logical[0]) == n else False
    if shared is None or (shared and shared.kind is None):
        typed = []
    else:
        typed = [j for j, lg in enumerate(logical) if lg is not None and lg.kind is not None]
    index_pos = _index_positions(labels, logical) if useIndexColumn else []
    if not typed and not index_pos:
        block = result.block()
        if block is not None:  # one buffer: one block, whatever the width
            columns = _column_index(labels, logical)
            index = pd.RangeIndex(value.nrow)
            return _from_blocks([(block.T, np.arange(n))], index=index, columns=columns)
    arrays: list[Any] = result.columns()
    special = {j for j, code in enumerate(result.vtcs()) if code == STR}  # strings: always
    special.update(typed)
    # each column's codec: the pandas array (a view where the representation allows)
    restored = {j: codec(logical[j]).to_pandas(arrays[j], logical[j]) for j in special}
    newpos = np.arange(n)
    if index_pos:
        index = _row_index([restored.get(j, arrays[j]) for j in index_pos],
                           [logical[j] for j in index_pos])
        newpos[index_pos] = -1
        keep = np.flatnonzero(newpos >= 0)
        newpos[keep] = np.arange(len(keep))
        labels = [labels[j] for j in keep]
        logical = [logical[j] for j in keep]
    else:
        index = pd.RangeIndex(value.nrow)
    columns = _column_index(labels, logical)
    return _from_blocks(_block_list(result, restored, newpos), index=index, columns=columns)


def _index_positions(labels: list[str], logical: list[Logical | None]) -> list[int]:
    """Positions of the index columns, by level; DaphneLib's ``index`` label as fallback."""
    marked = [(lg.index[0], j) for j, lg in enumerate(logical)
              if lg is not None and lg.index is not None]
    if marked:
        return [j for _, j in sorted(marked)]
    return [labels.index("index")] if "index" in labels else []


__all__ = ["frame_value_from_pandas", "to_pandas"]
