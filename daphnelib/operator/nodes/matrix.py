"""``Matrix``: a lazy DAPHNE matrix (DaphneLib's ``daphne.operator.nodes.matrix``)."""

from __future__ import annotations

from collections.abc import Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Any, Literal, TypeAlias, overload

import numpy as np

from daphnelib.engine.program import Kind
from daphnelib.engine.values import CSRMatrix
from daphnelib.engine.valuetypes import DTYPE_OF_VT
from daphnelib.operator.nodes.elementwise import ElementwiseOps, Value, check_operand
from daphnelib.operator.operation_node import OperationNode, ShapedNode, new_node

if TYPE_CHECKING:
    import numpy.typing as npt
    import tensorflow as tf
    import torch

    from daphnelib.operator.nodes.frame import Frame
    from daphnelib.operator.nodes.scalar import Scalar

    #: One position spec of ``X[rows, cols]``: a position, a range, or a matrix of positions.
    IndexKey: TypeAlias = "int | np.integer[Any] | slice | Matrix"
    Axis: TypeAlias = Literal[0, 1]
    #: A result shape for ``compute(shape=...)``: what ``return_shape=True`` reported.
    Shape: TypeAlias = "Sequence[int] | tf.TensorShape"

#: How ``compute()`` moves the result: through shared memory, or CSV + .meta files.
TransferType = Literal["shared memory", "files"]
#: DAPHNE's value types, as ``asType(vtype=...)`` and ``toMatrix(value_type=...)`` name them.
ValueType = Literal["f64", "f32", "si64", "si32", "si8", "ui64", "ui32", "ui8", "str", "bool"]
#: DAPHNE's data types, as ``asType(dtype=...)`` names them.
DataType = Literal["matrix", "frame", "scalar"]

_DATA_TYPES = ("matrix", "frame", "scalar")
_VALUE_TYPES = tuple(vt for vt in DTYPE_OF_VT if vt != "size")


def check_axis(axis: int | None, *, required: bool = False) -> None:
    if axis is None and not required:
        return
    if axis not in (0, 1) or isinstance(axis, bool):
        raise ValueError(f"axis must be 0 (per row) or 1 (per column), got {axis!r}")


def index_key(key: Any, *, left: bool = False) -> Any:
    """Validate one position spec of ``X[rows, cols]``."""
    if isinstance(key, slice):
        if key.step not in (None, 1):
            raise ValueError(f"DaphneDSL ranges have no step; got step {key.step}")
        for bound in (key.start, key.stop):
            if bound is not None and not isinstance(bound, (int, np.integer, OperationNode)):
                raise TypeError(f"range bounds must be ints, got {type(bound).__name__}")
        return key
    if isinstance(key, (int, np.integer)) and not isinstance(key, bool):
        return int(key)
    if isinstance(key, Matrix) and not left:
        return key
    allowed = "ints and ranges" if left else "ints, ranges and position matrices"
    raise TypeError(f"matrix indexes must be {allowed}, got {type(key).__name__}")


def split_key(key: Any) -> tuple[Any, Any]:
    if not isinstance(key, tuple) or len(key) != 2:
        raise TypeError("index a matrix with exactly two keys: X[rows, cols] (use : for all)")
    return key[0], key[1]


