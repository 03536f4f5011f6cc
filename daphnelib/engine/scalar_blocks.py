"""Control-flow blocks of scalar elementwise ops run as one generated Python function.

A loop body such as ``s = s + i * 0.5`` compiles to fused elementwise groups and a
``results`` instruction. With scalar values, each group runs unfused (its ops' registered
kernels one after the other, ``Pipeline.unfused``), so the executor's generic step dispatch
(argument gathering, lifetimes, buffer donation, error notes) is pure overhead, paid once
per op per iteration. :func:`scalar_block` turns such a block into a function that makes
exactly those kernel calls, in the same order on the same values, with plain local variables:

    def block(params):
        p0, p1 = params
        if not RUNNING.active or type(p0) not in SCALARS or type(p1) not in SCALARS:
            return None                  # outside a run, or not all scalars: the generic run
        v2 = k0(p0, c0)                  # the ops of each group, as Pipeline.unfused calls them
        v3 = k1(p1, v2)
        return (v3,)

The generated text holds generated names only (kernels and constants are bound by name in
its namespace, never spliced as text). It runs only inside an executor run (whose allocator
and error state it relies on, as the generic steps do). Scalar groups never take the blocked
path (that needs a matrix input), so these are the very calls the generic steps make; a
failure anywhere makes the caller run the block generically, which raises the same error
with the executor's notes (the kernels are pure, so running them again changes nothing).
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
            lines.append(f"    {names[-1]} = {bind(node.kernel, 'k')}({', '.join(operands)})")
    *_, (_, results, _, _, _, _, _) = steps
    if any(type(a) is not int and type(a) is not _Const for a in results):
        return None
    packed = [f"v{a}" if type(a) is int else bind(a.value, "c") for a in results]
    guard = " or ".join(["not RUNNING.active"] + [f"type(v{k}) not in SCALARS"
                                                  for k in sorted(read)])
    lines.insert(0, f"    if {guard}:\n        return None")
    unpack = f"    {''.join(f'v{k}, ' for k in range(nparams))}= params\n" if nparams else ""
    source = ("def block(params):\n" + unpack + "\n".join(lines)
              + f"\n    return ({''.join(p + ', ' for p in packed)})\n")
    exec(compile(source, "<daphnelib scalar block>", "exec"), namespace)
    return namespace["block"]
