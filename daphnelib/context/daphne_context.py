"""``DaphneContext``: where every DaphneLib pipeline starts (data in, generators)."""

from __future__ import annotations

import itertools
import os
import weakref
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from daphnelib.operator.nodes.frame import Frame
from daphnelib.operator.nodes.matrix import Matrix
from daphnelib.operator.nodes.scalar import Scalar
from daphnelib.operator.operation_node import OperationNode, literal, new_node

if TYPE_CHECKING:
    import pandas as pd

    from daphnelib.backends.base import Backend

Number = int | float | np.number


def _check_number(name: str, value: Any, *, node_ok: bool = True) -> None:
    if isinstance(value, (bool, np.bool_)) or not isinstance(
        value, (int, float, np.number, *((Scalar,) if node_ok else ()))
    ):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")


def _check_count(name: str, value: Any) -> None:
    _check_number(name, value)
    # NaN and infinities first: int() of them raises with a message that names no argument.
    if not isinstance(value, Scalar) and (
            (isinstance(value, (float, np.floating)) and not np.isfinite(value))
            or value < 0 or value != int(value)):
        raise ValueError(f"{name} must be a non-negative integer, got {value!r}")


class DaphneContext:
    """Creates the input nodes of a pipeline and owns the backend that runs them.

    ``backend`` is ``"embedded"`` (the default: daphnelib's own engine, no DAPHNE install
    needed), another backend's name (``"daphne"``, ``"dask"``, ``"auto"``) or a
    :class:`~daphnelib.backends.base.Backend`; ``backend_options`` go to that backend.
    """

    def __init__(self, backend: str | Backend = "embedded", **backend_options: Any) -> None:
        from daphnelib.backends import resolve_backend

        self.backend: Backend = resolve_backend(backend, **backend_options)
        weakref.finalize(self, self.backend.close)
        self._functions: dict[str, Any] = {}
        self._tmpdir: str | None = None
        self._file_ids = itertools.count()
        self._views: dict[str, Frame] = {}  # registerView(): name -> frame node

    # -- private temporary files (the "files" transfer path) --------------------------------
    def _temp_path(self, stem: str) -> str:
        """A fresh path in this context's own temporary directory (removed with the context)."""
        if self._tmpdir is None:
            import shutil  # only the files path needs these
            import tempfile

            self._tmpdir = tempfile.mkdtemp(prefix="daphnelib-")
            weakref.finalize(self, shutil.rmtree, self._tmpdir, True)
        return os.path.join(self._tmpdir, f"{stem}{next(self._file_ids)}.csv")

    def _through_files(self, value: Any) -> Any:
        """Write a matrix/frame value to CSV + .meta and read it back (compute(type='files'))."""
        from daphnelib.engine import fileio
        from daphnelib.engine.values import FrameValue

        path = self._temp_path("result")
        try:
            if isinstance(value, FrameValue):
                from daphnelib.engine.logical import for_files

                fileio.write_frame(value, path)
                frame = fileio.read_frame(path)
                frame.logical = for_files(value.columns, value.logical)  # what CSV cannot hold
                return frame
            fileio.write_matrix(value, path, keep_dtype=True)  # bool, int16... come back
            return fileio.read_matrix(path)
        finally:
            for p in (path, path + ".meta"):
                if os.path.exists(p):
                    os.remove(p)

    # -- files ------------------------------------------------------------------------------
    def readMatrix(self, file: str) -> Matrix:
        """Read a matrix from a CSV file with a ``.meta`` file next to it."""
        return new_node(Matrix, self, "readMatrix", os.fspath(file))

    def readFrame(self, file: str) -> Frame:
        """Read a frame from a CSV file with a ``.meta`` file (with a schema) next to it."""
        return new_node(Frame, self, "readFrame", os.fspath(file))

    # -- data from Python -------------------------------------------------------------------
    def from_numpy(
        self,
        mat: np.ndarray,
        shared_memory: bool = True,
        verbose: bool = False,
        return_shape: bool = False,
    ) -> Matrix | tuple[Matrix, tuple[int, ...]]:
        """A matrix over a numpy array.

        Zero-copy when ``mat`` is C-contiguous with a dtype DAPHNE holds; otherwise converted
        once (``verbose`` says so). int16, uint16 and float16 travel widened and come back in
        their own dtype when the values are unchanged. 1-D becomes n x 1; more dims are flattened to
        ``(shape[0], -1)``, and ``return_shape=True`` also returns the original shape.
        ``shared_memory=False`` moves the data through a CSV + .meta file instead.
        """
        from daphnelib.interop.numpy import engine_matrix

        if not isinstance(mat, np.ndarray):
            raise TypeError(f"from_numpy needs a numpy.ndarray, got {type(mat).__name__} "
                            "(use from_python for lists)")
        if mat.ndim == 0:
            raise ValueError("a 0-d array is not a matrix; pass a Python scalar or a 1-D array")
        node = self._input_node(engine_matrix(mat, verbose=verbose, what="array"), mat,
                                shared_memory)
        return (node, mat.shape) if return_shape else node

    def from_scipy(self, mat: Any, verbose: bool = False) -> Matrix:
        """A matrix over a scipy sparse matrix or array, held as DAPHNE's CSRMatrix.

        Zero-copy for a canonical CSR matrix (sorted column indexes, no duplicates) of a
        dtype DAPHNE holds: the engine reads its ``data``, ``indices`` and ``indptr`` arrays.
        Other formats (COO, CSC, ...) and dtypes are converted once (``verbose`` says so).
        Needs scipy (``pip install daphnelib[sparse]``); runs on the embedded engine.
        """
        from daphnelib.interop.scipy import engine_csr

        node = new_node(Matrix, self, "receiveFromNumpy", engine_csr(mat, verbose=verbose))
        node._local_data = mat  # the node keeps the caller's arrays alive
        return node

    def _input_node(self, value: Any, source: Any, shared_memory: bool) -> Any:
        """The one maker of input nodes: a Matrix over an engine buffer, or a Frame over a
        FrameValue, that interop made from ``source`` (array, tensor, DataFrame).

        The node keeps ``source`` alive, since ``value`` may view its memory.
        ``shared_memory=False`` sends the value through a CSV + .meta file instead; the format
        holds DAPHNE's value types only, so a frame's logical records (dtypes, masks,
        categories, original labels) travel with the node as ``readFrame``'s second argument.
        """
        from daphnelib.engine.values import FrameValue

        is_frame = isinstance(value, FrameValue)
        cls = Frame if is_frame else Matrix
        if shared_memory:
            node = new_node(cls, self, "receiveFrame" if is_frame else "receiveFromNumpy", value)
            node._local_data = source
            return node
        from daphnelib.engine import fileio

        if not is_frame:
            path = self._temp_path("input")
            fileio.write_matrix(value, path, keep_dtype=True)  # bool, int16... come back exactly
            return new_node(Matrix, self, "readMatrix", path)
        from daphnelib.engine.logical import for_files

        path = self._temp_path("frame")
        fileio.write_frame(value, path)
        logical = for_files(value.columns, value.logical)
        if logical.count(None) == len(logical):
            return new_node(Frame, self, "readFrame", path)
        return new_node(Frame, self, "readFrame", path, tuple(logical))

    def from_python(
        self,
        mat: Sequence[Any],
        shared_memory: bool = True,
        verbose: bool = False,
        return_shape: bool = False,
    ) -> Matrix | tuple[Matrix, tuple[int, ...]]:
        """A matrix from a (nested) Python list of numbers or strings."""
        if not isinstance(mat, (list, tuple)):
            raise TypeError(f"from_python needs a list, got {type(mat).__name__}")
        try:
            arr = np.array(mat)
        except ValueError as exc:
            raise ValueError(f"from_python needs a rectangular list: {exc}") from None
        if arr.dtype.kind == "O":
            raise ValueError("from_python needs a rectangular list of numbers or strings")
        return self.from_numpy(arr, shared_memory, verbose, return_shape)

    def from_pandas(
        self,
        df: pd.DataFrame | pd.Series,
        shared_memory: bool = True,
        verbose: bool = False,
        keepIndex: bool = False,
    ) -> Frame:
        """A frame over a DataFrame's (or Series') columns; ``df`` is never modified."""
        from daphnelib.interop.pandas import frame_value_from_pandas

        value = frame_value_from_pandas(df, keepIndex=keepIndex, verbose=verbose)
        return self._input_node(value, df, shared_memory)

    def from_dask(self, collection: Any, verbose: bool = False) -> Matrix | Frame:
        """A matrix over a ``dask.array`` (or a frame over a dask DataFrame).

        With the Dask backend the array stays on the cluster: nothing is computed or gathered
        until a result is asked for. Other backends compute it here (one gather). A dask
        DataFrame is gathered into pandas and enters as ``from_pandas`` does (frames run
        locally on every backend).
        """
        from daphnelib.interop import dask as dask_interop

        if dask_interop.is_dask_dataframe(collection):
            return self.from_pandas(collection.compute(), verbose=verbose)
        arr = dask_interop.matrix_blocks(collection)
        if self.backend.name == "dask":
            node = new_node(Matrix, self, "receiveFromNumpy", arr)
            node._local_data = collection
            return node
        if verbose:
            print(f"daphnelib: gathering a {arr.shape[0]}x{arr.shape[1]} dask array for the "
                  f"{self.backend.name} backend")
        return self.from_numpy(np.asarray(arr.compute()), verbose=verbose)

    def from_pytorch(
        self, tensor: Any, shared_memory: bool = True, verbose: bool = False,
        return_shape: bool = False,
    ) -> Matrix | tuple[Matrix, Any]:
        """A matrix over a torch tensor's storage (zero-copy on the CPU)."""
        from daphnelib.interop.torch import engine_input

        buf, shape = engine_input(tensor, verbose=verbose)
        node = self._input_node(buf, tensor, shared_memory)._with_tensor_shape(tuple(shape))
        return (node, shape) if return_shape else node

    def from_tensorflow(
        self, tensor: Any, shared_memory: bool = True, verbose: bool = False,
        return_shape: bool = False,
    ) -> Matrix | tuple[Matrix, Any]:
        """A matrix over a TensorFlow tensor's buffer (zero-copy on the CPU)."""
        from daphnelib.interop.tensorflow import engine_input

        buf, shape = engine_input(tensor, verbose=verbose)
        node = self._input_node(buf, tensor, shared_memory)._with_tensor_shape(tuple(shape))
        return (node, shape) if return_shape else node

    def from_arrow(self, obj: Any, verbose: bool = False) -> Frame | Matrix:
        """A frame (or matrix) over anything speaking the Arrow PyCapsule interface.

        ``obj`` has ``__arrow_c_stream__`` or ``__arrow_c_array__``: a pyarrow Table,
        RecordBatch or Array, a polars DataFrame or Series, a DuckDB relation, a nanoarrow
        array, a pandas DataFrame... A table becomes a frame; a plain array an n x 1 matrix
        and a ``fixed_size_list<k>`` array an n x k one. Fixed-width columns without nulls
        enter as read-only views of the Arrow buffers (no copy); nulls become masks, dictionaries
        categoricals, timestamps keep unit and time zone, strings are converted once in native
        code, decimals are refused (``docs/exchange.md``). ``verbose`` names every copy.
        pyarrow (the ``arrow`` extra) imports the capsules.
        """
        from daphnelib.interop.arrow import (
            frame_value_from_arrow,
            import_arrow,
            is_table,
            matrix_from_arrow,
        )

        arr = import_arrow(obj)
        if is_table(arr):
            return self._input_node(frame_value_from_arrow(arr, verbose=verbose), arr, True)
        return self._input_node(matrix_from_arrow(arr, verbose=verbose), arr, True)

    def from_polars(self, df: Any, verbose: bool = False) -> Frame | Matrix:
        """A frame over a polars DataFrame (a matrix for a Series), through Arrow.

        Numeric columns without nulls are not copied; polars' ``string_view`` columns are
        converted once. See :meth:`from_arrow`.
        """
        from daphnelib.interop.polars import check_polars

        check_polars(df)
        return self.from_arrow(df, verbose=verbose)

    def from_dlpack(self, obj: Any, verbose: bool = False,
                    return_shape: bool = False) -> Matrix | tuple[Matrix, tuple[int, ...]]:
        """A matrix over any object with ``__dlpack__`` (numpy, torch, TensorFlow, JAX, ...).

        DLPack 1.x capsules are asked for first; the buffer is viewed read-only (no copy)
        when its dtype is one DAPHNE holds and it is C-contiguous. Memory on another device
        is copied to the host once (``verbose`` says so). The matrix is ``(shape[0], -1)``
        and keeps the tensor's shape for tensor exports (see :class:`Matrix`);
        ``return_shape=True`` also returns that shape.
        """
        from daphnelib.interop.dlpack import dlpack_input

        buf, shape = dlpack_input(obj, verbose=verbose)
        node = self._input_node(buf, obj, True)._with_tensor_shape(shape)
        return (node, shape) if return_shape else node

    # -- several results in one run -----------------------------------------------------------
    def compute(self, *nodes: OperationNode, verbose: bool = False) -> tuple:
        """Compute several nodes in one run; their shared sub-DAG is computed once.

        Returns a tuple with what each node's own ``compute()`` returns (arrays for matrices,
        DataFrames for frames, scalars, None for side-effect nodes such as ``print``).
        DaphneLib computes each root separately and recomputes shared work.
        """
        from daphnelib.operator.operation_node import evaluate_many

        if not nodes or not all(isinstance(n, OperationNode) for n in nodes):
            raise TypeError("compute needs one or more daphnelib nodes, got "
                            f"{[type(n).__name__ for n in nodes]}")
        if any(n.daphne_context is not self for n in nodes):
            raise ValueError("compute: every node must come from this DaphneContext")
        values = evaluate_many(nodes, verbose)
        return tuple(n._convert(v, verbose=verbose) for n, v in zip(nodes, values, strict=True))

    # -- generators -------------------------------------------------------------------------
    def fill(self, arg: Any, rows: Any, cols: Any) -> Matrix:
        """A rows x cols matrix of ``arg`` (a number, bool, string or Scalar)."""
        if not isinstance(arg, (bool, int, float, str, np.generic, Scalar)):
            raise TypeError(f"fill value must be a number, bool, str or Scalar, got "
                            f"{type(arg).__name__}")
        _check_count("rows", rows)
        _check_count("cols", cols)
        return new_node(Matrix, self, "fill", literal("fill value", arg), rows, cols)

    def seq(self, start: Any, end: Any, inc: Any = 1) -> Matrix:
        """The column ``start, start+inc, ...`` up to ``end`` inclusive."""
        for name, v in (("start", start), ("end", end), ("inc", inc)):
            _check_number(name, v)
        if not isinstance(inc, Scalar) and inc == 0:
            raise ValueError("seq increment must not be 0")
        return new_node(Matrix, self, "seq", start, end, inc)

    def rand(self, rows: int, cols: int, min: Number = 0.0, max: Number = 1.0,
             sparsity: float = 1.0, seed: int = 0) -> Matrix:
        """Uniform random values in [min, max]; ``sparsity`` is the fraction of non-zeros.

        Defaults differ from the original (which emits invalid DSL for min/max, and an
        all-zero matrix for sparsity=0): min=0, max=1, dense. seed=0 is deterministic as in
        DaphneLib; seed=-1 draws a random seed.
        """
        _check_count("rows", rows)
        _check_count("cols", cols)
        _check_number("min", min)
        _check_number("max", max)
        _check_number("sparsity", sparsity, node_ok=False)
        if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)):
            raise TypeError(f"seed must be an integer (-1: a random seed), got "
                            f"{type(seed).__name__} {seed!r}")
        if not 0.0 <= sparsity <= 1.0:
            raise ValueError(f"sparsity (fraction of non-zeros) must be in [0, 1], got {sparsity}")
        return new_node(Matrix, self, "rand", rows, cols, min, max, float(sparsity), int(seed))

    def sample(self, range: int, size: int, withReplacement: bool,
               seed: int = -1) -> Matrix:
        """``size`` x 1 values drawn from [0, range)."""
        _check_count("range", range)
        _check_count("size", size)
        return new_node(Matrix, self, "sample", range, size, bool(withReplacement), int(seed))

    def diagMatrix(self, arg: Matrix) -> Matrix:
        """An n x n matrix with the n x 1 ``arg`` on its diagonal."""
        if not isinstance(arg, Matrix):
            raise TypeError(f"diagMatrix needs a Matrix, got {type(arg).__name__}")
        return new_node(Matrix, self, "diagMatrix", arg)

    def createFrame(self, columns: Sequence[Matrix],
                    labels: Sequence[str] | None = None) -> Frame:
        """A frame from n x 1 matrices; labels default to col_0, col_1, ..."""
        columns = list(columns)
        if not columns or not all(isinstance(c, Matrix) for c in columns):
            raise TypeError("createFrame needs a non-empty list of Matrix columns")
        if labels is not None:
            labels = [str(lbl) for lbl in labels]
            if len(labels) != len(columns):
                raise ValueError(f"createFrame got {len(columns)} columns but {len(labels)} labels")
            if len(set(labels)) != len(labels):
                raise ValueError(f"a frame's column labels must be unique, got {labels}")
        return new_node(Frame, self, "createFrame", *columns, *(labels or ()))

    # -- SQL --------------------------------------------------------------------------------
    def sql(self, query: str) -> Frame:
        """Run ``query`` over the frames registered with ``registerView`` so far."""
        from daphnelib.operator.nodes.relational import sql_node

        return sql_node(self, query)

    # -- scalar logic -----------------------------------------------------------------------
    def logical_and(self, left_operand: Scalar, right_operand: Scalar) -> Scalar:
        return new_node(Scalar, self, "&&", left_operand, right_operand)

    def logical_or(self, left_operand: Scalar, right_operand: Scalar) -> Scalar:
        return new_node(Scalar, self, "||", left_operand, right_operand)

    # -- control flow and functions (daphnelib.operator.control_flow) ----------------------
    def cond(self, input_nodes: Sequence[Any], pred: Any, then_fn: Any,
             else_fn: Any = None) -> tuple:
        """``if (pred()) then_fn(*inputs) else else_fn(*inputs)``; returns the new values."""
        from daphnelib.operator import control_flow

        return control_flow.cond(self, input_nodes, pred, then_fn, else_fn)

    def for_loop(self, input_nodes: Sequence[Any], callback: Any, start: Any, end: Any,
                 step: Any = None) -> tuple:
        """``for (i in start:end[:step])`` (end inclusive) with ``callback(*inputs, i)``."""
        from daphnelib.operator import control_flow

        return control_flow.for_loop(self, input_nodes, callback, start, end, step)

    def while_loop(self, input_nodes: Sequence[Any], cond: Any, callback: Any) -> tuple:
        """``while (cond(*values)) values = callback(*values)``."""
        from daphnelib.operator import control_flow

        return control_flow.while_loop(self, input_nodes, cond, callback)

    def do_while_loop(self, input_nodes: Sequence[Any], cond: Any, callback: Any) -> tuple:
        """Like ``while_loop``, testing after each iteration."""
        from daphnelib.operator import control_flow

        return control_flow.do_while_loop(self, input_nodes, cond, callback)

    def function(self, callback: Any) -> Any:
        """A user-defined function (also a decorator); calls return a tuple of nodes."""
        from daphnelib.operator import control_flow

        return control_flow.function(self, callback)


__all__ = ["DaphneContext", "Frame", "Matrix", "OperationNode", "Scalar"]
