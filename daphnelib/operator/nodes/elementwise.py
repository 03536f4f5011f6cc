"""Operators and elementwise builtins shared by Matrix and Scalar nodes.

The result of an elementwise op is a Matrix when either operand is a Matrix, else a Scalar
(the original returns a Scalar for Scalar∘Matrix; see docs/compatibility.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NoReturn, overload

import numpy as np

from daphnelib._native.nodecore import binary, install_elementwise
from daphnelib.operator.operation_node import OperationNode, literal, new_node

if TYPE_CHECKING:
    from typing import Self

    from daphnelib.context.daphne_context import DaphneContext
    from daphnelib.operator.nodes.matrix import Matrix
    from daphnelib.operator.nodes.scalar import Scalar

#: A literal operand: a Python or numpy number, bool or string.
Value = bool | int | float | str | np.generic


_PLAIN = frozenset((bool, int, float, str))


def check_operand(op: str, value: object) -> None:
    if type(value) in _PLAIN:  # the common literal operand: nothing to import or check
        return
    from daphnelib.operator.nodes.frame import Frame

    if isinstance(value, Frame):
        raise TypeError(f"{op!r} is not defined for frames; convert with toMatrix() first")
    if not isinstance(value, (OperationNode, bool, int, float, str, np.generic)):
        raise TypeError(f"unsupported operand for {op!r}: {type(value).__name__}")


# Operands that literal() returns unchanged: no message to format for them.
_AS_IS = frozenset((float, bool, str))
_classes: tuple[type[Matrix], type[Scalar]] | None = None


def _node_classes() -> tuple[type[Matrix], type[Scalar]]:
    """(Matrix, Scalar), imported once (their modules import this one)."""
    global _classes
    if _classes is None:
        from daphnelib.operator.nodes.matrix import Matrix
        from daphnelib.operator.nodes.scalar import Scalar

        _classes = (Matrix, Scalar)
    return _classes


def elementwise(op: str, lhs: Any, rhs: Any) -> Any:
    """A node for ``lhs op rhs`` whose class follows DAPHNE's typing (Matrix wins)."""
    Matrix, Scalar = _classes or _node_classes()
    # Matrix, Scalar and the operands literal() keeps as they are need no check.
    tl, tr = type(lhs), type(rhs)
    if tl is not Matrix and tl is not Scalar and tl not in _AS_IS:
        check_operand(op, lhs)
        if not isinstance(lhs, OperationNode):
            lhs = literal(f"the left operand of {op!r}", lhs)
    if tr is not Matrix and tr is not Scalar and tr not in _AS_IS:
        check_operand(op, rhs)
        if not isinstance(rhs, OperationNode):
            rhs = literal(f"the right operand of {op!r}", rhs)
    node = lhs if isinstance(lhs, OperationNode) else rhs
    if isinstance(lhs, Matrix):
        result = Matrix(node.daphne_context, op, (lhs, rhs))
        # The kept tensor shape (see kept_tensor_shape), for two operands.
        shape = lhs._tensor_shape
        if shape is not None and (not isinstance(rhs, Matrix) or rhs._tensor_shape == shape):
            result._tensor_shape = shape
        return result
    if isinstance(rhs, Matrix):
        result = Matrix(node.daphne_context, op, (lhs, rhs))
        result._tensor_shape = rhs._tensor_shape
        return result
    return Scalar(node.daphne_context, op, (lhs, rhs))


install_elementwise(elementwise, _node_classes)


def kept_tensor_shape(*operands: object) -> tuple[int, ...] | None:
    """The tensor shape an elementwise result keeps: that of its matrix operands when they
    all have the same one (scalars broadcast), else None (the result is a 2-D matrix)."""
    Matrix = _node_classes()[0]
    shapes = [o.tensor_shape for o in operands if isinstance(o, Matrix)]
    first = shapes[0] if shapes else None
    for shape in shapes:
        if shape != first:
            return None
    return first


