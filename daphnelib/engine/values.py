"""Engine values.

- A matrix is a 2-D numpy array (C-contiguous unless it is a view the engine made).
- A scalar is a numpy scalar (``np.float64``, ``np.int64``, ..., :class:`SizeScalar`),
  a ``np.bool_`` or a Python ``str``.
- A frame is a :class:`FrameValue`: ordered, uniquely labelled 1-D columns, each with an
  optional *logical type* (an opaque object owned by ``daphnelib.interop``: pandas dtype,
  nullable mask, categories, ...) that column-preserving operations carry along.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from daphnelib.engine.valuetypes import vt_of_dtype


class FrameValue:
    """Columns, labels and per-column logical types of a DAPHNE frame."""

    __slots__ = ("_nrow", "columns", "labels", "logical")

    def __init__(
        self,
        columns: Sequence[np.ndarray],
        labels: Sequence[str] | None = None,
        logical: Sequence[object | None] | None = None,
        nrow: int = 0,
    ) -> None:
        columns = list(columns)
        if labels is None:
            labels = [f"col_{i}" for i in range(len(columns))]
        labels = [str(lbl) for lbl in labels]
        if len(labels) != len(columns):
            raise ValueError(
                f"a frame needs one label per column: {len(columns)} columns, {len(labels)} labels"
            )
        if len(set(labels)) != len(labels):
            dup = sorted({lbl for lbl in labels if labels.count(lbl) > 1})
            raise ValueError(f"a frame's column labels must be unique; duplicated: {dup}")
        if columns:
            nrow = n = len(columns[0])
            for lbl, col in zip(labels, columns, strict=True):
                if col.ndim != 1 or len(col) != n:
                    raise ValueError(
                        f"frame column {lbl!r} has shape {col.shape}; every column must be 1-D "
                        f"with {n} rows"
                    )
        self.columns = columns
        self.labels = labels
        self.logical = list(logical) if logical is not None else [None] * len(columns)
        self._nrow = nrow  # kept for frames with rows but no columns

    @property
    def nrow(self) -> int:
        return self._nrow

    @property
    def ncol(self) -> int:
        return len(self.columns)

    def vts(self) -> list[str]:
        return [vt_of_dtype(c.dtype) for c in self.columns]

    def index_of(self, label: str) -> int:
        try:
            return self.labels.index(label)
        except ValueError:
            raise KeyError(
                f"frame has no column labelled {label!r}; labels: {self.labels}"
            ) from None

    def __repr__(self) -> str:
        return f"FrameValue({self.nrow}x{self.ncol}, {self.labels})"


class CSRMatrix:
    """A matrix in compressed sparse row form, DAPHNE's ``CSRMatrix``.

    Three 1-D arrays as DAPHNE (and scipy) hold them: ``values`` (the non-zeros, in the matrix's
    value type), ``col_idxs`` (their columns, ascending within a row) and ``row_offsets``
    (``nrow + 1`` offsets into both; row ``r`` is ``row_offsets[r]:row_offsets[r + 1]``).
    Index arrays are int32 or int64, so that a scipy matrix is taken over without a copy.
    """

    __slots__ = ("col_idxs", "row_offsets", "shape", "values")

    def __init__(self, values: np.ndarray, col_idxs: np.ndarray, row_offsets: np.ndarray,
                 shape: tuple[int, int]) -> None:
        rows, cols = (int(n) for n in shape)
        if rows < 0 or cols < 0:
            raise ValueError(f"a CSR matrix needs a non-negative shape, got {shape}")
        for name, arr in (("col_idxs", col_idxs), ("row_offsets", row_offsets)):
            if arr.ndim != 1 or arr.dtype not in (np.dtype(np.int32), np.dtype(np.int64)):
                raise ValueError(f"CSR {name} must be a 1-D int32 or int64 array, got "
                                 f"{arr.dtype} of shape {arr.shape}")
        if values.ndim != 1 or len(values) != len(col_idxs):
            raise ValueError(f"CSR values and col_idxs must be 1-D of one length, got shapes "
                             f"{values.shape} and {col_idxs.shape}")
        if len(row_offsets) != rows + 1:
            raise ValueError(f"CSR row_offsets of a {rows}-row matrix must have {rows + 1} "
                             f"entries, got {len(row_offsets)}")
        self.values, self.col_idxs, self.row_offsets = values, col_idxs, row_offsets
        self.shape = (rows, cols)

    @property
    def dtype(self) -> np.dtype:
        return self.values.dtype

    @property
    def nnz(self) -> int:
        """The number of stored entries."""
        return int(self.row_offsets[-1] - self.row_offsets[0])

    def stored(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(values, col_idxs, the row of each entry) of the stored entries."""
        start, stop = int(self.row_offsets[0]), int(self.row_offsets[-1])
        rows = np.repeat(np.arange(self.shape[0]), np.diff(self.row_offsets))
        return self.values[start:stop], self.col_idxs[start:stop], rows

    def to_dense(self) -> np.ndarray:
        """The dense C-ordered matrix (a new buffer)."""
        out = np.zeros(self.shape, dtype=self.dtype)
        values, cols, rows = self.stored()
        out[rows, cols] = values
        return out

    @classmethod
    def from_dense(cls, arr: np.ndarray) -> CSRMatrix:
        """The non-zeros of a 2-D array (NaN counts as non-zero), row by row."""
        rows, cols = np.nonzero(arr)
        offsets = np.zeros(arr.shape[0] + 1, np.int64)
        np.cumsum(np.bincount(rows, minlength=arr.shape[0]), out=offsets[1:])
        return cls(np.ascontiguousarray(arr[rows, cols]), cols.astype(np.int64, copy=False),
                   offsets, arr.shape)

    def __repr__(self) -> str:
        return f"CSRMatrix({self.shape[0]}x{self.shape[1]}, {self.dtype}, nnz={self.nnz})"
