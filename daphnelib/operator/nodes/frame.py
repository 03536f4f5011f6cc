"""``Frame``: a lazy DAPHNE frame (DaphneLib's ``daphne.operator.nodes.frame``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal, TypeAlias, overload

import numpy as np

from daphnelib.engine.program import Kind
from daphnelib.operator.nodes.matrix import Matrix, TransferType, ValueType
from daphnelib.operator.nodes.relational import RelationalOps
from daphnelib.operator.operation_node import OperationNode, ShapedNode, new_node

if TYPE_CHECKING:
    import numpy.typing as npt
    import pandas as pd

    from daphnelib.operator.nodes.matrix import IndexKey

    #: Columns of ``F[rows, cols]``: positions like a matrix, or labels.
    ColumnKey: TypeAlias = "IndexKey | str | Sequence[str]"


def _check_frame(op: str, other: Any) -> None:
    if not isinstance(other, Frame):
        raise TypeError(f"{op} of a Frame needs a Frame, got {type(other).__name__}")


def _split_frame_key(key: Any) -> tuple[Any, Any]:
    if not isinstance(key, tuple) or len(key) != 2:
        if isinstance(key, str):
            raise TypeError(f"index a frame with two keys, F[rows, cols]: F[:, {key!r}] selects "
                            f"column {key!r}")
        raise TypeError("index a frame with exactly two keys: F[rows, cols] (use : for all)")
    return key[0], key[1]


def _column_key(key: Any) -> Any:
    """Columns of ``F[rows, cols]``: positions like a matrix, or labels (str / list of str)."""
    from daphnelib.operator.nodes.matrix import index_key

    if isinstance(key, str):
        return key
    if isinstance(key, (list, tuple)) and key and all(isinstance(k, str) for k in key):
        return tuple(key)
    return index_key(key)


class Frame(RelationalOps, ShapedNode):
    """A lazy frame. ``compute()`` returns a pandas DataFrame over the engine's buffers.

    Frames come from ``DaphneContext.from_pandas``, ``createFrame``, ``readFrame``, ``sql``
    and ``Matrix.toFrame``. Methods build lazy nodes; nothing runs until ``compute()``.
    """

    __slots__ = ()
    _kind = Kind.FRAME

    def _new(self, op: str, *args: Any) -> Frame:
        return new_node(Frame, self.daphne_context, op, self, *args)

    def setColLabels(self, labels: Sequence[str]) -> Frame:
        """The same frame with new column labels.

        Parameters
        ----------
        labels : sequence of str
            One unique label per column.

        Returns
        -------
        Frame
            A lazy frame; the column data is not copied.

        Examples
        --------
        >>> F = dc.from_pandas(pd.DataFrame({"a": [1], "b": [2]}))
        >>> list(F.setColLabels(["x", "y"]).compute().columns)
        ['x', 'y']
        """
        labels = [str(lbl) for lbl in labels]
        if len(set(labels)) != len(labels):
            raise ValueError(f"a frame's column labels must be unique, got {labels}")
        return self._new("setColLabels", *labels)

    def setColLabelsPrefix(self, prefix: str) -> Frame:
        """The same frame with every column label prefixed by ``prefix.``.

        Parameters
        ----------
        prefix : str

        Returns
        -------
        Frame
            A lazy frame; the column data is not copied.

        Examples
        --------
        >>> F = dc.from_pandas(pd.DataFrame({"a": [1]}))
        >>> list(F.setColLabelsPrefix("t").compute().columns)
        ['t.a']
        """
        return self._new("setColLabelsPrefix", str(prefix))

    def cbind(self, other: Frame) -> Frame:
        """``other``'s columns to the right of this frame's.

        Both have the same number of rows; labels must not clash.

        Parameters
        ----------
        other : Frame

        Returns
        -------
        Frame
            A lazy n x (m1 + m2) frame.

        Examples
        --------
        >>> F = dc.from_pandas(pd.DataFrame({"a": [1, 2]}))
        >>> F.cbind(F.setColLabels(['b'])).compute().shape
        (2, 2)
        """
        _check_frame("cbind", other)
        return self._new("cbind", other)

    def rbind(self, other: Frame) -> Frame:
        """``other``'s rows below this frame's (same labels and value types).

        Parameters
        ----------
        other : Frame

        Returns
        -------
        Frame
            A lazy (n1 + n2) x m frame.

        Examples
        --------
        >>> F = dc.from_pandas(pd.DataFrame({"a": [1, 2]}))
        >>> F.rbind(F).compute().shape
        (4, 1)
        """
        _check_frame("rbind", other)
        return self._new("rbind", other)

    def cartesian(self, other: Frame) -> Frame:
        """The cartesian product: every row of this frame with every row of ``other``.

        Parameters
        ----------
        other : Frame

        Returns
        -------
        Frame
            A lazy (n1 * n2) x (m1 + m2) frame.

        Examples
        --------
        >>> F = dc.from_pandas(pd.DataFrame({"a": [1, 2]}))
        >>> F.cartesian(F.setColLabels(['b'])).compute().shape
        (4, 2)
        """
        _check_frame("cartesian", other)
        return self._new("cartesian", other)

    def innerJoin(self, right_frame: Frame, left_on: str | Sequence[str],
                  right_on: str | Sequence[str]) -> Frame:
        """Inner equi-join on key column(s).

        Parameters
        ----------
        right_frame : Frame
            The right-hand side; its labels must not clash with this frame's.
        left_on, right_on : str or sequence of str
            The key column(s) of each side, as many on both.

        Returns
        -------
        Frame
            A lazy frame: all left columns, then all right columns (DAPHNE's layout).

        Examples
        --------
        >>> L = dc.from_pandas(pd.DataFrame({"k": [1, 2], "x": [10, 20]}))
        >>> R = dc.from_pandas(pd.DataFrame({"kr": [2], "y": [5]}))
        >>> L.innerJoin(R, "k", "kr").compute().values.tolist()
        [[2, 20, 2, 5]]
        """
        return self._join("innerJoin", right_frame, left_on, right_on)

    @overload
    def order(self, colIdxs: Sequence[int], ascs: Sequence[bool],
              returnIndexes: Literal[False] = False) -> Frame: ...
    @overload
    def order(self, colIdxs: Sequence[int], ascs: Sequence[bool],
              returnIndexes: Literal[True]) -> Matrix: ...
    def order(self, colIdxs: Sequence[int], ascs: Sequence[bool],
              returnIndexes: bool = False) -> Frame | Matrix:
        """The rows sorted by the given columns (stable).

        Parameters
        ----------
        colIdxs : sequence of int
            Sort column positions, most significant first.
        ascs : sequence of bool
            One ascending flag per sort column.
        returnIndexes : bool, default False
            Return the n x 1 row permutation as a Matrix of positions instead (the original
            declares a Frame; see docs/compatibility.md).

        Returns
        -------
        Frame or Matrix
            A lazy node.

        Examples
        --------
        >>> F = dc.from_pandas(pd.DataFrame({"a": [2, 1]}))
        >>> F.order([0], [True]).compute()["a"].tolist()
        [1, 2]
        """
        colIdxs, ascs = list(colIdxs), list(ascs)
        if len(colIdxs) != len(ascs) or not colIdxs:
            raise ValueError("order needs one ascending flag per sort column (and at least one)")
        args = (*colIdxs, *(bool(a) for a in ascs), bool(returnIndexes))
        cls = Matrix if returnIndexes else Frame
        return new_node(cls, self.daphne_context, "order", self, *args)

    def registerView(self, table_name: str) -> OperationNode:
        """Make this frame visible as ``table_name`` to every later ``sql()`` of the context.

        Registration happens now, not when the returned node is computed: the original's
        registerView and sql nodes were unconnected DAG roots, so sql never saw its views.

        Parameters
        ----------
        table_name : str
            The table name SQL queries use.

        Returns
        -------
        OperationNode
            A side-effect node (for ``compute_sql``); computing it does nothing more.

        Examples
        --------
        >>> F = dc.from_pandas(pd.DataFrame({"a": [1, 2, 3]}))
        >>> _ = F.registerView("t")
        >>> dc.sql("SELECT t.a FROM t WHERE t.a > 1;").compute()["t.a"].tolist()
        [2, 3]
        """
        table_name = str(table_name)
        self.daphne_context._views[table_name] = self
        return new_node(OperationNode, self.daphne_context, "registerView", table_name, self)

    def toMatrix(self, value_type: ValueType = "f64") -> Matrix:
        """This frame as a matrix of one value type (DaphneDSL ``as.matrix<vt>``).

        Parameters
        ----------
        value_type : str, default "f64"
            The matrix's value type; every column is cast to it.

        Returns
        -------
        Matrix
            A lazy matrix.

        Examples
        --------
        >>> dc.from_pandas(pd.DataFrame({"a": [1], "b": [2]})).toMatrix().compute()
        array([[1., 2.]])
        """
        from daphnelib.operator.nodes.matrix import cast_node

        return cast_node(self, "matrix", value_type)

    def __getitem__(self, key: tuple[IndexKey, ColumnKey]) -> Frame:
        """Right indexing ``F[rows, cols]``.

        Parameters
        ----------
        key : (rows, cols)
            rows: an int position, a range ``a:b`` (``:`` for all) or a Matrix of positions;
            cols: the same, or a label, or a list of labels.

        Returns
        -------
        Frame
            A lazy frame.

        Examples
        --------
        >>> F = dc.from_pandas(pd.DataFrame({"a": [1, 2], "b": [3, 4]}))
        >>> F[:, "b"].compute()["b"].tolist()
        [3, 4]
        """
        from daphnelib.operator.nodes.matrix import index_key

        rows, cols = _split_frame_key(key)
        return self._new("extract", index_key(rows), _column_key(cols))

    def write(self, file: str) -> OperationNode:
        """A node that writes this frame to ``file`` (CSV) and ``file.meta`` when computed.

        Parameters
        ----------
        file : str or os.PathLike
            The CSV file's path; the .meta file holds the schema.

        Returns
        -------
        OperationNode
            A side-effect node; call ``compute()`` on it.

        Examples
        --------
        >>> import os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "f.csv")
        >>> dc.from_pandas(pd.DataFrame({"a": [1, 2]})).write(path).compute()
        >>> dc.readFrame(path).compute()["a"].tolist()
        [1, 2]
        """
        return new_node(OperationNode, self.daphne_context, "writeFrame", self, str(file))

    def __array__(self, dtype: npt.DTypeLike | None = None, copy: bool | None = None
                  ) -> npt.NDArray[Any]:
        """``np.asarray(F)``: computes the frame, then ``DataFrame.to_numpy``."""
        return np.asarray(self.compute().to_numpy(dtype=dtype, copy=bool(copy)))

    @overload
    def compute(self, type: TransferType = ..., verbose: bool = ...,
                useIndexColumn: bool = ..., asArrow: Literal[False] = ...,
                asPolars: Literal[False] = ...) -> pd.DataFrame: ...
    @overload
    def compute(self, type: TransferType = ..., verbose: bool = ...,
                useIndexColumn: bool = ..., *, asArrow: Literal[True]) -> Any: ...
    @overload
    def compute(self, type: TransferType = ..., verbose: bool = ...,
                useIndexColumn: bool = ..., *, asPolars: Literal[True]) -> Any: ...
    def compute(
        self,
        type: TransferType = "shared memory",
        verbose: bool = False,
        useIndexColumn: bool = False,
        asArrow: bool = False,
        asPolars: bool = False,
    ) -> Any:
        """Run the pipeline and return the frame as a pandas DataFrame (or Arrow, polars).

        Parameters
        ----------
        type : {"shared memory", "files"}, default "shared memory"
            ``"files"`` moves the result through CSV + .meta files (a copy, exact values).
        verbose : bool, default False
            Print the generated DaphneDSL script and the timings, as DaphneLib does.
        useIndexColumn : bool, default False
            Make the column labelled ``index`` (see ``from_pandas(keepIndex=True)``) the
            DataFrame's index again.
        asArrow, asPolars : bool, default False
            Return a ``pyarrow.Table`` or a ``polars.DataFrame`` instead (at most one):
            numeric columns over the engine's buffers, logical types as Arrow types
            (``docs/exchange.md``).

        Returns
        -------
        pandas.DataFrame, pyarrow.Table or polars.DataFrame
            The DataFrame's columns view the engine's buffers (one block per run of
            same-dtype neighbouring columns); columns whose pandas dtype needs a different
            layout (nullable, categorical, strings) are converted once.

        Examples
        --------
        >>> F = dc.from_pandas(pd.DataFrame({"a": [1, 2]}))
        >>> F.compute()["a"].tolist()
        [1, 2]
        """
        if type not in ("shared memory", "files"):
            raise ValueError(f"type must be 'shared memory' or 'files', got {type!r}")
        if asArrow and asPolars:
            raise ValueError("ask for asArrow or asPolars, not both")
        return self._convert(self._evaluate(verbose), type=type,
                             useIndexColumn=useIndexColumn, asArrow=asArrow, asPolars=asPolars)

    def _convert(self, value: Any, *, type: str = "shared memory", verbose: bool = False,
                 useIndexColumn: bool = False, asArrow: bool = False,
                 asPolars: bool = False) -> Any:
        """What ``compute`` returns for this node's engine value (see ``compute``)."""
        if type == "files":
            value = self.daphne_context._through_files(value)
        if asArrow or asPolars:
            from daphnelib.interop.arrow import table_from_frame

            table = table_from_frame(value, exact=True)
            if not asPolars:
                return table
            from daphnelib.interop.polars import to_polars

            return to_polars(table)
        from daphnelib.interop.pandas import to_pandas

        return to_pandas(value, useIndexColumn=useIndexColumn)

    def __arrow_c_stream__(self, requested_schema: Any = None) -> Any:
        """An Arrow C stream PyCapsule of the computed frame (``pa.table(F)``,
        ``pl.DataFrame(F)``); the capsule's release callback owns the engine buffers."""
        return self.compute(asArrow=True).__arrow_c_stream__(requested_schema)
