"""Arrow <-> engine values, both ways, over Arrow's buffers (pyarrow is imported lazily).

Ingress (:func:`frame_value_from_arrow`, :func:`matrix_from_arrow`): anything that speaks the
Arrow PyCapsule interface (``__arrow_c_stream__`` or ``__arrow_c_array__``: pyarrow, polars,
DuckDB, nanoarrow, pandas) is imported with pyarrow and each column becomes an engine column
plus a logical record, in the form :mod:`daphnelib.engine.logical` describes, by the codec
of its kind (:func:`daphnelib.interop.codecs.ingest_arrow`):

================================= ======================================= ==============
Arrow type                        engine column                           copy
================================= ======================================= ==============
int8/32/64, uint8/32/64,          a read-only view of the values buffer   none
float32/64, no nulls
int16, uint16, float16            widened (si32/ui32/f32), "numpy" record  one
the same with nulls               values view + "masked" record (mask)     mask only
bool                              unpacked bytes (Arrow packs bits)        one
string, large_string, string_view ``StringDType`` (native, no objects)     one (view: two)
dictionary                        codes + "category" record                nulls: one
timestamp(unit, tz), duration     int64 ticks + "datetime"/"timedelta"     nulls: one
pandas.period (an extension type) int64 ordinals + "period" record          nulls: one
decimal, nested, binary, ...      refused with a TypeError                 -
================================= ======================================= ==============

A table of several chunks is combined once first (Arrow's own concatenation).

Egress (:func:`arrow_column`, :func:`table_from_frame`, :func:`matrix_array`): plain numeric
columns become Arrow arrays over the engine's buffers (no copy; NaN stays a value, as in
DAPHNE, not a null); masks become validity bitmaps, categoricals dictionary arrays, datetimes
timestamps with their unit and time zone, strings ``large_string`` (built natively), each by
its kind's codec (:mod:`daphnelib.interop.codecs`, which also names the records' dtypes so
that ingress needs pandas only for time zones and periods). A matrix
is a primitive array when it has one column, else a ``fixed_size_list`` of its rows over the
same buffer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from daphnelib._optional import import_optional
from daphnelib.engine.logical import Logical
from daphnelib.engine.values import FrameValue
from daphnelib.interop.codecs import Ingress, codec, ingest_arrow, validity_mask
from daphnelib.interop.numpy import note_copy

if TYPE_CHECKING:
    import pyarrow as pa

# Logical kinds handed to DuckDB as their engine values (see column_array).
_AS_VALUES = (None, "numpy", "sparse", "period")


def _pa(what: str) -> Any:
    return import_optional("pyarrow", "arrow", what)


# ---------------------------------------------------------------------------------------------
# Importing foreign objects
# ---------------------------------------------------------------------------------------------

def import_arrow(obj: Any, what: str = "from_arrow") -> pa.Array | pa.ChunkedArray:
    """The pyarrow (chunked) array of an object speaking the Arrow PyCapsule interface."""
    pa = _pa(what)
    if isinstance(obj, (pa.Array, pa.ChunkedArray)):
        return obj
    if hasattr(obj, "__arrow_c_stream__"):
        return pa.chunked_array(obj)
    if hasattr(obj, "__arrow_c_array__"):
        return pa.array(obj)
    raise TypeError(f"{what} needs an object with __arrow_c_stream__ or __arrow_c_array__ "
                    f"(pyarrow, polars, DuckDB, nanoarrow...), got {type(obj).__name__}")


def is_table(arr: pa.Array | pa.ChunkedArray) -> bool:
    """Whether an imported Arrow object is table-like (a struct of columns: a frame)."""
    return _pa("from_arrow").types.is_struct(arr.type)


def _single(arr: pa.Array | pa.ChunkedArray, verbose: bool, what: str) -> pa.Array:
    """One contiguous array: a chunked array of several chunks is combined (one copy)."""
    pa = _pa(what)
    if isinstance(arr, pa.Array):
        return arr
    if arr.num_chunks == 1:
        return arr.chunk(0)
    if arr.num_chunks == 0:  # combine_chunks cannot make an empty array of extension types
        return pa.nulls(0, arr.type)
    note_copy(verbose, what, f"combining {arr.num_chunks} Arrow chunks")
    return arr.combine_chunks()


# ---------------------------------------------------------------------------------------------
# Ingress
# ---------------------------------------------------------------------------------------------

def strings_from_arrow(arr: pa.Array) -> tuple[np.ndarray, np.ndarray | None]:
    """A string/large_string/string_view array as a ``StringDType`` column and its mask."""
    from daphnelib._native.strings import strings_from_arrow as unpack

    pa = _pa("strings_from_arrow")
    if pa.types.is_string_view(arr.type):  # views -> offsets, in Arrow's own C++ code
        arr = arr.cast(pa.large_string())
    validity, offsets, data = arr.buffers()
    width = np.dtype(np.int64 if pa.types.is_large_string(arr.type) else np.int32)
    offs = np.frombuffer(offsets, dtype=width, count=len(arr) + 1,
                         offset=arr.offset * width.itemsize) if len(arr) else \
        np.zeros(1, width)
    data_view = np.frombuffer(data, dtype=np.uint8) if data is not None and data.size else \
        np.zeros(0, np.uint8)
    bitmap = np.frombuffer(validity, dtype=np.uint8) if arr.null_count else None
    values = unpack(offs, data_view, bitmap, arr.offset)
    values.flags.writeable = False
    return values, validity_mask(arr)


def column_from_arrow(arr: pa.Array, name: str) -> tuple[np.ndarray, Logical | None]:
    """One Arrow array as an engine column and its logical record (see the module doc)."""
    return ingest_arrow(arr, name, Ingress("from_arrow", verbose=False))


def frame_value_from_arrow(obj: Any, *, verbose: bool = False) -> FrameValue:
    """The engine frame of a table-like Arrow object (its columns are the frame's)."""
    pa = _pa("from_arrow")
    arr = import_arrow(obj)
    if not pa.types.is_struct(arr.type):
        raise TypeError(f"from_arrow: a frame needs a table or record batch (a struct of "
                        f"columns), got an Arrow array of {arr.type}")
    struct = _single(arr, verbose, "table")
    if struct.null_count:
        raise ValueError("from_arrow: the table's rows themselves are null (a struct array "
                         "with a validity bitmap); DAPHNE frames have no null rows")
    names = [struct.type.field(i).name for i in range(struct.type.num_fields)]
    ing = Ingress("from_arrow", verbose)
    columns, logical = [], []
    for i, name in enumerate(names):
        col, record = ingest_arrow(struct.field(i), name, ing)
        columns.append(col)
        logical.append(record)
    return FrameValue(columns, names, logical, nrow=len(struct))


def matrix_from_arrow(obj: Any, *, verbose: bool = False) -> np.ndarray:
    """The engine matrix of an Arrow array: n x 1, or n x k for a ``fixed_size_list<k>``."""
    pa = _pa("from_arrow")
    arr = _single(import_arrow(obj), verbose, "array")
    width = 1
    if pa.types.is_fixed_size_list(arr.type):
        width = arr.type.list_size
        if arr.null_count:
            raise ValueError("from_arrow: a matrix's rows cannot be null")
        arr = arr.flatten()
    if arr.null_count or not (pa.types.is_integer(arr.type) or pa.types.is_floating(arr.type)
                              or pa.types.is_boolean(arr.type) or pa.types.is_string(arr.type)
                              or pa.types.is_large_string(arr.type)
                              or pa.types.is_string_view(arr.type)):
        raise TypeError(f"from_arrow: an Arrow array of {arr.type}"
                        f"{' with nulls' if arr.null_count else ''} is no matrix; wrap it in a "
                        "table (pa.table({'x': arr})) to get a frame, which holds nulls and "
                        "logical types")
    col, record = ingest_arrow(arr, "values", Ingress("from_arrow", verbose))
    if record is not None and record.kind == "numpy":  # int16/uint16/float16: tag the carrier
        from daphnelib.interop.dlpack import carrier_dtype

        col = col.view(carrier_dtype(str(record.dtype)))
    return col.reshape(-1, width)


# ---------------------------------------------------------------------------------------------
# Egress
# ---------------------------------------------------------------------------------------------

def strings_to_arrow(values: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    """A 1-D ``StringDType`` array as an Arrow ``large_string`` array (nulls where ``mask``)."""
    from daphnelib._native.strings import strings_to_arrow as pack

    pa = _pa("strings_to_arrow")
    offsets, data = pack(values)
    validity = None
    if mask is not None and mask.any():
        validity = pa.py_buffer(np.packbits(~mask, bitorder="little"))
    return pa.Array.from_buffers(pa.large_string(), len(values),
                                 [validity, pa.py_buffer(offsets), pa.py_buffer(data)])


def arrow_column(col: np.ndarray, record: Logical | None) -> pa.Array:
    """One engine column with its record (or None) as the Arrow array of its logical type."""
    _pa("to Arrow")
    return codec(record).to_arrow(col, record)


def column_array(col: np.ndarray, record: Any, label: str) -> pa.Array:
    """One engine column as an Arrow array for DuckDB (widened/sparse/period as values)."""
    pa = _pa("SQL")
    if record is None or record.kind in _AS_VALUES:
        return codec(None).to_arrow(col, None)
    try:
        arr = arrow_column(col, record)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as exc:
        raise TypeError(f"column {label!r} ({record.describe()}) cannot be handed to Arrow: "
                        f"{exc}") from None
    if pa.types.is_duration(arr.type) and arr.type.unit != "us":
        arr = arr.cast(pa.duration("us"))  # SQL intervals have microsecond resolution
    return arr


def table_from_frame(frame: FrameValue, names: Sequence[str] | None = None,
                     extra: dict[str, np.ndarray] | None = None, *,
                     exact: bool = False) -> pa.Table:
    """The frame as an Arrow table with column names ``names`` (default: its labels).

    ``exact=True`` gives every column its logical type (``arrow_column``); otherwise the
    DuckDB form (``column_array``). ``extra`` columns are appended as they are.
    """
    pa = _pa("to Arrow")
    convert = (lambda c, r, _lbl: arrow_column(c, r)) if exact else column_array
    arrays = [convert(c, r, lbl)
              for c, r, lbl in zip(frame.columns, frame.logical, frame.labels, strict=True)]
    names = list(frame.labels if names is None else names)
    for name, values in (extra or {}).items():
        arrays.append(pa.array(values))
        names.append(name)
    if not arrays:  # Arrow tables without columns have no rows
        return pa.table({})
    return pa.Table.from_arrays(arrays, names=names)


def matrix_array(arr: np.ndarray) -> pa.Array:
    """A 2-D engine matrix as an Arrow array over its buffer (see the module doc)."""
    pa = _pa("to Arrow")
    from daphnelib.interop.dlpack import restore_dtype

    if arr.dtype.metadata:  # a widened int16/uint16/float16 input: its own dtype back
        narrow, logical = restore_dtype(arr)
        if logical is not None and logical != "bfloat16":
            arr = narrow
    if not arr.flags.c_contiguous:
        arr = np.ascontiguousarray(arr)
    flat = arr.reshape(-1)
    values = strings_to_arrow(flat) if flat.dtype.kind == "T" else pa.array(flat)
    if arr.shape[1] == 1:
        return values
    return pa.FixedSizeListArray.from_arrays(values, arr.shape[1])
