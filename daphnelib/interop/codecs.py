"""One codec per logical column kind: the single place where a foreign column (a pandas array
or an Arrow array) becomes an engine buffer and :class:`~daphnelib.engine.logical.Logical`
record, and where that pair becomes a pandas or Arrow array again; it also names the
exchange dtype a record of the kind carries.

:data:`CODECS` maps a record's ``kind`` (None: a plain column) to its codec. Ingress asks
the codecs in table order which one takes a foreign column (:func:`ingest_pandas`,
:func:`ingest_arrow`, and :func:`ingest_block` for a whole pandas block of numbers or
datetime-likes); egress picks the codec of the record (:func:`codec`).
``interop/pandas.py`` and ``interop/arrow.py`` only walk frames (blocks, labels, the index,
chunks) around these calls; the SQL result reader (``sql/result.py``) uses them too. Every
method works on whole columns (numpy / Arrow vectorised calls, never a Python loop over
rows).

pandas is optional here: the Arrow ingress and egress of every kind except "period" and
"sparse" (which are pandas types) and tz-aware timestamps needs no pandas, and the dtype
helpers (:func:`nullable_dtype`, :func:`string_dtype`, :func:`object_dtype`) give None when
pandas cannot be imported, which a record reads as "the library's default type of these
values" (see engine/logical.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from daphnelib._diagnostics import note
from daphnelib.engine.logical import Logical
from daphnelib.engine.valuetypes import STRING_DTYPE, held_dtype
from daphnelib.interop.numpy import to_engine

if TYPE_CHECKING:
    import pyarrow as pa

_NAT = np.iinfo(np.int64).min


# ---------------------------------------------------------------------------------------------
# Exchange dtypes (pandas optional)
# ---------------------------------------------------------------------------------------------

def pandas_module() -> Any:
    """pandas if it can be imported, else None (records then hold kind-level facts only)."""
    try:
        import pandas
    except ImportError:
        return None
    return pandas


def nullable_dtype(values: np.dtype) -> Any:
    """pandas' nullable dtype of numpy ``values`` (Int32, Float32, boolean...), None without
    pandas. pandas has no Float16: float16 values with nulls are Float32 (they travel widened).
    """
    pd = pandas_module()
    if pd is None:
        return None
    if values == np.float16:
        values = np.dtype(np.float32)
    return pd.api.types.pandas_dtype(
        "boolean" if values.kind == "b" else
        {"i": "Int", "u": "UInt", "f": "Float"}[values.kind] + str(values.itemsize * 8))


_DEFAULT_STR: Any = None


def string_dtype() -> Any:
    """The dtype pandas gives a column of str (object in 2.2, "str" in 3.x); None without
    pandas."""
    global _DEFAULT_STR
    if _DEFAULT_STR is None:
        pd = pandas_module()
        if pd is None:
            return None
        _DEFAULT_STR = pd.Series(["a"]).dtype
    return _DEFAULT_STR


def object_dtype() -> Any:
    """numpy's object dtype when pandas is there to hold objects, else None."""
    return None if pandas_module() is None else np.dtype(object)


def masked_record(values: np.dtype, mask: np.ndarray) -> Logical:
    """The record of values ``values`` with nulls where ``mask``: pandas' nullable dtype, or
    (no pandas) ``dtype=None`` and the values' dtype in ``extra``."""
    dtype = nullable_dtype(values)
    return Logical("masked", dtype, mask=mask, extra=values if dtype is None else None)


def category_record(categories: Any, ordered: bool) -> Logical:
    """The record of a categorical column: pandas' CategoricalDtype when importable."""
    pd = pandas_module()
    if pd is None:
        return Logical("category", None, extra=categories, ordered=ordered)
    dtype = pd.CategoricalDtype(pd.Index(categories, copy=False), ordered=ordered)
    return Logical("category", dtype, extra=dtype.categories, ordered=ordered)


def is_ordered(record: Logical) -> bool:
    """Whether a "category" record's categories are ordered (its pandas dtype says so; a
    record from an Arrow import keeps that fact in the dtype only)."""
    return bool(record.ordered if record.dtype is None else record.dtype.ordered)


