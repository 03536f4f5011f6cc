"""``Scalar``: a lazy DAPHNE scalar (DaphneLib's ``daphne.operator.nodes.scalar``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from daphnelib.engine.program import Kind
from daphnelib.engine.valuetypes import SizeScalar
from daphnelib.operator.nodes.elementwise import ElementwiseOps
from daphnelib.operator.operation_node import ValueNode


class Scalar(ElementwiseOps, ValueNode):
    """A lazy scalar. ``compute()`` returns a numpy scalar (a Python str for strings)."""

    __slots__ = ()
    _kind = Kind.SCALAR

    def asType(self, dtype: str | None = None, vtype: str | None = None) -> Any:
        from daphnelib.operator.nodes.matrix import cast_node

        return cast_node(self, dtype, vtype)

    def compute(self, verbose: bool = False) -> Any:
        """Execute and return the value as a numpy scalar, as DaphneLib does."""
        return self._convert(self._evaluate(verbose))

    def _convert(self, value: Any, **_options: Any) -> Any:
        """What ``compute`` returns for this node's engine value."""
        if isinstance(value, SizeScalar):
            return np.uint64(value)
        return value
