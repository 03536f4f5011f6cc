"""Metadata kernels: shapes and types."""

from __future__ import annotations

import numpy as np

from daphnelib.engine.printing import type_string
from daphnelib.engine.registry import kernel
from daphnelib.engine.values import CSRMatrix, FrameValue
from daphnelib.engine.valuetypes import SizeScalar


def _shape(arg: np.ndarray | CSRMatrix | FrameValue) -> tuple[int, int]:
    if isinstance(arg, FrameValue):
        return arg.nrow, arg.ncol
    if isinstance(arg, (np.ndarray, CSRMatrix)):
        return arg.shape
    raise TypeError(f"expected a matrix or frame, got {type(arg).__name__}")


@kernel("nrow")
def nrow(arg: np.ndarray | FrameValue) -> SizeScalar:
    return SizeScalar(_shape(arg)[0])


@kernel("ncol")
def ncol(arg: np.ndarray | FrameValue) -> SizeScalar:
    return SizeScalar(_shape(arg)[1])


@kernel("ncell")
def ncell(arg: np.ndarray | FrameValue) -> SizeScalar:
    rows, cols = _shape(arg)
    return SizeScalar(rows * cols)


@kernel("typeOf")
def type_of(arg: object) -> str:
    return type_string(arg)