def pandas_dtype(values: np.dtype, record: Logical) -> Any:
    """The pandas dtype of a column of engine dtype ``values`` with logical ``record``: the
    record's own, or for nulls a kernel made, pandas' nullable / default string type."""
    if record.dtype is not None:
        return record.dtype
    if record.kind == "masked":
        return nullable_dtype(np.dtype(record.extra or values))
    if record.kind == "string":
        return string_dtype()
    raise ValueError(f"a {record.kind!r} column record without a dtype")


def _masked_values_dtype(values: np.dtype, record: Logical) -> np.dtype:
    """The numpy dtype of a "masked" column's values (widened int16 -> its own int16)."""
    if record.dtype is not None:
        return np.dtype(record.dtype.numpy_dtype)
    return np.dtype(record.extra or values)


# ---------------------------------------------------------------------------------------------
# The codecs
# ---------------------------------------------------------------------------------------------

def _pa() -> Any:
    import pyarrow

    return pyarrow


class Ingress:
    """One import (a DataFrame, an Arrow table): names columns in errors and reports copies.

    Parameters
    ----------
    source : str
        The public function importing ("from_pandas", "from_arrow"), named in messages.
    verbose : bool
        Print each copy on stdout (it is logged to ``daphnelib`` either way).
    """

    def __init__(self, source: str, verbose: bool) -> None:
        self.source = source
        self.verbose = verbose

    def copied(self, name: Any, why: str) -> None:
        """Report that column ``name`` is copied once, and why."""
        note(self.verbose, f"{self.source} copies column {name!r} once ({why})")


Column = tuple[np.ndarray, "Logical | None"]


# Arrow buffers as numpy arrays (no pyarrow call: an Arrow array's own methods)

def validity_mask(arr: pa.Array) -> np.ndarray | None:
    """``arr``'s missing rows as a bool mask (True = missing), or None without nulls."""
    if arr.null_count == 0:
        return None
    bitmap = np.frombuffer(arr.buffers()[0], dtype=np.uint8)
    bits = np.unpackbits(bitmap, count=arr.offset + len(arr), bitorder="little")
    return bits[arr.offset:] == 0


def values_view(arr: pa.Array, dtype: np.dtype) -> np.ndarray:
    """A numpy view of a fixed-width array's values buffer (its rows only, no copy)."""
    view = np.frombuffer(arr.buffers()[1], dtype=dtype, count=len(arr),
                         offset=arr.offset * dtype.itemsize)
    view.flags.writeable = False
    return view


class Codec:
    """Columns of one logical kind, in (pandas, Arrow) and out (base: a plain column, which
    only leaves: every column enters through the codec of its foreign type)."""

    kind: str | None = None

    def takes_pandas(self, arr: Any, pd: Any) -> bool:
        """Whether ``arr`` (a 1-D numpy array or pandas ExtensionArray) is of this kind."""
        return False

    def takes_arrow(self, arr: pa.Array, pa: Any) -> bool:
        """Whether the Arrow array ``arr`` is of this kind."""
        return False

    def from_pandas(self, arr: Any, name: Any, ing: Ingress) -> Column:
        """The engine column and record of a pandas column this codec takes."""
        raise NotImplementedError

    def from_arrow(self, arr: pa.Array, name: Any, ing: Ingress) -> Column:
        """The engine column and record of an Arrow array this codec takes."""
        raise NotImplementedError

    def to_pandas(self, values: np.ndarray, record: Logical | None) -> Any:
        """The pandas array of the column (a view where the representation allows)."""
        if values.dtype.kind == "T":
            return strings_to_pandas(values, None, string_dtype(), None)
        return values

    def to_arrow(self, values: np.ndarray, record: Logical | None) -> pa.Array:
        """The Arrow array of the column's logical type."""
        if values.dtype.kind == "T":
            from daphnelib.interop.arrow import strings_to_arrow

            return strings_to_arrow(values)
        return _pa().array(values)


def _aligned(vals: np.ndarray, dtype: np.dtype) -> np.ndarray:
    from daphnelib._native.buffers import aligned_allocation

    with aligned_allocation():
        return np.array(vals, dtype=dtype, order="C", copy=True)


def _is_number(t: Any, pa: Any) -> bool:
    return bool(pa.types.is_boolean(t) or pa.types.is_integer(t) or pa.types.is_floating(t))


