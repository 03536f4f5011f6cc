"""Algebraic rewrites of a :class:`Program` before it is compiled.

- **Common subexpressions** (value numbering): a pure instruction equal to an earlier one
  (same builtin, same arguments, constants compared with their type) reads the earlier value
  instead, so ``t(X)`` written twice is computed once.
- **Transposed products**: ``t(A) @ B``, ``A @ t(B)`` and ``t(A) @ t(B)`` become the kernels
  ``t@``, ``@t`` and ``t@t``, which hand BLAS a transposed view instead of materialising the
  transpose. ``t(X) @ X`` and ``X @ t(X)`` on one value are Gram products: one triangle is
  computed and mirrored, so the result is exactly symmetric, as DAPHNE's syrk rewrite gives.
- A transpose that only fed rewritten products is dropped. No other instruction is, even
  when nothing reads it: it may raise the error the script expects.

Instructions keep their numbers (``V<k>``), so an error still points at its source line.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from daphnelib.engine.fusion import FUSABLE
from daphnelib.engine.program import Instr, Program, Var, read_ids

# Builtins whose value depends on their arguments only (no randomness, no I/O, no side
# effect), so that two equal instructions have equal values.
PURE = FUSABLE | frozenset((
    "@", "t@", "@t", "t@t", "t", "transpose", "sum", "mean", "var", "stddev", "aggMin",
    "aggMax", "idxMin", "idxMax", "cumSum", "cumProd", "cumMin", "cumMax", "nrow", "ncol",
    "ncell", "fill", "seq", "diagMatrix", "diagVector", "reshape", "cbind", "rbind", "reverse",
    "lowerTri", "upperTri", "solve", "syrk", "gemv", "?:", "outerAdd", "outerSub", "outerMul",
    "outerDiv", "outerMin", "outerMax", "outerEq", "outerNeq", "outerLt", "outerLe", "outerGt",
    "outerGe", "softmax", "relu",
))
_CONSTANT_TYPES = (bool, int, float, str, type(None), np.generic)
_TRANSPOSES = ("t", "transpose")
_PRODUCT = {(True, False): "t@", (False, True): "@t", (True, True): "t@t"}


def rewrite(program: Program) -> Program:
    """The program with the rewrites of this module applied (same result)."""
    instrs = _common_subexpressions(program.instrs)
    instrs, folded = _transposed_products(instrs)
    return Program(_without_unread(instrs, folded))


def _is_pure(op: str) -> bool:
    return op in PURE or op.startswith("as.")


def _renamed(arg: Any, rename: dict[int, int]) -> Any:
    if type(arg) is Var:
        return Var(rename[arg.id]) if arg.id in rename else arg
    if isinstance(arg, slice) and (type(arg.start) is Var or type(arg.stop) is Var):
        return slice(*(_renamed(b, rename) for b in (arg.start, arg.stop)))
    return arg


def _key(ins: Instr) -> tuple | None:
    """A hashable identity of a pure instruction; None if an argument cannot be compared."""
    parts: list[Any] = [ins.op, ins.kind]
    for a in ins.args:
        if type(a) is Var:
            parts.append(a)
        elif isinstance(a, _CONSTANT_TYPES):
            # The type and repr tell 1, 1.0 and True apart, and -0.0 from 0.0.
            parts.append((type(a), repr(a)))
        else:
            return None
    return tuple(parts)


def _common_subexpressions(instrs: tuple[Instr, ...]) -> list[Instr]:
    rename: dict[int, int] = {}
    seen: dict[tuple, int] = {}
    out: list[Instr] = []
    last = len(instrs) - 1
    for i, ins in enumerate(instrs):
        args = tuple(_renamed(a, rename) for a in ins.args)
        if args != ins.args:
            ins = Instr(ins.out, ins.op, args, ins.kind)
        key = _key(ins) if _is_pure(ins.op) else None
        if key is not None:
            earlier = seen.get(key)
            if earlier is not None and i != last:  # the result stays the last instruction
                rename[ins.out] = earlier
                continue
            seen.setdefault(key, ins.out)
        out.append(ins)
    return out


def _transposed_products(instrs: list[Instr]) -> tuple[list[Instr], set[int]]:
    """The products rewritten, and the transposes they no longer read."""
    transposed = {ins.out: ins.args[0] for ins in instrs
                  if ins.op in _TRANSPOSES and len(ins.args) == 1 and type(ins.args[0]) is Var}
    out, folded = [], set()
    for ins in instrs:
        if ins.op == "@" and len(ins.args) == 2 and all(type(a) is Var for a in ins.args):
            lhs, rhs = ins.args
            flags = (lhs.id in transposed, rhs.id in transposed)
            if any(flags):
                folded.update(a.id for a, f in zip(ins.args, flags, strict=True) if f)
                args = (transposed[lhs.id] if flags[0] else lhs,
                        transposed[rhs.id] if flags[1] else rhs)
                ins = Instr(ins.out, _PRODUCT[flags], args, ins.kind)
        out.append(ins)
    return out, folded


def _without_unread(instrs: list[Instr], candidates: set[int]) -> tuple[Instr, ...]:
    """``instrs`` without the candidates nothing reads (the result always stays)."""
    read = {v for ins in instrs for v in read_ids(ins.args)}
    last = instrs[-1].out
    return tuple(ins for ins in instrs
                 if ins.out not in candidates or ins.out in read or ins.out == last)
