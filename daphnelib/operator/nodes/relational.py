"""Relational operations on frames beyond DaphneLib's own (joins, group-by) and SQL nodes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from daphnelib.operator.operation_node import new_node

if TYPE_CHECKING:
    from daphnelib.context.daphne_context import DaphneContext
    from daphnelib.operator.nodes.frame import Frame


class RelationalOps:
    """Mixed into Frame."""

    __slots__ = ()


def sql_node(ctx: DaphneContext, query: str) -> Frame:
    """A frame node for ``query`` that depends on every view registered so far."""
    from daphnelib.operator.nodes.frame import Frame

    if not isinstance(query, str):
        raise TypeError(f"sql needs the query as a str, got {type(query).__name__}")
    views: list[Any] = []
    for name, frame in ctx._views.items():
        views += [name, frame]
    return new_node(Frame, ctx, "sql", query, *views)
