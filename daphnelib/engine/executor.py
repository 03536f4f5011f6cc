"""Run a lowered :class:`Program` in-process.

Every buffer the kernels allocate is 64-byte aligned (see ``_native.buffers``), so results can
be handed to TensorFlow/PyTorch through DLPack without a copy.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from daphnelib._native.buffers import aligned_allocation
from daphnelib.engine.program import Program, Var
from daphnelib.engine.registry import lookup

# A compiled step: kernel, then per argument an env slot (int) or an object with get(env).
Step = tuple[Callable[..., Any], tuple[Any, ...], int, str]


class _Const:
    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def get(self, env: list[Any]) -> Any:
        return self.value


class _Range:
    """A range whose bounds are computed values (``X[0:nrow(X), ]``)."""

    __slots__ = ("start", "stop")

    def __init__(self, start: Any, stop: Any) -> None:
        self.start, self.stop = start, stop

    def get(self, env: list[Any]) -> slice:
        return slice(*(env[b.id] if type(b) is Var else b for b in (self.start, self.stop)))


def _compiled_arg(arg: Any) -> Any:
    if type(arg) is Var:
        return arg.id
    if isinstance(arg, slice) and (type(arg.start) is Var or type(arg.stop) is Var):
        return _Range(arg.start, arg.stop)
    return _Const(arg)


def compile_program(program: Program) -> list[Step]:
    """Resolve kernels once, so repeated runs of a cached program skip the lookups."""
    return [(lookup(ins.op), tuple(_compiled_arg(a) for a in ins.args), ins.out, ins.op)
            for ins in program.instrs]


def run(steps: list[Step], params: Sequence[Any] = ()) -> Any:
    """Execute compiled steps; returns the last instruction's value.

    ``params`` pre-fill env slots ``0..len(params)-1`` (the inputs of a nested control-flow
    block, see ``engine/control.py``); the steps are then numbered after them.
    """
    env: list[Any] = [*params, *([None] * len(steps))]
    with aligned_allocation(), np.errstate(all="ignore"):
        for fn, args, out, op in steps:
            vals = [env[a] if type(a) is int else a.get(env) for a in args]
            try:
                env[out] = fn(*vals)
            except Exception as exc:
                exc.add_note(f"(in DaphneDSL builtin {op!r}, V{out})")
                raise
    return env[-1]
