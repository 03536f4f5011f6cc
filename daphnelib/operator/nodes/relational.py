"""Relational operations on frames beyond DaphneLib's own (joins, group-by) and SQL nodes.

Join methods take the key columns as a label or a list of labels per side and produce DAPHNE's
layout: all lhs columns, then all rhs columns (labels must not clash; rename with
``setColLabels``/``setColLabelsPrefix`` first). The op names are DaphneDSL builtin names where
DAPHNE has one (``leftOuterJoin``, ``fullOuterJoin``, ``antiJoin``, ``groupSum``, ``sql``);
``rightOuterJoin``, ``leftSemiJoin`` and ``groupBy`` are daphnelib's own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

from daphnelib.operator.operation_node import OperationNode, new_node

if TYPE_CHECKING:
    import pandas as pd

    from daphnelib.context.daphne_context import DaphneContext
    from daphnelib.operator.nodes.frame import Frame

_AGG_ALIASES = {"avg": "mean"}

Keys = str | Sequence[str]


def _labels(what: str, keys: Keys) -> list[str]:
    """One label or a non-empty list of labels, as a list (TypeError/ValueError otherwise)."""
    if isinstance(keys, str):
        return [keys]
    if not isinstance(keys, (list, tuple)) or not keys:
        raise TypeError(f"{what} must be a column label or a non-empty list of labels, got "
                        f"{keys!r}")
    if not all(isinstance(k, str) for k in keys):
        raise TypeError(f"{what} must hold str column labels, got {list(keys)!r}")
    if len(set(keys)) != len(keys):
        raise ValueError(f"{what} names a column twice: {list(keys)}")
    return list(keys)


def _agg_pairs(aggs: Mapping[str, str | Sequence[str]] | Sequence[tuple[str, str]] | None
               ) -> list[tuple[str, str]]:
    """``(function, column)`` pairs from ``{col: func | [funcs]}`` or ``[(col, func), ...]``."""
    from daphnelib.engine.kernels.relational import AGGREGATES

    if aggs is None:
        return []
    if isinstance(aggs, Mapping):
        items = [(col, f) for col, fs in aggs.items()
                 for f in ([fs] if isinstance(fs, str) else fs)]
    else:
        items = list(aggs)
    pairs = []
    for item in items:
        if (not isinstance(item, tuple) or len(item) != 2
                or not all(isinstance(x, str) for x in item)):
            raise TypeError(f"groupBy aggregates are {{column: function}} or (column, function) "
                            f"pairs of str, got {item!r}")
        col, func = item
        func = _AGG_ALIASES.get(func.lower(), func.lower())
        if func not in AGGREGATES:
            raise ValueError(f"groupBy: unknown aggregate {item[1]!r} for column {col!r}; "
                             f"expected one of {AGGREGATES} (or avg)")
        if col == "*" and func != "count":
            raise ValueError(f"groupBy: only count takes '*', got {func}(*)")
        pairs.append((func, col))
    return pairs


class RelationalOps:
    """Mixed into Frame: joins, group-by and SQL compatibility."""

    __slots__ = ()

    if TYPE_CHECKING:
        daphne_context: DaphneContext
        _op: str
        _args: tuple[Any, ...]

        def compute(self, type: Literal["shared memory", "files"] = ...,
                    verbose: bool = ..., useIndexColumn: bool = ...) -> pd.DataFrame: ...

    def _join(self, op: str, right: Frame, left_on: Keys, right_on: Keys) -> Frame:
        from daphnelib.operator.nodes.frame import Frame

        if not isinstance(right, Frame):
            raise TypeError(f"{op} of a Frame needs a Frame, got {type(right).__name__}")
        lkeys, rkeys = _labels("left_on", left_on), _labels("right_on", right_on)
        if len(lkeys) != len(rkeys):
            raise ValueError(f"{op}: {len(lkeys)} left key columns {lkeys} but {len(rkeys)} "
                             f"right key columns {rkeys}")
        return new_node(Frame, self.daphne_context, op, self, right, *lkeys, *rkeys)

    def leftJoin(self, right: Frame, left_on: Keys, right_on: Keys) -> Frame:
        """Every lhs row with its matches (lhs-major); unmatched lhs rows get null rhs columns.

        Parameters
        ----------
        right : Frame
            The right-hand side; its labels must not clash with this frame's.
        left_on, right_on : str or sequence of str
            The key column(s) of each side, as many on both.

        Returns
        -------
        Frame
            A lazy frame: all lhs columns, then all rhs columns.

        Examples
        --------
        >>> L = dc.from_pandas(pd.DataFrame({"k": [1, 2], "x": [10, 20]}))
        >>> R = dc.from_pandas(pd.DataFrame({"kr": [2, 3], "y": [5, 6]}))
        >>> L.leftJoin(R, "k", "kr").compute().shape
        (2, 4)
        """
        return self._join("leftOuterJoin", right, left_on, right_on)

    def rightJoin(self, right: Frame, left_on: Keys, right_on: Keys) -> Frame:
        """Every rhs row with its matches (rhs-major); unmatched rhs rows get null lhs columns.
        Columns are still all lhs columns, then all rhs columns.

        Parameters
        ----------
        right : Frame
            The right-hand side; its labels must not clash with this frame's.
        left_on, right_on : str or sequence of str
            The key column(s) of each side, as many on both.

        Returns
        -------
        Frame
            A lazy frame: all lhs columns, then all rhs columns.

        Examples
        --------
        >>> L = dc.from_pandas(pd.DataFrame({"k": [1, 2], "x": [10, 20]}))
        >>> R = dc.from_pandas(pd.DataFrame({"kr": [2, 3], "y": [5, 6]}))
        >>> L.rightJoin(R, "k", "kr").compute().shape
        (2, 4)
        """
        return self._join("rightOuterJoin", right, left_on, right_on)

    def outerJoin(self, right: Frame, left_on: Keys, right_on: Keys) -> Frame:
        """Full outer join: the left join's rows, then the unmatched rhs rows in rhs order.

        Parameters
        ----------
        right : Frame
            The right-hand side; its labels must not clash with this frame's.
        left_on, right_on : str or sequence of str
            The key column(s) of each side, as many on both.

        Returns
        -------
        Frame
            A lazy frame: all lhs columns, then all rhs columns.

        Examples
        --------
        >>> L = dc.from_pandas(pd.DataFrame({"k": [1, 2], "x": [10, 20]}))
        >>> R = dc.from_pandas(pd.DataFrame({"kr": [2, 3], "y": [5, 6]}))
        >>> L.outerJoin(R, "k", "kr").compute().shape
        (3, 4)
        """
        return self._join("fullOuterJoin", right, left_on, right_on)

    def semiJoin(self, right: Frame, left_on: Keys, right_on: Keys) -> Frame:
        """The lhs rows that have at least one match, once each, in lhs order (lhs columns).

        DaphneDSL's ``semiJoin`` builtin returns the keys and row positions instead; this is
        the frame ``F[tids, ]`` one builds from them.

        Parameters
        ----------
        right : Frame
            The right-hand side; its labels must not clash with this frame's.
        left_on, right_on : str or sequence of str
            The key column(s) of each side, as many on both.

        Returns
        -------
        Frame
            A lazy frame: all lhs columns, then all rhs columns.

        Examples
        --------
        >>> L = dc.from_pandas(pd.DataFrame({"k": [1, 2], "x": [10, 20]}))
        >>> R = dc.from_pandas(pd.DataFrame({"kr": [2, 3], "y": [5, 6]}))
        >>> L.semiJoin(R, "k", "kr").compute().shape
        (1, 2)
        """
        return self._join("leftSemiJoin", right, left_on, right_on)

    def antiJoin(self, right: Frame, left_on: Keys, right_on: Keys) -> Frame:
        """The lhs rows without a match (rows with a null key included), in lhs order.

        Parameters
        ----------
        right : Frame
            The right-hand side; its labels must not clash with this frame's.
        left_on, right_on : str or sequence of str
            The key column(s) of each side, as many on both.

        Returns
        -------
        Frame
            A lazy frame: all lhs columns, then all rhs columns.

        Examples
        --------
        >>> L = dc.from_pandas(pd.DataFrame({"k": [1, 2], "x": [10, 20]}))
        >>> R = dc.from_pandas(pd.DataFrame({"kr": [2, 3], "y": [5, 6]}))
        >>> L.antiJoin(R, "k", "kr").compute().shape
        (1, 2)
        """
        return self._join("antiJoin", right, left_on, right_on)

    def groupBy(self, keys: Keys,
                aggs: Mapping[str, str | Sequence[str]] | Sequence[tuple[str, str]] | None = None,
                ) -> Frame:
        """One row per distinct key, sorted ascending by the keys (NaN and nulls last).

        ``aggs`` maps a column to an aggregate or a list of them (``{"b": "sum", "c": ["min",
        "max"]}``), or lists ``(column, aggregate)`` pairs; aggregates are sum, count, min,
        max and mean (alias avg), and ``("*", "count")`` counts rows. The result holds the key
        columns, then one column per aggregate labelled ``SUM(b)``, ``MIN(c)``, ... (DAPHNE's
        groupSum labels). sum/min/max keep the column's value type, count is si64, mean f64.

        Parameters
        ----------
        keys : str or sequence of str
            The grouping column(s).
        aggs : mapping or sequence of (column, aggregate) pairs, optional
            The aggregates; none gives the distinct keys.

        Returns
        -------
        Frame
            A lazy frame.

        Examples
        --------
        >>> F = dc.from_pandas(pd.DataFrame({"k": ["a", "b", "a"], "v": [1, 2, 3]}))
        >>> F.groupBy("k", {"v": "sum"}).compute().values.tolist()
        [['a', 4], ['b', 2]]
        """
        from daphnelib.operator.nodes.frame import Frame

        key_list = _labels("groupBy keys", keys)
        pairs = _agg_pairs(aggs)
        labels = [f"{f.upper()}({c})" for f, c in pairs]
        dup = sorted({lbl for lbl in labels if labels.count(lbl) > 1})
        if dup:
            raise ValueError(f"groupBy: aggregates {dup} are asked for more than once")
        flat = [x for pair in pairs for x in pair]
        return new_node(Frame, self.daphne_context, "groupBy", self, len(key_list), *key_list,
                        *flat)

    def groupSum(self, keys: Keys, sum_col: str) -> Frame:
        """DaphneDSL's ``groupSum``: the key columns and ``SUM(sum_col)``, sorted by key.

        Parameters
        ----------
        keys : str or sequence of str
            The grouping column(s).
        sum_col : str
            The column to sum.

        Returns
        -------
        Frame
            A lazy frame.

        Examples
        --------
        >>> F = dc.from_pandas(pd.DataFrame({"k": [2, 1, 2], "v": [1, 2, 3]}))
        >>> F.groupSum("k", "v").compute().values.tolist()
        [[1, 2], [2, 4]]
        """
        from daphnelib.operator.nodes.frame import Frame

        key_list = _labels("groupSum keys", keys)
        if not isinstance(sum_col, str):
            raise TypeError(f"groupSum: sum_col must be a column label, got {sum_col!r}")
        return new_node(Frame, self.daphne_context, "groupSum", self, *key_list, sum_col)

    def compute_sql(self, views: Sequence[OperationNode] = (),
                    type: Literal["shared memory", "files"] = "shared memory",
                    verbose: bool = False, useIndexColumn: bool = False,
                    ) -> pd.DataFrame:
        """Compute an ``sql()`` node with the given ``registerView`` nodes' views as well.

        The compatibility form of running SQL (``res.compute_sql([f.registerView("f")])``).
        Views registered on the context before the query was made are visible anyway; the
        listed ones are added, and win over an earlier view of the same name.

        Parameters
        ----------
        views : sequence of OperationNode
            Nodes returned by ``Frame.registerView``.
        type, verbose, useIndexColumn
            As for :meth:`Frame.compute`.

        Returns
        -------
        pandas.DataFrame
            The query's result.

        Examples
        --------
        >>> F = dc.from_pandas(pd.DataFrame({"a": [1, 2]}))
        >>> q = dc.sql("SELECT f.a FROM f;")
        >>> q.compute_sql([F.registerView("f")])["f.a"].tolist()
        [1, 2]
        """
        if self._op != "sql":
            raise TypeError("compute_sql is for frames made by DaphneContext.sql(); use "
                            "compute() for other frames")
        named: dict[str, Any] = dict(zip(self._args[1::2], self._args[2::2], strict=True))
        for view in views:
            if not isinstance(view, OperationNode) or view._op != "registerView":
                raise TypeError(f"compute_sql takes the nodes returned by registerView(), got "
                                f"{_type_name(view)}")
            name, frame = view._args
            named[name] = frame
        node = sql_node(self.daphne_context, self._args[0], named)
        return node.compute(type=type, verbose=verbose, useIndexColumn=useIndexColumn)


def _type_name(obj: Any) -> str:
    return type(obj).__name__


def _require_sql_extra() -> None:
    """Fail at sql(), not at compute(), when the SQL extra is missing."""
    from daphnelib._optional import import_optional

    for module in ("sqlglot", "duckdb", "pyarrow"):
        import_optional(module, "sql", "sql()")


def sql_node(ctx: DaphneContext, query: str, views: Mapping[str, Any] | None = None) -> Frame:
    """A frame node for ``query`` that depends on every view registered so far.

    The query is parsed now, so syntax errors and statements other than queries raise here;
    unknown tables, columns and type errors raise at compute() (``compute_sql`` may still add
    views).
    """
    from daphnelib.operator.nodes.frame import Frame

    if not isinstance(query, str):
        raise TypeError(f"sql needs the query as a str, got {type(query).__name__}")
    _require_sql_extra()
    from daphnelib.sql.dialect import check_query

    views = dict(ctx._views) if views is None else dict(views)
    query = check_query(query)  # parsed once: the node's program carries the tree
    args: list[Any] = []
    for name, frame in views.items():
        args += [name, frame]
    return new_node(Frame, ctx, "sql", query, *args)
