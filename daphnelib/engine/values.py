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
