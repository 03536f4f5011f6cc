"""``--select-matrix-repr``: which matrix results are CSR, by DAPHNE's rule.

DAPHNE estimates the sparsity (fraction of non-zeros) of matrix results at compile time and
makes a result CSR when its estimate is below the threshold 0.25. Estimates exist only where
they can be derived: ``rand`` with a literal sparsity, ``seq`` (dense); ``t``/``reshape``
keep their argument's; ``+``/``-`` of two known ``a``, ``b`` give ``a + b - ab``; ``*`` gives
``ab``, or the one known factor (a scalar's sparsity is unknown); ``@`` gives
``1 - (1 - ab)^k`` for an inner dimension ``k``; ``lowerTri``/``upperTri`` half the
argument's. Anything else is unknown, hence dense. Scalar arguments computed from literals
(``2.0 * e / n ^ 2.0`` with script arguments ``e``, ``n``) are folded first, as DAPHNE's
canonicalisation does, by running their pure kernels on the constants.

The pass renames an instruction whose result is chosen CSR to ``toCSR:<builtin>`` and one
that reads a CSR value but produces a dense result to ``toDense:<builtin>``; the executor runs
those through :func:`step_kernel`. Instruction numbers are kept. Only the top-level program is
annotated: inside control-flow blocks and functions, CSR values that enter are densified by
kernels without a CSR implementation (docs/compatibility.md).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from daphnelib.engine.program import Instr, Kind, Program, Var
from daphnelib.engine.rewrite import PURE

THRESHOLD = 0.25  # DAPHNE's sparsity_threshold (a float in its user config, exactly 0.25)
TO_CSR, TO_DENSE = "toCSR:", "toDense:"

_Shape = tuple[int, int] | None


_NO_VALUE = object()


def _folded(ins: Instr, constants: dict[int, Any], lookup: Callable[[str], Callable[..., Any]]
            ) -> Any:
    """The value of a pure scalar instruction over constants, or ``_NO_VALUE``."""
    if ins.kind is not Kind.SCALAR or not (ins.op in PURE or ins.op.startswith("as.")):
        return _NO_VALUE
    args = []
    for a in ins.args:
        if type(a) is Var:
            if a.id not in constants:
                return _NO_VALUE
            a = constants[a.id]
        elif not isinstance(a, (int, float, np.number)):
            return _NO_VALUE
        args.append(a)
    try:
        return lookup(ins.op)(*args)
    except Exception:  # the error is the run's to report, at its place
        return _NO_VALUE


def _estimate(ins: Instr, sparsity: dict[int, float], shapes: dict[int, _Shape],
              constants: dict[int, Any]) -> tuple[float | None, _Shape]:
    """(estimated sparsity or None, shape or None) of ``ins``'s result."""
    def _constant(arg: Any) -> float | None:
        if type(arg) is Var:
            arg = constants.get(arg.id)
        if arg is None or isinstance(arg, (str, bool)):
            return None
        try:
            return float(arg)
        except (TypeError, ValueError):
            return None

    def of(a: Any) -> float | None:
        return sparsity.get(a.id) if type(a) is Var else None

    def shape(a: Any) -> _Shape:
        return shapes.get(a.id) if type(a) is Var else None

    op, args = ins.op, ins.args
    if op == "rand" and len(args) == 6:
        rows, cols = _constant(args[0]), _constant(args[1])
        known = rows is not None and cols is not None
        return _constant(args[4]), (int(rows), int(cols)) if known else None
    if op == "seq":
        return 1.0, None
    if op in ("t", "transpose") and len(args) == 1:
        s = shape(args[0])
        return of(args[0]), (s[1], s[0]) if s else None
    if op == "reshape" and len(args) == 3:
        return of(args[0]), None
    if op in ("lowerTri", "upperTri") and args:
        s = of(args[0])
        return (None if s is None else s / 2), shape(args[0])
    if op in ("+", "-", "*") and len(args) == 2:
        a, b = of(args[0]), of(args[1])
        result_shape = shape(args[0]) or shape(args[1])
        if a is not None and b is not None:
            return (a * b if op == "*" else a + b - a * b), result_shape
        if op == "*":
            return (a if a is not None else b), result_shape
        return None, result_shape
    if op == "@" and len(args) == 2:
        a, b = of(args[0]), of(args[1])
        left, right = shape(args[0]), shape(args[1])
        out_shape = (left[0], right[1]) if left and right else None
        k = left[1] if left else right[0] if right else None
        if a is None or b is None or k is None:
            return None, out_shape
        return 1.0 - (1.0 - a * b) ** k, out_shape
    return None, None


def select_representations(program: Program,
                           lookup: Callable[[str], Callable[..., Any]]) -> Program:
    """``program`` with the results DAPHNE would make CSR marked, and their readers;
    ``lookup`` resolves kernels for constant folding."""
    sparsity: dict[int, float] = {}
    shapes: dict[int, _Shape] = {}
    constants: dict[int, Any] = {}
    csr: set[int] = set()
    out = []
    for ins in program.instrs:
        value = _folded(ins, constants, lookup)
        if value is not _NO_VALUE:
            constants[ins.out] = value
        s, shape = _estimate(ins, sparsity, shapes, constants)
        if s is not None:
            sparsity[ins.out] = s
        shapes[ins.out] = shape
        if ins.kind is Kind.MATRIX and s is not None and s < THRESHOLD:
            csr.add(ins.out)
            ins = Instr(ins.out, TO_CSR + ins.op, ins.args, ins.kind)
        elif any(type(a) is Var and a.id in csr for a in ins.args):
            ins = Instr(ins.out, TO_DENSE + ins.op, ins.args, ins.kind)
        out.append(ins)
    return Program(tuple(out))


def builtin_of(op: str) -> str:
    """The DaphneDSL builtin of a (possibly marked) op name."""
    for prefix in (TO_CSR, TO_DENSE):
        if op.startswith(prefix):
            return op[len(prefix):]
    return op


class Represented:
    """The kernel of a marked op: the builtin (CSR-aware), its result converted to the
    representation chosen for it."""

    __slots__ = ("builtin", "csr", "inner")
    sparse_aware = True

    def __init__(self, builtin: str, inner: Callable[..., Any], csr: bool) -> None:
        self.builtin, self.inner, self.csr = builtin, inner, csr

    def __call__(self, *args: Any) -> Any:
        from daphnelib.engine.kernels import sparse

        if self.csr and self.builtin == "rand":
            return sparse.rand_csr(*args)  # DAPHNE's CSR kernel: its own random stream
        return sparse.to_representation(sparse.call(self.builtin, self.inner, args), self.csr)


def step_kernel(op: str, lookup: Callable[[str], Callable[..., Any]]) -> Callable[..., Any]:
    """The kernel to run for op name ``op`` (marked or not)."""
    builtin = builtin_of(op)
    if builtin == op:
        return lookup(op)
    return Represented(builtin, lookup(builtin), op.startswith(TO_CSR))
