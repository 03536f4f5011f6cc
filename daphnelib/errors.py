"""The exceptions and warnings daphnelib raises besides Python's own (exported by ``daphnelib``).

A leaf module: every layer may import it, and it imports nothing of daphnelib.
"""

from __future__ import annotations


class SQLError(ValueError):
    """A query DAPHNE's SQL or DuckDB rejects; the message names the query."""

    def __init__(self, message: str, query: str) -> None:
        super().__init__(f"{message}\n  in query: {query}")
        self.query = query


class StopExecution(RuntimeError):
    """Raised by DaphneDSL's ``stop()``; the DSL runner reports it as DAPHNE's "system
    stopped"."""

    def __init__(self, message: str) -> None:
        self.reason = message
        super().__init__(f"system stopped: {message}")


class LogicalDtypeWarning(UserWarning):
    """A result could not get its tensor's original dtype back without changing values."""


__all__ = ["LogicalDtypeWarning", "SQLError", "StopExecution"]
