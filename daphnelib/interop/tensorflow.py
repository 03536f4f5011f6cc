"""TensorFlow <-> engine exchange (zero-copy on the CPU, both ways).

Ingress (:func:`from_tensorflow`): the engine input buffer is the tensor's own buffer,
viewed through DLPack; a ``tf.Variable`` is read first (the read shares the variable's
buffer). One copy is made, and ``verbose`` says so, only for a tensor on a GPU (copied to
host memory) or of a dtype DAPHNE lacks (int16/uint16 -> 32-bit, float16/bfloat16 ->
float32, see :mod:`daphnelib.interop.dlpack`). TensorFlow tensors are dense and immutable,
so nothing else needs a copy and the caller's tensor cannot be modified.

Egress (:func:`to_tensorflow`): ``tf.experimental.dlpack.from_dlpack`` over the engine's
result buffer (TensorFlow imports unversioned DLPack capsules only). Result buffers are
64-byte aligned; a result that is an input passed straight through and views unaligned
memory is copied once, because TensorFlow aborts the process on unaligned buffers. The
returned tensor may share memory with that input (TensorFlow never writes into it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from daphnelib.interop import dlpack

if TYPE_CHECKING:
    from daphnelib.context.daphne_context import DaphneContext
    from daphnelib.operator.nodes.matrix import Matrix


def _tf(what: str) -> Any:
    return dlpack.import_optional("tensorflow", "tensorflow", what)


def _on_host(t: Any) -> bool:
    return dlpack.on_host(t)


def _eager_tensor(tf: Any, tensor: Any) -> Any:
    """``tensor`` as an eager tf.Tensor (a Variable is read), or a TypeError."""
    if not isinstance(tensor, tf.Tensor) and isinstance(tensor, tf.Variable):
        tensor = tensor.read_value()
    if not isinstance(tensor, tf.Tensor):
        raise TypeError(
            f"from_tensorflow needs a tf.Tensor or tf.Variable, got {type(tensor).__name__}"
            " (convert ragged/sparse tensors with .to_tensor() / tf.sparse.to_dense first)"
        )
    if tf.is_symbolic_tensor(tensor):
        raise TypeError("from_tensorflow needs an eager tensor, not a symbolic one "
                        "(inside tf.function the data is not there yet)")
    if tensor.dtype == tf.string:
        raise TypeError("from_tensorflow cannot exchange tf.string tensors; "
                        "decode them to a numpy str array and use from_numpy")
    return tensor


def from_tensorflow(
    ctx: DaphneContext,
    tensor: Any,
    *,
    shared_memory: bool = True,
    verbose: bool = False,
    return_shape: bool = False,
) -> Matrix | tuple[Matrix, Any]:
    """A matrix over a TensorFlow tensor (see the module docstring for when a copy happens).

    Rank 2 stays as is, rank 1 becomes n x 1, rank 0 a 1x1 matrix, higher ranks
    ``(shape[0], -1)``; ``return_shape=True`` also returns the tensor's ``tf.TensorShape``.
    """
    tf = _tf("from_tensorflow")
    t = _eager_tensor(tf, tensor)
    shape = t.shape
    if not _on_host(t):
        dlpack.note_copy(verbose, "tensor", f"from device {t.device} to host memory")
        with tf.device("/CPU:0"):
            t = tf.identity(t)
    logical = None
    if t.dtype == tf.bfloat16:  # numpy has no bfloat16: view the bit patterns
        t, logical = tf.bitcast(t, tf.uint16), "bfloat16"
    arr = dlpack.host_view(t, "tensor")
    buf = dlpack.engine_input(arr, logical=logical, verbose=verbose, what="tensor")
    node = ctx._matrix_node(buf, tensor, shared_memory)._with_tensor_shape(tuple(shape))
    return (node, shape) if return_shape else node


def to_tensorflow(arr: np.ndarray, shape: Any = None, *, verbose: bool = False) -> Any:
    """A TensorFlow tensor over the engine result ``arr`` (no copy), reshaped to ``shape``.

    A result still tagged with a dtype DAPHNE lacks gets it back when that is bit-exact
    (one conversion); otherwise it keeps the engine dtype, with a LogicalDtypeWarning.
    """
    tf = _tf("compute(asTensorFlow=True)")
    out, logical = dlpack.restore_dtype(
        dlpack.result_array(arr, shape, "a TensorFlow tensor"), verbose=verbose)
    t = tf.experimental.dlpack.from_dlpack(dlpack.legacy_capsule(out, verbose=verbose,
                                                                 what="result"))
    return tf.bitcast(t, tf.bfloat16) if logical == "bfloat16" else t
