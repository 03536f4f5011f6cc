"""``Matrix``: a lazy DAPHNE matrix (DaphneLib's ``daphne.operator.nodes.matrix``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from daphnelib.engine.program import Kind
from daphnelib.engine.valuetypes import DTYPE_OF_VT
from daphnelib.operator.nodes.elementwise import ElementwiseOps, Operand, check_operand
from daphnelib.operator.operation_node import OperationNode, ShapedNode, new_node

if TYPE_CHECKING:
    from daphnelib.operator.nodes.frame import Frame

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

    __slots__ = ("_tensor_shape",)
    _kind = Kind.MATRIX

    @property
    def tensor_shape(self) -> tuple[int, ...] | None:
        """The n-d shape tensor exports give this matrix, or None for a plain 2-D matrix."""
        return getattr(self, "_tensor_shape", None)

    def _with_tensor_shape(self, shape: tuple[int, ...] | None) -> Matrix:
        if shape is not None and len(shape) != 2:
            self._tensor_shape = tuple(shape)
        return self

    def _new(self, op: str, *args: Any) -> Matrix:
        return new_node(Matrix, self.daphne_context, op, self, *args)

    # -- matrix product -----------------------------------------------------------------
    def __matmul__(self, other: Matrix) -> Matrix:
        if not isinstance(other, Matrix):
            raise TypeError(f"'@' needs two matrices, got {type(other).__name__}")
        return self._new("@", other)

    def __rmatmul__(self, other: Any) -> Matrix:
        raise TypeError(f"'@' needs two matrices, got {type(other).__name__}")

    # -- outer operations ---------------------------------------------------------------
    def _outer(self, op: str, other: Operand) -> Matrix:
        check_operand(op, other)
        return self._new(op, other)

    def outerAdd(self, other: Operand) -> Matrix:
        return self._outer("outerAdd", other)

    def outerSub(self, other: Operand) -> Matrix:
        return self._outer("outerSub", other)

    def outerMul(self, other: Operand) -> Matrix:
        return self._outer("outerMul", other)

    def outerDiv(self, other: Operand) -> Matrix:
        return self._outer("outerDiv", other)

    def outerPow(self, other: Operand) -> Matrix:
        return self._outer("outerPow", other)

    def outerLog(self, other: Operand) -> Matrix:
        return self._outer("outerLog", other)

    def outerMod(self, other: Operand) -> Matrix:
        return self._outer("outerMod", other)

    def outerMin(self, other: Operand) -> Matrix:
        return self._outer("outerMin", other)

    def outerMax(self, other: Operand) -> Matrix:
        return self._outer("outerMax", other)

    def outerAnd(self, other: Operand) -> Matrix:
        return self._outer("outerAnd", other)

    def outerOr(self, other: Operand) -> Matrix:
        return self._outer("outerOr", other)

    def outerXor(self, other: Operand) -> Matrix:
        return self._outer("outerXor", other)

    def outerConcat(self, other: Operand) -> Matrix:
        return self._outer("outerConcat", other)

    def outerEq(self, other: Operand) -> Matrix:
        return self._outer("outerEq", other)

    def outerNeq(self, other: Operand) -> Matrix:
        return self._outer("outerNeq", other)

    def outerLt(self, other: Operand) -> Matrix:
        return self._outer("outerLt", other)

    def outerLe(self, other: Operand) -> Matrix:
        return self._outer("outerLe", other)

    def outerGt(self, other: Operand) -> Matrix:
        return self._outer("outerGt", other)

    def outerGe(self, other: Operand) -> Matrix:
        return self._outer("outerGe", other)

    # -- aggregation --------------------------------------------------------------------
    def _agg(self, op: str, axis: int | None) -> Any:
        check_axis(axis)
        return self._scalar(op) if axis is None else self._new(op, axis)

    def sum(self, axis: int | None = None) -> Any:
        """Sum of all cells (a Scalar), or per row (axis=0, n x 1) / per column (axis=1, 1 x m)."""
        return self._agg("sum", axis)

    def aggMin(self, axis: int | None = None) -> Any:
        return self._agg("aggMin", axis)

    def aggMax(self, axis: int | None = None) -> Any:
        return self._agg("aggMax", axis)

    def mean(self, axis: int | None = None) -> Any:
        return self._agg("mean", axis)

    def var(self, axis: int | None = None) -> Any:
        """Population variance (divides by N), as DAPHNE computes it."""
        return self._agg("var", axis)

    def stddev(self, axis: int | None = None) -> Any:
        return self._agg("stddev", axis)

    def idxMin(self, axis: int) -> Matrix:
        """Positions (uint64) of the minimum per row (axis=0) or per column (axis=1)."""
        check_axis(axis, required=True)
        return self._new("idxMin", axis)

    def idxMax(self, axis: int) -> Matrix:
        check_axis(axis, required=True)
        return self._new("idxMax", axis)

    def cumSum(self) -> Matrix:
        return self._new("cumSum")

    def cumProd(self) -> Matrix:
        return self._new("cumProd")

    def cumMin(self) -> Matrix:
        return self._new("cumMin")

    def cumMax(self) -> Matrix:
        return self._new("cumMax")

    # -- reorganisation -----------------------------------------------------------------
    def t(self) -> Matrix:
        return self._new("t")

    def reshape(self, numRows: int, numCols: int) -> Matrix:
        return self._new("reshape", numRows, numCols)

    def cbind(self, other: Matrix) -> Matrix:
        if not isinstance(other, Matrix):
            raise TypeError(f"cbind of a Matrix needs a Matrix, got {type(other).__name__}")
        return self._new("cbind", other)

    def rbind(self, other: Matrix) -> Matrix:
        if not isinstance(other, Matrix):
            raise TypeError(f"rbind of a Matrix needs a Matrix, got {type(other).__name__}")
        return self._new("rbind", other)

    def reverse(self) -> Matrix:
        return self._new("reverse")

    def lowerTri(self, diag: bool, values: bool) -> Matrix:
        return self._new("lowerTri", bool(diag), bool(values))

    def upperTri(self, diag: bool, values: bool) -> Matrix:
        return self._new("upperTri", bool(diag), bool(values))

    def replace(self, pattern: Operand, replacement: Operand) -> Matrix:
        return self._new("replace", pattern, replacement)

    def order(self, colIdxs: Sequence[int], ascs: Sequence[bool],
              returnIndexes: bool = False) -> Matrix:
        """Sort rows by the given columns; with returnIndexes, the n x 1 row permutation."""
        colIdxs, ascs = list(colIdxs), list(ascs)
        if len(colIdxs) != len(ascs) or not colIdxs:
            raise ValueError("order needs one ascending flag per sort column (and at least one)")
        return self._new("order", *colIdxs, *(bool(a) for a in ascs), bool(returnIndexes))

    def oneHot(self, info: Matrix) -> Matrix:
        return self._new("oneHot", info)

    def bin(self, numBins: int, Min: Any = None, Max: Any = None) -> Matrix:
        if (Min is None) != (Max is None):
            raise ValueError("bin needs both Min and Max, or neither")
        extra = () if Min is None else (Min, Max)
        return self._new("bin", numBins, *extra)

    def diagVector(self) -> Matrix:
        return self._new("diagVector")

    def solve(self, b: Matrix) -> Matrix:
        if not isinstance(b, Matrix):
            raise TypeError(f"solve needs a Matrix right-hand side, got {type(b).__name__}")
        return self._new("solve", b)

    def ifElse(self, thenVal: Operand, elseVal: Operand) -> Matrix:
        """Elementwise ``self ? thenVal : elseVal`` (self holds 0/1)."""
        from daphnelib.operator.nodes.elementwise import kept_tensor_shape

        return self._new("?:", thenVal, elseVal)._with_tensor_shape(
            kept_tensor_shape(self, thenVal, elseVal))

    # -- casts --------------------------------------------------------------------------
    def asType(self, dtype: str | None = None, vtype: str | None = None) -> Any:
        """``as.<dtype>``, ``as.<vtype>`` or ``as.<dtype><<vtype>>``; dtype picks the node class."""
        return cast_node(self, dtype, vtype)

    def toFrame(self) -> Frame:
        return cast_node(self, "frame", None)

    # -- indexing -----------------------------------------------------------------------
    def __getitem__(self, key: Any) -> Matrix:
        rows, cols = split_key(key)
        return self._new("extract", index_key(rows), index_key(cols))

    def __setitem__(self, key: Any, value: Matrix) -> None:
        """Left indexing: nodes built from this one before keep its old value (copy-on-write)."""
        rows, cols = split_key(key)
        rows, cols = index_key(rows, left=True), index_key(cols, left=True)
        if not isinstance(value, Matrix):
            raise TypeError(f"assign a Matrix into a matrix range, got {type(value).__name__}")
        old = Matrix(self.daphne_context, self._op, self._args, local_data=self._local_data)
        old._with_tensor_shape(self.tensor_shape)
        consumers = self._live_consumers()
        for consumer in consumers:
            consumer._args = tuple(old if a is self else a for a in consumer._args)
            old._add_consumer(consumer)
        self._consumers = None
        OperationNode.__init__(self, self.daphne_context, "insert", (old, rows, cols, value))

    # -- I/O ----------------------------------------------------------------------------
    def _dask_result(self, verbose: bool) -> Any:
        from daphnelib.interop.dask import to_dask_array

        self._check_alive()
        lazy = getattr(self.daphne_context.backend, "execute_lazy", None)
        value = lazy(self._lowered(), verbose=verbose) if lazy else self._evaluate(verbose)
        return value if hasattr(value, "dask") else to_dask_array(value)

    def write(self, file: str) -> OperationNode:
        return new_node(OperationNode, self.daphne_context, "writeMatrix", self, str(file))

    def compute(
        self,
        type: str = "shared memory",
        verbose: bool = False,
        asTensorFlow: bool = False,
        asPyTorch: bool = False,
        shape: tuple[int, ...] | None = None,
        asArrow: bool = False,
        asDask: bool = False,
        asScipy: bool = False,
    ) -> Any:
        """Execute and return a 2-D numpy array (or a tensor, an Arrow array, or a
        ``scipy.sparse.csr_array`` with asScipy).

        The array views the engine's result buffer (no copy). When the result is an input
        passed straight through, the array is a read-only view of the caller's data.
        A CSR result comes back with asScipy over its three arrays (no copy), else as a
        dense array; a dense result with asScipy is compressed (a copy).
        ``type="files"`` moves the result through CSV + .meta files (a copy, exact values).
        ``asPyTorch``/``asTensorFlow`` return a tensor of ``shape``, by default the tensor
        shape this matrix kept (see the class docstring). ``asArrow`` returns a pyarrow array
        over the result buffer (``__arrow_c_array__`` describes the layout).
        ``asDask=True`` returns a ``dask.array``: on the Dask backend the distributed result
        itself, not gathered; other backends' results wrapped as one block.
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
        from daphnelib.interop.numpy import matrix_view, to_numpy

        arr = matrix_view(value)
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
        return to_numpy(arr, shape, verbose=verbose)

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
    from daphnelib.engine.values import CSRMatrix

    return value.to_dense() if isinstance(value, CSRMatrix) else value


def cast_node(node: OperationNode, dtype: str | None, vtype: str | None) -> Any:
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
