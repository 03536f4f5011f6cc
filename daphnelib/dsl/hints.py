"""Kernel hints: ``sum::kernelName(X)`` and ``X +::kernelName Y``.

DAPHNE lets a script name the pre-compiled kernel of one builtin call or operator. We run
our own kernels, so a hint changes nothing here, but we check it as DAPHNE would: a hint on a
user-defined function is a parser error (exit 1), and a hint that cannot name a kernel of
that operation is a compile error (exit 2). DAPHNE's pre-compiled kernels are named
``_<opMnemonic>__<result and argument types>`` (``_sumAll__int64_t__DenseMatrix_int64_t``);
kernels of a ``--kernel-ext`` extension have the ``kernelFuncName`` of its JSON file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from daphnelib.dsl.builtins import BUILTINS
from daphnelib.dsl.errors import CompileError, ParseError
from daphnelib.dsl.lexer import Token

# DaphneIR op mnemonics of the DSL operators and of builtins whose op is named otherwise.
_EW = {"+": "Add", "-": "Sub", "*": "Mul", "/": "Div", "^": "Pow", "%": "Mod", "==": "Eq",
       "!=": "Neq", "<": "Lt", "<=": "Le", ">": "Gt", ">=": "Ge", "&&": "And", "||": "Or"}
_MNEMONICS: dict[str, tuple[str, ...]] = {
    **{op: (f"ew{name}",) for op, name in _EW.items()},
    "@": ("matMul",),
    "sum": ("sumAll", "sumRow", "sumCol"),
    "aggMin": ("minAll", "minRow", "minCol"),
    "aggMax": ("maxAll", "maxRow", "maxCol"),
    "mean": ("meanAll", "meanRow", "meanCol"),
    "var": ("varAll", "varRow", "varCol"),
    "stddev": ("stddevAll", "stddevRow", "stddevCol"),
    "t": ("transpose",),
    "min": ("ewMin",),
    "max": ("ewMax",),
    "pow": ("ewPow",),
    "log": ("ewLog",),
    "mod": ("ewMod",),
    "ln": ("ewLn",),
    "concat": ("ewConcat",),
    "idxMin": ("idxMin",),
    "idxMax": ("idxMax",),
}

_extension_kernels: set[str] = set()


def use_extension_kernels(names: Iterable[str]) -> None:
    """The kernel names the ``--kernel-ext`` extensions of this run provide (valid hints for
    any op); replaces those of an earlier run in the same process."""
    _extension_kernels.clear()
    _extension_kernels.update(names)


def _mnemonics(name: str) -> tuple[str, ...]:
    if name in _MNEMONICS:
        return _MNEMONICS[name]
    cap = name[:1].upper() + name[1:]
    # A unary elementwise builtin is ``ew<Name>``; most others keep their DSL name.
    return (name, f"ew{cap}", f"{name}All", f"{name}Row", f"{name}Col")


def check_hint(name: str, hint: Token, error: Callable[[str, Token], ParseError]) -> None:
    """Check the kernel hint ``hint`` given for the builtin or operator ``name``."""
    if name not in BUILTINS and name not in _MNEMONICS:
        raise error(f"a kernel hint can only be given for a builtin function or an operator; "
                    f"{name!r} is not a builtin (user-defined functions take no hints)", hint)
    if hint.text in _extension_kernels:
        return
    mnemonic = hint.text[1:].split("__", 1)[0] if hint.text.startswith("_") else None
    if mnemonic not in _mnemonics(name):
        wanted = " or ".join(f"_{m}__..." for m in _mnemonics(name)[:3])
        e = error(f"kernel hint {hint.text!r} names no kernel of {name!r} (its pre-compiled "
                  f"kernels are named {wanted}, or name a --kernel-ext kernel)", hint)
        raise CompileError(e.message, e.file, e.line, e.col, e.source_line)
