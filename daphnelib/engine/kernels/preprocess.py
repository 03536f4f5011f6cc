"""Preprocessing kernels: ``recode`` (spec §3.11).

``oneHot`` and ``bin`` live with the reorganisation kernels in ``reorg.py``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from daphnelib.engine.kernels.cast import keep_vt, matrix_arg
from daphnelib.engine.registry import kernel
from daphnelib.engine.valuetypes import vt_of


@kernel("recode")
def recode(arg: Any, order_preserving: Any) -> tuple[np.ndarray, np.ndarray]:
    """Dictionary-encode an n x 1 column: ``codes`` (n x 1 si64) and ``dictionary`` (d x 1, arg's
    value type) with ``dictionary[codes[i]] == arg[i]``.

    The dictionary lists the distinct values in order of first appearance, or sorted when
    ``orderPreserving`` is true (then the codes preserve the values' order). All NaNs are one
    value, sorted last.
    """
    arg = matrix_arg("recode", "arg", arg)
    if arg.shape[1] != 1:
        raise ValueError(f"recode: the argument must have exactly one column, got "
                         f"{arg.shape[0]}x{arg.shape[1]}")
    if isinstance(order_preserving, np.ndarray) or vt_of(order_preserving) == "str":
        raise TypeError(f"recode: orderPreserving must be a boolean scalar, got "
                        f"{order_preserving!r}")
    values = arg[:, 0]
    distinct, first, codes = np.unique(values, return_index=True, return_inverse=True)
    if not order_preserving:
        # Renumber the sorted distinct values by where each first appears.
        by_appearance = np.argsort(first, kind="stable")
        rank = np.empty_like(by_appearance)
        rank[by_appearance] = np.arange(len(by_appearance))
        codes = rank[codes]
        distinct = values[first[by_appearance]]
    dictionary = keep_vt(np.ascontiguousarray(distinct).reshape(-1, 1), arg.dtype)
    return codes.astype(np.int64).reshape(-1, 1), dictionary
