"""daphnelib: a drop-in replacement for DaphneLib with an embedded engine.

``from daphnelib import DaphneContext`` is all a DaphneLib user changes. Importing this
package imports numpy only; pandas, torch, tensorflow, pyarrow, polars and duckdb are
imported the first time a call needs them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = [
    "DaphneContext",
    "Frame",
    "LogicalDtypeWarning",
    "Matrix",
    "SQLError",
    "Scalar",
    "StopExecution",
    "__version__",
]

if TYPE_CHECKING:
    from daphnelib.context.daphne_context import DaphneContext
    from daphnelib.errors import LogicalDtypeWarning, SQLError, StopExecution
    from daphnelib.operator.nodes.frame import Frame
    from daphnelib.operator.nodes.matrix import Matrix
    from daphnelib.operator.nodes.scalar import Scalar

_LAZY = {
    "DaphneContext": "daphnelib.context.daphne_context",
    "Matrix": "daphnelib.operator.nodes.matrix",
    "Frame": "daphnelib.operator.nodes.frame",
    "Scalar": "daphnelib.operator.nodes.scalar",
    "SQLError": "daphnelib.errors",
    "LogicalDtypeWarning": "daphnelib.errors",
    "StopExecution": "daphnelib.errors",
}


def __getattr__(name: str) -> Any:
    # Resolved on first access so that submodules (engine, interop) import on their own.
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'daphnelib' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
