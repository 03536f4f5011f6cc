"""Compile and run DaphneDSL scripts on the embedded engine; print their IR (``--explain``)."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from daphnelib.dsl.checks import check_static
from daphnelib.dsl.checks import located as _located
from daphnelib.dsl.errors import CompileError, ExecutionError, ParseError, StoppedError
from daphnelib.dsl.lowering import Buffers, Lowered, lower_script
from daphnelib.dsl.parser import parse
from daphnelib.engine.control import Block, FunctionGroup
from daphnelib.engine.program import Program, Var
from daphnelib.engine.values import FrameValue

# A DSL call nests about six Python frames; this allows recursion ~1500 calls deep.
_RECURSION_LIMIT = 10_000
_NOTE = re.compile(r"\(in DaphneDSL builtin .*, V(\d+)\)$")


def compile_script(
    source: str | None = None,
    *,
    path: str | os.PathLike[str] | None = None,
    args: Mapping[str, str] | None = None,
    import_paths: Mapping[str, Sequence[str]] | None = None,
    buffers: Buffers | None = None,
) -> Lowered:
    """Parse and lower a script (text, or the file at ``path``), run the static checks
    (``dsl/checks.py``) and check that the engine has a kernel for every builtin it uses.
    ``args`` are script arguments as literal texts (``{"n": "10", "s": '"text"'}``)."""
    if source is None:
        if path is None:
            raise TypeError("compile_script needs the script text or a path")
        try:
            with open(path, encoding="utf-8") as f:
                source = f.read()
        except UnicodeDecodeError as exc:
            raise ParseError(f"{os.fspath(path)}: the script is not UTF-8 text ({exc.reason} at "
                             f"byte {exc.start})") from None
    file = "<script>" if path is None else os.fspath(path)
    lowered = lower_script(parse(source, file, args), args=args, import_paths=import_paths,
                           buffers=buffers)
    check_static(lowered)  # errors DAPHNE's parser and compiler passes find (exit 1, 2)
    check_kernels(lowered)
    return lowered


def run_script(source: str | None = None, **kwargs: Any) -> Any:
    """Compile and run a script; returns the value of its last instruction (the argument of a
    final ``saveDaphneLibResult(x)``, for instance). Raises :class:`DaphneDSLError`."""
    return execute(compile_script(source, **kwargs))


def _programs(program: Program, seen: set[int]) -> list[Program]:
    """The program and every nested block and called function body, once each."""
    out = [program]
    for ins in program.instrs:
        for a in ins.args:
            if isinstance(a, Block):
                out += _programs(a.program, seen)
            elif isinstance(a, FunctionGroup) and id(a) not in seen:
                seen.add(id(a))
                for o in a.overloads:
                    out += _programs(o.block.program, seen)
    return out


def check_kernels(lowered: Lowered) -> None:
    """Fail before running anything if a used builtin has no kernel (exit status 2)."""
    from daphnelib.engine.registry import lookup

    for program in _programs(lowered.program, set()):
        for ins in program.instrs:
            try:
                lookup(ins.op)
            except NotImplementedError as exc:
                raise _located(CompileError, str(exc), lowered, program, ins.out) from None


def execute(lowered: Lowered, backend: Any = None, *, select_matrix_repr: bool = False) -> Any:
    """Run a lowered script (on ``backend``, a :class:`~daphnelib.backends.base.Backend`, if
    given; else the embedded engine). Kernel failures become :class:`ExecutionError` s that
    point at the script line of the failing operation. ``select_matrix_repr``: DAPHNE's
    ``--select-matrix-repr`` (CSR results where its sparsity estimate says so; embedded
    engine only)."""
    from daphnelib.engine.executor import compile_program, run
    from daphnelib.errors import StopExecution

    if not lowered.program.instrs:
        return None
    steps = (compile_program(lowered.program, select_matrix_repr=select_matrix_repr)
             if backend is None else None)
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, _RECURSION_LIMIT))
    try:
        return run(steps) if backend is None else backend.execute(lowered.program)
    except StopExecution as exc:
        # DAPHNE writes this line to stdout (after what the script printed) and exits with 3.
        raise StoppedError(str(exc)) from None
    except BrokenPipeError:
        raise  # the reader of stdout went away: not the script's fault
    except RecursionError:
        raise ExecutionError("the script recurses too deeply (DSL function calls nested "
                             "more than about a thousand levels)") from None
    except Exception as exc:  # a kernel's error: a bad input, shape or type
        program = getattr(exc, "daphne_program", lowered.program)
        notes = getattr(exc, "__notes__", [])
        m = _NOTE.search(notes[0]) if notes else None
        # KeyError's str() is the repr of its argument; show the message itself.
        text = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
        message = str(text) or type(exc).__name__
        raise _located(ExecutionError, message, lowered, program,
                       int(m.group(1)) if m else None) from exc
    finally:
        sys.setrecursionlimit(limit)


# -- --explain --------------------------------------------------------------------------------

def _operand(a: Any, blocks: list[Block]) -> str:
    if type(a) is Var:
        return f"V{a.id}"
    if isinstance(a, Block):
        blocks.append(a)
        return f"block{len(blocks)}"
    if isinstance(a, FunctionGroup):
        return a.name
    if isinstance(a, np.ndarray):
        return f"<{a.shape[0]}x{a.shape[1]} {a.dtype} array>"
    if isinstance(a, FrameValue):
        return f"<{a.nrow}x{a.ncol} frame>"
    if isinstance(a, slice):
        lo = "" if a.start is None else _operand(a.start, blocks)
        hi = "" if a.stop is None else _operand(a.stop, blocks)
        return f"{lo}:{hi}"
    if isinstance(a, str):
        return repr(a)
    if isinstance(a, np.generic):
        return f"{a.item()!r}:{a.dtype}"
    return repr(a)


def _param_range(n: int) -> str:
    return "none" if n == 0 else "V0" if n == 1 else f"V0..V{n - 1}"


def _explain_program(program: Program, indent: str, out: list[str]) -> None:
    for ins in program.instrs:
        blocks: list[Block] = []
        args = ", ".join(_operand(a, blocks) for a in ins.args)
        out.append(f"{indent}V{ins.out} = {ins.op}({args})  : {ins.kind.value}")
        for i, b in enumerate(blocks, 1):
            params = _param_range(b.nparams)
            out.append(f"{indent}  block{i} (params {params}):")
            _explain_program(b.program, indent + "    ", out)


def explain(lowered: Lowered) -> str:
    """The IR of a lowered script, nested blocks indented, then each function definition."""
    out: list[str] = []
    _explain_program(lowered.program, "", out)
    for group in lowered.functions:
        for o in group.overloads:
            params = _param_range(len(o.param_names))
            out.append(f"def {o.signature()}  (params {params}):")
            _explain_program(o.block.program, "    ", out)
    return "\n".join(out) + "\n"
