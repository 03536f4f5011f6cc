"""Structured control flow and functions in the IR, shared by the DSL front end and the
Python API (``dc.cond``, ``dc.for_loop``, ``@dc.function``, ...).

The IR stays a straight-line SSA list; control flow is a handful of ordinary instructions
whose constant arguments are nested :class:`Block` s (kernels in ``kernels/control.py``)::

    V7 = if(cond, then_block, else_block | None, ncarried, *carried, *captured)
    V7 = for(start, end, step | None, body_block, ncarried, *carried, *captured)
    V7 = while(cond_block, body_block, ncarried, *carried, *captured)     # also "do-while"
    V7 = call(function_group, nresults, *args)
    V8 = item(V7, 0)                                                     # pick one result

A block's parameters are the loop variable (``for`` only), then the *carried* values (the
variables the construct may change), then the *captured* ones (read only). A body block
yields the new carried values; a condition block yields one value. The construct's result is
the tuple of final carried values, unpacked by ``item``. A block has its own numbering:
parameters occupy slots ``0..nparams-1`` and its instructions are numbered from ``nparams``;
its last instruction is ``results(...)``, whose value is the tuple the block yields.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from daphnelib.engine.program import Program
from daphnelib.engine.values import FrameValue
from daphnelib.engine.valuetypes import vt_of, vt_of_dtype

if TYPE_CHECKING:
    from daphnelib.engine.executor import CompiledProgram
    from daphnelib.engine.scalar_blocks import ScalarBlock

STRUCTURED_OPS = frozenset(("if", "for", "while", "do-while", "call"))


class Block:
    """A nested region: ``nparams`` inputs, a program numbered after them, a results tuple."""

    __slots__ = ("_fast", "_steps", "nparams", "program")

    def __init__(self, nparams: int, program: Program) -> None:
        last = program.instrs[-1] if program.instrs else None
        if last is None or last.op != "results":
            raise ValueError("a block's program must end with a 'results' instruction")
        self.nparams = nparams
        self.program = program
        self._steps: CompiledProgram | None = None
        # The block as one generated function when it is scalar ops only (False: it is not;
        # None: not compiled yet); see engine/scalar_blocks.py.
        self._fast: ScalarBlock | bool | None = None

    @property
    def nresults(self) -> int:
        return len(self.program.result.args)

    def steps(self) -> CompiledProgram:
        if self._steps is None:
            from daphnelib.engine.executor import compile_program
            from daphnelib.engine.scalar_blocks import scalar_block

            self._steps = compile_program(self.program)
            self._fast = scalar_block(self._steps, self.nparams) or False
        return self._steps

    def run(self, params: Sequence[Any]) -> tuple:
        try:
            fast = self._fast
            if fast:
                out = fast(params)
                if out is not None:
                    return out
            from daphnelib.engine.executor import run

            return run(self.steps(), params)
        except Exception as exc:
            # The innermost block an error happened in: with the executor's note naming the
            # instruction, the DSL runner maps the failure back to a script line.
            if not hasattr(exc, "daphne_program"):
                with contextlib.suppress(AttributeError, TypeError):
                    exc.daphne_program = self.program
            raise

    def __reduce__(self) -> tuple[Any, ...]:
        # Without the compiled caches (generated code): a block sent to another process (a
        # Dask worker running ``map`` per block) compiles again there.
        return (Block, (self.nparams, self.program))

    def __repr__(self) -> str:
        return f"<block: {self.nparams} params, {len(self.program.instrs)} instrs>"


# -- runtime types, for typed function parameters ---------------------------------------------

@dataclass(frozen=True, slots=True)
class TypeSpec:
    """A declared type: ``matrix<f64>`` is ("matrix", "f64"), ``si64`` is ("scalar", "si64")."""

    data: str  # "matrix" | "frame" | "scalar"
    value: str | None = None

    def __str__(self) -> str:
        if self.value is None:
            return self.data
        return self.value if self.data == "scalar" else f"{self.data}<{self.value}>"


def data_type(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return "matrix"
    if isinstance(value, FrameValue):
        return "frame"
    if isinstance(value, list):
        return "list"
    return "scalar"


def describe(value: Any) -> str:
    """A short type description for error messages, e.g. ``matrix<f64>``."""
    dt = data_type(value)
    if dt == "matrix":
        return f"matrix<{vt_of_dtype(value.dtype)}>"
    if dt == "scalar":
        try:
            return vt_of(value)
        except TypeError:
            return type(value).__name__
    return dt


def _value_type(value: Any) -> str | None:
    dt = data_type(value)
    if dt == "matrix":
        return vt_of_dtype(value.dtype)
    if dt == "scalar":
        return vt_of(value)
    return None


def _matches(spec: TypeSpec | None, value: Any) -> int:
    """2 exact, 1 castable (same data type), 0 no match; an untyped parameter gives 2."""
    if spec is None:
        return 2
    if data_type(value) != spec.data:
        return 0
    if spec.value is None:
        return 2
    vt = _value_type(value)
    return 2 if vt == spec.value or (vt == "size" and spec.value == "ui64") else 1


class LocalCalls:
    """How a function call runs its definition: here, in this process, on engine values.

    A backend whose values live elsewhere (a Dask cluster) passes a subclass: ``view`` gives
    what the type checks see (a stand-in of the same type, value type and shape), ``convert``
    runs an ``as.*`` cast builtin, ``run`` runs the body's block.
    """

    def view(self, value: Any) -> Any:
        return value

    def convert(self, op: str, value: Any) -> Any:
        from daphnelib.engine.registry import lookup

        return lookup(op)(value)

    def run(self, block: Block, params: Sequence[Any]) -> tuple:
        return block.run(params)

    def cast(self, spec: TypeSpec | None, value: Any) -> Any:
        """``value`` cast to the declared type through the engine's ``as.*`` builtins."""
        if spec is None or _matches(spec, self.view(value)) == 2:
            return value
        return self.convert(f"as.{spec.value}" if spec.data == "scalar" else
                            f"as.{spec.data}<{spec.value}>", value)


