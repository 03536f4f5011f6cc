"""Engine frames as Arrow tables (used to hand frames to DuckDB without copying them).

Plain numeric columns become Arrow arrays over the engine's buffers (zero-copy; NaN stays a
value, as in DAPHNE, not a null). Strings are converted once (Arrow's layout differs from
numpy's ``StringDType``). Columns with a logical type go through their pandas form, so
nullable columns arrive with a validity bitmap, categoricals as dictionaries and datetimes
with their unit and time zone; widened, sparse and period columns go as their engine values
(the caller restores their dtype).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa

from daphnelib.engine.values import FrameValue

# Logical kinds handed over as their engine values: widened numbers (Arrow's float16 is not
# widely supported), densified sparse columns and period ordinals.
_AS_VALUES = (None, "numpy", "sparse", "period")


def column_array(col: np.ndarray, record: Any, label: str) -> pa.Array:
    """One engine column (with its logical record, or None) as an Arrow array."""
    if record is None or record.kind in _AS_VALUES:
        return pa.array(col)
    from daphnelib.interop.pandas import to_pandas

    series = to_pandas(FrameValue([col], [label], [record], nrow=len(col))).iloc[:, 0]
    try:
        arr = pa.array(series)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as exc:
        raise TypeError(f"column {label!r} ({record.describe()}) cannot be handed to Arrow: "
                        f"{exc}") from None
    if pa.types.is_duration(arr.type) and arr.type.unit != "us":
        arr = arr.cast(pa.duration("us"))  # SQL intervals have microsecond resolution
    return arr


def table_from_frame(frame: FrameValue, names: Sequence[str],
                     extra: dict[str, np.ndarray] | None = None) -> pa.Table:
    """The frame as an Arrow table with column names ``names`` (and ``extra`` columns)."""
    arrays = [column_array(c, r, lbl)
              for c, r, lbl in zip(frame.columns, frame.logical, frame.labels, strict=True)]
    names = list(names)
    for name, values in (extra or {}).items():
        arrays.append(pa.array(values))
        names.append(name)
    return pa.Table.from_arrays(arrays, names=names)
