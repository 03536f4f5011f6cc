"""Run unmodified DaphneLib programs on daphnelib by aliasing the ``daphne.*`` module names.

DaphneLib programs import ``daphne.context.daphne_context`` and other ``daphne.*`` modules.
The PyPI name ``daphne`` belongs to an unrelated package, so daphnelib installs nothing under
it; instead, inside :func:`aliased` (or for one :func:`run_path`), ``import daphne.X``
resolves to ``daphnelib.X`` — the same module objects — and the few DaphneLib modules that
have no daphnelib counterpart (``daphne.utils.consts``, ``daphne.script_building.dag``, the
control-flow node modules) are small shims. Afterwards ``sys.modules`` is as before, so a
real ``daphne`` package imported earlier is untouched.

Usage from Python::

    from daphnelib.compat import aliased
    with aliased():
        from daphne.context.daphne_context import DaphneContext
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import os
import runpy
import sys
import traceback
import types
from collections.abc import Callable, Iterator, Sequence
from enum import Enum, auto

_ROOT = "daphne"


class OutputType(Enum):
    """DaphneLib's ``daphne.script_building.dag.OutputType``."""

    MATRIX = auto()
    FRAME = auto()
    SCALAR = auto()
    MULTI_RETURN = auto()
    NONE = auto()


def _consts(module: types.ModuleType) -> None:
    import numpy as np

    from daphnelib.operator.operation_node import OperationNode

    module.__dict__.update(
        VALID_INPUT_TYPES=(OperationNode, str, int, float, bool, object),
        VALID_ARITHMETIC_TYPES=(OperationNode, int, float),
        VALID_COMPUTED_TYPES=(OperationNode, int, float, bool),
        BINARY_OPERATIONS=["+", "-", "/", "*", "^", "%", "<", "<=", ">", ">=", "==", "!=",
                           "@", "&&", "||"],
        TMP_PATH=os.path.join(os.path.expanduser("~"), ".daphnelib"),
        SI8=0, SI32=1, SI64=2, UI8=3, UI32=4, UI64=5, F32=6, F64=7, STR=8,
        F64_DTYPE=np.float64,
    )


def _dag(module: types.ModuleType) -> None:
    from daphnelib.operator.operation_node import OperationNode

    module.OutputType = OutputType
    module.DAGNode = OperationNode


def _control_flow(module: types.ModuleType) -> None:
    from daphnelib.operator import control_flow

    module.__dict__.update(
        Cond=control_flow.Cond, ForLoop=control_flow.ForLoop,
        WhileLoop=control_flow.WhileLoop, DoWhileLoop=control_flow.DoWhileLoop,
        Function=control_flow.Function, MultiReturn=control_flow.MultiReturn,
    )


def _package(module: types.ModuleType) -> None:
    module.__path__ = []


# DaphneLib modules without a daphnelib module of the same path: built on import.
_SHIMS: dict[str, Callable[[types.ModuleType], None]] = {
    "daphne.utils": _package,
    "daphne.utils.consts": _consts,
    "daphne.script_building.dag": _dag,
    **{f"daphne.operator.nodes.{m}": _control_flow for m in (
        "cond", "for_loop", "while_loop", "do_while_loop", "function", "multi_return")},
}


class _AliasLoader(importlib.abc.Loader):
    def __init__(self, target: str | None, build: Callable[[types.ModuleType], None] | None
                 ) -> None:
        self.target = target
        self.build = build

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType | None:
        if self.target is not None:
            return importlib.import_module(self.target)  # the very same module object
        return None  # a fresh shim module

    def exec_module(self, module: types.ModuleType) -> None:
        if self.build is not None:
            self.build(module)


class _AliasFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname: str, path: object = None, target: object = None
                  ) -> importlib.machinery.ModuleSpec | None:
        if fullname != _ROOT and not fullname.startswith(_ROOT + "."):
            return None
        build = _SHIMS.get(fullname)
        if build is not None:
            is_pkg = build is _package
            return importlib.util.spec_from_loader(fullname, _AliasLoader(None, build),
                                                   is_package=is_pkg)
        real = "daphnelib" + fullname[len(_ROOT):]
        try:
            spec = importlib.util.find_spec(real)
        except ModuleNotFoundError:
            spec = None
        if spec is None:
            return None
        return importlib.util.spec_from_loader(
            fullname, _AliasLoader(real, None),
            is_package=spec.submodule_search_locations is not None)


def _ours(name: str) -> bool:
    return name == _ROOT or name.startswith(_ROOT + ".")


@contextlib.contextmanager
def aliased() -> Iterator[None]:
    """Within the block, ``daphne.*`` imports resolve to daphnelib."""
    saved = {k: v for k, v in sys.modules.items() if _ours(k)}
    for k in saved:
        del sys.modules[k]
    finder = _AliasFinder()
    sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        sys.meta_path.remove(finder)
        for k in [k for k in sys.modules if _ours(k)]:
            del sys.modules[k]
        sys.modules.update(saved)


def run_path(path: str, args: Sequence[str] = ()) -> int:
    """Run the DaphneLib program at ``path`` as ``__main__`` with ``args`` as its argv, with
    the ``daphne.*`` aliases in place; returns its exit status (a traceback goes to stderr).
    A program that cannot be read raises OSError before anything runs."""
    with open(path, "rb"):  # not the program's own error: the caller reports it
        pass
    saved_argv, saved_path = sys.argv, list(sys.path)
    sys.argv = [path, *args]
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    try:
        with aliased():
            runpy.run_path(path, run_name="__main__")
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            return exc.code or 0
        sys.stderr.write(f"{exc.code}\n")
        return 1
    except Exception:  # the program's own error: report it as python would
        traceback.print_exc()
        return 1
    finally:
        sys.argv, sys.path[:] = saved_argv, saved_path
        sys.stdout.flush()
    return 0
