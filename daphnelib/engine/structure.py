"""What makes two programs the same program: their structure, apart from their input data.

The executor caches compilations under keys built from these pieces (``executor.py``), and
the lazy nodes build the same pieces while a graph is built (``operator/structure_key.py``),
so ``compute()`` on a rebuilt graph finds its compilation without lowering it again.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from daphnelib.engine.program import Var
from daphnelib.engine.values import CSRMatrix, FrameValue

#: Argument types that are a program's data (its input buffers), not part of its structure.
DATA = (np.ndarray, CSRMatrix, FrameValue)
# Literal types whose (type, repr) identifies them: 1, 1.0 and True differ, -0.0 and 0.0 too.
_LITERALS = frozenset((bool, int, float, str, type(None)))


def data_key(arg: Any) -> Any:
    """The key of a data argument: its kind only (CSR data compiles differently)."""
    return CSRMatrix if type(arg) is CSRMatrix else DATA


def literal_key(arg: Any) -> Any:
    """The key of a constant argument (a value's id for a :class:`Var`).

    Raises TypeError for arguments that are not plain constants (blocks, functions, records):
    a program holding one is not cached.
    """
    t = type(arg)
    if t is Var:
        return arg.id
    if t in _LITERALS or isinstance(arg, np.generic):
        return (t, repr(arg))
    if isinstance(arg, str):
        # A str subclass is keyed by its type and text: what it adds must follow from the
        # text (an SQL query's parse tree does), so equal keys still mean equal programs.
        return (t, str.__repr__(arg))
    if t is slice and arg.step is None:
        return (slice, literal_key(arg.start), literal_key(arg.stop))
    raise TypeError
