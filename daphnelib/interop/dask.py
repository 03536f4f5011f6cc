"""Dask collections in and out: ``dc.from_dask`` and ``compute(asDask=True)``.

A ``dask.array`` enters as the row-blocked matrix the Dask backend computes on (one chunk of
columns, a dtype the engine holds, numeric); nothing is computed. A ``dask.dataframe`` is
gathered into pandas (frames run locally; see docs/dask.md). dask is imported only when a
call needs it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from daphnelib._optional import import_optional
from daphnelib.engine.valuetypes import vt_of_dtype


def is_dask_dataframe(obj: Any) -> bool:
    """Whether ``obj`` is a dask DataFrame or Series (without importing dask)."""
    return type(obj).__module__.startswith("dask.dataframe") and hasattr(obj, "npartitions")


def matrix_blocks(arr: Any) -> Any:
    """A dask array as an engine matrix: 1-D becomes n x 1, columns in one chunk.

    Raises TypeError for a non-dask object or a dtype DAPHNE lacks, ValueError for more than
    two dimensions or unknown chunk sizes.
    """
    da = import_optional("dask.array", "dask", "from_dask")
    if not isinstance(arr, da.Array):
        raise TypeError(f"from_dask needs a dask.array.Array or a dask DataFrame, got "
                        f"{type(arr).__name__}")
    if arr.ndim not in (1, 2):
        raise ValueError(f"from_dask takes 1-D or 2-D arrays, got {arr.ndim} dimensions")
    if any(np.isnan(c) for dim in arr.chunks for c in dim):
        raise ValueError("from_dask needs known chunk sizes; call compute_chunk_sizes() first")
    if vt_of_dtype(arr.dtype) == "str" or arr.dtype.char in "OUS":
        raise TypeError(f"from_dask takes numeric or bool arrays, got dtype {arr.dtype}")
    if arr.ndim == 1:
        arr = arr.reshape(-1, 1)
    return arr if arr.numblocks[1] == 1 else arr.rechunk({1: -1})


def to_dask_array(value: Any) -> Any:
    """A local engine matrix as a one-block dask array (for backends that run locally)."""
    da = import_optional("dask.array", "dask", "compute(asDask=True)")
    return da.from_array(value, chunks=-1)
