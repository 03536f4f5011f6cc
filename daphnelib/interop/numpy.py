"""numpy <-> engine exchange.

Ingress: a C-contiguous array of a dtype the engine holds enters as a read-only view (no
copy); other layouts and dtypes are converted exactly once, and ``verbose`` says so.
Egress (:func:`matrix_view`, :func:`to_numpy`): the native result reader
(``_native.buffers``) hands out arrays over the engine's buffers, as it does for frames
(``interop/pandas.to_pandas``); a widened input's dtype is given back when that is exact.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

import numpy as np

from daphnelib._diagnostics import note
from daphnelib.engine.valuetypes import CARRIER, STRING_DTYPE, WIDENED, carrier_dtype, held_dtype

# Widened dtypes by their name, the tag their carrier gets (see engine/valuetypes.CARRIER).
WIDENED_NAME = {dt: dt.name for dt in WIDENED}


def engine_dtype(dtype: np.dtype, what: str = "array") -> np.dtype:
    """The engine dtype data of ``dtype`` travels as; TypeError for dtypes it cannot hold."""
    held = held_dtype(dtype)
    if held is not None:
        return held
    raise TypeError(
        f"unsupported dtype {dtype} for {what}: DAPHNE holds bool, int8/16/32/64, "
        "uint8/16/32/64, float16/32/64 and strings"
    )


def to_engine(arr: np.ndarray, *, verbose: bool = False, what: str = "array") -> np.ndarray:
    """An engine buffer for ``arr`` (any ndim as given): a read-only view when possible.

    The caller's array is never modified; a conversion (dtype, byte order, layout) makes one
    aligned copy.
    """
    ma = sys.modules.get("numpy.ma")  # not imported: arr cannot be masked (np.ma costs 8 ms)
    if ma is not None and isinstance(arr, ma.MaskedArray):
        # The mask would be dropped silently: a masked cell would come back as its raw value.
        if ma.getmask(arr) is not ma.nomask and ma.getmask(arr).any():
            raise TypeError(f"masked {what}s cannot be exchanged: DAPHNE matrices have no "
                            "missing values; fill them (a.filled(value)) or pass a pandas "
                            "column with a nullable dtype to from_pandas")
        arr = arr.data
    if arr.dtype.kind == "O":
        arr = _object_strings(arr, what)
    elif arr.dtype.kind == "S":
        arr = _utf8_strings(arr, what)
    target = engine_dtype(arr.dtype, what)
    if arr.dtype == target and arr.flags.c_contiguous and arr.dtype.isnative:
        view = arr.view()
    else:
        reasons = []
        if arr.dtype != target or not arr.dtype.isnative:
            reasons.append(f"dtype {arr.dtype} -> {target}")
        if not arr.flags.c_contiguous:
            reasons.append("not C-contiguous")
        note_copy(verbose, what, ", ".join(reasons))
        if arr.dtype.kind == "U" and not arr.dtype.isnative:
            arr = arr.astype(arr.dtype.newbyteorder("="))  # numpy cannot cast it to strings
        from daphnelib._native.buffers import aligned_allocation  # only copies need it

        with aligned_allocation():
            view = np.array(arr, dtype=target, order="C", copy=True)
    # Aliases of caller memory are read-only, so a write through a result cannot change it.
    view.flags.writeable = False
    return view


def _utf8_strings(arr: np.ndarray, what: str) -> np.ndarray:
    """A bytes array decoded as UTF-8, checked: numpy's cast to strings does not validate, and
    the engine would hold strings that raise when read."""
    try:
        return np.strings.decode(arr, "utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"bytes {what} is not valid UTF-8 ({exc.reason} at byte {exc.start} "
                         "of an element); decode it yourself to choose how") from None


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


def note_copy(verbose: bool, what: str, reason: str) -> None:
    """The ``verbose`` line announcing the one copy a layout or dtype makes unavoidable."""
    note(verbose, f"copying {what} once ({reason})")


def engine_matrix(arr: np.ndarray, *, logical: str | None = None, verbose: bool = False,
                 what: str = "array") -> np.ndarray:
    """The read-only, matrix-shaped engine buffer for a host view ``arr`` of any rank.

    Dtypes DAPHNE lacks are converted once into their tagged carrier; ``logical="bfloat16"``
    says that ``arr`` holds bfloat16 bit patterns as uint16 (numpy has no bfloat16).
    Rank 0 becomes 1x1, rank 1 n x 1, higher ranks ``(shape[0], -1)``.
    """
    if logical is None and arr.dtype.itemsize == 2 and arr.dtype.kind in "iuf":
        logical = WIDENED_NAME.get(arr.dtype.newbyteorder("="))  # the 2-byte ones
    if logical is not None:
        from daphnelib._native.buffers import aligned_allocation

        note_copy(verbose, what, f"dtype {logical} -> {CARRIER[logical]}")
        with aligned_allocation():
            wide = np.empty(arr.shape, dtype=carrier_dtype(logical))
        if logical == "bfloat16":  # a bfloat16 is the top half of a float32: exact
            np.left_shift(arr, 16, out=wide.view(np.uint32), dtype=np.uint32)
        else:
            np.copyto(wide, arr, casting="safe")
        arr = wide
    buf = to_engine(arr, verbose=verbose, what=what)
    return buf.reshape(1, 1) if buf.ndim == 0 else as_matrix_shape(buf)


def matrix_view(value: np.ndarray) -> np.ndarray:
    """The caller's 2-D array over a matrix result, through the native result reader (no copy;
    read-only when it aliases caller memory). torch/TensorFlow egress starts from it too."""
    return (_matrix_view or _reader())(value)


_matrix_view: Callable[[np.ndarray], np.ndarray] | None = None


def _reader() -> Callable[[np.ndarray], np.ndarray]:
    """The native result reader, imported with the first result."""
    global _matrix_view
    from daphnelib._native.buffers import matrix_view as view

    _matrix_view = view
    return view


def to_numpy(arr: np.ndarray, shape: tuple[int, ...] | None = None, *,
             verbose: bool = False) -> np.ndarray:
    """``compute()``'s numpy array: a widened int16/uint16/float16 input gets its dtype back
    (when exact), then the array is reshaped (a view) to ``shape``."""
    if arr.dtype.metadata:
        from daphnelib.interop.dlpack import restore_dtype

        narrow, logical = restore_dtype(arr, verbose=verbose)
        if logical is not None and logical != "bfloat16":  # numpy has no bfloat16
            arr = narrow
    return arr if shape is None else arr.reshape(shape)
