"""The zero-copy bridge between tensors (PyTorch, TensorFlow) and engine buffers.

Ingress: a host tensor is viewed as a numpy array (``np.from_dlpack``, which asks for
DLPack 1.x and falls back to the unversioned protocol; for PyTorch the same view through
``Tensor.numpy()``, which skips the Python-level export) and handed to
:func:`daphnelib.interop.numpy.to_engine`, which makes the read-only engine view. A rank-0
tensor becomes a 1x1 matrix, rank 1 an n x 1 column, higher ranks ``(shape[0], -1)``. Tensor
dtypes DAPHNE has no value type for travel in a wider *carrier* dtype tagged with numpy dtype
metadata, ``{"logical": <tensor dtype name>}``:

==========  ==========
tensor      engine
==========  ==========
int16       si32
uint16      ui32
float16     f32
bfloat16    f32
==========  ==========

numpy keeps dtype metadata through views, reshapes, indexing and ufuncs whose result has the
same dtype, and drops it when a kernel produces another dtype, so a result still carrying
the tag holds values of the original dtype's kind.

Egress: :func:`restore_dtype` reads the tag. The original dtype is restored only when the
conversion is bit-exact, i.e. converting back reproduces every bit (ints: in range; floats:
representable, including -0.0 and NaN payloads); otherwise the tensor keeps the engine dtype
and a :class:`LogicalDtypeWarning` says so. Restoring never changes a value. Kernels that
compute new values return untagged arrays in DAPHNE's value type (float16 + 1 is f32), so
in practice the tag survives on data the engine moves unchanged (identity, reshape,
transposition, indexing).

TensorFlow imports only unversioned DLPack capsules, and its kernels abort the process on
buffers that are not 64-byte aligned; :func:`legacy_capsule` guarantees both.
"""

from __future__ import annotations

import ctypes
import importlib
import sys
from collections.abc import Iterable
from types import ModuleType
from typing import Any

import numpy as np

from daphnelib._diagnostics import note, warn
from daphnelib.interop.numpy import as_matrix_shape, to_engine

LOGICAL_KEY = "logical"

# Tensor dtypes DAPHNE lacks -> the engine dtype they travel as (see the module docstring).
CARRIER: dict[str, np.dtype] = {
    "int16": np.dtype(np.int32),
    "uint16": np.dtype(np.uint32),
    "float16": np.dtype(np.float32),
    "bfloat16": np.dtype(np.float32),
}

# The numpy dtype characters of the dtypes above that numpy has (bfloat16 arrives as bits).
_LOGICAL_OF_CHAR = {"h": "int16", "H": "uint16", "e": "float16"}

# DLPack device types whose memory the CPU can address (kDLCPU, kDLCUDAHost, kDLROCMHost).
_HOST_DEVICES = frozenset({1, 3, 11})


class LogicalDtypeWarning(UserWarning):
    """A result could not get its tensor's original dtype back without changing values."""


def import_optional(module: str, extra: str, what: str) -> ModuleType:
    """Import an optional dependency, or raise an ImportError naming the extra to install."""
    loaded = sys.modules.get(module)
    if loaded is not None:
        return loaded
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(
            f"{what} needs the optional dependency {module!r}, which is not installed: "
            f"pip install daphnelib[{extra}]"
        ) from exc


def note_copy(verbose: bool, what: str, reason: str) -> None:
    """The ``verbose`` line announcing the one copy a layout or dtype makes unavoidable."""
    note(verbose, f"copying {what} once ({reason})")


def on_host(tensor: Any) -> bool:
    """Whether the CPU can address the tensor's memory (from its ``__dlpack_device__``)."""
    return int(tensor.__dlpack_device__()[0]) in _HOST_DEVICES


def carrier_dtype(logical: str) -> np.dtype:
    """The engine dtype, tagged with ``logical``, that values of tensor dtype ``logical`` use."""
    return np.dtype(CARRIER[logical], metadata={LOGICAL_KEY: logical})


def host_view(tensor: Any, what: str) -> np.ndarray:
    """A numpy array over a host tensor's memory, through DLPack (no copy)."""
    try:
        return np.from_dlpack(tensor)
    except (BufferError, TypeError, ValueError, RuntimeError) as exc:
        raise TypeError(f"{what} of dtype {tensor.dtype} cannot be viewed through DLPack: "
                        f"{exc}") from None


def engine_input(arr: np.ndarray, *, logical: str | None = None, verbose: bool = False,
                 what: str = "tensor") -> np.ndarray:
    """The read-only, matrix-shaped engine buffer for a host view ``arr`` of any rank.

    Dtypes DAPHNE lacks are converted once into their tagged carrier; ``logical="bfloat16"``
    says that ``arr`` holds bfloat16 bit patterns as uint16 (numpy has no bfloat16).
    Rank 0 becomes 1x1, rank 1 n x 1, higher ranks ``(shape[0], -1)``.
    """
    if logical is None:
        logical = _LOGICAL_OF_CHAR.get(arr.dtype.char)
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