class Matrix(ElementwiseOps, ShapedNode):
    """A lazy matrix. ``compute()`` returns a 2-D numpy array over the engine's buffer.

    A matrix made from an n-d tensor (``from_pytorch``, ``from_tensorflow``, ``from_dlpack``)
    remembers the tensor's shape; elementwise ops, casts and ``ifElse`` whose other operands
    are scalars or matrices of the same shape keep it, so tensor exports (``asPyTorch``,
    ``asTensorFlow``, ``__dlpack__``) give that shape back. Every other op computes on the 2-D
    view ``(shape[0], -1)`` (rank 1: n x 1, rank 0: 1 x 1) and its result is 2-D.
    """

    __slots__ = ()
    _kind = Kind.MATRIX

    @property
    def tensor_shape(self) -> tuple[int, ...] | None:
        """The n-d shape tensor exports give this matrix, or None for a plain 2-D matrix."""
        return self._tensor_shape

    def _with_tensor_shape(self, shape: tuple[int, ...] | None) -> Matrix:
        if shape is not None and len(shape) != 2:
            self._tensor_shape = tuple(shape)
        return self

    def _new(self, op: str, *args: Any) -> Matrix:
        return Matrix(self.daphne_context, op, (self, *args))

    # -- matrix product -----------------------------------------------------------------
    def __matmul__(self, other: Matrix) -> Matrix:
        if not isinstance(other, Matrix):
            raise TypeError(f"'@' needs two matrices, got {type(other).__name__}")
        return self._new("@", other)

    def __rmatmul__(self, other: Any) -> Matrix:
        raise TypeError(f"'@' needs two matrices, got {type(other).__name__}")

    # -- outer operations ---------------------------------------------------------------
    def _outer(self, op: str, other: Matrix | Scalar | Value) -> Matrix:
        check_operand(op, other)
        return self._new(op, other)

    def outerAdd(self, other: Matrix | Scalar | Value) -> Matrix:
        """Outer sum of a column and a row (DaphneDSL ``outerAdd``).

        ``result[i, j] = self[i, 0] op other[0, j]``.

        Parameters
        ----------
        other : Matrix, Scalar or value
            A 1 x m row matrix (``self`` is n x 1).

        Returns
        -------
        Matrix
            A lazy n x m matrix.

        Examples
        --------
        >>> col = dc.from_numpy(np.array([[1.0], [2.0]]))
        >>> row = dc.from_numpy(np.array([[10.0, 20.0]]))
        >>> col.outerAdd(row).compute()
        array([[11., 21.],
               [12., 22.]])
        """
        return self._outer("outerAdd", other)

    def outerSub(self, other: Matrix | Scalar | Value) -> Matrix:
        """Outer difference of a column and a row (DaphneDSL ``outerSub``).

        ``result[i, j] = self[i, 0] op other[0, j]``.

        Parameters
        ----------
        other : Matrix, Scalar or value
            A 1 x m row matrix (``self`` is n x 1).

        Returns
        -------
        Matrix
            A lazy n x m matrix.

        Examples
        --------
        >>> col = dc.from_numpy(np.array([[1.0], [4.0]]))
        >>> row = dc.from_numpy(np.array([[2.0, 3.0]]))
        >>> col.outerSub(row).compute()
        array([[-1., -2.],
               [ 2.,  1.]])
        """
        return self._outer("outerSub", other)

    def outerMul(self, other: Matrix | Scalar | Value) -> Matrix:
        """Outer product of a column and a row (DaphneDSL ``outerMul``).

        ``result[i, j] = self[i, 0] op other[0, j]``.

        Parameters
        ----------
        other : Matrix, Scalar or value
            A 1 x m row matrix (``self`` is n x 1).

        Returns
        -------
        Matrix
            A lazy n x m matrix.

        Examples
        --------
        >>> col = dc.from_numpy(np.array([[1.0], [4.0]]))
        >>> row = dc.from_numpy(np.array([[2.0, 3.0]]))
        >>> col.outerMul(row).compute()
        array([[ 2.,  3.],
               [ 8., 12.]])
        """
        return self._outer("outerMul", other)

    def outerDiv(self, other: Matrix | Scalar | Value) -> Matrix:
        """Outer quotient of a column and a row (DaphneDSL ``outerDiv``).

        ``result[i, j] = self[i, 0] op other[0, j]``.

        Parameters
        ----------
        other : Matrix, Scalar or value
            A 1 x m row matrix (``self`` is n x 1).

        Returns
        -------
        Matrix
            A lazy n x m matrix.

        Examples
        --------
        >>> col = dc.from_numpy(np.array([[1.0], [4.0]]))
        >>> row = dc.from_numpy(np.array([[2.0, 3.0]]))
        >>> col.outerDiv(row).compute()
        array([[0.5       , 0.33333333],
               [2.        , 1.33333333]])
        """
        return self._outer("outerDiv", other)

    def outerPow(self, other: Matrix | Scalar | Value) -> Matrix:
        """Outer power of a column and a row (DaphneDSL ``outerPow``).

        ``result[i, j] = self[i, 0] op other[0, j]``.

        Parameters
        ----------
        other : Matrix, Scalar or value
            A 1 x m row matrix (``self`` is n x 1).

        Returns
        -------
        Matrix
            A lazy n x m matrix.

        Examples
        --------
        >>> col = dc.from_numpy(np.array([[1.0], [4.0]]))
        >>> row = dc.from_numpy(np.array([[2.0, 3.0]]))
        >>> col.outerPow(row).compute()
        array([[ 1.,  1.],
               [16., 64.]])
        """
        return self._outer("outerPow", other)

    def outerLog(self, other: Matrix | Scalar | Value) -> Matrix:
        """Outer logarithm of a column and a row (DaphneDSL ``outerLog``).

        ``result[i, j] = self[i, 0] op other[0, j]``.

        Parameters
        ----------
        other : Matrix, Scalar or value
            A 1 x m row matrix (``self`` is n x 1).

        Returns
        -------
        Matrix
            A lazy n x m matrix.

        Examples
        --------
        >>> col = dc.from_numpy(np.array([[1.0], [4.0]]))
        >>> row = dc.from_numpy(np.array([[2.0, 3.0]]))
        >>> col.outerLog(row).compute()
        array([[0.        , 0.        ],
               [2.        , 1.26185951]])
        """
        return self._outer("outerLog", other)

    def outerMod(self, other: Matrix | Scalar | Value) -> Matrix:
        """Outer remainder of a column and a row (DaphneDSL ``outerMod``).

        ``result[i, j] = self[i, 0] op other[0, j]``.

        Parameters
        ----------
        other : Matrix, Scalar or value
            A 1 x m row matrix (``self`` is n x 1).

        Returns
        -------
        Matrix
            A lazy n x m matrix.

        Examples
        --------
        >>> col = dc.from_numpy(np.array([[1.0], [4.0]]))
        >>> row = dc.from_numpy(np.array([[2.0, 3.0]]))
        >>> col.outerMod(row).compute()
        array([[1., 1.],
               [0., 1.]])
        """
        return self._outer("outerMod", other)

    def outerMin(self, other: Matrix | Scalar | Value) -> Matrix:
        """Outer minimum of a column and a row (DaphneDSL ``outerMin``).

        ``result[i, j] = self[i, 0] op other[0, j]``.

        Parameters
        ----------
        other : Matrix, Scalar or value
            A 1 x m row matrix (``self`` is n x 1).

        Returns
        -------
        Matrix
            A lazy n x m matrix.

        Examples
        --------
        >>> col = dc.from_numpy(np.array([[1.0], [4.0]]))
        >>> row = dc.from_numpy(np.array([[2.0, 3.0]]))
        >>> col.outerMin(row).compute()
        array([[1., 1.],
               [2., 3.]])
        """
        return self._outer("outerMin", other)

    def outerMax(self, other: Matrix | Scalar | Value) -> Matrix:
        """Outer maximum of a column and a row (DaphneDSL ``outerMax``).

        ``result[i, j] = self[i, 0] op other[0, j]``.

        Parameters
        ----------
        other : Matrix, Scalar or value
            A 1 x m row matrix (``self`` is n x 1).

        Returns
        -------
        Matrix
            A lazy n x m matrix.

        Examples
        --------
        >>> col = dc.from_numpy(np.array([[1.0], [4.0]]))
        >>> row = dc.from_numpy(np.array([[2.0, 3.0]]))
        >>> col.outerMax(row).compute()
        array([[2., 3.],
               [4., 4.]])
        """
        return self._outer("outerMax", other)

    def outerAnd(self, other: Matrix | Scalar | Value) -> Matrix:
        """Outer logical and of a column and a row (DaphneDSL ``outerAnd``).

        ``result[i, j] = self[i, 0] op other[0, j]``.

        Parameters
        ----------
        other : Matrix, Scalar or value
            A 1 x m row matrix (``self`` is n x 1).

        Returns
        -------
        Matrix
            A lazy n x m matrix.

        Examples
        --------
        >>> col = dc.from_numpy(np.array([[1.0], [4.0]]))
        >>> row = dc.from_numpy(np.array([[2.0, 3.0]]))
        >>> col.outerAnd(row).compute()
        array([[1, 1],
               [1, 1]], dtype=uint64)
        """
        return self._outer("outerAnd", other)

    def outerOr(self, other: Matrix | Scalar | Value) -> Matrix:
        """Outer logical or of a column and a row (DaphneDSL ``outerOr``).

        ``result[i, j] = self[i, 0] op other[0, j]``.

        Parameters
        ----------
        other : Matrix, Scalar or value
            A 1 x m row matrix (``self`` is n x 1).

        Returns
        -------
        Matrix
            A lazy n x m matrix.

        Examples
        --------
        >>> col = dc.from_numpy(np.array([[1.0], [4.0]]))
        >>> row = dc.from_numpy(np.array([[2.0, 3.0]]))
        >>> col.outerOr(row).compute()
        array([[1, 1],
               [1, 1]], dtype=uint64)
        """
        return self._outer("outerOr", other)

    def outerXor(self, other: Matrix | Scalar | Value) -> Matrix:
        """Outer logical xor of a column and a row (DaphneDSL ``outerXor``).

        ``result[i, j] = self[i, 0] op other[0, j]``.

        Parameters
        ----------
        other : Matrix, Scalar or value
            A 1 x m row matrix (``self`` is n x 1).

        Returns
        -------
        Matrix
            A lazy n x m matrix.

        Examples
        --------
        >>> col = dc.from_numpy(np.array([[1.0], [4.0]]))
        >>> row = dc.from_numpy(np.array([[2.0, 3.0]]))
        >>> col.outerXor(row).compute()
        array([[0, 0],
               [0, 0]], dtype=uint64)
        """
        return self._outer("outerXor", other)

    def outerConcat(self, other: Matrix | Scalar | Value) -> Matrix:
        """Outer string concatenation of a column and a row (DaphneDSL ``outerConcat``).

        ``result[i, j] = self[i, 0] op other[0, j]``.

        Parameters
        ----------
        other : Matrix, Scalar or value
            A 1 x m row matrix (``self`` is n x 1).

        Returns
        -------
        Matrix
            A lazy n x m matrix.

        Examples
        --------
        >>> col = dc.from_numpy(np.array([["a"], ["b"]], dtype=np.dtypes.StringDType()))
        >>> row = dc.from_numpy(np.array([["x", "y"]], dtype=np.dtypes.StringDType()))
        >>> col.outerConcat(row).compute()
        array([['ax', 'ay'],
               ['bx', 'by']], dtype=StringDType())
        """
        return self._outer("outerConcat", other)

    def outerEq(self, other: Matrix | Scalar | Value) -> Matrix:
        """Outer equality test of a column and a row (DaphneDSL ``outerEq``).

        ``result[i, j] = self[i, 0] op other[0, j]``.

        Parameters
        ----------
        other : Matrix, Scalar or value
            A 1 x m row matrix (``self`` is n x 1).

        Returns
        -------
        Matrix
            A lazy n x m matrix.

        Examples
        --------
        >>> col = dc.from_numpy(np.array([[1.0], [4.0]]))
        >>> row = dc.from_numpy(np.array([[2.0, 3.0]]))
        >>> col.outerEq(row).compute()
        array([[0., 0.],
               [0., 0.]])
        """
        return self._outer("outerEq", other)

    def outerNeq(self, other: Matrix | Scalar | Value) -> Matrix:
        """Outer inequality test of a column and a row (DaphneDSL ``outerNeq``).

        ``result[i, j] = self[i, 0] op other[0, j]``.

        Parameters
        ----------
        other : Matrix, Scalar or value
            A 1 x m row matrix (``self`` is n x 1).

        Returns
        -------
        Matrix
            A lazy n x m matrix.

        Examples
        --------
        >>> col = dc.from_numpy(np.array([[1.0], [4.0]]))
        >>> row = dc.from_numpy(np.array([[2.0, 3.0]]))
        >>> col.outerNeq(row).compute()
        array([[1., 1.],
               [1., 1.]])
        """
        return self._outer("outerNeq", other)

    def outerLt(self, other: Matrix | Scalar | Value) -> Matrix:
        """Outer less-than test of a column and a row (DaphneDSL ``outerLt``).

        ``result[i, j] = self[i, 0] op other[0, j]``.

        Parameters
        ----------
        other : Matrix, Scalar or value
            A 1 x m row matrix (``self`` is n x 1).

        Returns
        -------
        Matrix
            A lazy n x m matrix.

        Examples
        --------
        >>> col = dc.from_numpy(np.array([[1.0], [4.0]]))
        >>> row = dc.from_numpy(np.array([[2.0, 3.0]]))
        >>> col.outerLt(row).compute()
        array([[1., 1.],
               [0., 0.]])
        """
        return self._outer("outerLt", other)

    def outerLe(self, other: Matrix | Scalar | Value) -> Matrix:
        """Outer less-or-equal test of a column and a row (DaphneDSL ``outerLe``).

        ``result[i, j] = self[i, 0] op other[0, j]``.

        Parameters
        ----------
        other : Matrix, Scalar or value
            A 1 x m row matrix (``self`` is n x 1).

        Returns
        -------
        Matrix
            A lazy n x m matrix.

        Examples
        --------
        >>> col = dc.from_numpy(np.array([[1.0], [4.0]]))
        >>> row = dc.from_numpy(np.array([[2.0, 3.0]]))
        >>> col.outerLe(row).compute()
        array([[1., 1.],
               [0., 0.]])
        """
        return self._outer("outerLe", other)

    def outerGt(self, other: Matrix | Scalar | Value) -> Matrix:
        """Outer greater-than test of a column and a row (DaphneDSL ``outerGt``).

        ``result[i, j] = self[i, 0] op other[0, j]``.

        Parameters
        ----------
        other : Matrix, Scalar or value
            A 1 x m row matrix (``self`` is n x 1).

        Returns
        -------
        Matrix
            A lazy n x m matrix.

        Examples
        --------
        >>> col = dc.from_numpy(np.array([[1.0], [4.0]]))
        >>> row = dc.from_numpy(np.array([[2.0, 3.0]]))
        >>> col.outerGt(row).compute()
        array([[0., 0.],
               [1., 1.]])
        """
        return self._outer("outerGt", other)

    def outerGe(self, other: Matrix | Scalar | Value) -> Matrix:
        """Outer greater-or-equal test of a column and a row (DaphneDSL ``outerGe``).

        ``result[i, j] = self[i, 0] op other[0, j]``.

        Parameters
        ----------
        other : Matrix, Scalar or value
            A 1 x m row matrix (``self`` is n x 1).

        Returns
        -------
        Matrix
            A lazy n x m matrix.

        Examples
        --------
        >>> col = dc.from_numpy(np.array([[1.0], [4.0]]))
        >>> row = dc.from_numpy(np.array([[2.0, 3.0]]))
        >>> col.outerGe(row).compute()
        array([[0., 0.],
               [1., 1.]])
        """
        return self._outer("outerGe", other)


    # -- aggregation --------------------------------------------------------------------
    def _agg(self, op: str, axis: int | None) -> Any:
        if axis is None:
            return self._scalar(op)
        check_axis(axis)
        return Matrix(self.daphne_context, op, (self, axis))

    @overload
    def sum(self, axis: None = None) -> Scalar: ...
    @overload
    def sum(self, axis: Axis) -> Matrix: ...
    def sum(self, axis: Axis | None = None) -> Scalar | Matrix:
        """Sum of all cells, per row or per column (DaphneDSL ``sum``).

        Parameters
        ----------
        axis : {None, 0, 1}, optional
            None: over all cells. 0: per row (an n x 1 result). 1: per column (1 x m).
            DAPHNE's axes, not numpy's.

        Returns
        -------
        Scalar or Matrix
            A lazy Scalar for ``axis=None``, else a lazy Matrix.

        Examples
        --------
        >>> X = dc.from_numpy(np.array([[1.0, 2.0], [3.0, 4.0]]))
        >>> X.sum().compute()
        np.float64(10.0)
        >>> X.sum(axis=0).compute()
        array([[3.],
               [7.]])
        """
        return self._agg("sum", axis)

    @overload
    def aggMin(self, axis: None = None) -> Scalar: ...
    @overload
    def aggMin(self, axis: Axis) -> Matrix: ...
    def aggMin(self, axis: Axis | None = None) -> Scalar | Matrix:
        """Minimum of all cells, per row or per column (DaphneDSL ``aggMin``).

        Parameters
        ----------
        axis : {None, 0, 1}, optional
            None: over all cells. 0: per row (an n x 1 result). 1: per column (1 x m).
            DAPHNE's axes, not numpy's.

        Returns
        -------
        Scalar or Matrix
            A lazy Scalar for ``axis=None``, else a lazy Matrix.

        Examples
        --------
        >>> X = dc.from_numpy(np.array([[1.0, 2.0], [3.0, 4.0]]))
        >>> X.aggMin().compute()
        np.float64(1.0)
        >>> X.aggMin(axis=1).compute()
        array([[1., 2.]])
        """
        return self._agg("aggMin", axis)

    @overload
    def aggMax(self, axis: None = None) -> Scalar: ...
    @overload
    def aggMax(self, axis: Axis) -> Matrix: ...
    def aggMax(self, axis: Axis | None = None) -> Scalar | Matrix:
        """Maximum of all cells, per row or per column (DaphneDSL ``aggMax``).

        Parameters
        ----------
        axis : {None, 0, 1}, optional
            None: over all cells. 0: per row (an n x 1 result). 1: per column (1 x m).
            DAPHNE's axes, not numpy's.

        Returns
        -------
        Scalar or Matrix
            A lazy Scalar for ``axis=None``, else a lazy Matrix.

        Examples
        --------
        >>> X = dc.from_numpy(np.array([[1.0, 2.0], [3.0, 4.0]]))
        >>> X.aggMax().compute()
        np.float64(4.0)
        >>> X.aggMax(axis=1).compute()
        array([[3., 4.]])
        """
        return self._agg("aggMax", axis)

    @overload
    def mean(self, axis: None = None) -> Scalar: ...
    @overload
    def mean(self, axis: Axis) -> Matrix: ...
    def mean(self, axis: Axis | None = None) -> Scalar | Matrix:
        """Mean of all cells, per row or per column (DaphneDSL ``mean``).

        Parameters
        ----------
        axis : {None, 0, 1}, optional
            None: over all cells. 0: per row (an n x 1 result). 1: per column (1 x m).
            DAPHNE's axes, not numpy's.

        Returns
        -------
        Scalar or Matrix
            A lazy Scalar for ``axis=None``, else a lazy Matrix.

        Examples
        --------
        >>> X = dc.from_numpy(np.array([[1.0, 2.0], [3.0, 4.0]]))
        >>> X.mean().compute()
        np.float64(2.5)
        >>> X.mean(axis=1).compute()
        array([[2., 3.]])
        """
        return self._agg("mean", axis)

    @overload
    def var(self, axis: None = None) -> Scalar: ...
    @overload
    def var(self, axis: Axis) -> Matrix: ...
    def var(self, axis: Axis | None = None) -> Scalar | Matrix:
        """Population variance of all cells, per row or per column (DaphneDSL ``var``).

        Divides by N, as DAPHNE does.

        Parameters
        ----------
        axis : {None, 0, 1}, optional
            None: over all cells. 0: per row (an n x 1 result). 1: per column (1 x m).
            DAPHNE's axes, not numpy's.

        Returns
        -------
        Scalar or Matrix
            A lazy Scalar for ``axis=None``, else a lazy Matrix.

        Examples
        --------
        >>> X = dc.from_numpy(np.array([[1.0, 2.0], [3.0, 4.0]]))
        >>> X.var().compute()
        np.float64(1.25)
        >>> X.var(axis=1).compute()
        array([[1., 1.]])
        """
        return self._agg("var", axis)

    @overload
    def stddev(self, axis: None = None) -> Scalar: ...
    @overload
    def stddev(self, axis: Axis) -> Matrix: ...
    def stddev(self, axis: Axis | None = None) -> Scalar | Matrix:
        """Population standard deviation of all cells, per row or per column (DaphneDSL ``stddev``).

        Parameters
        ----------
        axis : {None, 0, 1}, optional
            None: over all cells. 0: per row (an n x 1 result). 1: per column (1 x m).
            DAPHNE's axes, not numpy's.

        Returns
        -------
        Scalar or Matrix
            A lazy Scalar for ``axis=None``, else a lazy Matrix.

        Examples
        --------
        >>> X = dc.from_numpy(np.array([[1.0, 2.0], [3.0, 4.0]]))
        >>> X.stddev().compute()
        np.float64(1.118033988749895)
        >>> X.stddev(axis=1).compute()
        array([[1., 1.]])
        """
        return self._agg("stddev", axis)

    def idxMin(self, axis: Axis) -> Matrix:
        """Positions (ui64) of the minimum per row (``axis=0``) or per column (``axis=1``).

        Parameters
        ----------
        axis : {0, 1}
            0: one position per row (n x 1); 1: one per column (1 x m).

        Returns
        -------
        Matrix
            A lazy ui64 matrix of positions.

        Examples
        --------
        >>> dc.from_numpy(np.array([[3.0, 1.0, 2.0]])).idxMin(0).compute()
        array([[1]], dtype=uint64)
        """
        check_axis(axis, required=True)
        return self._new("idxMin", axis)

    def idxMax(self, axis: Axis) -> Matrix:
        """Positions (ui64) of the maximum per row (``axis=0``) or per column (``axis=1``).

        Parameters
        ----------
        axis : {0, 1}
            0: one position per row (n x 1); 1: one per column (1 x m).

        Returns
        -------
        Matrix
            A lazy ui64 matrix of positions.

        Examples
        --------
        >>> dc.from_numpy(np.array([[3.0, 1.0, 2.0]])).idxMax(0).compute()
        array([[0]], dtype=uint64)
        """
        check_axis(axis, required=True)
        return self._new("idxMax", axis)

    def cumSum(self) -> Matrix:
        """Cumulative sums down each column (DaphneDSL ``cumSum``).

        Returns
        -------
        Matrix
            A lazy matrix of the same shape and value type.

        Examples
        --------
        >>> dc.from_numpy(np.array([[1.0], [2.0], [3.0]])).cumSum().compute()
        array([[1.],
               [3.],
               [6.]])
        """
        return self._new("cumSum")

    def cumProd(self) -> Matrix:
        """Cumulative products down each column (DaphneDSL ``cumProd``).

        Returns
        -------
        Matrix
            A lazy matrix of the same shape and value type.

        Examples
        --------
        >>> dc.from_numpy(np.array([[2.0], [1.0], [3.0]])).cumProd().compute()
        array([[2.],
               [2.],
               [6.]])
        """
        return self._new("cumProd")

    def cumMin(self) -> Matrix:
        """Cumulative minima down each column (DaphneDSL ``cumMin``).

        Returns
        -------
        Matrix
            A lazy matrix of the same shape and value type.

        Examples
        --------
        >>> dc.from_numpy(np.array([[2.0], [1.0], [3.0]])).cumMin().compute()
        array([[2.],
               [1.],
               [1.]])
        """
        return self._new("cumMin")

    def cumMax(self) -> Matrix:
        """Cumulative maxima down each column (DaphneDSL ``cumMax``).

        Returns
        -------
        Matrix
            A lazy matrix of the same shape and value type.

        Examples
        --------
        >>> dc.from_numpy(np.array([[2.0], [1.0], [3.0]])).cumMax().compute()
        array([[2.],
               [2.],
               [3.]])
        """
        return self._new("cumMax")

    # -- reorganisation -----------------------------------------------------------------
    def t(self) -> Matrix:
        """The transpose.

        Returns
        -------
        Matrix
            A lazy m x n matrix.

        Examples
        --------
        >>> dc.from_numpy(np.array([[1.0, 2.0]])).t().compute()
        array([[1.],
               [2.]])
        """
        return self._new("t")

    def reshape(self, numRows: int, numCols: int) -> Matrix:
        """The same cells, row-major, in a ``numRows`` x ``numCols`` matrix.

        Parameters
        ----------
        numRows, numCols : int
            The new shape; ``numRows * numCols`` must equal the number of cells (checked
            now when the input's shape is known, else at compute()).

        Returns
        -------
        Matrix
            A lazy matrix.

        Examples
        --------
        >>> dc.from_numpy(np.array([[1.0, 2.0, 3.0, 4.0]])).reshape(2, 2).compute()
        array([[1., 2.],
               [3., 4.]])
        """
        return self._new("reshape", numRows, numCols)

    def cbind(self, other: Matrix) -> Matrix:
        """``other``'s columns to the right of this matrix's (same number of rows).

        Parameters
        ----------
        other : Matrix

        Returns
        -------
        Matrix
            A lazy n x (m1 + m2) matrix.

        Examples
        --------
        >>> X = dc.from_numpy(np.array([[1.0], [2.0]]))
        >>> X.cbind(X).compute()
        array([[1., 1.],
               [2., 2.]])
        """
        if not isinstance(other, Matrix):
            raise TypeError(f"cbind of a Matrix needs a Matrix, got {type(other).__name__}")
        return self._new("cbind", other)

    def rbind(self, other: Matrix) -> Matrix:
        """``other``'s rows below this matrix's (same number of columns).

        Parameters
        ----------
        other : Matrix

        Returns
        -------
        Matrix
            A lazy (n1 + n2) x m matrix.

        Examples
        --------
        >>> X = dc.from_numpy(np.array([[1.0, 2.0]]))
        >>> X.rbind(X).compute()
        array([[1., 2.],
               [1., 2.]])
        """
        if not isinstance(other, Matrix):
            raise TypeError(f"rbind of a Matrix needs a Matrix, got {type(other).__name__}")
        return self._new("rbind", other)

    def reverse(self) -> Matrix:
        """The rows in reverse order.

        Returns
        -------
        Matrix
            A lazy matrix of the same shape.

        Examples
        --------
        >>> dc.from_numpy(np.array([[1.0], [2.0]])).reverse().compute()
        array([[2.],
               [1.]])
        """
        return self._new("reverse")

    def lowerTri(self, diag: bool, values: bool) -> Matrix:
        """The lower triangle of a square matrix, zeros elsewhere.

        Parameters
        ----------
        diag : bool
            Keep the diagonal.
        values : bool
            Keep the values (True) or put 1 in their place (False).

        Returns
        -------
        Matrix
            A lazy matrix of the same shape.

        Examples
        --------
        >>> dc.from_numpy(np.array([[1.0, 2.0], [3.0, 4.0]])).lowerTri(True, True).compute()
        array([[1., 0.],
               [3., 4.]])
        """
        return self._new("lowerTri", bool(diag), bool(values))

    def upperTri(self, diag: bool, values: bool) -> Matrix:
        """The upper triangle of a square matrix, zeros elsewhere.

        Parameters
        ----------
        diag : bool
            Keep the diagonal.
        values : bool
            Keep the values (True) or put 1 in their place (False).

        Returns
        -------
        Matrix
            A lazy matrix of the same shape.

        Examples
        --------
        >>> dc.from_numpy(np.array([[1.0, 2.0], [3.0, 4.0]])).upperTri(False, True).compute()
        array([[0., 2.],
               [0., 0.]])
        """
        return self._new("upperTri", bool(diag), bool(values))

    def replace(self, pattern: Scalar | Value, replacement: Scalar | Value) -> Matrix:
        """Every cell equal to ``pattern`` replaced by ``replacement``.

        Parameters
        ----------
        pattern, replacement : Scalar or value
            ``pattern`` may be NaN, which matches NaN cells.

        Returns
        -------
        Matrix
            A lazy matrix of the same shape.

        Examples
        --------
        >>> dc.from_numpy(np.array([[1.0, 2.0]])).replace(2.0, 9.0).compute()
        array([[1., 9.]])
        """
        return self._new("replace", pattern, replacement)

    def order(self, colIdxs: Sequence[int], ascs: Sequence[bool],
              returnIndexes: bool = False) -> Matrix:
        """The rows sorted by the given columns (stable).

        Parameters
        ----------
        colIdxs : sequence of int
            Sort columns, most significant first.
        ascs : sequence of bool
            One ascending flag per sort column.
        returnIndexes : bool, default False
            Return the n x 1 row permutation (ui64 positions) instead of the sorted rows.

        Returns
        -------
        Matrix
            A lazy matrix.

        Examples
        --------
        >>> dc.from_numpy(np.array([[2.0], [1.0]])).order([0], [True]).compute()
        array([[1.],
               [2.]])
        """
        colIdxs, ascs = list(colIdxs), list(ascs)
        if len(colIdxs) != len(ascs) or not colIdxs:
            raise ValueError("order needs one ascending flag per sort column (and at least one)")
        return self._new("order", *colIdxs, *(bool(a) for a in ascs), bool(returnIndexes))

    def oneHot(self, info: Matrix) -> Matrix:
        """One-hot encoding of the columns named by ``info``.

        Parameters
        ----------
        info : Matrix
            1 x m: per column, the number of categories (codes 0..k-1), 0 to keep the column
            as it is, or -1 to drop it.

        Returns
        -------
        Matrix
            A lazy matrix with one 0/1 column per category.

        Examples
        --------
        >>> X = dc.from_numpy(np.array([[0.0], [2.0]]))
        >>> X.oneHot(dc.from_numpy(np.array([[3]]))).compute()
        array([[1., 0., 0.],
               [0., 0., 1.]])
        """
        return self._new("oneHot", info)

    def bin(self, numBins: int, Min: Scalar | Value | None = None,
            Max: Scalar | Value | None = None) -> Matrix:
        """Equi-width binning of the values into bins 0..numBins-1.

        Parameters
        ----------
        numBins : int
            The number of bins.
        Min, Max : Scalar or value, optional
            The range to bin (both or neither); defaults to the values' minimum and maximum.

        Returns
        -------
        Matrix
            A lazy matrix of bin numbers, of the same shape.

        Examples
        --------
        >>> dc.from_numpy(np.array([[0.0], [4.0], [6.0], [10.0]])).bin(2).compute()
        array([[0.],
               [0.],
               [1.],
               [1.]])
        """
        if (Min is None) != (Max is None):
            raise ValueError("bin needs both Min and Max, or neither")
        extra = () if Min is None else (Min, Max)
        return self._new("bin", numBins, *extra)

    def diagVector(self) -> Matrix:
        """The diagonal of a square matrix as an n x 1 column.

        Returns
        -------
        Matrix
            A lazy n x 1 matrix.

        Examples
        --------
        >>> dc.from_numpy(np.array([[1.0, 2.0], [3.0, 4.0]])).diagVector().compute()
        array([[1.],
               [4.]])
        """
        return self._new("diagVector")

    def solve(self, b: Matrix) -> Matrix:
        """The solution ``x`` of ``self @ x = b`` (``self`` square and non-singular).

        Parameters
        ----------
        b : Matrix
            The right-hand side, n x 1.

        Returns
        -------
        Matrix
            A lazy n x 1 matrix.

        Examples
        --------
        >>> A = dc.from_numpy(np.array([[2.0, 0.0], [0.0, 4.0]]))
        >>> A.solve(dc.from_numpy(np.array([[2.0], [4.0]]))).compute()
        array([[1.],
               [1.]])
        """
        if not isinstance(b, Matrix):
            raise TypeError(f"solve needs a Matrix right-hand side, got {type(b).__name__}")
        return self._new("solve", b)

    def ifElse(self, thenVal: Matrix | Scalar | Value,
               elseVal: Matrix | Scalar | Value) -> Matrix:
        """Elementwise ``self ? thenVal : elseVal``; a cell of ``self`` other than 0 is true.

        Parameters
        ----------
        thenVal, elseVal : Matrix, Scalar or value
            Matrices of this shape, or scalars.

        Returns
        -------
        Matrix
            A lazy matrix of this shape.

        Examples
        --------
        >>> X = dc.from_numpy(np.array([[1.0, -1.0]]))
        >>> (X > 0).ifElse(X, 0.0).compute()
        array([[1., 0.]])
        """
        from daphnelib.operator.nodes.elementwise import kept_tensor_shape

        return self._new("?:", thenVal, elseVal)._with_tensor_shape(
            kept_tensor_shape(self, thenVal, elseVal))

    # -- casts --------------------------------------------------------------------------
    @overload
    def asType(self, dtype: Literal["matrix"] | None = None,
               vtype: ValueType | None = None) -> Matrix: ...
    @overload
    def asType(self, dtype: Literal["frame"], vtype: ValueType | None = None) -> Frame: ...
    @overload
    def asType(self, dtype: Literal["scalar"], vtype: ValueType | None = None) -> Scalar: ...
    def asType(self, dtype: DataType | None = None,
               vtype: ValueType | None = None) -> Matrix | Frame | Scalar:
        """A cast: DaphneDSL's ``as.<dtype>``, ``as.<vtype>`` or ``as.<dtype><vtype>``.

        Parameters
        ----------
        dtype : {"matrix", "frame", "scalar"}, optional
            The data type to cast to; it decides the class of the result.
        vtype : str, optional
            The value type to cast to: f64, f32, si64, si32, si8, ui64, ui32, ui8, str or
            bool. At least one of ``dtype`` and ``vtype`` is needed.

        Returns
        -------
        Matrix, Frame or Scalar
            A lazy node.

        Examples
        --------
        >>> dc.from_numpy(np.array([[1.5, 2.5]])).asType(vtype="si64").compute()
        array([[1, 2]])
        """
        return cast_node(self, dtype, vtype)

    def toFrame(self) -> Frame:
        """This matrix as a frame (DaphneDSL ``as.frame``), one column per matrix column.

        Returns
        -------
        Frame
            A lazy frame.

        Examples
        --------
        >>> dc.from_numpy(np.array([[1.0, 2.0]])).toFrame().compute().shape
        (1, 2)
        """
        return cast_node(self, "frame", None)

    # -- indexing -----------------------------------------------------------------------
    def __getitem__(self, key: tuple[IndexKey, IndexKey]) -> Matrix:
        """Right indexing ``X[rows, cols]`` (DaphneDSL ``X[rows, cols]``).

        Parameters
        ----------
        key : (rows, cols)
            Each an int position, a range ``a:b`` (no step; ``:`` for all), or a Matrix of
            positions (rows) or of 0/1 (DaphneDSL's filter).

        Returns
        -------
        Matrix
            A lazy matrix.

        Examples
        --------
        >>> X = dc.from_numpy(np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]))
        >>> X[0:2, :].compute()
        array([[1., 2.],
               [3., 4.]])
        """
        rows, cols = split_key(key)
        return self._new("extract", index_key(rows), index_key(cols))

    def __setitem__(self, key: tuple[int | slice, int | slice], value: Matrix) -> None:
        """Left indexing ``X[rows, cols] = value``.

        ``X`` becomes the updated matrix; nodes built from ``X`` before keep its old value
        (copy-on-write, as in DaphneLib). The caller's input data is never modified.

        Parameters
        ----------
        key : (rows, cols)
            Each an int position or a range ``a:b``.
        value : Matrix
            A matrix of the range's shape.

        Examples
        --------
        >>> X = dc.fill(0.0, 2, 2)
        >>> X[0:1, :] = dc.fill(1.0, 1, 2)
        >>> X.compute()
        array([[1., 1.],
               [0., 0.]])
        """
        rows, cols = split_key(key)
        rows, cols = index_key(rows, left=True), index_key(cols, left=True)
        if not isinstance(value, Matrix):
            raise TypeError(f"assign a Matrix into a matrix range, got {type(value).__name__}")
        old = Matrix(self.daphne_context, self._op, self._args, local_data=self._local_data)
        old._with_tensor_shape(self.tensor_shape)
        # ``old`` is what this node was: the consumers re-pointed to it keep their structural
        # keys, whose leaf tokens must stay those of ``old`` (see operator/structure_key.py).
        old._tree = self._tree
        consumers = self._live_consumers()
        for consumer in consumers:
            consumer._args = tuple(old if a is self else a for a in consumer._args)
            old._add_consumer(consumer)
        self._consumers = None
        shape = self._tensor_shape
        OperationNode.__init__(self, self.daphne_context, "insert", (old, rows, cols, value))
        self._tensor_shape = shape

    # -- I/O ----------------------------------------------------------------------------
    def _dask_result(self, verbose: bool) -> Any:
        from daphnelib.interop.dask import to_dask_array

        self._check_alive()
        lazy = getattr(self.daphne_context.backend, "execute_lazy", None)
        value = lazy(self._lowered(), verbose=verbose) if lazy else self._evaluate(verbose)
        return value if hasattr(value, "dask") else to_dask_array(value)

    def write(self, file: str) -> OperationNode:
        """A node that writes this matrix to ``file`` (CSV) and ``file.meta`` when computed.

        Parameters
        ----------
        file : str or os.PathLike
            The CSV file's path.

        Returns
        -------
        OperationNode
            A side-effect node; call ``compute()`` on it.

        Examples
        --------
        >>> import os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "x.csv")
        >>> dc.fill(1.0, 2, 2).write(path).compute()
        >>> dc.readMatrix(path).compute()
        array([[1., 1.],
               [1., 1.]])
        """
        return new_node(OperationNode, self.daphne_context, "writeMatrix", self, str(file))

    def __array__(self, dtype: npt.DTypeLike | None = None, copy: bool | None = None
                  ) -> npt.NDArray[Any]:
        """``np.asarray(X)``: computes the matrix (as ``X.compute()``)."""
        arr = self.compute()
        if dtype is not None and arr.dtype != np.dtype(dtype):
            return arr.astype(dtype)
        return arr.copy() if copy else arr

    @overload
    def compute(self, type: TransferType = ..., verbose: bool = ...,
                asTensorFlow: Literal[False] = ..., asPyTorch: Literal[False] = ...,
                shape: Shape | None = ..., asArrow: Literal[False] = ...,
                asDask: Literal[False] = ...) -> npt.NDArray[Any]: ...
    @overload
    def compute(self, type: TransferType = ..., verbose: bool = ...,
                asTensorFlow: Literal[False] = ..., *, asPyTorch: Literal[True],
                shape: Shape | None = ...) -> torch.Tensor: ...
    @overload
    def compute(self, type: TransferType = ..., verbose: bool = ..., *,
                asTensorFlow: Literal[True], asPyTorch: Literal[False] = ...,
                shape: Shape | None = ...) -> tf.Tensor: ...
    @overload
    def compute(self, type: TransferType = ..., verbose: bool = ..., *,
                asArrow: Literal[True]) -> Any: ...
    @overload
    def compute(self, type: TransferType = ..., verbose: bool = ..., *,
                asDask: Literal[True]) -> Any: ...
    def compute(
        self,
        type: TransferType = "shared memory",
        verbose: bool = False,
        asTensorFlow: bool = False,
        asPyTorch: bool = False,
        shape: Shape | None = None,
        asArrow: bool = False,
        asDask: bool = False,
        asScipy: bool = False,
    ) -> Any:
        """Run the pipeline and return the matrix as a 2-D numpy array (or a tensor, an
        Arrow array, a dask array, a scipy sparse array).

        Parameters
        ----------
        type : {"shared memory", "files"}, default "shared memory"
            ``"files"`` moves the result through CSV + .meta files (a copy, exact values).
        verbose : bool, default False
            Print the generated DaphneDSL script and the timings, as DaphneLib does.
        asTensorFlow, asPyTorch : bool, default False
            Return a TensorFlow or PyTorch tensor instead, of ``shape``, by default the
            tensor shape this matrix kept (see the class docstring).
        shape : sequence of int, torch.Size or tf.TensorShape, optional
            Reshape the result, e.g. to the shape ``from_numpy(..., return_shape=True)``
            reported.
        asArrow : bool, default False
            Return a pyarrow array over the result buffer (``__arrow_c_array__`` describes
            the layout).
        asDask : bool, default False
            Return a ``dask.array``: on the Dask backend the distributed result itself, not
            gathered; other backends' results wrapped as one block. At most one of the
            ``as*`` options is allowed.
        asScipy : bool, default False
            Return a ``scipy.sparse.csr_array``: over a CSR result's three arrays (no copy),
            or the compressed form of a dense result (a copy). Without it, a CSR result
            comes back dense.

        Returns
        -------
        numpy.ndarray, torch.Tensor, tf.Tensor, pyarrow.Array, dask.array.Array or csr_array
            The array views the engine's result buffer (no copy) and keeps it alive. When the
            result is an input passed straight through, it is a read-only view of the
            caller's data. Tensors share the buffer through DLPack (a buffer TensorFlow
            cannot take, e.g. unaligned, is copied once; a torch tensor over the caller's
            memory is copied, since torch tensors cannot be read-only).

        Examples
        --------
        >>> X = dc.from_numpy(np.array([[1.0, 2.0]]))
        >>> (X * 2).compute()
        array([[2., 4.]])
        """
        if asPyTorch + asTensorFlow + asArrow + asDask > 1:
            raise ValueError("ask for one of asPyTorch, asTensorFlow, asArrow and asDask, "
                             "not several")
        if asScipy and asPyTorch + asTensorFlow + asArrow + asDask:
            raise ValueError("asScipy does not combine with asPyTorch, asTensorFlow, asArrow "
                             "or asDask")
        if asDask:
            return self._dask_result(verbose)
        if type not in ("shared memory", "files"):
            raise ValueError(f"type must be 'shared memory' or 'files', got {type!r}")
        value = self._evaluate(verbose)
        if asScipy:
            if shape is not None:
                raise ValueError("shape cannot be combined with asScipy (a 2-D sparse matrix)")
            from daphnelib.interop.scipy import to_scipy

            return to_scipy(value if type == "shared memory" else
                            self.daphne_context._through_files(_dense(value)))
        return self._convert(value, type=type, verbose=verbose, asTensorFlow=asTensorFlow,
                             asPyTorch=asPyTorch, shape=shape, asArrow=asArrow)

    def _convert(self, value: Any, *, type: str = "shared memory", verbose: bool = False,
                 asTensorFlow: bool = False, asPyTorch: bool = False,
                 shape: tuple[int, ...] | None = None, asArrow: bool = False) -> Any:
        """What ``compute`` returns for this node's engine value (see ``compute``)."""
        value = _dense(value)
        if not isinstance(value, np.ndarray) or value.ndim != 2:
            # ``type`` is DaphneLib's keyword here, not the builtin.
            raise RuntimeError(f"internal error: matrix op {self._op!r} produced "
                               f"{value.__class__.__name__}")
        if type == "files":
            value = self.daphne_context._through_files(value)
        interop = _numpy_interop or _interop()
        arr = interop.matrix_view(value)
        if asArrow:
            from daphnelib.interop.arrow import matrix_array

            return matrix_array(arr)
        if asPyTorch or asTensorFlow:
            shape = self.tensor_shape if shape is None else shape
        if asPyTorch:
            from daphnelib.interop.torch import to_torch

            return to_torch(arr, shape, verbose=verbose)
        if asTensorFlow:
            from daphnelib.interop.tensorflow import to_tensorflow

            return to_tensorflow(arr, shape, verbose=verbose)
        return interop.to_numpy(arr, shape, verbose=verbose)

    # -- exchange protocols (each computes the node on demand) ---------------------------
    def __dlpack__(self, *, stream: Any = None, max_version: tuple[int, int] | None = None,
                   dl_device: tuple[int, int] | None = None, copy: bool | None = None) -> Any:
        """A DLPack capsule over the result buffer, in the kept tensor shape (no copy).

        numpy makes the capsule: its deleter holds the result array, which holds the engine
        buffer, so the consumer's tensor stays valid after this node and its context are
        gone. A result that is a read-only input passed straight through goes out as a
        DLPack 1.x capsule with the read-only flag; a consumer asking for an unversioned
        capsule gets a copy of it (none with ``copy=False``: BufferError).
        """
        from daphnelib.interop.dlpack import export_capsule

        return export_capsule(self.compute(), self.tensor_shape, stream=stream,
                              max_version=max_version, dl_device=dl_device, copy=copy)

    def __dlpack_device__(self) -> tuple[int, int]:
        """The device of the result: the CPU ``(kDLCPU, 0)``, without computing."""
        return (1, 0)

    def __arrow_c_array__(self, requested_schema: Any = None) -> tuple[Any, Any]:
        """Arrow PyCapsules (schema, array) over the result buffer (no copy).

        One column: a primitive array; more: a ``fixed_size_list`` array of the rows.
        """
        return self.compute(asArrow=True).__arrow_c_array__(requested_schema)