LOCAL_CALLS = LocalCalls()


class Overload:
    """One definition of a user-defined function."""

    __slots__ = ("block", "name", "param_names", "param_types", "return_types")

    def __init__(self, name: str, param_names: Sequence[str],
                 param_types: Sequence[TypeSpec | None],
                 return_types: Sequence[TypeSpec] | None, block: Block | None = None) -> None:
        self.name = name
        self.param_names = tuple(param_names)
        self.param_types = tuple(param_types)
        self.return_types = None if return_types is None else tuple(return_types)
        self.block = block  # set once the body is lowered (it may call itself)

    def signature(self) -> str:
        params = ", ".join(n if t is None else f"{n}: {t}"
                           for n, t in zip(self.param_names, self.param_types, strict=True))
        rets = "" if not self.return_types else " -> " + ", ".join(map(str, self.return_types))
        return f"{self.name}({params}){rets}"

    def run(self, args: Sequence[Any], calls: LocalCalls = LOCAL_CALLS) -> tuple:
        args = [calls.cast(t, a) for t, a in zip(self.param_types, args, strict=True)]
        out = calls.run(self.block, args)
        if self.return_types is None:
            return out
        checked = []
        for i, (t, v) in enumerate(zip(self.return_types, out, strict=True)):
            seen = calls.view(v)
            if _matches(t, seen) == 0:
                raise TypeError(f"function {self.signature()} returned {describe(seen)} as "
                                f"result {i}, not a {t.data}")
            checked.append(calls.cast(t, v))
        return tuple(checked)


class FunctionGroup:
    """All definitions of one function name; a call picks one by the arguments' types."""

    __slots__ = ("name", "overloads")

    def __init__(self, name: str) -> None:
        self.name = name
        self.overloads: list[Overload] = []

    def select(self, args: Sequence[Any], nresults: int) -> Overload:
        cands = [o for o in self.overloads if len(o.param_names) == len(args)]
        if nresults > 0:
            # Overloads may differ in their number of results (DAPHNE test typed_5).
            fitting = [o for o in cands if o.block is not None and o.block.nresults == nresults]
            cands = fitting or cands
        best, best_score = None, (-1, -1)
        for o in cands:
            scores = [_matches(t, a) for t, a in zip(o.param_types, args, strict=True)]
            if 0 in scores:
                continue
            exact = all(s == 2 for s in scores)
            typed = sum(t is not None for t in o.param_types)
            score = (int(exact), typed)
            if score > best_score:
                best, best_score = o, score
        if best is None:
            got = ", ".join(describe(a) for a in args)
            sigs = "; ".join(o.signature() for o in self.overloads)
            raise TypeError(f"no definition of function {self.name!r} accepts ({got}); "
                            f"defined: {sigs}")
        return best

    def call(self, args: Sequence[Any], nresults: int, calls: LocalCalls = LOCAL_CALLS) -> Any:
        """Run the matching definition. ``nresults`` is what the caller unpacks: 1 returns
        the value itself, k > 1 a k-tuple, 0 (a call statement) and -1 the tuple as is.
        ``calls`` says where the definition runs (default: here)."""
        overload = self.select([calls.view(a) for a in args] if calls is not LOCAL_CALLS
                               else args, nresults)
        out = overload.run(args, calls)
        if nresults > 0 and len(out) != nresults:
            raise ValueError(f"function {overload.signature()} returns {len(out)} value(s), "
                             f"but {nresults} are expected at the call")
        return out[0] if nresults == 1 else out

    def __repr__(self) -> str:
        return f"<function {self.name}: {len(self.overloads)} definition(s)>"


def truth(value: Any, what: str = "condition") -> bool:
    """A condition value as bool: a scalar, or a 1x1 matrix/frame (nonzero is true)."""
    if isinstance(value, np.ndarray):
        if value.size != 1:
            raise ValueError(f"the {what} must be a single value, got a {value.shape[0]}x"
                             f"{value.shape[1]} matrix")
        value = value.reshape(-1)[0]
    elif isinstance(value, FrameValue):
        if value.nrow != 1 or value.ncol != 1:
            raise ValueError(f"the {what} must be a single value, got a {value.nrow}x"
                             f"{value.ncol} frame")
        value = value.columns[0][0]
    if isinstance(value, (str, np.str_)):
        raise TypeError(f"the {what} must be a number or bool, got the string {value!r}")
    return bool(value)