class ElementwiseOps:
    """Python operators and DaphneDSL elementwise builtins for Matrix and Scalar.

    Every method builds a lazy node; nothing runs until ``compute()``. In the examples,
    ``dc = DaphneContext()`` and ``np`` is numpy.
    """

    __slots__ = ()

    daphne_context: DaphneContext

    def _unary(self, op: str) -> Self:
        node = new_node(type(self), self.daphne_context, op, self)  # type: ignore[arg-type]
        shape = getattr(self, "tensor_shape", None)
        return node if shape is None else node._with_tensor_shape(shape)  # type: ignore[no-any-return]

    # Python operators -------------------------------------------------------------------
    @overload
    def __add__(self, other: Matrix) -> Matrix: ...
    @overload
    def __add__(self, other: Scalar | Value) -> Self: ...
    def __add__(self, other: Matrix | Scalar | Value) -> Matrix | Scalar:
        """Elementwise sum ``self + other``.

        Parameters
        ----------
        other : Matrix, Scalar or value
            The right operand; a matrix operand broadcasts as in DaphneDSL (n x 1, 1 x m or
            1 x 1 against n x m).

        Returns
        -------
        Matrix or Scalar
            A lazy node: a Matrix if either operand is a Matrix, else a Scalar. Nothing is
            computed or copied until ``compute()``.

        Examples
        --------
        >>> X = dc.from_numpy(np.array([[1.0, 2.0]]))
        >>> (X + 1).compute()
        array([[2., 3.]])
        """
        return binary("+", self, other)

    def __radd__(self, other: Value) -> Self:
        """``other + self`` with a literal on the left; see :meth:`__add__`."""
        return binary("+", other, self)  # type: ignore[no-any-return]

    @overload
    def __sub__(self, other: Matrix) -> Matrix: ...
    @overload
    def __sub__(self, other: Scalar | Value) -> Self: ...
    def __sub__(self, other: Matrix | Scalar | Value) -> Matrix | Scalar:
        """Elementwise difference ``self - other``.

        Parameters
        ----------
        other : Matrix, Scalar or value
            The right operand; a matrix operand broadcasts as in DaphneDSL (n x 1, 1 x m or
            1 x 1 against n x m).

        Returns
        -------
        Matrix or Scalar
            A lazy node: a Matrix if either operand is a Matrix, else a Scalar. Nothing is
            computed or copied until ``compute()``.

        Examples
        --------
        >>> X = dc.from_numpy(np.array([[1.0, 2.0]]))
        >>> (X - 1).compute()
        array([[0., 1.]])
        """
        return binary("-", self, other)

    def __rsub__(self, other: Value) -> Self:
        """``other - self`` with a literal on the left; see :meth:`__sub__`."""
        return binary("-", other, self)  # type: ignore[no-any-return]

    @overload
    def __mul__(self, other: Matrix) -> Matrix: ...
    @overload
    def __mul__(self, other: Scalar | Value) -> Self: ...
    def __mul__(self, other: Matrix | Scalar | Value) -> Matrix | Scalar:
        """Elementwise product ``self * other`` (``@`` is the matrix product).

        Parameters
        ----------
        other : Matrix, Scalar or value
            The right operand; a matrix operand broadcasts as in DaphneDSL (n x 1, 1 x m or
            1 x 1 against n x m).

        Returns
        -------
        Matrix or Scalar
            A lazy node: a Matrix if either operand is a Matrix, else a Scalar. Nothing is
            computed or copied until ``compute()``.

        Examples
        --------
        >>> X = dc.from_numpy(np.array([[1.0, 2.0]]))
        >>> (X * X).compute()
        array([[1., 4.]])
        """
        return binary("*", self, other)

    def __rmul__(self, other: Value) -> Self:
        """``other * self`` with a literal on the left; see :meth:`__mul__`."""
        return binary("*", other, self)  # type: ignore[no-any-return]

    @overload
    def __truediv__(self, other: Matrix) -> Matrix: ...
    @overload
    def __truediv__(self, other: Scalar | Value) -> Self: ...
    def __truediv__(self, other: Matrix | Scalar | Value) -> Matrix | Scalar:
        """Elementwise quotient ``self / other``; integer division truncates, as in DAPHNE.

        Parameters
        ----------
        other : Matrix, Scalar or value
            The right operand; a matrix operand broadcasts as in DaphneDSL (n x 1, 1 x m or
            1 x 1 against n x m).

        Returns
        -------
        Matrix or Scalar
            A lazy node: a Matrix if either operand is a Matrix, else a Scalar. Nothing is
            computed or copied until ``compute()``.

        Examples
        --------
        >>> X = dc.from_numpy(np.array([[1.0, 2.0]]))
        >>> (X / 2).compute()
        array([[0.5, 1. ]])
        """
        return binary("/", self, other)

    def __rtruediv__(self, other: Value) -> Self:
        """``other / self`` with a literal on the left; see :meth:`__truediv__`."""
        return binary("/", other, self)  # type: ignore[no-any-return]

    @overload
    def __pow__(self, other: Matrix) -> Matrix: ...
    @overload
    def __pow__(self, other: Scalar | Value) -> Self: ...
    def __pow__(self, other: Matrix | Scalar | Value) -> Matrix | Scalar:
        """Elementwise power ``self ** other`` (DaphneDSL ``^``).

        Parameters
        ----------
        other : Matrix, Scalar or value
            The right operand; a matrix operand broadcasts as in DaphneDSL (n x 1, 1 x m or
            1 x 1 against n x m).

        Returns
        -------
        Matrix or Scalar
            A lazy node: a Matrix if either operand is a Matrix, else a Scalar. Nothing is
            computed or copied until ``compute()``.

        Examples
        --------
        >>> X = dc.from_numpy(np.array([[1.0, 2.0]]))
        >>> (X ** 2).compute()
        array([[1., 4.]])
        """
        return binary("^", self, other)

    def __rpow__(self, other: Value) -> Self:
        """``other ** self`` with a literal on the left; see :meth:`__pow__`."""
        return binary("^", other, self)  # type: ignore[no-any-return]

    @overload
    def __mod__(self, other: Matrix) -> Matrix: ...
    @overload
    def __mod__(self, other: Scalar | Value) -> Self: ...
    def __mod__(self, other: Matrix | Scalar | Value) -> Matrix | Scalar:
        """Elementwise C remainder ``self % other`` (the sign follows ``self``).

        Parameters
        ----------
        other : Matrix, Scalar or value
            The right operand; a matrix operand broadcasts as in DaphneDSL (n x 1, 1 x m or
            1 x 1 against n x m).

        Returns
        -------
        Matrix or Scalar
            A lazy node: a Matrix if either operand is a Matrix, else a Scalar. Nothing is
            computed or copied until ``compute()``.

        Examples
        --------
        >>> X = dc.from_numpy(np.array([[1.0, 2.0]]))
        >>> (X % 2).compute()
        array([[1., 0.]])
        """
        return binary("%", self, other)

    def __rmod__(self, other: Value) -> Self:
        """``other % self`` with a literal on the left; see :meth:`__mod__`."""
        return binary("%", other, self)  # type: ignore[no-any-return]

    def __floordiv__(self, other: object) -> NoReturn:
        """Not defined: DaphneDSL has no floor division.

        Raises
        ------
        TypeError
            Always; use ``(a / b).floor()`` (integer ``/`` already truncates).
        """
        raise TypeError("DaphneDSL has no floor-division operator; use (a / b).floor() "
                        "(integer '/' already truncates)")

    __rfloordiv__ = __floordiv__

    @overload
    def __lt__(self, other: Matrix) -> Matrix: ...
    @overload
    def __lt__(self, other: Scalar | Value) -> Self: ...
    def __lt__(self, other: Matrix | Scalar | Value) -> Matrix | Scalar:
        """Elementwise ``self < other`` as 0/1 in the operands' value type.

        Parameters
        ----------
        other : Matrix, Scalar or value
            The right operand; a matrix operand broadcasts as in DaphneDSL (n x 1, 1 x m or
            1 x 1 against n x m).

        Returns
        -------
        Matrix or Scalar
            A lazy node: a Matrix if either operand is a Matrix, else a Scalar. Nothing is
            computed or copied until ``compute()``.

        Examples
        --------
        >>> X = dc.from_numpy(np.array([[1.0, 2.0]]))
        >>> (X < 2).compute()
        array([[1., 0.]])
        """
        return binary("<", self, other)

    @overload
    def __le__(self, other: Matrix) -> Matrix: ...
    @overload
    def __le__(self, other: Scalar | Value) -> Self: ...
    def __le__(self, other: Matrix | Scalar | Value) -> Matrix | Scalar:
        """Elementwise ``self <= other`` as 0/1 in the operands' value type.

        Parameters
        ----------
        other : Matrix, Scalar or value
            The right operand; a matrix operand broadcasts as in DaphneDSL (n x 1, 1 x m or
            1 x 1 against n x m).

        Returns
        -------
        Matrix or Scalar
            A lazy node: a Matrix if either operand is a Matrix, else a Scalar. Nothing is
            computed or copied until ``compute()``.

        Examples
        --------
        >>> X = dc.from_numpy(np.array([[1.0, 2.0]]))
        >>> (X <= 1).compute()
        array([[1., 0.]])
        """
        return binary("<=", self, other)

    @overload
    def __gt__(self, other: Matrix) -> Matrix: ...
    @overload
    def __gt__(self, other: Scalar | Value) -> Self: ...
    def __gt__(self, other: Matrix | Scalar | Value) -> Matrix | Scalar:
        """Elementwise ``self > other`` as 0/1 in the operands' value type.

        Parameters
        ----------
        other : Matrix, Scalar or value
            The right operand; a matrix operand broadcasts as in DaphneDSL (n x 1, 1 x m or
            1 x 1 against n x m).

        Returns
        -------
        Matrix or Scalar
            A lazy node: a Matrix if either operand is a Matrix, else a Scalar. Nothing is
            computed or copied until ``compute()``.

        Examples
        --------
        >>> X = dc.from_numpy(np.array([[1.0, 2.0]]))
        >>> (X > 1).compute()
        array([[0., 1.]])
        """
        return binary(">", self, other)

    @overload
    def __ge__(self, other: Matrix) -> Matrix: ...
    @overload
    def __ge__(self, other: Scalar | Value) -> Self: ...
    def __ge__(self, other: Matrix | Scalar | Value) -> Matrix | Scalar:
        """Elementwise ``self >= other`` as 0/1 in the operands' value type.

        Parameters
        ----------
        other : Matrix, Scalar or value
            The right operand; a matrix operand broadcasts as in DaphneDSL (n x 1, 1 x m or
            1 x 1 against n x m).

        Returns
        -------
        Matrix or Scalar
            A lazy node: a Matrix if either operand is a Matrix, else a Scalar. Nothing is
            computed or copied until ``compute()``.

        Examples
        --------
        >>> X = dc.from_numpy(np.array([[1.0, 2.0]]))
        >>> (X >= 2).compute()
        array([[0., 1.]])
        """
        return binary(">=", self, other)

    @overload
    def __eq__(self, other: Matrix) -> Matrix: ...  # type: ignore[override]
    @overload
    def __eq__(self, other: Scalar | Value) -> Self: ...  # type: ignore[override]
    def __eq__(self, other: Matrix | Scalar | Value) -> Matrix | Scalar:  # type: ignore[override]
        """Elementwise ``self == other`` as 0/1 (a node, not a bool, as in DaphneLib).

        Parameters
        ----------
        other : Matrix, Scalar or value
            The right operand; a matrix operand broadcasts as in DaphneDSL (n x 1, 1 x m or
            1 x 1 against n x m).

        Returns
        -------
        Matrix or Scalar
            A lazy node: a Matrix if either operand is a Matrix, else a Scalar. Nothing is
            computed or copied until ``compute()``.

        Examples
        --------
        >>> X = dc.from_numpy(np.array([[1.0, 2.0]]))
        >>> (X == 2).compute()
        array([[0., 1.]])
        """
        return binary("==", self, other)

    @overload
    def __ne__(self, other: Matrix) -> Matrix: ...  # type: ignore[override]
    @overload
    def __ne__(self, other: Scalar | Value) -> Self: ...  # type: ignore[override]
    def __ne__(self, other: Matrix | Scalar | Value) -> Matrix | Scalar:  # type: ignore[override]
        """Elementwise ``self != other`` as 0/1 (a node, not a bool).

        Parameters
        ----------
        other : Matrix, Scalar or value
            The right operand; a matrix operand broadcasts as in DaphneDSL (n x 1, 1 x m or
            1 x 1 against n x m).

        Returns
        -------
        Matrix or Scalar
            A lazy node: a Matrix if either operand is a Matrix, else a Scalar. Nothing is
            computed or copied until ``compute()``.

        Examples
        --------
        >>> X = dc.from_numpy(np.array([[1.0, 2.0]]))
        >>> (X != 2).compute()
        array([[1., 0.]])
        """
        return binary("!=", self, other)

    __hash__ = None  # type: ignore[assignment]  # == builds a node, as in DaphneLib

    def __neg__(self) -> Self:
        """Elementwise negation ``-self`` (DaphneDSL ``-x``).

        Returns
        -------
        Matrix or Scalar
            A lazy node of the same kind and shape as ``self``.
        """
        return self._unary("minus")

    # Elementwise unary builtins ---------------------------------------------------------
    def abs(self) -> Self:
        """Elementwise absolute value (DaphneDSL ``abs``).

        Returns
        -------
        Matrix or Scalar
            A lazy node of the same kind and shape as ``self``; its value type follows
            DAPHNE's rules for ``abs``.

        Examples
        --------
        >>> dc.from_numpy(np.array([[-1.0, 2.0]])).abs().compute()
        array([[1., 2.]])
        """
        return self._unary("abs")

    def sign(self) -> Self:
        """Elementwise sign: -1, 0 or 1 (DaphneDSL ``sign``).

        Returns
        -------
        Matrix or Scalar
            A lazy node of the same kind and shape as ``self``; its value type follows
            DAPHNE's rules for ``sign``.

        Examples
        --------
        >>> dc.from_numpy(np.array([[-1.0, 2.0]])).sign().compute()
        array([[-1.,  1.]])
        """
        return self._unary("sign")

    def exp(self) -> Self:
        """Elementwise exponential (DaphneDSL ``exp``).

        Returns
        -------
        Matrix or Scalar
            A lazy node of the same kind and shape as ``self``; its value type follows
            DAPHNE's rules for ``exp``.

        Examples
        --------
        >>> dc.from_numpy(np.array([[0.0, 1.0]])).exp().compute()
        array([[1.        , 2.71828183]])
        """
        return self._unary("exp")

    def ln(self) -> Self:
        """Elementwise natural logarithm (DaphneDSL ``ln``).

        Returns
        -------
        Matrix or Scalar
            A lazy node of the same kind and shape as ``self``; its value type follows
            DAPHNE's rules for ``ln``.

        Examples
        --------
        >>> dc.from_numpy(np.array([[1.0, 100.0]])).ln().compute()
        array([[0.        , 4.60517019]])
        """
        return self._unary("ln")

    def sqrt(self) -> Self:
        """Elementwise square root (DaphneDSL ``sqrt``).

        Returns
        -------
        Matrix or Scalar
            A lazy node of the same kind and shape as ``self``; its value type follows
            DAPHNE's rules for ``sqrt``.

        Examples
        --------
        >>> dc.from_numpy(np.array([[4.0, 9.0]])).sqrt().compute()
        array([[2., 3.]])
        """
        return self._unary("sqrt")

    def round(self) -> Self:
        """Elementwise rounding, halves away from zero (as DAPHNE) (DaphneDSL ``round``).

        Returns
        -------
        Matrix or Scalar
            A lazy node of the same kind and shape as ``self``; its value type follows
            DAPHNE's rules for ``round``.

        Examples
        --------
        >>> dc.from_numpy(np.array([[0.5, -1.5]])).round().compute()
        array([[ 1., -2.]])
        """
        return self._unary("round")

    def floor(self) -> Self:
        """Elementwise rounding down (DaphneDSL ``floor``).

        Returns
        -------
        Matrix or Scalar
            A lazy node of the same kind and shape as ``self``; its value type follows
            DAPHNE's rules for ``floor``.

        Examples
        --------
        >>> dc.from_numpy(np.array([[1.5, -1.5]])).floor().compute()
        array([[ 1., -2.]])
        """
        return self._unary("floor")

    def ceil(self) -> Self:
        """Elementwise rounding up (DaphneDSL ``ceil``).

        Returns
        -------
        Matrix or Scalar
            A lazy node of the same kind and shape as ``self``; its value type follows
            DAPHNE's rules for ``ceil``.

        Examples
        --------
        >>> dc.from_numpy(np.array([[1.5, -1.5]])).ceil().compute()
        array([[ 2., -1.]])
        """
        return self._unary("ceil")

    def sin(self) -> Self:
        """Elementwise sine (radians) (DaphneDSL ``sin``).

        Returns
        -------
        Matrix or Scalar
            A lazy node of the same kind and shape as ``self``; its value type follows
            DAPHNE's rules for ``sin``.

        Examples
        --------
        >>> dc.from_numpy(np.array([[0.0, 1.5]])).sin().compute()
        array([[0.        , 0.99749499]])
        """
        return self._unary("sin")

    def cos(self) -> Self:
        """Elementwise cosine (radians) (DaphneDSL ``cos``).

        Returns
        -------
        Matrix or Scalar
            A lazy node of the same kind and shape as ``self``; its value type follows
            DAPHNE's rules for ``cos``.

        Examples
        --------
        >>> dc.from_numpy(np.array([[0.0, 1.5]])).cos().compute()
        array([[1.       , 0.0707372]])
        """
        return self._unary("cos")

    def tan(self) -> Self:
        """Elementwise tangent (radians) (DaphneDSL ``tan``).

        Returns
        -------
        Matrix or Scalar
            A lazy node of the same kind and shape as ``self``; its value type follows
            DAPHNE's rules for ``tan``.

        Examples
        --------
        >>> dc.from_numpy(np.array([[0.0, 0.5]])).tan().compute()
        array([[0.        , 0.54630249]])
        """
        return self._unary("tan")

    def sinh(self) -> Self:
        """Elementwise hyperbolic sine (DaphneDSL ``sinh``).

        Returns
        -------
        Matrix or Scalar
            A lazy node of the same kind and shape as ``self``; its value type follows
            DAPHNE's rules for ``sinh``.

        Examples
        --------
        >>> dc.from_numpy(np.array([[0.0, 1.0]])).sinh().compute()
        array([[0.        , 1.17520119]])
        """
        return self._unary("sinh")

    def cosh(self) -> Self:
        """Elementwise hyperbolic cosine (DaphneDSL ``cosh``).

        Returns
        -------
        Matrix or Scalar
            A lazy node of the same kind and shape as ``self``; its value type follows
            DAPHNE's rules for ``cosh``.

        Examples
        --------
        >>> dc.from_numpy(np.array([[0.0, 1.0]])).cosh().compute()
        array([[1.        , 1.54308063]])
        """
        return self._unary("cosh")

    def tanh(self) -> Self:
        """Elementwise hyperbolic tangent (DaphneDSL ``tanh``).

        Returns
        -------
        Matrix or Scalar
            A lazy node of the same kind and shape as ``self``; its value type follows
            DAPHNE's rules for ``tanh``.

        Examples
        --------
        >>> dc.from_numpy(np.array([[0.0, 1.0]])).tanh().compute()
        array([[0.        , 0.76159416]])
        """
        return self._unary("tanh")

    def asin(self) -> Self:
        """Elementwise arc sine (DaphneDSL ``asin``).

        Returns
        -------
        Matrix or Scalar
            A lazy node of the same kind and shape as ``self``; its value type follows
            DAPHNE's rules for ``asin``.

        Examples
        --------
        >>> dc.from_numpy(np.array([[0.0, 1.0]])).asin().compute()
        array([[0.        , 1.57079633]])
        """
        return self._unary("asin")

    def acos(self) -> Self:
        """Elementwise arc cosine (DaphneDSL ``acos``).

        Returns
        -------
        Matrix or Scalar
            A lazy node of the same kind and shape as ``self``; its value type follows
            DAPHNE's rules for ``acos``.

        Examples
        --------
        >>> dc.from_numpy(np.array([[0.0, 1.0]])).acos().compute()
        array([[1.57079633, 0.        ]])
        """
        return self._unary("acos")

    def atan(self) -> Self:
        """Elementwise arc tangent (DaphneDSL ``atan``).

        Returns
        -------
        Matrix or Scalar
            A lazy node of the same kind and shape as ``self``; its value type follows
            DAPHNE's rules for ``atan``.

        Examples
        --------
        >>> dc.from_numpy(np.array([[0.0, 1.0]])).atan().compute()
        array([[0.        , 0.78539816]])
        """
        return self._unary("atan")

    def isNan(self) -> Self:
        """Elementwise NaN test as 0/1 (DaphneDSL ``isNan``).

        Returns
        -------
        Matrix or Scalar
            A lazy node of the same kind and shape as ``self``; its value type follows
            DAPHNE's rules for ``isNan``.

        Examples
        --------
        >>> dc.from_numpy(np.array([[-1.0, 2.0]])).isNan().compute()
        array([[0., 0.]])
        """
        return self._unary("isNan")

    # Elementwise binary builtins --------------------------------------------------------
    @overload
    def pow(self, other: Matrix) -> Matrix: ...
    @overload
    def pow(self, other: Scalar | Value) -> Self: ...
    def pow(self, other: Matrix | Scalar | Value) -> Matrix | Scalar:
        """Elementwise power (DaphneDSL ``pow``).

        Parameters
        ----------
        other : Matrix, Scalar or value
            The right operand; a matrix operand broadcasts as in DaphneDSL (n x 1, 1 x m or
            1 x 1 against n x m).

        Returns
        -------
        Matrix or Scalar
            A lazy node: a Matrix if either operand is a Matrix, else a Scalar. Nothing is
            computed or copied until ``compute()``.

        Examples
        --------
        >>> X = dc.from_numpy(np.array([[1.0, 2.0]]))
        >>> (X.pow(2)).compute()
        array([[1., 4.]])
        """
        return binary("pow", self, other)

    @overload
    def log(self, other: Matrix) -> Matrix: ...
    @overload
    def log(self, other: Scalar | Value) -> Self: ...
    def log(self, other: Matrix | Scalar | Value) -> Matrix | Scalar:
        """Elementwise logarithm of ``self`` to the base ``other``.

        Parameters
        ----------
        other : Matrix, Scalar or value
            The right operand; a matrix operand broadcasts as in DaphneDSL (n x 1, 1 x m or
            1 x 1 against n x m).

        Returns
        -------
        Matrix or Scalar
            A lazy node: a Matrix if either operand is a Matrix, else a Scalar. Nothing is
            computed or copied until ``compute()``.

        Examples
        --------
        >>> X = dc.from_numpy(np.array([[1.0, 2.0]]))
        >>> (X.log(2)).compute()
        array([[0., 1.]])
        """
        return binary("log", self, other)

    @overload
    def mod(self, other: Matrix) -> Matrix: ...
    @overload
    def mod(self, other: Scalar | Value) -> Self: ...
    def mod(self, other: Matrix | Scalar | Value) -> Matrix | Scalar:
        """Elementwise C remainder (DaphneDSL ``mod``).

        Parameters
        ----------
        other : Matrix, Scalar or value
            The right operand; a matrix operand broadcasts as in DaphneDSL (n x 1, 1 x m or
            1 x 1 against n x m).

        Returns
        -------
        Matrix or Scalar
            A lazy node: a Matrix if either operand is a Matrix, else a Scalar. Nothing is
            computed or copied until ``compute()``.

        Examples
        --------
        >>> X = dc.from_numpy(np.array([[1.0, 2.0]]))
        >>> (X.mod(2)).compute()
        array([[1., 0.]])
        """
        return binary("mod", self, other)

    @overload
    def min(self, other: Matrix) -> Matrix: ...
    @overload
    def min(self, other: Scalar | Value) -> Self: ...
    def min(self, other: Matrix | Scalar | Value) -> Matrix | Scalar:
        """Elementwise minimum of ``self`` and ``other``.

        Parameters
        ----------
        other : Matrix, Scalar or value
            The right operand; a matrix operand broadcasts as in DaphneDSL (n x 1, 1 x m or
            1 x 1 against n x m).

        Returns
        -------
        Matrix or Scalar
            A lazy node: a Matrix if either operand is a Matrix, else a Scalar. Nothing is
            computed or copied until ``compute()``.

        Examples
        --------
        >>> X = dc.from_numpy(np.array([[1.0, 2.0]]))
        >>> (X.min(1.5)).compute()
        array([[1. , 1.5]])
        """
        return binary("min", self, other)

    @overload
    def max(self, other: Matrix) -> Matrix: ...
    @overload
    def max(self, other: Scalar | Value) -> Self: ...
    def max(self, other: Matrix | Scalar | Value) -> Matrix | Scalar:
        """Elementwise maximum of ``self`` and ``other``.

        Parameters
        ----------
        other : Matrix, Scalar or value
            The right operand; a matrix operand broadcasts as in DaphneDSL (n x 1, 1 x m or
            1 x 1 against n x m).

        Returns
        -------
        Matrix or Scalar
            A lazy node: a Matrix if either operand is a Matrix, else a Scalar. Nothing is
            computed or copied until ``compute()``.

        Examples
        --------
        >>> X = dc.from_numpy(np.array([[1.0, 2.0]]))
        >>> (X.max(1.5)).compute()
        array([[1.5, 2. ]])
        """
        return binary("max", self, other)

