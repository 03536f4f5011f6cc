"""One codec per logical column kind: the single place that turns a column's engine buffer and
:class:`~daphnelib.engine.logical.Logical` record into a pandas array or an Arrow array, and
that names the exchange dtype a record of the kind carries.

:data:`CODECS` maps a record's ``kind`` (None: a plain column) to its codec; :func:`codec`
dispatches. ``interop/pandas.py`` (``to_pandas``), ``interop/arrow.py`` (``arrow_column``) and
the SQL result reader (``sql/result.py``) all go through it. Every method works on whole
columns (numpy / Arrow vectorised calls, never a Python loop over rows).

pandas is optional here: the Arrow egress of every kind except "period" and "sparse" (which
are pandas types) needs no pandas, and the dtype helpers (:func:`nullable_dtype`,
:func:`string_dtype`, :func:`object_dtype`) give None when pandas cannot be imported, which a
record reads as "the library's default type of these values" (see engine/logical.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from daphnelib.engine.logical import Logical

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


class Codec:
    """How columns of one logical kind leave the engine (base: a plain column)."""

    kind: str | None = None

    def to_pandas(self, values: np.ndarray, record: Logical | None) -> Any:
        """The pandas array of the column (a view where the representation allows)."""
        if values.dtype.kind == "T":
            return strings_to_pandas(values, None, string_dtype(), None)
        return values

    def to_arrow(self, values: np.ndarray, record: Logical | None) -> pa.Array:
        """The Arrow array of the column's logical type."""
        return _pa().array(values)


class _Numpy(Codec):
    """Widened int16/uint16/float16 (or a bool written as ui8): its own numpy dtype back."""

    kind = "numpy"

    def to_pandas(self, values: np.ndarray, record: Logical | None) -> Any:
        return values.astype(record.dtype)

    def to_arrow(self, values: np.ndarray, record: Logical | None) -> pa.Array:
        return _pa().array(values.astype(record.dtype))


class _Ticks(Codec):
    """int64 ticks (NaT = int64 min) of datetimes (unit, maybe a time zone) or timedeltas."""

    def __init__(self, kind: str) -> None:
        self.kind = kind

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

    def to_pandas(self, values: np.ndarray, record: Logical | None) -> Any:
        import pandas as pd

        return pd.arrays.PeriodArray(values, dtype=record.dtype)

    def to_arrow(self, values: np.ndarray, record: Logical | None) -> pa.Array:
        return _pa().array(self.to_pandas(values, record))


class _Category(Codec):
    """Codes (-1 = missing) into the record's categories."""

    kind = "category"

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

    def to_pandas(self, values: np.ndarray, record: Logical | None) -> Any:
        return strings_to_pandas(values, record.mask, pandas_dtype(values.dtype, record),
                                 record.extra)

    def to_arrow(self, values: np.ndarray, record: Logical | None) -> pa.Array:
        from daphnelib.interop.arrow import strings_to_arrow

        return strings_to_arrow(values, record.mask)


class _Sparse(Codec):
    """Dense values of a pandas SparseDtype column (``extra``: the sparse index kind)."""

    kind = "sparse"

    def to_pandas(self, values: np.ndarray, record: Logical | None) -> Any:
        import pandas as pd

        return pd.arrays.SparseArray(values, fill_value=record.dtype.fill_value,
                                     kind=record.extra, dtype=record.dtype)

    def to_arrow(self, values: np.ndarray, record: Logical | None) -> pa.Array:
        return _pa().array(self.to_pandas(values, record))


CODECS: dict[str | None, Codec] = {c.kind: c for c in (
    Codec(), _Numpy(), _Ticks("datetime"), _Ticks("timedelta"), _Period(), _Category(),
    _Masked(), _String(), _Sparse())}


def codec(record: Logical | None) -> Codec:
    """The codec of a column's record (None or a label-only record: the plain codec)."""
    kind = None if record is None else record.kind
    try:
        return CODECS[kind]
    except KeyError:
        raise ValueError(f"unknown logical column kind {kind!r}") from None


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
