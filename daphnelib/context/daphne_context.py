"""``DaphneContext``: where every DaphneLib pipeline starts (data in, generators)."""

from __future__ import annotations

import itertools
import os
import weakref
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, overload

import numpy as np

from daphnelib._native.nodecore import input_matrix
from daphnelib.engine.values import FrameValue
from daphnelib.operator.nodes.frame import Frame
from daphnelib.operator.nodes.matrix import Matrix
from daphnelib.operator.nodes.scalar import Scalar
from daphnelib.operator.operation_node import OperationNode, literal, new_node

if TYPE_CHECKING:
    from typing import Self

    import numpy.typing as npt
    import pandas as pd
    import tensorflow as tf
    import torch

    from daphnelib.backends.base import Backend
    from daphnelib.operator.control_flow import MultiReturn
    from daphnelib.operator.nodes.elementwise import Value

Number = int | float | np.number[Any]


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
    """Where every pipeline starts: creates the input nodes (data in, generators, SQL) and
    owns the backend that runs them.

    Parameters
    ----------
    backend : str or Backend, default "embedded"
        ``"embedded"``: daphnelib's own engine, no DAPHNE install needed; another backend's
        name (``"daphne"``, ``"dask"``, ``"auto"``) or a
        :class:`~daphnelib.backends.base.Backend`.
    **backend_options
        Passed to that backend.

    Notes
    -----
    A context is a context manager: leaving the ``with`` block (or calling :meth:`close`)
    closes the backend and removes the context's private temporary files.

    Examples
    --------
    >>> with DaphneContext() as ctx:
    ...     print(ctx.from_numpy(np.array([[1.0, 2.0]])).sum().compute())
    3.0
    """

    def __init__(self, backend: str | Backend = "embedded", **backend_options: Any) -> None:
        from daphnelib.backends import resolve_backend

        self.backend: Backend = resolve_backend(backend, **backend_options)
        self._close_backend = weakref.finalize(self, self.backend.close)
        self._functions: dict[str, Any] = {}
        self._tmpdir: str | None = None
        self._cleanup: weakref.finalize[Any, Any] | None = None
        self._file_ids = itertools.count()
        self._views: dict[str, Frame] = {}  # registerView(): name -> frame node

    # -- lifetime ---------------------------------------------------------------------------
    def close(self) -> None:
        """Close the backend and remove this context's temporary files now (otherwise: when
        the context is garbage).

        Closing twice is harmless.

        Examples
        --------
        >>> ctx = DaphneContext()
        >>> ctx.close()
        """
        self._close_backend()  # a finalizer runs its function once
        if self._cleanup is not None:
            self._cleanup()
            self._cleanup = None
            self._tmpdir = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def __repr__(self) -> str:
        return (f"<DaphneContext: backend {type(self.backend).__name__}, "
                f"{len(self._views)} registered view(s)>")

    # -- private temporary files (the "files" transfer path) --------------------------------
    def _temp_path(self, stem: str) -> str:
        """A fresh path in this context's own temporary directory (removed with the context)."""
        if self._tmpdir is None:
            import shutil  # only the files path needs these
            import tempfile

            self._tmpdir = tempfile.mkdtemp(prefix="daphnelib-")
            self._cleanup = weakref.finalize(self, shutil.rmtree, self._tmpdir, True)
        return os.path.join(self._tmpdir, f"{stem}{next(self._file_ids)}.csv")

    def _through_files(self, value: Any) -> Any:
        """Write a matrix/frame value to CSV + .meta and read it back (compute(type='files'))."""
        from daphnelib.engine import fileio

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
    def readMatrix(self, file: str | os.PathLike[str]) -> Matrix:
        """Read a matrix from a CSV file with a ``.meta`` file next to it.

        Parameters
        ----------
        file : str or os.PathLike
            The CSV file; ``file + ".meta"`` gives its shape and value type (DAPHNE's format).

        Returns
        -------
        Matrix
            A lazy matrix; the file is read at ``compute()``.

        Examples
        --------
        >>> import os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "m.csv")
        >>> dc.fill(2.0, 1, 2).write(path).compute()
        >>> dc.readMatrix(path).compute()
        array([[2., 2.]])
        """
        return new_node(Matrix, self, "readMatrix", os.fspath(file))

    def readFrame(self, file: str | os.PathLike[str]) -> Frame:
        """Read a frame from a CSV file with a ``.meta`` file (with a schema) next to it.

        Parameters
        ----------
        file : str or os.PathLike
            The CSV file; ``file + ".meta"`` gives the labels and value types.

        Returns
        -------
        Frame
            A lazy frame; the file is read at ``compute()``.

        Examples
        --------
        >>> import os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "f.csv")
        >>> dc.from_pandas(pd.DataFrame({"a": [1, 2]})).write(path).compute()
        >>> dc.readFrame(path).compute()["a"].tolist()
        [1, 2]
        """
        return new_node(Frame, self, "readFrame", os.fspath(file))

    # -- data from Python -------------------------------------------------------------------
    @overload
    def from_numpy(self, mat: npt.NDArray[Any], shared_memory: bool = ...,
                   verbose: bool = ..., return_shape: Literal[False] = ...) -> Matrix: ...
    @overload
    def from_numpy(self, mat: npt.NDArray[Any], shared_memory: bool = ...,
                   verbose: bool = ..., *, return_shape: Literal[True]
                   ) -> tuple[Matrix, tuple[int, ...]]: ...
    @overload
    def from_numpy(self, mat: npt.NDArray[Any], shared_memory: bool = ...,
                   verbose: bool = ..., return_shape: bool = ...
                   ) -> Matrix | tuple[Matrix, tuple[int, ...]]: ...
    def from_numpy(
        self,
        mat: npt.NDArray[Any],
        shared_memory: bool = True,
        verbose: bool = False,
        return_shape: bool = False,
    ) -> Matrix | tuple[Matrix, tuple[int, ...]]:
        """A matrix over a numpy array.

        Zero-copy when ``mat`` is C-contiguous with a dtype DAPHNE holds (f64 f32 i64 i32 i8
        u64 u32 u8 bool, StringDType): the engine reads a read-only view and the node keeps
        ``mat`` alive. Otherwise (strided, Fortran order, other dtypes) converted exactly
        once. int16, uint16 and float16 travel widened and come back in their own dtype when
        the values are unchanged. 1-D becomes n x 1; more dims are flattened to
        ``(shape[0], -1)``. ``mat`` is never modified.

        Parameters
        ----------
        mat : numpy.ndarray
            The data, 1-D or more.
        shared_memory : bool, default True
            False moves the data through a CSV + .meta file instead (a copy, as DaphneLib).
        verbose : bool, default False
            Report each copy the input's layout or dtype makes unavoidable (on stdout, and
            to the ``daphnelib`` logger at INFO level).
        return_shape : bool, default False
            Also return the input's original shape, for ``compute(shape=...)``.

        Returns
        -------
        Matrix or (Matrix, shape)
            A lazy matrix; with ``return_shape=True`` a pair of it and the original shape.

        Examples
        --------
        >>> a = np.arange(6.0).reshape(2, 3)
        >>> X = dc.from_numpy(a)
        >>> np.shares_memory(X.compute(), a)
        True
        >>> X, shape = dc.from_numpy(np.zeros((2, 3, 4)), return_shape=True)
        >>> X.compute().shape, shape
        ((2, 12), (2, 3, 4))
        """
        if shared_memory:
            # A 2-D C-contiguous array of a held dtype: the read-only view, built natively.
            node = input_matrix(Matrix, self, mat)
            if node is not None:
                return (node, mat.shape) if return_shape else node
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

        Parameters
        ----------
        mat : scipy.sparse matrix or array
            The data, 2-D; never modified.
        verbose : bool, default False
            Report each copy the input's format or dtype makes unavoidable.

        Returns
        -------
        Matrix
            A lazy matrix; ``compute(asScipy=True)`` gives a ``csr_array`` back.

        Examples
        --------
        >>> import scipy.sparse as sp
        >>> a = sp.csr_array(np.array([[0.0, 2.0], [0.0, 0.0]]))
        >>> X = dc.from_scipy(a)
        >>> np.shares_memory(X.compute(asScipy=True).data, a.data)
        True
        >>> (X * 3).compute()
        array([[0., 6.],
               [0., 0.]])
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
        is_frame = isinstance(value, FrameValue)
        cls = Frame if is_frame else Matrix
        if shared_memory:
            node = cls(self, "receiveFrame" if is_frame else "receiveFromNumpy", (value,))
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

    @overload
    def from_python(self, mat: Sequence[Any], shared_memory: bool = ...,
                    verbose: bool = ..., return_shape: Literal[False] = ...) -> Matrix: ...
    @overload
    def from_python(self, mat: Sequence[Any], shared_memory: bool = ...,
                    verbose: bool = ..., *, return_shape: Literal[True]
                    ) -> tuple[Matrix, tuple[int, ...]]: ...
    @overload
    def from_python(self, mat: Sequence[Any], shared_memory: bool = ...,
                    verbose: bool = ..., return_shape: bool = ...
                    ) -> Matrix | tuple[Matrix, tuple[int, ...]]: ...
    def from_python(
        self,
        mat: Sequence[Any],
        shared_memory: bool = True,
        verbose: bool = False,
        return_shape: bool = False,
    ) -> Matrix | tuple[Matrix, tuple[int, ...]]:
        """A matrix from a (nested) Python list of numbers or strings.

        The list is converted once with ``numpy.array`` and then treated as by
        :meth:`from_numpy`.

        Parameters
        ----------
        mat : list or tuple
            A rectangular (nested) list.
        shared_memory : bool, default True
            False moves the data through a CSV + .meta file instead (a copy, as DaphneLib).
        verbose : bool, default False
            Report each copy the input's layout or dtype makes unavoidable (on stdout, and
            to the ``daphnelib`` logger at INFO level).
        return_shape : bool, default False
            Also return the input's original shape, for ``compute(shape=...)``.

        Returns
        -------
        Matrix or (Matrix, shape)
            A lazy matrix; with ``return_shape=True`` a pair of it and the original shape.

        Examples
        --------
        >>> dc.from_python([[1, 2], [3, 4]]).compute()
        array([[1, 2],
               [3, 4]])
        """
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
        """A frame over a DataFrame's (or Series') columns; ``df`` is never modified.

        Numeric and bool columns enter as views of the DataFrame's blocks (no copy); nullable,
        categorical, datetime and string columns are converted once and come back with
        their pandas dtype from ``Frame.compute()``.

        Parameters
        ----------
        df : pandas.DataFrame or pandas.Series
            The data; column labels must be unique.
        shared_memory : bool, default True
            False moves the data through a CSV + .meta file instead.
        verbose : bool, default False
            Report each column that is copied, and why.
        keepIndex : bool, default False
            Keep the index as a first column labelled ``index`` (``df`` is left as it is,
            unlike the original); ``compute(useIndexColumn=True)`` restores it.

        Returns
        -------
        Frame
            A lazy frame.

        Examples
        --------
        >>> df = pd.DataFrame({"a": [1, 2], "b": [0.5, 1.5]})
        >>> dc.from_pandas(df).compute().equals(df)
        True
        """
        from daphnelib.interop.pandas import frame_value_from_pandas

        value = frame_value_from_pandas(df, keepIndex=keepIndex, verbose=verbose)
        return self._input_node(value, df, shared_memory)

    def from_dask(self, collection: Any, verbose: bool = False) -> Matrix | Frame:
        """A matrix over a ``dask.array`` (or a frame over a dask DataFrame).

        With the Dask backend the array stays on the cluster: nothing is computed or gathered
        until a result is asked for. Other backends compute it here (one gather). A dask
        DataFrame is gathered into pandas and enters as ``from_pandas`` does (frames run
        locally on every backend).

        Parameters
        ----------
        collection : dask.array.Array or dask.dataframe.DataFrame
            A 1-D or 2-D numeric dask array, or a dask DataFrame.
        verbose : bool, default False
            Report a gather (and the copies ``from_pandas``/``from_numpy`` make).

        Returns
        -------
        Matrix or Frame
            A lazy matrix (a frame for a dask DataFrame).

        Examples
        --------
        >>> import dask.array as da  # doctest: +SKIP
        >>> dc.from_dask(da.ones((4, 2), chunks=2)).sum().compute()  # doctest: +SKIP
        np.float64(8.0)
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

    @overload
    def from_pytorch(self, tensor: torch.Tensor, shared_memory: bool = ...,
                     verbose: bool = ..., return_shape: Literal[False] = ...) -> Matrix: ...
    @overload
    def from_pytorch(self, tensor: torch.Tensor, shared_memory: bool = ...,
                     verbose: bool = ..., *, return_shape: Literal[True]
                     ) -> tuple[Matrix, torch.Size]: ...
    @overload
    def from_pytorch(self, tensor: torch.Tensor, shared_memory: bool = ...,
                     verbose: bool = ..., return_shape: bool = ...
                     ) -> Matrix | tuple[Matrix, torch.Size]: ...
    def from_pytorch(
        self, tensor: torch.Tensor, shared_memory: bool = True, verbose: bool = False,
        return_shape: bool = False,
    ) -> Matrix | tuple[Matrix, torch.Size]:
        """A matrix over a torch tensor's storage (zero-copy for contiguous CPU tensors).

        Tensors on another device, non-contiguous ones and dtypes DAPHNE lacks are copied
        once; tensors that require grad are read without detaching the caller's tensor.

        Parameters
        ----------
        tensor : torch.Tensor
            The data, 1-D or more.
        shared_memory : bool, default True
            False moves the data through a CSV + .meta file instead (a copy, as DaphneLib).
        verbose : bool, default False
            Report each copy the input's layout or dtype makes unavoidable (on stdout, and
            to the ``daphnelib`` logger at INFO level).
        return_shape : bool, default False
            Also return the input's original shape, for ``compute(shape=...)``.

        Returns
        -------
        Matrix or (Matrix, shape)
            A lazy matrix; with ``return_shape=True`` a pair of it and the original shape.

        Examples
        --------
        >>> import torch
        >>> t = torch.ones(2, 3)
        >>> X, shape = dc.from_pytorch(t, return_shape=True)
        >>> X.compute(asPyTorch=True, shape=shape).shape
        torch.Size([2, 3])
        """
        from daphnelib.interop.torch import engine_input

        buf, shape = engine_input(tensor, verbose=verbose)
        node = self._input_node(buf, tensor, shared_memory)._with_tensor_shape(tuple(shape))
        return (node, shape) if return_shape else node

    @overload
    def from_tensorflow(self, tensor: tf.Tensor, shared_memory: bool = ...,
                        verbose: bool = ..., return_shape: Literal[False] = ...) -> Matrix: ...
    @overload
    def from_tensorflow(self, tensor: tf.Tensor, shared_memory: bool = ...,
                        verbose: bool = ..., *, return_shape: Literal[True]
                        ) -> tuple[Matrix, tf.TensorShape]: ...
    @overload
    def from_tensorflow(self, tensor: tf.Tensor, shared_memory: bool = ...,
                        verbose: bool = ..., return_shape: bool = ...
                        ) -> Matrix | tuple[Matrix, tf.TensorShape]: ...
    def from_tensorflow(
        self, tensor: tf.Tensor, shared_memory: bool = True, verbose: bool = False,
        return_shape: bool = False,
    ) -> Matrix | tuple[Matrix, tf.TensorShape]:
        """A matrix over a TensorFlow tensor's buffer (zero-copy for CPU tensors).

        Tensors on another device and dtypes DAPHNE lacks are copied once.

        Parameters
        ----------
        tensor : tf.Tensor
            The data, 1-D or more.
        shared_memory : bool, default True
            False moves the data through a CSV + .meta file instead (a copy, as DaphneLib).
        verbose : bool, default False
            Report each copy the input's layout or dtype makes unavoidable (on stdout, and
            to the ``daphnelib`` logger at INFO level).
        return_shape : bool, default False
            Also return the input's original shape, for ``compute(shape=...)``.

        Returns
        -------
        Matrix or (Matrix, shape)
            A lazy matrix; with ``return_shape=True`` a pair of it and the original shape.

        Examples
        --------
        >>> import tensorflow as tf  # doctest: +SKIP
        >>> dc.from_tensorflow(tf.ones((2, 3))).compute().shape  # doctest: +SKIP
        (2, 3)
        """
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

        Parameters
        ----------
        obj : object with ``__arrow_c_stream__`` or ``__arrow_c_array__``
            The data; a table-like object or an array.
        verbose : bool, default False
            Report each column that is copied, and why.

        Returns
        -------
        Frame or Matrix
            A lazy frame (table-like input) or matrix (an array); the node keeps the
            imported Arrow buffers alive.

        Examples
        --------
        >>> import pyarrow as pa
        >>> dc.from_arrow(pa.table({"a": [1, 2]})).compute()["a"].tolist()
        [1, 2]
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

        Parameters
        ----------
        df : polars.DataFrame or polars.Series
            The data.
        verbose : bool, default False
            Report each column that is copied, and why.

        Returns
        -------
        Frame or Matrix
            A lazy frame (a matrix for a Series).

        Examples
        --------
        >>> import polars as pl
        >>> dc.from_polars(pl.DataFrame({"a": [1.5, 2.5]})).compute()["a"].tolist()
        [1.5, 2.5]
        """
        from daphnelib.interop.polars import check_polars

        check_polars(df)
        return self.from_arrow(df, verbose=verbose)

    @overload
    def from_dlpack(self, obj: Any, verbose: bool = ...,
                    return_shape: Literal[False] = ...) -> Matrix: ...
    @overload
    def from_dlpack(self, obj: Any, verbose: bool = ..., *,
                    return_shape: Literal[True]) -> tuple[Matrix, tuple[int, ...]]: ...
    @overload
    def from_dlpack(self, obj: Any, verbose: bool = ...,
                    return_shape: bool = ...) -> Matrix | tuple[Matrix, tuple[int, ...]]: ...
    def from_dlpack(self, obj: Any, verbose: bool = False,
                    return_shape: bool = False) -> Matrix | tuple[Matrix, tuple[int, ...]]:
        """A matrix over any object with ``__dlpack__`` (numpy, torch, TensorFlow, JAX, ...).

        DLPack 1.x capsules are asked for first; the buffer is viewed read-only (no copy)
        when its dtype is one DAPHNE holds and it is C-contiguous. Memory on another device
        is copied to the host once (``verbose`` says so). The matrix is ``(shape[0], -1)``
        and keeps the tensor's shape for tensor exports (see :class:`Matrix`);
        ``return_shape=True`` also returns that shape.

        Parameters
        ----------
        obj : object with ``__dlpack__`` and ``__dlpack_device__``
            The tensor.
        verbose : bool, default False
            Report the copy a device or dtype makes unavoidable.
        return_shape : bool, default False
            Also return the tensor's shape.

        Returns
        -------
        Matrix or (Matrix, shape)
            A lazy matrix; with ``return_shape=True`` a pair of it and the tensor's shape.

        Examples
        --------
        >>> a = np.arange(6.0).reshape(2, 3)
        >>> np.shares_memory(dc.from_dlpack(a).compute(), a)
        True
        """
        from daphnelib.interop.dlpack import dlpack_input

        buf, shape = dlpack_input(obj, verbose=verbose)
        node = self._input_node(buf, obj, True)._with_tensor_shape(shape)
        return (node, shape) if return_shape else node

    # -- several results in one run -----------------------------------------------------------
    def compute(self, *nodes: OperationNode, verbose: bool = False) -> tuple[Any, ...]:
        """Compute several nodes in one run; their shared sub-DAG is computed once.

        Returns a tuple with what each node's own ``compute()`` returns (arrays for matrices,
        DataFrames for frames, scalars, None for side-effect nodes such as ``print``).
        DaphneLib computes each root separately and recomputes shared work.

        Parameters
        ----------
        *nodes : Matrix, Frame, Scalar or OperationNode
            One or more nodes of this context.
        verbose : bool, default False
            Print the generated DaphneDSL script and the timings.

        Returns
        -------
        tuple
            One result per node, in order.

        Examples
        --------
        >>> X = dc.from_numpy(np.array([[1.0, 2.0]]))
        >>> dc.compute(X.sum(), X * 2)
        (np.float64(3.0), array([[2., 4.]]))
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
    def fill(self, arg: Scalar | Value, rows: int | Scalar, cols: int | Scalar) -> Matrix:
        """A rows x cols matrix with every cell ``arg``.

        Parameters
        ----------
        arg : Scalar, number, bool or str
            The value; it decides the value type (float: f64, int: si64, str: str).
        rows, cols : int or Scalar
            The shape.

        Returns
        -------
        Matrix
            A lazy matrix, allocated at ``compute()``.

        Examples
        --------
        >>> dc.fill(1.5, 2, 2).compute()
        array([[1.5, 1.5],
               [1.5, 1.5]])
        """
        if not isinstance(arg, (bool, int, float, str, np.generic, Scalar)):
            raise TypeError(f"fill value must be a number, bool, str or Scalar, got "
                            f"{type(arg).__name__}")
        _check_count("rows", rows)
        _check_count("cols", cols)
        return new_node(Matrix, self, "fill", literal("fill value", arg), rows, cols)

    def seq(self, start: Number | Scalar, end: Number | Scalar,
            inc: Number | Scalar = 1) -> Matrix:
        """The column ``start, start+inc, ...`` up to ``end`` inclusive.

        Parameters
        ----------
        start, end : number or Scalar
            The first value and the bound (included when reached).
        inc : number or Scalar, default 1
            The step, not 0; negative counts down.

        Returns
        -------
        Matrix
            A lazy n x 1 matrix.

        Examples
        --------
        >>> dc.seq(1, 3).compute().ravel().tolist()
        [1, 2, 3]
        """
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

        Parameters
        ----------
        rows, cols : int
            The shape.
        min, max : number, default 0.0 and 1.0
            The range; integers give an si64 matrix.
        sparsity : float, default 1.0
            The fraction of non-zero cells, in [0, 1].
        seed : int, default 0
            The random seed; -1 draws one.

        Returns
        -------
        Matrix
            A lazy matrix.

        Examples
        --------
        >>> X = dc.rand(2, 3, 0.0, 1.0, 1.0, 42).compute()
        >>> X.shape, bool(((X >= 0) & (X <= 1)).all())
        ((2, 3), True)
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
        """``size`` x 1 values drawn from [0, range).

        Parameters
        ----------
        range : int
            Values are drawn from ``0 .. range-1``.
        size : int
            How many values.
        withReplacement : bool
            Without replacement, ``size`` must not exceed ``range``.
        seed : int, default -1
            The random seed; -1 draws one.

        Returns
        -------
        Matrix
            A lazy size x 1 matrix.

        Examples
        --------
        >>> sorted(dc.sample(5, 5, False, 1).compute().ravel().tolist())
        [0, 1, 2, 3, 4]
        """
        _check_count("range", range)
        _check_count("size", size)
        return new_node(Matrix, self, "sample", range, size, bool(withReplacement), int(seed))

    def diagMatrix(self, arg: Matrix) -> Matrix:
        """An n x n matrix with the n x 1 ``arg`` on its diagonal.

        Parameters
        ----------
        arg : Matrix
            An n x 1 column.

        Returns
        -------
        Matrix
            A lazy n x n matrix.

        Examples
        --------
        >>> dc.diagMatrix(dc.from_numpy(np.array([[1.0], [2.0]]))).compute()
        array([[1., 0.],
               [0., 2.]])
        """
        if not isinstance(arg, Matrix):
            raise TypeError(f"diagMatrix needs a Matrix, got {type(arg).__name__}")
        return new_node(Matrix, self, "diagMatrix", arg)

    def createFrame(self, columns: Sequence[Matrix],
                    labels: Sequence[str] | None = None) -> Frame:
        """A frame from n x 1 matrices; labels default to col_0, col_1, ...

        Parameters
        ----------
        columns : sequence of Matrix
            One n x 1 matrix per column (each keeps its value type).
        labels : sequence of str, optional
            Unique column labels, one per column.

        Returns
        -------
        Frame
            A lazy frame; the columns' buffers are not copied.

        Examples
        --------
        >>> F = dc.createFrame([dc.seq(1, 2), dc.fill(0.5, 2, 1)], ["a", "b"])
        >>> F.compute().values.tolist()
        [[1.0, 0.5], [2.0, 0.5]]
        """
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
        """Run ``query`` over the frames registered with ``registerView`` so far.

        DAPHNE's SQL subset (plus outer joins, LIMIT, IN, LIKE, CASE and NULLs, see
        docs/sql.md); columns are referred to as ``table.column`` and come back labelled so.
        The query is parsed now: syntax errors raise here.

        Parameters
        ----------
        query : str
            One SELECT statement.

        Returns
        -------
        Frame
            A lazy frame; DuckDB runs the query over zero-copy Arrow views at ``compute()``.

        Examples
        --------
        >>> _ = dc.from_pandas(pd.DataFrame({"a": [3, 1]})).registerView("t")
        >>> dc.sql("SELECT t.a FROM t ORDER BY t.a;").compute()["t.a"].tolist()
        [1, 3]
        """
        from daphnelib.operator.nodes.relational import sql_node

        return sql_node(self, query)

    # -- scalar logic -----------------------------------------------------------------------
    def logical_and(self, left_operand: Scalar, right_operand: Scalar) -> Scalar:
        """DaphneDSL's ``left && right`` on scalars.

        Parameters
        ----------
        left_operand, right_operand : Scalar

        Returns
        -------
        Scalar
            A lazy scalar, 0 or 1.

        Examples
        --------
        >>> one = dc.fill(1, 1, 1).sum()
        >>> bool(dc.logical_and(one, one).compute())
        True
        """
        return new_node(Scalar, self, "&&", left_operand, right_operand)

    def logical_or(self, left_operand: Scalar, right_operand: Scalar) -> Scalar:
        """DaphneDSL's ``left || right`` on scalars.

        Parameters
        ----------
        left_operand, right_operand : Scalar

        Returns
        -------
        Scalar
            A lazy scalar, 0 or 1.

        Examples
        --------
        >>> zero = dc.fill(0, 1, 1).sum()
        >>> bool(dc.logical_or(zero, zero).compute())
        False
        """
        return new_node(Scalar, self, "||", left_operand, right_operand)

    # -- control flow and functions (daphnelib.operator.control_flow) ----------------------
    def cond(self, input_nodes: Sequence[Matrix | Frame | Scalar], pred: Callable[[], Scalar],
             then_fn: Callable[..., Any],
             else_fn: Callable[..., Any] | None = None) -> tuple[Any, ...]:
        """``if (pred()) then_fn(*inputs) else else_fn(*inputs)``; returns the new values.

        Parameters
        ----------
        input_nodes : sequence of Matrix, Frame or Scalar
            The values the branches may change.
        pred : callable returning Scalar
            The condition.
        then_fn, else_fn : callable
            Take the input nodes, return their new values (as many); ``else_fn`` may be
            None (the values stay).

        Returns
        -------
        tuple of Matrix, Frame or Scalar
            The new values of ``input_nodes``, one lazy node each.

        Examples
        --------
        >>> X = dc.fill(1.0, 1, 1)
        >>> (Y,) = dc.cond([X], lambda: X.sum() > 0, lambda x: x * 10)
        >>> Y.compute()
        array([[10.]])
        """
        from daphnelib.operator import control_flow

        return control_flow.cond(self, input_nodes, pred, then_fn, else_fn)

    def for_loop(self, input_nodes: Sequence[Matrix | Frame | Scalar],
                 callback: Callable[..., Any], start: int | Scalar, end: int | Scalar,
                 step: int | Scalar | None = None) -> tuple[Any, ...]:
        """``for (i in start:end[:step])`` (end inclusive) with ``callback(*inputs, i)``.

        Parameters
        ----------
        input_nodes : sequence of Matrix, Frame or Scalar
            The loop-carried values.
        callback : callable
            Takes the current values and the loop variable (a Scalar), returns the next
            values.
        start, end : int or Scalar
            The range, end included.
        step : int or Scalar, optional
            The step (not 0); default 1.

        Returns
        -------
        tuple of Matrix, Frame or Scalar
            The new values of ``input_nodes``, one lazy node each.

        Examples
        --------
        >>> (S,) = dc.for_loop([dc.fill(0, 1, 1)], lambda s, i: s + i, 1, 4)
        >>> S.compute()
        array([[10]])
        """
        from daphnelib.operator import control_flow

        return control_flow.for_loop(self, input_nodes, callback, start, end, step)

    def while_loop(self, input_nodes: Sequence[Matrix | Frame | Scalar],
                   cond: Callable[..., Scalar], callback: Callable[..., Any]
                   ) -> tuple[Any, ...]:
        """``while (cond(*values)) values = callback(*values)``.

        Parameters
        ----------
        input_nodes : sequence of Matrix, Frame or Scalar
            The loop-carried values.
        cond : callable returning Scalar
            Tested before each iteration.
        callback : callable
            Takes the current values, returns the next ones.

        Returns
        -------
        tuple of Matrix, Frame or Scalar
            The new values of ``input_nodes``, one lazy node each.

        Examples
        --------
        >>> (X,) = dc.while_loop([dc.fill(1, 1, 1)], lambda x: x.sum() < 100, lambda x: x * 3)
        >>> X.compute()
        array([[243]])
        """
        from daphnelib.operator import control_flow

        return control_flow.while_loop(self, input_nodes, cond, callback)

    def do_while_loop(self, input_nodes: Sequence[Matrix | Frame | Scalar],
                      cond: Callable[..., Scalar], callback: Callable[..., Any]
                      ) -> tuple[Any, ...]:
        """Like :meth:`while_loop`, testing after each iteration (the body runs at least once).

        Parameters
        ----------
        input_nodes : sequence of Matrix, Frame or Scalar
            The loop-carried values.
        cond : callable returning Scalar
            Tested after each iteration.
        callback : callable
            Takes the current values, returns the next ones.

        Returns
        -------
        tuple of Matrix, Frame or Scalar
            The new values of ``input_nodes``, one lazy node each.

        Examples
        --------
        >>> (X,) = dc.do_while_loop([dc.fill(500, 1, 1)], lambda x: x.sum() < 100,
        ...                         lambda x: x * 3)
        >>> X.compute()
        array([[1500]])
        """
        from daphnelib.operator import control_flow

        return control_flow.do_while_loop(self, input_nodes, cond, callback)

    def function(self, callback: Callable[..., Any]) -> Callable[..., MultiReturn]:
        """A user-defined DaphneDSL function traced from ``callback`` (also a decorator).

        Parameters
        ----------
        callback : callable
            Its parameters are annotated Matrix, Frame or Scalar (unannotated: Matrix); it
            returns one node or a tuple of them.

        Returns
        -------
        callable
            Calling it with nodes returns a tuple of lazy nodes (``out[0]``, ...).

        Examples
        --------
        >>> @dc.function
        ... def double(x):
        ...     return x * 2
        >>> double(dc.fill(1.0, 1, 1))[0].compute()
        array([[2.]])
        """
        from daphnelib.operator import control_flow

        return control_flow.function(self, callback)


__all__ = ["DaphneContext", "Frame", "Matrix", "OperationNode", "Scalar"]
