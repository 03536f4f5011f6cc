"""numpy <-> engine exchange.

Ingress: a C-contiguous array of a dtype the engine holds enters as a read-only view (no
copy); other layouts and dtypes are converted exactly once, and ``verbose`` says so.
Egress: the result reader (``_native.buffers``) hands out arrays over the engine's buffers.
"""

from __future__ import annotations

import numpy as np

from daphnelib._diagnostics import note
from daphnelib.engine.valuetypes import STRING_DTYPE, WIDENED

_HELD = frozenset("?bBiIlLqQfd")  # dtype chars the engine holds as they are


def engine_dtype(dtype: np.dtype, what: str = "array") -> np.dtype:
    """The engine dtype data of ``dtype`` travels as; TypeError for dtypes it cannot hold."""
    if dtype.kind in "UST":
        return STRING_DTYPE
    if dtype.char in _HELD:
        return dtype.newbyteorder("=") if not dtype.isnative else dtype
    widened = WIDENED.get(dtype.newbyteorder("=")) if dtype.kind in "iuf" else None
    if widened is not None:
        return widened
    raise TypeError(
        f"unsupported dtype {dtype} for {what}: DAPHNE holds bool, int8/16/32/64, "
        "uint8/16/32/64, float16/32/64 and strings"
    )


def to_engine(arr: np.ndarray, *, verbose: bool = False, what: str = "array") -> np.ndarray:
    """An engine buffer for ``arr`` (any ndim as given): a read-only view when possible.

    The caller's array is never modified; a conversion (dtype, byte order, layout) makes one
    aligned copy.
    """
    from daphnelib._native.buffers import aligned_allocation

    if arr.dtype.kind == "O":
        arr = _object_strings(arr, what)
    target = engine_dtype(arr.dtype, what)
    if arr.dtype == target and arr.flags.c_contiguous and arr.dtype.isnative:
        view = arr.view()
    else:
        reasons = []
        if arr.dtype != target or not arr.dtype.isnative:
            reasons.append(f"dtype {arr.dtype} -> {target}")
        if not arr.flags.c_contiguous:
            reasons.append("not C-contiguous")
        note(verbose, f"copying {what} once ({', '.join(reasons)})")
        if arr.dtype.kind == "U" and not arr.dtype.isnative:
            arr = arr.astype(arr.dtype.newbyteorder("="))  # numpy cannot cast it to strings
        with aligned_allocation():
            view = np.array(arr, dtype=target, order="C", copy=True)
    # Aliases of caller memory are read-only, so a write through a result cannot change it.
    view.flags.writeable = False
    return view


def _object_strings(arr: np.ndarray, what: str) -> np.ndarray:
    try:
        # coerce=False refuses non-str elements instead of stringifying them.
        return arr.astype(np.dtypes.StringDType(coerce=False)).astype(STRING_DTYPE)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"unsupported object {what}: only arrays of str can be exchanged "
                        f"({exc})") from None


def as_matrix_shape(arr: np.ndarray) -> np.ndarray:
    """DaphneLib's shape rule: 1-D -> n x 1, n-D -> (shape[0], -1); 0-d is rejected."""
    if arr.ndim == 2:
        return arr
    if arr.ndim == 0:
        raise ValueError("a 0-d array is not a matrix; pass a Python scalar or a 1-D array")
    if arr.ndim == 1:
        return arr.reshape(-1, 1)
    if arr.shape[0] == 0:
        return arr.reshape(0, int(np.prod(arr.shape[1:])))
    return arr.reshape(arr.shape[0], -1)
