"""Control-flow blocks of scalar elementwise ops run as one generated Python function.

A loop body such as ``s = s + i * 0.5`` compiles to fused elementwise groups and a
``results`` instruction. With scalar values, each group runs unfused (its ops' registered
kernels one after the other, ``Pipeline.unfused``), so the executor's generic step dispatch
(argument gathering, lifetimes, buffer donation, error notes) is pure overhead, paid once
per op per iteration. :func:`scalar_block` turns such a block into a function that makes
exactly those kernel calls, in the same order on the same values, with plain local variables:

    def block(params):
        if not RUNNING.active or len(params) != 2:
            return None                  # outside a run: the generic steps
        v0, v1, = params
        if type(v0) not in SCALARS or type(v1) not in SCALARS:
            return None                  # not all scalars: the generic steps
        at = 0
        try:                             # the ops of each group, as Pipeline.unfused calls them
            at = 0; v2 = k0(v0, c0)
            at = 1; v3 = k1(v1, v2)
        except Exception as exc:
            exc.add_note(NOTES[at])      # the note Pipeline.unfused adds
            raise
        return (v3, )

The generated text holds generated names only (kernels and constants are bound by name in
its namespace, never spliced as text). It runs only inside an executor run (whose allocator
and error state it relies on, as the generic steps do). Scalar groups never take the blocked
path (that needs a matrix input), so these are the very calls the generic steps make, and an
error gets the note the unfused group gives it (``Block.run`` adds the program, as for the
generic steps). Nothing is caught and retried: an exception raised by a signal handler (a
time limit) ends the loop as it does on the generic steps.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from daphnelib.engine.fusion import _IN, _NODE, Pipeline
from daphnelib.engine.program import RESULTS_OP
from daphnelib.engine.valuetypes import SizeScalar

if TYPE_CHECKING:
    from daphnelib.engine.executor import CompiledProgram

# Value types of the scalars a block may take on this path (no matrix, frame, list or CSR
# value: those take the generic steps, with their blocking, lifetimes and buffer donation).
SCALARS = frozenset((
    bool, int, float, str, np.bool_, np.str_, SizeScalar, np.float64, np.float32, np.int64,
    np.int32, np.int8, np.uint64, np.uint32, np.uint8))

ScalarBlock = Callable[[Sequence[Any]], tuple | None]


def scalar_block(program: CompiledProgram, nparams: int) -> ScalarBlock | None:
    """The generated function of a compiled block made of fused groups and ``results``
    only (None for any other block); it returns None when a parameter the groups read is
    not a scalar."""
    from daphnelib.engine.executor import _Const, _running

    steps = program.steps
    if program.sparse or not steps or steps[-1][3] != RESULTS_OP:
        return None
    namespace: dict[str, Any] = {"SCALARS": SCALARS, "RUNNING": _running}
    lines: list[str] = []
    notes: list[str] = []
    read: set[int] = set()

    def bind(value: Any, prefix: str) -> str:
        name = f"{prefix}{len(namespace)}"
        namespace[name] = value
        return name

    def slot(arg: Any) -> str | None:
        return f"v{arg}" if type(arg) is int else None

    for fn, args, out, *_ in steps[:-1]:
        if type(fn) is not Pipeline or any(type(a) is not int for a in args):
            return None
        read.update(a for a in args if a < nparams)
        names: list[str] = []
        for j, node in enumerate(fn.nodes):
            operands = [slot(args[r]) if kind == _IN else names[r] if kind == _NODE
                        else bind(r, "c") for kind, r in node.args]
            if None in operands:
                return None
            names.append(f"v{out}" if j == len(fn.nodes) - 1 else f"t{out}_{j}")
            # ``at`` names the running op: its error gets the note Pipeline.unfused adds.
            lines.append(f"        at = {len(notes)}; {names[-1]} = "
                         f"{bind(node.kernel, 'k')}({', '.join(operands)})")
            notes.append(f"(in DaphneDSL builtin {node.op!r}, V{node.out})")
    *_, (_, results, _, _, _, _, _) = steps
    if any(type(a) is not int and type(a) is not _Const for a in results):
        return None
    packed = [f"v{a}" if type(a) is int else bind(a.value, "c") for a in results]
    namespace["NOTES"] = tuple(notes)
    guard = " or ".join([f"type(v{k}) not in SCALARS" for k in sorted(read)] or ["False"])
    unpack = f"    {''.join(f'v{k}, ' for k in range(nparams))}= params\n" if nparams else ""
    source = (f"def block(params):\n    if not RUNNING.active or len(params) != {nparams}:\n"
              f"        return None\n{unpack}    if {guard}:\n        return None\n"
              "    at = 0\n    try:\n" + "\n".join(lines or ["        pass"])
              + "\n    except Exception as exc:\n        exc.add_note(NOTES[at])\n        raise\n"
              f"    return ({''.join(p + ', ' for p in packed)})\n")
    exec(compile(source, "<daphnelib scalar block>", "exec"), namespace)
    return namespace["block"]