class _Numpy(Codec):
    """numpy's bool and numbers: held as they are (no record) or widened (int16/uint16/
    float16 -> si32/ui32/f32, another byte order -> native) with a record of the own dtype."""

    kind = "numpy"

    def takes_pandas(self, arr: Any, pd: Any) -> bool:
        return isinstance(arr, np.ndarray) and arr.dtype.kind not in "OMm"

    def takes_arrow(self, arr: pa.Array, pa: Any) -> bool:
        return _is_number(arr.type, pa) and arr.null_count == 0

    def from_block(self, vals: np.ndarray, names: list[Any], ing: Ingress
                   ) -> tuple[np.ndarray, Logical | None]:
        """A 2-D (columns, rows) numpy block as an engine block whose rows are the columns,
        and the record all its columns share."""
        dtype = vals.dtype
        record = None
        held = held_dtype(dtype) if dtype.kind in "biuf" else None
        if held == dtype and dtype.isnative:
            if not vals.flags.c_contiguous:  # strided columns: make them contiguous, once
                ing.copied(names[0] if len(names) == 1 else names, "strided block")
                vals = _aligned(vals, dtype)
        elif held is not None:  # widened, or another byte order
            for name in names:
                ing.copied(name, f"{dtype} -> {held}")
            vals = _aligned(vals, held)
            record = Logical("numpy", dtype)
        else:
            kind = "complex numbers" if dtype.kind == "c" else f"dtype {dtype}"
            raise TypeError(f"{ing.source}: column {names[0]!r} holds {kind}, which DAPHNE "
                            "cannot hold (it holds bool, ints, floats, strings, datetimes, "
                            "categoricals and nullable types)")
        view = vals.view()
        view.flags.writeable = False  # the engine never writes input buffers
        return view, record

    def from_pandas(self, arr: Any, name: Any, ing: Ingress) -> Column:
        block, record = self.from_block(arr.reshape(1, -1), [name], ing)
        return block[0], record

    def numbers(self, arr: pa.Array, name: Any, ing: Ingress) -> tuple[np.ndarray, np.dtype]:
        """An Arrow bool/int/float array's values as an engine column, and their own dtype
        (nulls read as whatever the buffer holds: the caller keeps the mask)."""
        dtype = np.dtype(arr.type.to_pandas_dtype())
        if dtype.kind == "b":  # bit-packed in Arrow: unpack once (nulls read as False)
            ing.copied(name, "bool bits -> bytes")
            bits = np.unpackbits(np.frombuffer(arr.buffers()[1], dtype=np.uint8),
                                 count=arr.offset + len(arr), bitorder="little")
            values = bits[arr.offset:].view(np.bool_)
            values.flags.writeable = False
        else:
            values = values_view(arr, dtype)
        engine = to_engine(values, what=f"column {name!r}")
        if engine.dtype != dtype:
            ing.copied(name, f"{dtype} -> {engine.dtype}")
        return engine, dtype

    def from_arrow(self, arr: pa.Array, name: Any, ing: Ingress) -> Column:
        engine, dtype = self.numbers(arr, name, ing)
        return engine, None if engine.dtype == dtype else Logical("numpy", dtype)

    def to_pandas(self, values: np.ndarray, record: Logical | None) -> Any:
        return values.astype(record.dtype)

    def to_arrow(self, values: np.ndarray, record: Logical | None) -> pa.Array:
        return _pa().array(values.astype(record.dtype))


def _nat_where(mask: np.ndarray | None, ticks: np.ndarray, name: Any, ing: Ingress
               ) -> np.ndarray:
    """int64 ticks/ordinals with NaT (int64's minimum, in numpy and pandas) where ``mask``."""
    if mask is None:
        return ticks
    ing.copied(name, "nulls -> NaT")
    ticks = np.where(mask, _NAT, ticks)
    ticks.flags.writeable = False
    return ticks


