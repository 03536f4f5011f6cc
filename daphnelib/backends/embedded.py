"""The default backend: daphnelib's own engine, in this process."""

from __future__ import annotations

import sys
import time
import weakref
from collections.abc import Callable
from types import ModuleType
from typing import TYPE_CHECKING, Any, ClassVar

from daphnelib.backends.base import Backend

if TYPE_CHECKING:
    from daphnelib.engine.executor import CompiledProgram
    from daphnelib.engine.program import Program


_executor: ModuleType | None = None


def _import_executor() -> ModuleType:
    """``engine.executor``, imported at the first run (not with the backend)."""
    global _executor
    from daphnelib.engine import executor

    _executor = executor
    return executor


class EmbeddedBackend(Backend):
    """Compiles a program once (rewritten, fused, kernels resolved, value lifetimes known)
    and runs it.

    Compiled programs are cached per :class:`Program` object and dropped with it: a node keeps
    its lowered program, so computing a node again skips lowering and compilation. Below that,
    the executor caches compilations by structure: a rebuilt graph over new data compiles once.
    A node that carries a structural key (``operator/structure_key.py``) is run through
    :meth:`execute_keyed`, which finds that compilation by the key without lowering the graph.
    """

    name: ClassVar[str] = "embedded"

    def __init__(self) -> None:
        self._compiled: weakref.WeakKeyDictionary[
            Program, tuple[CompiledProgram, tuple[Any, ...]]] = weakref.WeakKeyDictionary()

    def compiled(self, program: Program) -> tuple[CompiledProgram, tuple[Any, ...]]:
        """The compiled program and the input data to run it with (compiled on first use)."""
        hit = self._compiled.get(program)
        if hit is None:
            from daphnelib.engine.executor import compile_cached

            hit = self._compiled[program] = compile_cached(program)
        return hit

    def execute_keyed(self, key: tuple, data: tuple[Any, ...],
                      lowered: Callable[[], Program]) -> Any:
        """Run the program whose structural key is ``key`` (``operator/structure_key.py``)
        on ``data``: the kept compilation, or ``lowered()`` compiled and kept under ``key``."""
        executor = _executor or _import_executor()
        compiled = executor.cached(key)
        if compiled is None:
            compiled, found = executor.compile_cached(lowered())
            if len(found) != len(data) or any(a is not b for a, b in zip(found, data,
                                                                         strict=True)):
                # Lowering read other data than the key's (not expected): run, keep nothing.
                return executor.run(compiled, (), found)
            executor.remember(key, compiled)
        return executor.run(compiled, (), data)

    def execute(self, program: Program, *, verbose: bool = False) -> Any:
        from daphnelib.engine.executor import run

        if not verbose:
            compiled, data = self.compiled(program)
            return run(compiled, (), data)
        from daphnelib.script_building.dsl import render

        out = sys.stdout
        try:
            out.write(render(program))
        except TypeError as exc:  # a program over CSR inputs has no DaphneDSL text
            out.write(f"// {exc}\n")
        t0 = time.perf_counter()
        compiled, data = self.compiled(program)
        t1 = time.perf_counter()
        value = run(compiled, (), data)
        t2 = time.perf_counter()
        out.write(f"compile: {1e3 * (t1 - t0):.3f} ms\nexecute: {1e3 * (t2 - t1):.3f} ms\n")
        return value

    def close(self) -> None:
        self._compiled.clear()
