"""The engine's IR: a straight-line SSA program whose ops are DaphneDSL builtins.

The Python API lowers a DAG of nodes to a :class:`Program`; the executor runs it and the DSL
renderer prints it. Ops are pure: their output depends on their arguments only, so a planner
may reorder or partition them later.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

# The op whose value is the tuple of its arguments' values: the end of a control-flow block,
# and of a program with several roots (``DaphneContext.compute(a, b, c)``).
RESULTS_OP = "results"


class Kind(Enum):
    """What an op produces (DaphneLib's OutputType)."""

    MATRIX = "matrix"
    FRAME = "frame"
    SCALAR = "scalar"
    NONE = "none"  # side effects only: print, write, registerView


@dataclass(frozen=True, slots=True)
class Var:
    """A reference to the value an earlier instruction produced."""

    id: int


@dataclass(frozen=True, slots=True)
class Instr:
    """``V<out> = op(args)``; an argument is a :class:`Var` or a constant."""

    out: int
    op: str
    args: tuple
    kind: Kind


@dataclass(frozen=True, slots=True, eq=False, weakref_slot=True)
class Program:
    """A lowered program. Compared and hashed by identity, and weak-referenceable, so a
    backend can cache what it compiled from it for exactly as long as the program lives."""

    instrs: tuple[Instr, ...]

    @property
    def result(self) -> Instr:
        return self.instrs[-1]


def read_ids(args: tuple) -> list[int]:
    """The ids of the values an instruction with these arguments reads (range bounds too)."""
    ids = []
    for a in args:
        if type(a) is Var:
            ids.append(a.id)
        elif isinstance(a, slice):
            ids += [b.id for b in (a.start, a.stop) if type(b) is Var]
    return ids