def target_shape(shape: Iterable[Any] | int | None) -> tuple[int, ...] | None:
    """``shape`` (tuple, list, torch.Size, tf.TensorShape, int) as a tuple of ints."""
    if shape is None:
        return None
    if isinstance(shape, (int, np.integer)):
        return (int(shape),)
    dims = tuple(shape.as_list() if hasattr(shape, "as_list") else shape)
    if None in dims:
        raise ValueError(f"shape {shape} is not fully defined")
    return tuple(map(int, dims))


def result_array(arr: np.ndarray, shape: Iterable[Any] | int | None, what: str) -> np.ndarray:
    """The 2-D result ``arr`` reshaped (a view) to ``shape``, ready for export as ``what``."""
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"a matrix of dtype {arr.dtype} cannot become {what}; "
                        "use compute() for a numpy array")
    dims = target_shape(shape)
    if dims is None:
        return arr
    try:
        return arr.reshape(dims)
    except ValueError:
        raise ValueError(f"shape {dims} does not fit the {arr.shape[0]}x{arr.shape[1]} "
                         f"result ({arr.size} elements)") from None


def _narrow(arr: np.ndarray, logical: str) -> np.ndarray | None:
    """Carrier array ``arr`` converted to ``logical``, or None unless that is bit-exact.

    Exact means converting back reproduces every bit (-0.0, NaN payloads, range). bfloat16,
    which numpy lacks, comes back as its bit patterns in uint16 (the top half of a float32).
    """
    from daphnelib._native.buffers import aligned_allocation

    flat = arr.reshape(-1)  # 1-D: ufuncs over 0-d arrays would return scalars
    with aligned_allocation(), np.errstate(all="ignore"):
        if logical == "bfloat16":
            narrow = (flat.view(np.uint32) >> np.uint32(16)).astype(np.uint16)
            wide = narrow.astype(np.uint32) << np.uint32(16)
        else:
            narrow = flat.astype(logical)
            wide = narrow.astype(flat.dtype)
    bits = np.dtype(f"u{arr.itemsize}")
    if not np.array_equal(wide.view(bits), flat.view(bits)):
        return None
    return narrow.reshape(arr.shape)


def restore_dtype(arr: np.ndarray, *, verbose: bool = False) -> tuple[np.ndarray, str | None]:
    """``(array, logical)``: the result to export, and the tensor dtype it must be given.

    ``logical`` is None when ``arr`` carries no tag, or when its values do not convert to the
    tagged dtype exactly (then ``arr`` keeps the engine dtype and a LogicalDtypeWarning says
    so). For "bfloat16" the array holds the bit patterns as uint16: reinterpret them.
    """
    meta = arr.dtype.metadata
    logical = meta.get(LOGICAL_KEY) if meta else None
    # A tag on anything but its carrier would be stale: only the carrier holds such values.
    if logical is None or CARRIER.get(logical) != arr.dtype:
        return arr, None
    narrow = _narrow(arr, logical)
    if narrow is None:
        warn(f"the result holds values that {logical} cannot represent exactly, so it keeps "
             f"the engine dtype {arr.dtype} instead of the input's {logical}",
             LogicalDtypeWarning)
        return arr, None
    note_copy(verbose, "result", f"dtype {arr.dtype} -> {logical}")
    return narrow, logical


def _writable_alias(arr: np.ndarray) -> np.ndarray:
    """A writable array over read-only ``arr``'s memory, keeping ``arr`` alive.

    numpy exports read-only arrays only as DLPack 1.x capsules (with the read-only flag),
    which TensorFlow cannot import; TensorFlow tensors are immutable, so it never writes.
    """
    buf = (ctypes.c_char * arr.nbytes).from_address(arr.ctypes.data)
    buf._owner = arr  # type: ignore[attr-defined]  # the alias keeps the memory alive
    return np.frombuffer(buf, dtype=arr.dtype).reshape(arr.shape)


def legacy_capsule(arr: np.ndarray, *, verbose: bool = False, what: str = "tensor") -> Any:
    """An unversioned DLPack capsule over ``arr``, C-contiguous and 64-byte aligned.

    An input passed straight through may view unaligned caller memory; it is copied once
    into an aligned buffer (TensorFlow aborts the process on unaligned buffers).
    """
    from daphnelib._native.buffers import ALIGNMENT, aligned_copy, is_aligned

    if arr.size == 0 or not (arr.flags.c_contiguous and is_aligned(arr)):
        if arr.size:
            note_copy(verbose, what, f"buffer not {ALIGNMENT}-byte aligned or not contiguous")
        arr = aligned_copy(arr)
    elif not arr.flags.writeable:
        arr = _writable_alias(arr)
    return arr.__dlpack__()
