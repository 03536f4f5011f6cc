"""PyTorch <-> engine exchange (zero-copy on the CPU, both ways).

Ingress (:func:`from_pytorch`): the engine input buffer is the tensor's own storage, viewed
with ``Tensor.numpy()``. One copy is made, and ``verbose`` says so, only for a tensor that is not
C-contiguous (transposed, sliced, expanded), lives on a GPU (copied to host memory), has a
dtype DAPHNE lacks (int16/uint16 -> 32-bit, float16/bfloat16 -> float32, see
:mod:`daphnelib.interop.dlpack`) or a pending conjugate/negative view bit. A tensor that
requires grad is detached (same storage, no copy). The caller's tensor is never modified.

Egress (:func:`to_torch`): ``torch.from_numpy`` over the engine's result buffer. A result
that is an input passed straight through is a read-only numpy view; it goes through
``torch.from_dlpack`` (DLPack 1.x carries the read-only flag, torch accepts it silently where
``torch.from_numpy`` would warn). The tensor then shares memory with that input, as
``torch.from_numpy``/``torch.from_dlpack`` of the same buffer would: writing into it writes
into the input (PyTorch has no read-only tensors; ``clone()`` first when that is not wanted;
if the input's memory is itself read-only, e.g. a numpy array over ``bytes``, writing is
undefined, exactly as with ``torch.from_numpy``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from daphnelib.interop import dlpack

if TYPE_CHECKING:
    import torch as torch_module

    from daphnelib.context.daphne_context import DaphneContext
    from daphnelib.operator.nodes.matrix import Matrix


def _torch(what: str) -> Any:
    return dlpack.import_optional("torch", "torch", what)


def _on_host(t: torch_module.Tensor) -> bool:
    return t.is_cpu


def _host_view(tensor: torch_module.Tensor, verbose: bool) -> tuple[np.ndarray, str | None]:
    """A numpy view of ``tensor``'s CPU memory, and "bfloat16" when it holds bfloat16 bits."""
    torch = _torch("from_pytorch")
    t = tensor.detach()  # requires_grad: same storage, autograd history dropped
    if t.layout != torch.strided:
        raise TypeError(f"from_pytorch needs a dense tensor, got layout {t.layout}; "
                        "convert it with .to_dense() first")
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


def from_pytorch(
    ctx: DaphneContext,
    tensor: torch_module.Tensor,
    *,
    shared_memory: bool = True,
    verbose: bool = False,
    return_shape: bool = False,
) -> Matrix | tuple[Matrix, torch_module.Size]:
    """A matrix over a torch tensor (see the module docstring for when a copy happens).

    Rank 2 stays as is, rank 1 becomes n x 1, rank 0 a 1x1 matrix, higher ranks
    ``(shape[0], -1)``; ``return_shape=True`` also returns the tensor's ``torch.Size``.
    """
    torch = _torch("from_pytorch")
    if not isinstance(tensor, torch.Tensor):
        raise TypeError(f"from_pytorch needs a torch.Tensor, got {type(tensor).__name__}")
    shape = tensor.shape
    arr, logical = _host_view(tensor, verbose)
    buf = dlpack.engine_input(arr, logical=logical, verbose=verbose, what="tensor")
    node = ctx._matrix_node(buf, tensor, shared_memory)._with_tensor_shape(tuple(shape))
    return (node, shape) if return_shape else node


def to_torch(arr: np.ndarray, shape: Any = None, *, verbose: bool = False) -> Any:
    """A torch tensor over the engine result ``arr`` (no copy), reshaped to ``shape``.

    A result still tagged with a dtype DAPHNE lacks gets it back when that is bit-exact
    (one conversion); otherwise it keeps the engine dtype, with a LogicalDtypeWarning.
    """
    torch = _torch("compute(asPyTorch=True)")
    out, logical = dlpack.restore_dtype(dlpack.result_array(arr, shape, "a torch tensor"),
                                        verbose=verbose)
    # A read-only result (an input passed straight through) goes through DLPack 1.x, whose
    # read-only flag torch accepts silently; torch.from_numpy would warn about it.
    t = torch.from_numpy(out) if out.flags.writeable else torch.from_dlpack(out)
    return t.view(torch.bfloat16) if logical == "bfloat16" else t
