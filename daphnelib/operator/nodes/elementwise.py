"""Operators and elementwise builtins shared by Matrix and Scalar nodes.

The result of an elementwise op is a Matrix when either operand is a Matrix, else a Scalar
(the original returns a Scalar for Scalar∘Matrix; see docs/compatibility.md).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from daphnelib.operator.operation_node import OperationNode, literal, new_node

Operand = Any  # a node or a Python/numpy number, bool or str


def check_operand(op: str, value: Operand) -> None:
    from daphnelib.operator.nodes.frame import Frame

    if isinstance(value, Frame):
        raise TypeError(f"{op!r} is not defined for frames; convert with toMatrix() first")
    if not isinstance(value, (OperationNode, bool, int, float, str, np.generic)):
        raise TypeError(f"unsupported operand for {op!r}: {type(value).__name__}")


def elementwise(op: str, lhs: Operand, rhs: Operand) -> Any:
    """A node for ``lhs op rhs`` whose class follows DAPHNE's typing (Matrix wins)."""
    from daphnelib.operator.nodes.matrix import Matrix
    from daphnelib.operator.nodes.scalar import Scalar

    check_operand(op, lhs)
    check_operand(op, rhs)
    lhs, rhs = literal(f"the left operand of {op!r}", lhs), literal(
        f"the right operand of {op!r}", rhs)
    node = lhs if isinstance(lhs, OperationNode) else rhs
    if isinstance(lhs, Matrix) or isinstance(rhs, Matrix):
        return new_node(Matrix, node.daphne_context, op, lhs, rhs)._with_tensor_shape(
            kept_tensor_shape(lhs, rhs))
    return new_node(Scalar, node.daphne_context, op, lhs, rhs)


def kept_tensor_shape(*operands: Operand) -> tuple[int, ...] | None:
    """The tensor shape an elementwise result keeps: that of its matrix operands when they
    all have the same one (scalars broadcast), else None (the result is a 2-D matrix)."""
    from daphnelib.operator.nodes.matrix import Matrix

    shapes = {o.tensor_shape for o in operands if isinstance(o, Matrix)}
    return shapes.pop() if len(shapes) == 1 else None


class ElementwiseOps:
    """Python operators and DaphneDSL elementwise builtins for Matrix and Scalar."""

    __slots__ = ()

    def _unary(self, op: str) -> Any:
        node = new_node(type(self), self.daphne_context, op, self)
        shape = getattr(self, "tensor_shape", None)
        return node if shape is None else node._with_tensor_shape(shape)

    # Python operators -------------------------------------------------------------------
    def __add__(self, other: Operand) -> Any:
        return elementwise("+", self, other)

    def __radd__(self, other: Operand) -> Any:
        return elementwise("+", other, self)

    def __sub__(self, other: Operand) -> Any:
        return elementwise("-", self, other)

    def __rsub__(self, other: Operand) -> Any:
        return elementwise("-", other, self)

    def __mul__(self, other: Operand) -> Any:
        return elementwise("*", self, other)

    def __rmul__(self, other: Operand) -> Any:
        return elementwise("*", other, self)

    def __truediv__(self, other: Operand) -> Any:
        return elementwise("/", self, other)

    def __rtruediv__(self, other: Operand) -> Any:
        return elementwise("/", other, self)

    def __pow__(self, other: Operand) -> Any:
        return elementwise("^", self, other)

    def __rpow__(self, other: Operand) -> Any:
        return elementwise("^", other, self)

    def __mod__(self, other: Operand) -> Any:
        return elementwise("%", self, other)

    def __rmod__(self, other: Operand) -> Any:
        return elementwise("%", other, self)

    def __floordiv__(self, other: Operand) -> Any:
        raise TypeError("DaphneDSL has no floor-division operator; use (a / b).floor() "
                        "(integer '/' already truncates)")

    __rfloordiv__ = __floordiv__

    def __lt__(self, other: Operand) -> Any:
        return elementwise("<", self, other)

    def __le__(self, other: Operand) -> Any:
        return elementwise("<=", self, other)

    def __gt__(self, other: Operand) -> Any:
        return elementwise(">", self, other)

    def __ge__(self, other: Operand) -> Any:
        return elementwise(">=", self, other)

    def __eq__(self, other: Operand) -> Any:  # type: ignore[override]
        return elementwise("==", self, other)

    def __ne__(self, other: Operand) -> Any:  # type: ignore[override]
        return elementwise("!=", self, other)

    __hash__ = None  # type: ignore[assignment]  # == builds a node, as in DaphneLib

    def __neg__(self) -> Any:
        return self._unary("minus")

    # Elementwise unary builtins ---------------------------------------------------------
    def abs(self) -> Any:
        return self._unary("abs")

    def sign(self) -> Any:
        return self._unary("sign")

    def exp(self) -> Any:
        return self._unary("exp")

    def ln(self) -> Any:
        return self._unary("ln")

    def sqrt(self) -> Any:
        return self._unary("sqrt")

    def round(self) -> Any:
        return self._unary("round")

    def floor(self) -> Any:
        return self._unary("floor")

    def ceil(self) -> Any:
        return self._unary("ceil")

    def sin(self) -> Any:
        return self._unary("sin")

    def cos(self) -> Any:
        return self._unary("cos")

    def tan(self) -> Any:
        return self._unary("tan")

    def sinh(self) -> Any:
        return self._unary("sinh")

    def cosh(self) -> Any:
        return self._unary("cosh")

    def tanh(self) -> Any:
        return self._unary("tanh")

    def asin(self) -> Any:
        return self._unary("asin")

    def acos(self) -> Any:
        return self._unary("acos")

    def atan(self) -> Any:
        return self._unary("atan")

    def isNan(self) -> Any:
        return self._unary("isNan")

    # Elementwise binary builtins --------------------------------------------------------
    def pow(self, other: Operand) -> Any:
        return elementwise("pow", self, other)

    def log(self, other: Operand) -> Any:
        return elementwise("log", self, other)

    def mod(self, other: Operand) -> Any:
        return elementwise("mod", self, other)

    def min(self, other: Operand) -> Any:
        return elementwise("min", self, other)

    def max(self, other: Operand) -> Any:
        return elementwise("max", self, other)
