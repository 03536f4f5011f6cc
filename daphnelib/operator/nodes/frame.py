"""``Frame``: a lazy DAPHNE frame (DaphneLib's ``daphne.operator.nodes.frame``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from daphnelib.engine.program import Kind
from daphnelib.operator.nodes.matrix import Matrix, split_key
from daphnelib.operator.nodes.relational import RelationalOps
from daphnelib.operator.operation_node import OperationNode, ShapedNode, new_node


def _check_frame(op: str, other: Any) -> None:
    if not isinstance(other, Frame):
        raise TypeError(f"{op} of a Frame needs a Frame, got {type(other).__name__}")


def _column_key(key: Any) -> Any:
    """Columns of ``F[rows, cols]``: positions like a matrix, or labels (str / list of str)."""
    from daphnelib.operator.nodes.matrix import index_key

    if isinstance(key, str):
        return key
    if isinstance(key, (list, tuple)) and key and all(isinstance(k, str) for k in key):
        return tuple(key)
    return index_key(key)


class Frame(RelationalOps, ShapedNode):
    """A lazy frame. ``compute()`` returns a pandas DataFrame over the engine's buffers."""

    __slots__ = ()
    _kind = Kind.FRAME

    def _new(self, op: str, *args: Any) -> Frame:
        return new_node(Frame, self.daphne_context, op, self, *args)

    def setColLabels(self, labels: Sequence[str]) -> Frame:
        labels = [str(lbl) for lbl in labels]
        if len(set(labels)) != len(labels):
            raise ValueError(f"a frame's column labels must be unique, got {labels}")
        return self._new("setColLabels", *labels)

    def setColLabelsPrefix(self, prefix: str) -> Frame:
        return self._new("setColLabelsPrefix", str(prefix))

    def cbind(self, other: Frame) -> Frame:
        _check_frame("cbind", other)
        return self._new("cbind", other)

    def rbind(self, other: Frame) -> Frame:
        _check_frame("rbind", other)
        return self._new("rbind", other)

    def cartesian(self, other: Frame) -> Frame:
        _check_frame("cartesian", other)
        return self._new("cartesian", other)

    def innerJoin(self, right_frame: Frame, left_on: str | Sequence[str],
                  right_on: str | Sequence[str]) -> Frame:
        """Equi-join on key column(s): all left columns, then all right columns."""
        return self._join("innerJoin", right_frame, left_on, right_on)

    def order(self, colIdxs: Sequence[int], ascs: Sequence[bool],
              returnIndexes: bool = False) -> Any:
        """Sort rows; with returnIndexes a Matrix of positions (the original says Frame)."""
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
        """
        table_name = str(table_name)
        self.daphne_context._views[table_name] = self
        return new_node(OperationNode, self.daphne_context, "registerView", table_name, self)

    def toMatrix(self, value_type: str = "f64") -> Matrix:
        from daphnelib.operator.nodes.matrix import cast_node

        return cast_node(self, "matrix", value_type)

    def __getitem__(self, key: Any) -> Frame:
        """``F[rows, cols]``: rows by position/range/position matrix, cols also by label."""
        from daphnelib.operator.nodes.matrix import index_key

        rows, cols = split_key(key)
        return self._new("extract", index_key(rows), _column_key(cols))

    def write(self, file: str) -> OperationNode:
        return new_node(OperationNode, self.daphne_context, "writeFrame", self, str(file))

    def compute(
        self,
        type: str = "shared memory",
        verbose: bool = False,
        useIndexColumn: bool = False,
        asArrow: bool = False,
        asPolars: bool = False,
    ) -> Any:
        """Execute and return a pandas DataFrame whose columns view the engine's buffers.

        ``asArrow=True`` returns a ``pyarrow.Table`` and ``asPolars=True`` a
        ``polars.DataFrame`` instead: numeric columns over the engine's buffers, logical
        types as Arrow types (``docs/exchange.md``).
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