def _dense(value: Any) -> Any:
    """A CSR result as a dense matrix (a copy); any other value as it is."""
    return value.to_dense() if isinstance(value, CSRMatrix) else value


_numpy_interop: ModuleType | None = None


def _interop() -> ModuleType:
    """``interop.numpy``, imported at the first compute() (every compute() converts)."""
    global _numpy_interop
    from daphnelib.interop import numpy as module

    _numpy_interop = module
    return module


def cast_node(node: OperationNode, dtype: str | None, vtype: str | None) -> Any:
    # Any: the class follows dtype; the public asType overloads give the precise types.
    """The node for DaphneDSL's ``as.*`` cast family."""
    from daphnelib.operator.nodes.frame import Frame
    from daphnelib.operator.nodes.scalar import Scalar

    if dtype is None and vtype is None:
        raise ValueError("asType needs a dtype ('matrix', 'frame', 'scalar') or a vtype")
    if dtype is not None and dtype not in _DATA_TYPES:
        raise ValueError(f"dtype must be one of {_DATA_TYPES}, got {dtype!r}")
    if vtype is not None and vtype not in _VALUE_TYPES:
        raise ValueError(f"vtype must be one of {_VALUE_TYPES}, got {vtype!r}")
    if dtype is None:
        op, cls = f"as.{vtype}", type(node)
        if isinstance(node, Matrix):  # a value-type cast keeps the tensor shape
            return new_node(cls, node.daphne_context, op, node)._with_tensor_shape(
                node.tensor_shape)
    else:
        op = f"as.{dtype}" if vtype is None else f"as.{dtype}<{vtype}>"
        cls = {"matrix": Matrix, "frame": Frame, "scalar": Scalar}[dtype]
    return new_node(cls, node.daphne_context, op, node)
