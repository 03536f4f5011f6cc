"""Kernels over CSR matrices (:class:`~daphnelib.engine.values.CSRMatrix`).

The executor hands a step whose arguments include a CSR matrix to :func:`call`: the builtins
below run on the three CSR arrays (the ones DAPHNE's CSR tests use: elementwise ``+ - *``,
``@``, ``sum``, ``t``, print and the shape/type queries, plus the unary functions that keep
0 at 0); any other builtin gets its CSR arguments as dense matrices, so every builtin works
on a CSR value, with a dense result. Value-type rules are the dense kernels' own: they run
on the values array as a ``1 x nnz`` matrix. Sparse products and sums of two CSR matrices
use scipy (the ``sparse`` extra), imported on first use.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from daphnelib._optional import import_optional
from daphnelib.engine.kernels.cast import convert_matrix, count_arg
from daphnelib.engine.registry import lookup
from daphnelib.engine.values import CSRMatrix
from daphnelib.engine.valuetypes import DTYPE_OF_VT, most_general, vt_of, vt_of_dtype

SparseKernel = Callable[..., Any]
_KERNELS: dict[str, SparseKernel] = {}
# Unary builtins with f(+0) == +0: applied to the stored values, the result stays CSR.
# (Not ``minus``: a dense -0.0 prints as "-0", an unstored zero as "0".)
_ZERO_KEEPING = ("abs", "sign", "sqrt", "round", "floor", "ceil", "sin", "tan", "asin", "atan",
                 "sinh", "tanh")


def _sparse(*names: str) -> Callable[[SparseKernel], SparseKernel]:
    def register(fn: SparseKernel) -> SparseKernel:
        for name in names:
            _KERNELS[name] = fn
        return fn

    return register


def _scipy() -> Any:
    return import_optional("scipy.sparse", "sparse", "CSR matrix arithmetic")


def to_scipy(m: CSRMatrix) -> Any:
    """A scipy ``csr_array`` over the three arrays of ``m`` (no copy)."""
    return _scipy().csr_array((m.values, m.col_idxs, m.row_offsets), shape=m.shape, copy=False)


def from_scipy(a: Any) -> CSRMatrix:
    """The CSR matrix of a scipy CSR array/matrix, over its arrays (no copy)."""
    return CSRMatrix(a.data, a.indices, a.indptr, a.shape)


def densified(value: Any) -> Any:
    return value.to_dense() if type(value) is CSRMatrix else value


def call(op: str, fn: Callable[..., Any], args: Sequence[Any]) -> Any:
    """Run builtin ``op`` (dense kernel ``fn``) on arguments of which some may be CSR."""
    if getattr(fn, "sparse_aware", False) or CSRMatrix not in map(type, args):
        return fn(*args)
    sparse = _KERNELS.get(op)
    if sparse is not None:
        out = sparse(*args)
        if out is not NotImplemented:
            return out
    return fn(*(densified(a) for a in args))


def rand_csr(rows: Any, cols: Any, min_: Any, max_: Any, sparsity: Any, seed: Any
             ) -> CSRMatrix:
    """``rand`` with a CSR result, as DAPHNE's CSR kernel draws it."""
    from daphnelib.engine.kernels import random

    return random.rand_csr(count_arg("rand", "numRows", rows), count_arg("rand", "numCols", cols),
                           min_, max_, float(sparsity), int(seed))


def to_representation(value: Any, csr: bool) -> Any:
    """A matrix result in the representation chosen for it (``--select-matrix-repr``)."""
    if csr and isinstance(value, np.ndarray) and value.ndim == 2:
        return CSRMatrix.from_dense(value)
    if not csr and type(value) is CSRMatrix:
        return value.to_dense()
    return value


def _with_values(m: CSRMatrix, values: np.ndarray) -> CSRMatrix:
    """``m``'s structure with new values (the structure arrays are shared, never written)."""
    start, stop = int(m.row_offsets[0]), int(m.row_offsets[-1])
    offsets = m.row_offsets - start if start else m.row_offsets
    return CSRMatrix(values, m.col_idxs[start:stop], offsets, m.shape)


def _values_row(m: CSRMatrix) -> np.ndarray:
    """The stored values as a 1 x nnz matrix (a view), for the dense kernels."""
    return m.stored()[0].reshape(1, -1)


def _is_scalar(x: Any) -> bool:
    return not isinstance(x, (np.ndarray, CSRMatrix)) and vt_of(x) != "str"


def _common(lhs: CSRMatrix, rhs: CSRMatrix) -> tuple[Any, Any] | None:
    """Both as scipy arrays of their most general value type; None for strings/bools."""
    vt = most_general(vt_of_dtype(lhs.dtype), vt_of_dtype(rhs.dtype))
    if vt in ("str", "bool"):
        return None
    return tuple(to_scipy(_with_values(m, convert_matrix(_values_row(m), vt).ravel()))
                 for m in (lhs, rhs))


def _csr_result(a: Any) -> CSRMatrix:
    a = a.tocsr()
    a.sort_indices()
    return from_scipy(a)


