"""The engine kernels of DAPHNE's SQL: ``sql(query, name, frame, ...)`` and ``registerView``
(registered with the engine through ``engine/registry.MODULES``)."""

from __future__ import annotations

from typing import Any

from daphnelib.engine.registry import kernel
from daphnelib.engine.values import FrameValue
from daphnelib.sql.planning import run_sql


@kernel("sql")
def sql(query: str, *views: Any) -> FrameValue:
    """``sql(query, name, frame, ...)``: the query over the views (a later name wins)."""
    frames: dict[str, FrameValue] = {}
    for name, frame in zip(views[::2], views[1::2], strict=True):
        if not isinstance(frame, FrameValue):
            raise TypeError(f"sql: view {name!r} is not a frame")
        frames[name] = frame
    return run_sql(query, frames)


@kernel("registerView")
def register_view(name: str, frame: FrameValue) -> None:
    """Views are bound when ``sql`` nodes are built (they depend on them); nothing to do."""
    if not isinstance(frame, FrameValue):
        raise TypeError(f"registerView: {name!r} must be a frame, got {type(frame).__name__}")
