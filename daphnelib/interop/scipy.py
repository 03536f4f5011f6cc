"""scipy.sparse <-> engine exchange: CSR matrices over the same three arrays.

Ingress (:func:`engine_csr`): a canonical CSR array/matrix (sorted column indexes, no
duplicates) of a value type DAPHNE holds enters as read-only views of its ``data``,
``indices`` and ``indptr`` (no copy); any other sparse format, a non-canonical matrix or
another dtype is converted exactly once, and ``verbose`` says so. Egress (:func:`to_scipy`):
a ``scipy.sparse.csr_array`` over the engine's three arrays (no copy); a dense result is
compressed (a copy).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from daphnelib._optional import import_optional
from daphnelib.engine.values import CSRMatrix
from daphnelib.interop.numpy import note_copy, to_engine

_INDEX_DTYPES = (np.dtype(np.int32), np.dtype(np.int64))


def _scipy_sparse() -> Any:
    return import_optional("scipy.sparse", "sparse", "exchanging sparse matrices")


def _read_only(arr: np.ndarray) -> np.ndarray:
    view = arr.view()
    view.flags.writeable = False
    return view


def engine_csr(mat: Any, *, verbose: bool = False) -> CSRMatrix:
    """The engine's CSR matrix for a scipy sparse matrix or array (2-D)."""
    sparse = _scipy_sparse()
    if not sparse.issparse(mat):
        raise TypeError(f"from_scipy needs a scipy.sparse matrix or array, got "
                        f"{type(mat).__name__}")
    if mat.ndim != 2:
        raise ValueError(f"from_scipy needs a 2-D sparse matrix, got {mat.ndim}-D")
    if mat.dtype.kind not in "biuf":
        raise TypeError(f"from_scipy: sparse matrices of dtype {mat.dtype} are not supported; "
                        "DAPHNE's CSR matrices hold numbers (int16/uint16/float16 widened)")
    if mat.format != "csr":
        note_copy(verbose, "sparse matrix", f"format {mat.format} -> csr")
        mat = sparse.csr_array(mat)
    if not mat.has_canonical_format:
        note_copy(verbose, "sparse matrix", "unsorted or duplicate column indexes")
        mat = mat.copy()
        mat.sum_duplicates()  # sorts the indexes too; the caller's matrix stays as it was
    values = to_engine(mat.data, verbose=verbose, what="sparse matrix values")
    index = []
    for arr in (mat.indices, mat.indptr):
        if arr.dtype.newbyteorder("=") in _INDEX_DTYPES and arr.dtype.isnative:
            index.append(_read_only(arr))
        else:
            note_copy(verbose, "sparse matrix indexes", f"dtype {arr.dtype} -> int64")
            index.append(arr.astype(np.int64))
    return CSRMatrix(values, index[0], index[1], mat.shape)


def to_scipy(value: CSRMatrix | np.ndarray) -> Any:
    """``compute(asScipy=True)``: a ``csr_array`` over a CSR result's arrays (no copy), or
    the compressed form of a dense result (a copy)."""
    if isinstance(value, CSRMatrix):
        from daphnelib.engine.kernels.sparse import to_scipy as over_arrays

        return over_arrays(value)
    return _scipy_sparse().csr_array(value)
