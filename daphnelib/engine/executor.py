"""Run a lowered :class:`Program` in-process.

Every buffer the kernels allocate is 64-byte aligned (see ``_native.buffers``), so results can
be handed to TensorFlow/PyTorch through DLPack without a copy.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from daphnelib._native.buffers import aligned_allocation
from daphnelib.engine.program import Program, Var
from daphnelib.engine.registry import lookup

# A compiled step: kernel, then per argument either an env slot (int) or a constant (boxed).
Step = tuple[Callable[..., Any], tuple[Any, ...], int, str]


class _Const:
    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


def compile_program(program: Program) -> list[Step]:
    """Resolve kernels once, so repeated runs of a cached program skip the lookups."""
    steps = []
    for ins in program.instrs:
        args = tuple(a.id if type(a) is Var else _Const(a) for a in ins.args)
        steps.append((lookup(ins.op), args, ins.out, ins.op))
    return steps


def run(steps: list[Step]) -> Any:
    """Execute compiled steps; returns the last instruction's value."""
    env: list[Any] = [None] * len(steps)
    with aligned_allocation(), np.errstate(all="ignore"):
        for fn, args, out, op in steps:
            vals = [env[a] if type(a) is int else a.value for a in args]
            try:
                env[out] = fn(*vals)
            except Exception as exc:
                exc.add_note(f"(in DaphneDSL builtin {op!r}, V{out})")
                raise
    return env[-1]
