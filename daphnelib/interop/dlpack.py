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
from collections.abc import Iterable
from typing import Any

import numpy as np

from daphnelib._diagnostics import warn
from daphnelib.engine.valuetypes import CARRIER, LOGICAL_KEY
from daphnelib.errors import LogicalDtypeWarning
from daphnelib.interop.numpy import engine_matrix, note_copy

# Tensor dtype names that cross the bridge: DAPHNE's value types and the carried ones.
TENSOR_DTYPES = frozenset({"bool", "int8", "int32", "int64", "uint8", "uint32", "uint64",
                           "float32", "float64", *CARRIER})

# DLPack device types whose memory the CPU can address (kDLCPU, kDLCUDAHost, kDLROCMHost).
_HOST_DEVICES = frozenset({1, 3, 11})


def check_tensor_dtype(name: str, what: str) -> None:
    """TypeError unless a tensor dtype called ``name`` crosses the bridge.

    Called before anything touches the tensor's memory: foreign dtypes (resource, variant,
    quantized, complex, float8...) make some libraries abort the process inside DLPack.
    """
    if name not in TENSOR_DTYPES:
        raise TypeError(f"{what} cannot exchange a tensor of dtype {name}: DAPHNE holds bool, "
                        "int8/16/32/64, uint8/16/32/64 and float16/bfloat16/32/64")


def on_host(tensor: Any) -> bool:
    """Whether the CPU can address the tensor's memory (from its ``__dlpack_device__``)."""
    return int(tensor.__dlpack_device__()[0]) in _HOST_DEVICES


def host_view(tensor: Any, what: str) -> np.ndarray:
    """A numpy array over a host tensor's memory, through DLPack (no copy)."""
    try:
        return np.from_dlpack(tensor)
    except (BufferError, TypeError, ValueError, RuntimeError) as exc:
        raise TypeError(f"{what} of dtype {tensor.dtype} cannot be viewed through DLPack: "
                        f"{exc}") from None


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


# ---------------------------------------------------------------------------------------------
# The DLPack protocol itself (dc.from_dlpack, Matrix.__dlpack__)
# ---------------------------------------------------------------------------------------------

def dlpack_input(obj: Any, *, verbose: bool = False) -> tuple[np.ndarray, tuple[int, ...]]:
    """The engine buffer and the shape of any object with ``__dlpack__``.

    numpy asks the producer for a DLPack 1.x capsule first and falls back to the unversioned
    protocol; a read-only capsule gives a read-only view, which the engine never writes
    anyway. Memory the CPU cannot address (a GPU) is copied to the host by the producer,
    once, with a ``verbose`` note.
    """
    if not hasattr(obj, "__dlpack__") or not hasattr(obj, "__dlpack_device__"):
        raise TypeError(f"from_dlpack needs an object with __dlpack__ and __dlpack_device__, "
                        f"got {type(obj).__name__}")
    device = tuple(int(d) for d in obj.__dlpack_device__())
    try:
        if device[0] in _HOST_DEVICES:
            arr = np.from_dlpack(obj)
        else:
            note_copy(verbose, "tensor", f"from DLPack device {device} to host memory")
            arr = np.from_dlpack(obj, device="cpu", copy=True)
    except (BufferError, TypeError, ValueError, RuntimeError) as exc:
        dtype = getattr(obj, "dtype", "?")
        raise TypeError(f"from_dlpack: a {type(obj).__name__} of dtype {dtype} on device "
                        f"{device} cannot be imported through DLPack: {exc}") from None
    return engine_matrix(arr, verbose=verbose, what="tensor"), arr.shape


def export_capsule(arr: np.ndarray, shape: tuple[int, ...] | None, *, stream: Any = None,
                   max_version: tuple[int, int] | None = None,
                   dl_device: tuple[int, int] | None = None, copy: bool | None = None) -> Any:
    """The DLPack capsule of the result ``arr`` viewed in ``shape`` (numpy's export).

    numpy's deleter owns a reference to the array, and so to the engine buffer. A read-only
    result goes out as is in a DLPack 1.x capsule (with the read-only flag); a consumer
    asking for an unversioned capsule gets a copy (``copy=False``: BufferError).
    """
    if dl_device is not None and tuple(dl_device) != (1, 0):
        raise BufferError(f"daphnelib results live on the CPU; cannot export to device "
                          f"{tuple(dl_device)}")
    if shape is not None:
        arr = arr.reshape(shape)
    legacy = max_version is None or tuple(max_version) < (1, 0)
    if legacy and not arr.flags.writeable and copy is not False:
        # An input passed straight through is read-only, and an unversioned capsule cannot
        # say so: the consumer gets its own copy instead of a writable alias of the input.
        copy = True
    if copy:
        arr = arr.copy()
    kwargs: dict[str, Any] = {"stream": stream}
    if max_version is not None:
        kwargs.update(max_version=max_version, copy=copy)
    return arr.__dlpack__(**kwargs)
