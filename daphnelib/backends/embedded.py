"""The default backend: daphnelib's own engine, in this process."""

from __future__ import annotations

import sys
import time
import weakref
from typing import TYPE_CHECKING, Any, ClassVar

from daphnelib.backends.base import Backend

if TYPE_CHECKING:
    from daphnelib.engine.executor import Step
    from daphnelib.engine.program import Program


class EmbeddedBackend(Backend):
    """Compiles a program once (kernels resolved, argument slots precomputed) and runs it.

    Compiled programs are cached per :class:`Program` object and dropped with it: a node keeps
    its lowered program, so computing a node again skips lowering and compilation.
    """

    name: ClassVar[str] = "embedded"

    def __init__(self) -> None:
        self._compiled: weakref.WeakKeyDictionary[Program, list[Step]] = (
            weakref.WeakKeyDictionary())

    def compiled(self, program: Program) -> list[Step]:
        """The compiled steps of ``program`` (compiled on first use)."""
        steps = self._compiled.get(program)
        if steps is None:
            from daphnelib.engine.executor import compile_program

            steps = self._compiled[program] = compile_program(program)
        return steps

    def execute(self, program: Program, *, verbose: bool = False) -> Any:
        from daphnelib.engine.executor import run

        if not verbose:
            return run(self.compiled(program))
        from daphnelib.script_building.dsl import render

        out = sys.stdout
        out.write(render(program))
        t0 = time.perf_counter()
        steps = self.compiled(program)
        t1 = time.perf_counter()
        value = run(steps)
        t2 = time.perf_counter()
        out.write(f"compile: {1e3 * (t1 - t0):.3f} ms\nexecute: {1e3 * (t2 - t1):.3f} ms\n")
        return value

    def close(self) -> None:
        self._compiled.clear()