@_sparse("*")
def _multiply(lhs: Any, rhs: Any) -> Any:
    mul = lookup("*")
    if type(lhs) is CSRMatrix and _is_scalar(rhs):
        return _with_values(lhs, mul(_values_row(lhs), rhs).ravel())
    if _is_scalar(lhs) and type(rhs) is CSRMatrix:
        return _with_values(rhs, mul(lhs, _values_row(rhs)).ravel())
    if type(lhs) is CSRMatrix and type(rhs) is CSRMatrix and lhs.shape == rhs.shape:
        both = _common(lhs, rhs)
        return NotImplemented if both is None else _csr_result(both[0].multiply(both[1]))
    if type(lhs) is CSRMatrix and isinstance(rhs, np.ndarray) and rhs.shape == lhs.shape:
        values, cols, rows = lhs.stored()
        return _with_values(lhs, mul(values.reshape(1, -1), rhs[rows, cols].reshape(1, -1))
                            .ravel())
    return NotImplemented


def _add_or_sub(op: str, lhs: Any, rhs: Any) -> Any:
    if type(lhs) is CSRMatrix and type(rhs) is CSRMatrix and lhs.shape == rhs.shape:
        both = _common(lhs, rhs)
        if both is not None:
            return _csr_result(both[0] + both[1] if op == "+" else both[0] - both[1])
    return NotImplemented


@_sparse("+")
def _add(lhs: Any, rhs: Any) -> Any:
    return _add_or_sub("+", lhs, rhs)


@_sparse("-")
def _sub(lhs: Any, rhs: Any) -> Any:
    return _add_or_sub("-", lhs, rhs)


@_sparse("@")
def _matmul(lhs: Any, rhs: Any) -> Any:
    matrices = (np.ndarray, CSRMatrix)
    if not (isinstance(lhs, matrices) and isinstance(rhs, matrices)):
        return NotImplemented
    if lhs.shape[1] != rhs.shape[0]:
        return NotImplemented  # the dense kernel reports the shapes
    vt = most_general(vt_of_dtype(lhs.dtype), vt_of_dtype(rhs.dtype))
    if vt in ("str", "bool"):
        return NotImplemented
    ops = [to_scipy(_with_values(m, convert_matrix(_values_row(m), vt).ravel()))
           if type(m) is CSRMatrix else convert_matrix(m, vt) for m in (lhs, rhs)]
    out = ops[0] @ ops[1]
    if type(lhs) is CSRMatrix and type(rhs) is CSRMatrix:
        return _csr_result(out)
    return np.ascontiguousarray(out, dtype=DTYPE_OF_VT[vt])


@_sparse("t", "transpose")
def _transpose(arg: CSRMatrix) -> CSRMatrix:
    values, cols, rows = arg.stored()
    # A stable sort by column keeps the rows ascending within each new row.
    order = np.argsort(cols, kind="stable")
    offsets = np.zeros(arg.shape[1] + 1, np.int64)
    np.cumsum(np.bincount(cols, minlength=arg.shape[1]), out=offsets[1:])
    return CSRMatrix(values[order], rows[order], offsets, (arg.shape[1], arg.shape[0]))


@_sparse("sum")
def _sum(arg: CSRMatrix, axis: Any = None, num_groups: Any = None) -> Any:
    if type(arg) is not CSRMatrix or num_groups is not None or axis not in (None, 0, 1):
        return NotImplemented
    vt = vt_of_dtype(arg.dtype)
    if vt in ("str", "bool"):
        return NotImplemented
    values, cols, rows = arg.stored()
    if axis is None:
        return lookup("sum")(values.reshape(1, -1))
    # Accumulated in the value type, as the dense kernel does (integers wrap).
    out = np.zeros((arg.shape[0], 1) if axis == 0 else (1, arg.shape[1]), arg.dtype)
    np.add.at(out.reshape(-1), rows if axis == 0 else cols, values)
    return out


def _unary(op: str) -> SparseKernel:
    def run(arg: Any) -> Any:
        if type(arg) is not CSRMatrix or vt_of_dtype(arg.dtype) in ("str", "bool"):
            return NotImplemented
        return _with_values(arg, lookup(op)(_values_row(arg)).ravel())

    return run


for _op in _ZERO_KEEPING:
    _KERNELS[_op] = _unary(_op)
del _op


def _as_is(op: str) -> SparseKernel:
    return lambda *args: lookup(op)(*args)


# These take the CSR value as it is.
for _op in ("print", "typeOf", "nrow", "ncol", "ncell", "saveDaphneLibResult", "receiveFromNumpy"):
    _KERNELS[_op] = _as_is(_op)
del _op


@_sparse("sparsity")
def _sparsity(arg: CSRMatrix) -> Any:
    if vt_of_dtype(arg.dtype) == "str":
        return NotImplemented
    size = arg.shape[0] * arg.shape[1]
    nonzero = np.count_nonzero(arg.stored()[0])
    return np.float64(nonzero) / np.float64(size) if size else np.float64(np.nan)
