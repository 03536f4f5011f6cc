"""DuckDB's Arrow result -> an engine frame, with the logical types DAPHNE's SQL gives.

The result table comes straight from DuckDB's Arrow export; each column becomes an engine
column and a logical record without passing through pandas (pandas, when importable, only
supplies the dtype objects that records of nullable, string and categorical columns name, so
``compute()`` gives the types it always gave; without pandas the records hold kind-level facts
only, see :mod:`daphnelib.engine.logical`). The types are those of DuckDB's own DataFrame
export, which DaphneLib users see:

=============================== ==================================================
DuckDB result column            engine column and record
=============================== ==================================================
integers, bool without nulls    the values (int16/uint16 widened, "numpy" record)
integers, bool with nulls       values + "masked" record (nullable Int/UInt/boolean)
floats                          the values, NaN for nulls (no record)
VARCHAR                         ``StringDType`` + "string" record (pandas' ``str``;
                                object when no row holds a string)
NULL (an untyped NULL column)   "" + "string" record, object dtype, every row missing
TIMESTAMP[_S/_MS/_NS][ TZ]      int64 ticks + "datetime" record of the same unit/tz
DATE                            microsecond ticks + "datetime" record
INTERVAL                        microsecond ticks + "timedelta" (a month is 30 days)
ENUM                            codes + "category" record (ordered)
DECIMAL, HUGEINT                cast to DOUBLE / BIGINT inside DuckDB (sql/duckdb.run)
anything else (TIME, LIST, ...) refused: a TypeError naming the column
=============================== ==================================================

A result column that *is* a view column (``origins``) then gets that column's logical type
back where the values allow (DuckDB answers microsecond timestamps, categoricals as strings,
int16 widened...); where they do not (nulls from an outer join in an int16 column) the
column keeps the type above.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from daphnelib.engine.logical import Logical
from daphnelib.engine.values import FrameValue
from daphnelib.interop.arrow import column_from_arrow, strings_from_arrow
from daphnelib.interop.codecs import (
    category_record,
    is_ordered,
    masked_record,
    nullable_dtype,
    object_dtype,
    string_dtype,
    validity_mask,
    values_view,
)
from daphnelib.interop.numpy import to_engine

_NAT = np.iinfo(np.int64).min
_US_PER_DAY = 86_400_000_000


def _readonly(arr: np.ndarray) -> np.ndarray:
    arr.flags.writeable = False
    return arr


def _float_nulls(arr: Any) -> np.ndarray:
    """Floats with nulls as values with NaN for the nulls, as DuckDB's DataFrames hold them."""
    dtype = np.dtype(arr.type.to_pandas_dtype())
    return _readonly(np.where(validity_mask(arr), np.nan, values_view(arr, dtype))
                     .astype(dtype, copy=False))


def _strings(arr: Any) -> tuple[np.ndarray, Logical]:
    values, mask = strings_from_arrow(arr)
    if arr.null_count < len(arr):
        return values, Logical("string", string_dtype(), mask=mask)
    # No row holds a string: DuckDB's DataFrame column is object, its missing values None.
    return values, Logical("string", object_dtype(), mask=mask,
                           extra="none" if mask is not None else None)


def _intervals(arr: Any) -> tuple[np.ndarray, Logical]:
    """month_day_nano intervals as microseconds, a month counted as 30 days (as DuckDB)."""
    parts = np.frombuffer(arr.buffers()[1], count=len(arr), offset=arr.offset * 16,
                          dtype=np.dtype([("m", "<i4"), ("d", "<i4"), ("ns", "<i8")]))
    micros = (parts["m"].astype(np.int64) * 30 + parts["d"]) * _US_PER_DAY + parts["ns"] // 1000
    mask = validity_mask(arr)
    if mask is not None:
        micros[mask] = _NAT
    dtype = np.dtype("m8[us]")
    return _readonly(micros), Logical("timedelta", dtype, extra=dtype)


def _codes_dtype(ncat: int) -> np.dtype:
    """The width pandas gives the codes of ``ncat`` categories (int16 travels as int32)."""
    return np.dtype(np.int8 if ncat < 127 else np.int32 if ncat < 2**31 - 1 else np.int64)


