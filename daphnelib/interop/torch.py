"""PyTorch <-> engine exchange (zero-copy on the CPU, both ways).

Ingress (:func:`engine_input`): the engine input buffer is the tensor's own storage, viewed
with ``Tensor.numpy()``. One copy is made, and ``verbose`` says so, only for a tensor that is not
C-contiguous (transposed, sliced, expanded), lives on a GPU (copied to host memory), has a
dtype DAPHNE lacks (int16/uint16 -> 32-bit, float16/bfloat16 -> float32, see
:mod:`daphnelib.interop.dlpack`) or a pending conjugate/negative view bit. A tensor that
requires grad is detached (same storage, no copy). The caller's tensor is never modified.

Egress (:func:`to_torch`): ``torch.from_numpy`` over the engine's result buffer. A result
that views the caller's memory (an input passed straight through, or a slice, reshape or
transposed column of one) is a read-only numpy view; PyTorch has no read-only tensors, so it
is copied once (``verbose`` says so) and a write into the tensor can never change the
caller's data.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from daphnelib._optional import import_optional
from daphnelib.interop import dlpack
from daphnelib.interop.numpy import engine_matrix

if TYPE_CHECKING:
    import torch as torch_module


def _torch(what: str) -> Any:
    return import_optional("torch", "torch", what)


def _on_host(t: torch_module.Tensor) -> bool:
    return t.is_cpu


def _check_exchangeable(torch: Any, t: torch_module.Tensor) -> None:
    """TypeError naming what makes ``t`` unexchangeable, checked before its memory is touched
    (nested, meta, quantized and sparse tensors make torch raise internal errors otherwise)."""
    if t.is_nested:
        raise TypeError("from_pytorch needs a dense tensor, got a nested tensor; "
                        "pad it with torch.nested.to_padded_tensor first")
    if t.layout != torch.strided:
        raise TypeError(f"from_pytorch needs a dense tensor, got layout {t.layout}; "
                        "convert it with .to_dense() first")
    if t.device.type == "meta":
        raise TypeError("from_pytorch needs a tensor with data, got one on the meta device")
    dlpack.check_tensor_dtype(str(t.dtype).removeprefix("torch."), "from_pytorch")


def _host_view(tensor: torch_module.Tensor, verbose: bool) -> tuple[np.ndarray, str | None]:
    """A numpy view of ``tensor``'s CPU memory, and "bfloat16" when it holds bfloat16 bits."""
    torch = _torch("from_pytorch")
    _check_exchangeable(torch, tensor)
    t = tensor.detach()  # requires_grad: same storage, autograd history dropped
    if not _on_host(t):
        dlpack.note_copy(verbose, "tensor", f"from device {t.device} to host memory")
        t = t.to("cpu")
    if t.is_conj() or t.is_neg():
        dlpack.note_copy(verbose, "tensor", "resolving a conjugate/negative view")
        t = t.resolve_conj().resolve_neg()
    logical = None
    if t.dtype == torch.bfloat16:  # numpy has no bfloat16: view the bit patterns
        t, logical = t.view(torch.uint16), "bfloat16"
    try:
        # Tensor.numpy() is torch's own view of a CPU tensor (strides kept, never a copy);
        # it is what np.from_dlpack would return, without the Python-level DLPack export.
        return t.numpy(), logical
    except (TypeError, RuntimeError) as exc:
        raise TypeError(f"a tensor of dtype {t.dtype} cannot be exchanged: {exc}") from None


def engine_input(tensor: torch_module.Tensor, *, verbose: bool = False
                 ) -> tuple[np.ndarray, torch_module.Size]:
    """The engine matrix over a torch tensor and the tensor's shape (see the module docstring
    for when a copy happens).

    Rank 2 stays as is, rank 1 becomes n x 1, rank 0 a 1x1 matrix, higher ranks
    ``(shape[0], -1)``.
    """
    torch = _torch("from_pytorch")
    if not isinstance(tensor, torch.Tensor):
        raise TypeError(f"from_pytorch needs a torch.Tensor, got {type(tensor).__name__}")
    arr, logical = _host_view(tensor, verbose)
    shape = tensor.shape  # after the checks: a nested tensor has no shape
    return engine_matrix(arr, logical=logical, verbose=verbose, what="tensor"), shape


def to_torch(arr: np.ndarray, shape: Any = None, *, verbose: bool = False) -> Any:
    """A torch tensor over the engine result ``arr`` (no copy), reshaped to ``shape``.

    A result still tagged with a dtype DAPHNE lacks gets it back when that is bit-exact
    (one conversion); otherwise it keeps the engine dtype, with a LogicalDtypeWarning.
    """
    torch = _torch("compute(asPyTorch=True)")
    out, logical = dlpack.restore_dtype(dlpack.result_array(arr, shape, "a torch tensor"),
                                        verbose=verbose)
    if not out.flags.writeable:  # views the caller's memory: a tensor would let writes in
        from daphnelib._native.buffers import aligned_copy

        dlpack.note_copy(verbose, "result", "it views the caller's memory and torch tensors "
                         "cannot be read-only")
        out = aligned_copy(out)
    t = torch.from_numpy(out)
    return t.view(torch.bfloat16) if logical == "bfloat16" else t