class _Ticks(Codec):
    """int64 ticks (NaT = int64 min) of datetimes (unit, maybe a time zone) or timedeltas."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.letter = "M" if kind == "datetime" else "m"

    def takes_pandas(self, arr: Any, pd: Any) -> bool:
        array = pd.arrays.DatetimeArray if self.letter == "M" else pd.arrays.TimedeltaArray
        return (isinstance(arr, array)
                or (isinstance(arr, np.ndarray) and arr.dtype.kind == self.letter))

    def takes_arrow(self, arr: pa.Array, pa: Any) -> bool:
        return bool(pa.types.is_timestamp(arr.type) if self.letter == "M"
                    else pa.types.is_duration(arr.type))

    def from_block(self, vals: Any, names: list[Any], ing: Ingress
                   ) -> tuple[np.ndarray, Logical]:
        """A 2-D block (numpy ``M8``/``m8``, or pandas' datetime/timedelta array) as ticks."""
        own = vals if isinstance(vals, np.ndarray) else vals._ndarray
        block, _ = CODECS["numpy"].from_block(own.view(np.int64), names, ing)
        return block, Logical(self.kind, vals.dtype, extra=own.dtype)

    def from_pandas(self, arr: Any, name: Any, ing: Ingress) -> Column:
        block, record = self.from_block(arr.reshape(1, -1), [name], ing)
        return block[0], record

    def from_arrow(self, arr: pa.Array, name: Any, ing: Ingress) -> Column:
        t = arr.type
        ticks = _nat_where(validity_mask(arr), values_view(arr, np.dtype(np.int64)), name, ing)
        own = np.dtype(f"{self.letter}8[{t.unit}]")
        if self.letter == "m" or t.tz is None:
            return ticks, Logical(self.kind, own, extra=own)
        pd = pandas_module()
        if pd is None:
            raise TypeError(f"column {name!r} is a timestamp with time zone {t.tz}, which "
                            "daphnelib holds as a pandas dtype: install pandas, or drop the "
                            "time zone first")
        return ticks, Logical("datetime", pd.DatetimeTZDtype(t.unit, t.tz), extra=own)

    def to_pandas(self, values: np.ndarray, record: Logical | None) -> Any:
        import pandas as pd

        ticks = values.view(record.extra)
        if isinstance(record.dtype, np.dtype):
            return ticks
        return pd.arrays.DatetimeArray._simple_new(ticks, dtype=record.dtype)

    def to_arrow(self, values: np.ndarray, record: Logical | None) -> pa.Array:
        pa = _pa()
        nat = values == _NAT
        unit = np.datetime_data(record.extra)[0]
        atype = (pa.duration(unit) if self.kind == "timedelta" else
                 pa.timestamp(unit, getattr(record.dtype, "tz", None)))
        return pa.array(values, type=pa.int64(), mask=nat if nat.any() else None).view(atype)


class _Period(Codec):
    """int64 ordinals of a pandas PeriodDtype (Arrow: pandas' period extension type)."""

    kind = "period"

    def takes_pandas(self, arr: Any, pd: Any) -> bool:
        return isinstance(arr, pd.arrays.PeriodArray)

    def takes_arrow(self, arr: pa.Array, pa: Any) -> bool:
        return isinstance(arr.type, pa.ExtensionType) and \
            arr.type.extension_name == "pandas.period"

    def from_pandas(self, arr: Any, name: Any, ing: Ingress) -> Column:
        block, _ = CODECS["numpy"].from_block(arr.asi8.reshape(1, -1), [name], ing)
        return block[0], Logical("period", arr.dtype)

    def from_arrow(self, arr: pa.Array, name: Any, ing: Ingress) -> Column:
        """pandas' period extension type (what pyarrow makes of a PeriodArray): ordinals."""
        import pandas as pd

        ordinals = _nat_where(validity_mask(arr.storage),
                              values_view(arr.storage, np.dtype(np.int64)), name, ing)
        return ordinals, Logical("period", pd.PeriodDtype(arr.type.freq))

    def to_pandas(self, values: np.ndarray, record: Logical | None) -> Any:
        import pandas as pd

        return pd.arrays.PeriodArray(values, dtype=record.dtype)

    def to_arrow(self, values: np.ndarray, record: Logical | None) -> pa.Array:
        return _pa().array(self.to_pandas(values, record))


class _Category(Codec):
    """Codes (-1 = missing) into the record's categories."""

    kind = "category"

    def takes_pandas(self, arr: Any, pd: Any) -> bool:
        return isinstance(arr.dtype, pd.CategoricalDtype)

    def takes_arrow(self, arr: pa.Array, pa: Any) -> bool:
        return bool(pa.types.is_dictionary(arr.type))

    def from_pandas(self, arr: Any, name: Any, ing: Ingress) -> Column:
        dtype = arr.dtype
        codes, _ = CODECS["numpy"].from_block(arr.codes.reshape(1, -1), [name], ing)
        return codes[0], Logical("category", dtype, extra=dtype.categories,
                                 ordered=bool(dtype.ordered))

    def from_arrow(self, arr: pa.Array, name: Any, ing: Ingress) -> Column:
        index_type = np.dtype(arr.indices.type.to_pandas_dtype())
        codes = values_view(arr.indices, index_type)
        mask = validity_mask(arr)
        if mask is not None or index_type.kind == "u" or index_type.char not in "bil":
            ing.copied(name, "dictionary indices -> codes with -1 for nulls")
            # signed codes DAPHNE holds keep their width; others widen (uint may be >= 2**31)
            wide = index_type if index_type.char in "bil" else \
                np.int64 if index_type.itemsize > 2 else np.int32
            codes = codes.astype(wide)
            if mask is not None:
                codes[mask] = -1
            codes.flags.writeable = False
        dictionary = arr.dictionary
        if dictionary.null_count:
            raise ValueError(f"{ing.source}: dictionary column {name!r} has a null category; "
                             "pandas categories cannot hold one")
        pd = pandas_module()
        if pd is None:
            return codes, category_record(dictionary.to_numpy(zero_copy_only=False),
                                          arr.type.ordered)
        categories = pd.Index(dictionary.to_pandas(), copy=False)
        dtype = pd.CategoricalDtype(categories, ordered=arr.type.ordered)
        return codes, Logical("category", dtype, extra=dtype.categories)

    def to_pandas(self, values: np.ndarray, record: Logical | None) -> Any:
        import pandas as pd

        return pd.Categorical.from_codes(values, dtype=record.dtype, validate=False)

    def to_arrow(self, values: np.ndarray, record: Logical | None) -> pa.Array:
        pa = _pa()
        missing = values < 0
        indices = pa.array(values, mask=missing if missing.any() else None)
        return pa.DictionaryArray.from_arrays(indices, pa.array(record.extra),
                                              ordered=is_ordered(record))


class _Masked(Codec):
    """Values and a mask (True = missing): pandas' nullable types, Arrow validity bitmaps."""

    kind = "masked"

    def takes_pandas(self, arr: Any, pd: Any) -> bool:
        return isinstance(arr, (pd.arrays.IntegerArray, pd.arrays.FloatingArray,
                                pd.arrays.BooleanArray))

    def takes_arrow(self, arr: pa.Array, pa: Any) -> bool:
        return _is_number(arr.type, pa) and arr.null_count > 0

    def from_pandas(self, arr: Any, name: Any, ing: Ingress) -> Column:
        data, _ = CODECS["numpy"].from_block(arr._data.reshape(1, -1), [name], ing)
        mask = arr._mask.view()
        mask.flags.writeable = False
        return data[0], Logical("masked", arr.dtype, mask=mask)

    def from_arrow(self, arr: pa.Array, name: Any, ing: Ingress) -> Column:
        mask = validity_mask(arr)
        engine, dtype = CODECS["numpy"].numbers(arr, name, ing)
        return engine, masked_record(dtype, mask)

    def to_pandas(self, values: np.ndarray, record: Logical | None) -> Any:
        dtype = pandas_dtype(values.dtype, record)
        data = values.astype(dtype.numpy_dtype, copy=False)
        return dtype.construct_array_type()(data, record.mask, copy=False)

    def to_arrow(self, values: np.ndarray, record: Logical | None) -> pa.Array:
        return _pa().array(values.astype(_masked_values_dtype(values.dtype, record),
                                         copy=False), mask=record.mask)


class _String(Codec):
    """A ``StringDType`` column ("" where missing) with a mask and the missing-value token."""

    kind = "string"

    def takes_pandas(self, arr: Any, pd: Any) -> bool:
        return (arr.dtype.kind == "O" if isinstance(arr, np.ndarray)
                else isinstance(arr.dtype, pd.StringDtype))

    def takes_arrow(self, arr: pa.Array, pa: Any) -> bool:
        t = arr.type
        return bool(pa.types.is_string(t) or pa.types.is_large_string(t)
                    or pa.types.is_string_view(t))

    def from_pandas(self, arr: Any, name: Any, ing: Ingress) -> Column:
        if isinstance(arr, np.ndarray):
            return self._objects(arr, name, ing)
        dtype = arr.dtype
        if dtype.storage.startswith("pyarrow"):  # Arrow buffers -> StringDType natively
            from daphnelib.interop.arrow import strings_from_arrow

            ing.copied(name, "strings -> StringDType, from Arrow buffers")
            chunks = arr._pa_array
            values, mask = strings_from_arrow(
                chunks.chunk(0) if chunks.num_chunks == 1 else chunks.combine_chunks())
            return values, Logical("string", dtype, mask=mask)
        return self._strings(arr.to_numpy(dtype=object, na_value=""),
                             np.asarray(arr.isna(), dtype=np.bool_), dtype, None, name, ing)

    def _objects(self, arr: np.ndarray, name: Any, ing: Ingress) -> Column:
        """An object column of str (missing values: None, NaN, pd.NA or NaT, remembered)."""
        import pandas as pd

        inferred = pd.api.types.infer_dtype(arr, skipna=True)
        if inferred not in ("string", "empty"):
            raise TypeError(f"{ing.source}: object column {name!r} holds {inferred} values; "
                            "only str values (and missing values) can be exchanged")
        mask = pd.isna(arr)
        token = None
        if mask.any():
            first = arr[np.argmax(mask)]
            token = next((k for k, v in na_objects().items()
                          if first is v or (k == "nan" and isinstance(first, float))), "none")
            arr = np.where(mask, "", arr)
        else:
            mask = None
        return self._strings(arr, mask, arr.dtype, token, name, ing)

    def _strings(self, obj: np.ndarray, mask: np.ndarray | None, dtype: Any,
                 token: str | None, name: Any, ing: Ingress) -> Column:
        ing.copied(name, "strings -> StringDType")
        values = obj.astype(STRING_DTYPE)
        values.flags.writeable = False
        if mask is not None and not mask.any():
            mask = None
        return values, Logical("string", dtype, mask=mask, extra=token)

    def from_arrow(self, arr: pa.Array, name: Any, ing: Ingress) -> Column:
        from daphnelib.interop.arrow import strings_from_arrow

        ing.copied(name, f"{arr.type} -> StringDType")
        values, mask = strings_from_arrow(arr)
        if mask is None:
            return values, None
        return values, Logical("string", string_dtype(), mask=mask)

    def to_pandas(self, values: np.ndarray, record: Logical | None) -> Any:
        return strings_to_pandas(values, record.mask, pandas_dtype(values.dtype, record),
                                 record.extra)

    def to_arrow(self, values: np.ndarray, record: Logical | None) -> pa.Array:
        from daphnelib.interop.arrow import strings_to_arrow

        return strings_to_arrow(values, record.mask)


class _Sparse(Codec):
    """Dense values of a pandas SparseDtype column (``extra``: the sparse index kind). Arrow
    has no sparse type: such a column leaves as its dense values and enters as those."""

    kind = "sparse"

    def takes_pandas(self, arr: Any, pd: Any) -> bool:
        return isinstance(arr.dtype, pd.SparseDtype)

    def from_pandas(self, arr: Any, name: Any, ing: Ingress) -> Column:
        dense = np.asarray(arr.to_dense())
        if dense.dtype.kind == "O":
            raise TypeError(f"{ing.source}: sparse column {name!r} of {dense.dtype} values is "
                            "not supported (only numeric/bool sparse columns)")
        ing.copied(name, "sparse -> dense")
        col, _ = ingest_pandas(dense, name, ing)
        return col, Logical("sparse", arr.dtype, extra=arr.kind)

    def to_pandas(self, values: np.ndarray, record: Logical | None) -> Any:
        import pandas as pd

        return pd.arrays.SparseArray(values, fill_value=record.dtype.fill_value,
                                     kind=record.extra, dtype=record.dtype)

    def to_arrow(self, values: np.ndarray, record: Logical | None) -> pa.Array:
        return _pa().array(self.to_pandas(values, record))


CODECS: dict[str | None, Codec] = {c.kind: c for c in (
    Codec(), _Numpy(), _Ticks("datetime"), _Ticks("timedelta"), _Period(), _Category(),
    _Masked(), _String(), _Sparse())}

# The kinds that take foreign columns in (each foreign type is taken by exactly one).
_INGRESS = tuple(c for c in CODECS.values() if c.kind is not None)


def codec(record: Logical | None) -> Codec:
    """The codec of a column's record (None or a label-only record: the plain codec)."""
    kind = None if record is None else record.kind
    try:
        return CODECS[kind]
    except KeyError:
        raise ValueError(f"unknown logical column kind {kind!r}") from None


# Which codec takes a foreign column depends on its array type (an ExtensionArray's type
# fixes its kind), a numpy array's dtype kind, or an Arrow array's type and whether it has
# nulls: the codecs are asked once per key, then it is looked up (asking costs ~1 us per
# column of a wide frame).
_PANDAS_TAKER: dict[Any, Codec | None] = {}
_ARROW_TAKER: dict[Any, Codec | None] = {}


def _taker(known: dict[Any, Codec | None], key: Any, takes: str, arr: Any, lib: Any
           ) -> Codec | None:
    taker = next((c for c in _INGRESS if getattr(c, takes)(arr, lib)), None)
    known[key] = taker
    return taker


def ingest_pandas(arr: Any, name: Any, ing: Ingress) -> Column:
    """One pandas column (a 1-D numpy array or ExtensionArray) as an engine column and its
    record, by the codec of its type."""
    key = arr.dtype.kind if isinstance(arr, np.ndarray) else type(arr)
    try:
        taker = _PANDAS_TAKER[key]
    except KeyError:
        import pandas as pd

        taker = _taker(_PANDAS_TAKER, key, "takes_pandas", arr, pd)
    if taker is None:
        raise TypeError(f"{ing.source}: column {name!r} has dtype {arr.dtype}, which "
                        "daphnelib cannot exchange yet")
    return taker.from_pandas(arr, name, ing)


def ingest_block(vals: Any, names: list[Any], ing: Ingress
                 ) -> tuple[np.ndarray, Logical | None] | None:
    """A 2-D pandas block of same-typed columns (columns, rows) as an engine block whose rows
    are the columns and the record they share, when the block is of numbers or
    datetime-likes (one codec for the whole block); None for other blocks (objects), whose
    columns enter one by one (:func:`ingest_pandas`)."""
    if isinstance(vals, np.ndarray):
        kind = vals.dtype.kind
        if kind == "O":
            return None
        c = CODECS["datetime" if kind == "M" else "timedelta" if kind == "m" else "numpy"]
    else:  # pandas' 2-D extension blocks: datetime-likes
        import pandas as pd

        if isinstance(vals, pd.arrays.DatetimeArray):
            c = CODECS["datetime"]
        elif isinstance(vals, pd.arrays.TimedeltaArray):
            c = CODECS["timedelta"]
        else:
            return None
    return c.from_block(vals, names, ing)


def ingest_arrow(arr: pa.Array, name: Any, ing: Ingress) -> Column:
    """One Arrow array as an engine column and its record, by the codec of its type."""
    key = (arr.type, arr.null_count > 0)
    try:
        taker = _ARROW_TAKER[key]
    except KeyError:
        taker = _taker(_ARROW_TAKER, key, "takes_arrow", arr, _pa())
    if taker is not None:
        return taker.from_arrow(arr, name, ing)
    pa = _pa()
    t = arr.type
    if pa.types.is_decimal(t):
        raise TypeError(f"{ing.source}: column {name!r} is {t}; DAPHNE has no decimal type, "
                        "and converting would round: cast it to float64 or string first")
    raise TypeError(f"{ing.source}: column {name!r} has Arrow type {t}, which daphnelib cannot "
                    "exchange (it takes numbers, bool, strings, dictionaries, timestamps "
                    "and durations)")


# ---------------------------------------------------------------------------------------------
# Strings for pandas
# ---------------------------------------------------------------------------------------------

def na_objects() -> dict[str, Any]:
    """Token -> the missing-value object it stands for in an object column of str (tokens,
    because NaN != NaN as an object)."""
    import pandas as pd

    return {"none": None, "nan": np.nan, "na": pd.NA, "nat": pd.NaT}


def strings_to_pandas(values: np.ndarray, mask: np.ndarray | None, dtype: Any,
                      token: str | None) -> Any:
    """A StringDType column as the pandas string array ``dtype`` (NA where ``mask``)."""
    import pandas as pd

    if isinstance(dtype, pd.StringDtype) and dtype.storage.startswith("pyarrow"):
        from pandas.arrays import ArrowStringArray

        from daphnelib.interop.arrow import strings_to_arrow

        return ArrowStringArray(strings_to_arrow(values, mask), dtype=dtype)
    obj = values.astype(object)
    if mask is not None:
        # A kernel's nulls have no token: NaN, what pandas uses for a missing str object.
        obj[mask] = (dtype.na_value if isinstance(dtype, pd.StringDtype)
                     else na_objects()[token or "nan"])
    if isinstance(dtype, pd.StringDtype):
        return pd.array(obj, dtype=dtype)
    return obj