def _dictionary(arr: Any, categories: Any, ordered: bool, dtype: Any = None
                ) -> tuple[np.ndarray, Logical]:
    """``arr``'s values as codes into ``categories`` (-1: missing or not a category);
    ``dtype``: the categorical dtype to record (default: built from the two)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if pa.types.is_dictionary(arr.type):
        arr = arr.dictionary_decode()
    found = pc.index_in(arr, value_set=pa.array(categories))
    codes = _readonly(found.fill_null(-1).to_numpy().astype(_codes_dtype(len(categories))))
    if dtype is None:
        return codes, category_record(categories, ordered)
    return codes, Logical("category", dtype, extra=dtype.categories, ordered=ordered)


def result_column(arr: Any, name: str) -> tuple[np.ndarray, Logical | None]:
    """One column of DuckDB's Arrow result as an engine column and record (module doc)."""
    import pyarrow as pa

    t = arr.type
    types = pa.types
    if types.is_floating(t) and arr.null_count:
        return _float_nulls(arr), None
    if (types.is_boolean(t) or types.is_integer(t) or types.is_floating(t)
            or types.is_timestamp(t) or types.is_duration(t)):
        return column_from_arrow(arr, name)  # as every Arrow import
    if types.is_string(t) or types.is_large_string(t) or types.is_string_view(t):
        return _strings(arr)
    if types.is_date(t):
        return column_from_arrow(arr.cast(pa.timestamp("us")), name)
    if t == pa.month_day_nano_interval():
        return _intervals(arr)
    if types.is_dictionary(t):
        # DuckDB's ENUMs: ordered categories, as its DataFrame export makes them
        return _dictionary(arr, arr.dictionary.to_numpy(zero_copy_only=False), True)
    if types.is_null(t):
        values = np.full(len(arr), "", dtype=np.dtypes.StringDType())
        mask = np.ones(len(arr), np.bool_) if len(arr) else None
        return _readonly(values), Logical("string", object_dtype(), mask=mask,
                                          extra="none" if len(arr) else None)
    raise TypeError(f"column {name!r} has DuckDB type {t}, which DAPHNE has no value type "
                    "for (cast it to a number, string or timestamp)")


def _adopt(col: np.ndarray, record: Logical | None, arr: Any, view_col: np.ndarray,
           target: Logical) -> tuple[np.ndarray, Logical | None]:
    """A result column that is view column ``view_col`` (record ``target``) with that
    column's logical type back where its values allow; else unchanged."""
    kind = target.kind
    got = None if record is None else record.kind
    dtype = target.dtype
    if dtype is None and kind == "masked":  # nulls a kernel made: pandas' nullable type
        dtype = nullable_dtype(np.dtype(target.extra or view_col.dtype))
    elif dtype is None and kind == "string":
        dtype = string_dtype()
    if got == kind and dtype is not None and _same_dtype(record.dtype, dtype):
        return col, record
    if kind in ("datetime", "timedelta") and got == kind:
        ticks = col.view(record.extra).astype(target.extra).view(np.int64)
        return _readonly(ticks), Logical(kind, dtype, extra=target.extra)
    if kind == "category":
        return _dictionary(arr, target.extra, is_ordered(target), dtype)
    if kind == "string" and got == "string" and dtype is not None:
        # str -> object: pandas writes NaN for the missing values
        token = "nan" if record.mask is not None and dtype == np.dtype(object) else None
        return col, Logical("string", dtype, mask=record.mask, extra=token)
    if kind == "masked" and got in (None, "numpy", "masked"):
        want = np.dtype(dtype.numpy_dtype) if dtype is not None else \
            np.dtype(target.extra or view_col.dtype)
        mask, values = (record.mask if got == "masked" else None), col
        if col.dtype.kind == "f":  # NaN is a null for pandas' nullable types
            nan = np.isnan(col)
            if want.kind != "f" and not np.array_equal(col[~nan], np.trunc(col[~nan])):
                return col, record  # pandas refuses to cast fractions to integers
            mask, values = nan, np.where(nan, 0, col)
        if mask is None:
            mask = np.zeros(len(col), np.bool_)
        engine = to_engine(values.astype(want, copy=False), what="SQL result")
        if dtype is None:
            return engine, masked_record(want, mask)
        return engine, Logical("masked", dtype, mask=mask)
    if got is not None:
        return col, record  # nulls (or another kind) where the view column had none
    nan = col.dtype.kind == "f" and bool(np.isnan(col).any())
    if kind == "numpy" and not (nan and dtype.kind in "iub"):
        return to_engine(col.astype(dtype), what="SQL result"), Logical("numpy", dtype)
    if kind == "period" and col.dtype == np.int64:
        return col, Logical("period", dtype)
    if kind == "sparse" and not (nan and np.dtype(dtype.subtype).kind in "iub"):
        dense = to_engine(col.astype(dtype.subtype, copy=False), what="SQL result")
        return dense, Logical("sparse", dtype, extra="integer")
    return col, record


def _same_dtype(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return False


def frame_value_from_result(table: Any, labels: Sequence[str],
                            origins: Sequence[tuple[FrameValue, int] | None]) -> FrameValue:
    """The engine frame of DuckDB's result ``table`` labelled ``labels``; ``origins[k]`` is
    the (view frame, column) result column ``k`` carries, or None."""
    columns, logical = [], []
    for k, name in enumerate(labels):
        chunked = table.column(k)
        arr = chunked.chunk(0) if chunked.num_chunks == 1 else chunked.combine_chunks()
        col, record = result_column(arr, name)
        origin = origins[k]
        if origin is not None:
            frame, j = origin
            target = frame.logical[j]
            if target is not None and target.kind is not None:
                col, record = _adopt(col, record, arr, frame.columns[j], target)
        columns.append(col)
        logical.append(record)
    return FrameValue(columns, list(labels), logical, nrow=table.num_rows)
