"""Data generation kernels: ``fill``, ``seq``, ``diagMatrix``, ``rand``, ``sample`` (spec §3.11)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from daphnelib.engine.kernels.cast import count_arg, matrix_arg
from daphnelib.engine.registry import kernel
from daphnelib.engine.valuetypes import DTYPE_OF_VT, is_float, most_general, vt_of


@kernel("fill")
def fill(value: Any, rows: Any, cols: Any) -> np.ndarray:
    """A rows x cols matrix of ``value`` in the value's own type (str gives a string matrix)."""
    shape = (count_arg("fill", "numRows", rows), count_arg("fill", "numCols", cols))
    return np.full(shape, value, dtype=DTYPE_OF_VT[vt_of(value)])


def _seq_length(start: float, end: float, inc: float, eps: float) -> int:
    """Elements of ``start, start+inc, ...`` up to ``end`` inclusive, for float arguments.

    The quotient (end - start) / inc carries rounding from the arguments' binary
    representation (0.3 / 0.1 = 2.9999999999999996); a quotient within a few ulps of the
    arguments' magnitude below an integer counts as reaching it, so the last element is
    neither dropped nor added by rounding.
    """
    steps = (end - start) / inc
    nearest = round(steps)
    slack = 8.0 * eps * (abs(start) + abs(end) + abs(inc)) / abs(inc)
    whole = nearest if abs(steps - nearest) <= slack else math.floor(steps)
    return int(whole) + 1


def _wrapped(x: int, wide: np.dtype) -> np.integer:
    """A Python int as a 64-bit scalar, modulo 2^64."""
    return np.uint64(x % (1 << 64)).astype(wide)


@kernel("seq")
def seq(start: Any, end: Any, inc: Any = 1) -> np.ndarray:
    """The column ``start, start+inc, ...`` through ``end`` inclusive, in the args' common VT.

    A step pointing away from ``end`` gives a 0 x 1 matrix, as DAPHNE's kernel does.
    """
    vt = most_general(vt_of(start), vt_of(end), vt_of(inc))
    if vt in ("str", "bool"):
        raise TypeError(f"seq: from, to and inc must be numbers, got {start!r}, {end!r}, {inc!r}")
    dtype = DTYPE_OF_VT[vt]
    if is_float(vt):
        a, b, s = float(start), float(end), float(inc)
        if not all(map(math.isfinite, (a, b, s))):
            raise ValueError(f"seq: from, to and inc must be finite, got {a}, {b}, {s}")
    else:
        a, b, s = int(start), int(end), int(inc)
    if s == 0:
        raise ValueError("seq: inc must not be 0")
    if (b - a) * s < 0:
        return np.empty((0, 1), dtype=dtype)
    if is_float(vt):
        n = _seq_length(a, b, s, float(np.finfo(dtype).eps))
        # start + i*inc (not repeated addition): no rounding drift along long sequences.
        return (np.arange(n, dtype=np.float64) * s + a).astype(dtype, copy=False).reshape(n, 1)
    info = np.iinfo(dtype)
    if not (info.min <= a <= info.max and info.min <= b <= info.max):
        raise ValueError(f"seq: from {a} and to {b} must fit the value type {vt}")
    n = (b - a) // s + 1
    # 64-bit arithmetic wraps modulo 2^64, and every true value fits the target type, so the
    # wrapped result is exact even where i*|inc| alone would overflow.
    wide = np.dtype(np.uint64 if info.min == 0 else np.int64)
    out = np.arange(n, dtype=wide)
    out *= _wrapped(abs(s), wide)
    if s > 0:
        out += _wrapped(a, wide)
    else:
        np.subtract(_wrapped(a, wide), out, out=out)
    return out.astype(dtype, copy=False).reshape(n, 1)


@kernel("diagMatrix")
def diag_matrix(arg: Any) -> np.ndarray:
    """The n x n matrix with the n x 1 ``arg`` on its diagonal, zeros elsewhere."""
    arg = matrix_arg("diagMatrix", "arg", arg)
    if arg.shape[1] != 1:
        raise ValueError(f"diagMatrix needs an n x 1 column matrix, got {arg.shape[0]}x"
                         f"{arg.shape[1]}")
    n = arg.shape[0]
    out = np.zeros((n, n), dtype=arg.dtype)
    np.fill_diagonal(out, arg[:, 0])
    return out


@kernel("rand")
def rand(rows: Any, cols: Any, min_: Any, max_: Any, sparsity: Any, seed: Any) -> np.ndarray:
    # Imported on first use: the generator module is heavier than the registry needs.
    from daphnelib.engine.kernels import random

    return random.rand(count_arg("rand", "numRows", rows), count_arg("rand", "numCols", cols),
                       min_, max_, float(sparsity), int(seed))


@kernel("sample")
def sample(range_: Any, size: Any, with_replacement: Any, seed: Any) -> np.ndarray:
    from daphnelib.engine.kernels import random

    return random.sample(range_, count_arg("sample", "size", size), bool(with_replacement),
                         int(seed))
