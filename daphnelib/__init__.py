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
    "show_versions",
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

# Distributions show_versions() reports: required, build, then each optional extra's.
_REPORTED = ("numpy", "pandas", "Cython", "torch", "tensorflow", "tensorflow-cpu", "pyarrow",
             "polars", "duckdb", "sqlglot", "dask", "distributed")


def show_versions() -> None:
    """Print daphnelib's version, Python's, the platform's and those of its dependencies.

    For bug reports, like ``pandas.show_versions()``. Optional libraries that are not
    installed show as "not installed"; nothing is imported.

    Examples
    --------
    >>> import daphnelib
    >>> daphnelib.show_versions()  # doctest: +ELLIPSIS
    daphnelib      : ...
    """
    import platform
    import sys
    from importlib.metadata import PackageNotFoundError, version

    rows = [("daphnelib", __version__), ("python", sys.version.split()[0]),
            ("platform", platform.platform()), ("machine", platform.machine())]
    for name in _REPORTED:
        try:
            rows.append((name, version(name)))
        except PackageNotFoundError:
            rows.append((name, "not installed"))
    width = max(len(name) for name, _ in rows)
    print("\n".join(f"{name:<{width}} : {value}" for name, value in rows))


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
