"""Compile and run a lowered :class:`Program` in-process.

Compilation rewrites the program (``engine/rewrite.py``: common subexpressions, symmetric
and transposed products), fuses elementwise groups (``engine/fusion.py``), resolves every
kernel once and records the last use of every value, so that the run drops each value from
its environment right after the instruction that reads it last: intermediates die as soon as
they can, and a dying buffer may be reused by a fused pipeline.

Every buffer the kernels allocate is 64-byte aligned (see ``_native.buffers``), so results can
be handed to TensorFlow/PyTorch through DLPack without a copy.
"""

from __future__ import annotations

import itertools
import sys
import threading
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from daphnelib._native.buffers import aligned_allocation, run_aligned
from daphnelib.engine import fusion
from daphnelib.engine.fusion import FUSED, Pipeline, fuse
from daphnelib.engine.program import Instr, Program, Var, read_ids
from daphnelib.engine.registry import lookup
from daphnelib.engine.representation import builtin_of, select_representations, step_kernel
from daphnelib.engine.rewrite import rewrite
from daphnelib.engine.structure import DATA, data_key, literal_key
from daphnelib.engine.values import CSRMatrix

try:  # numpy >= 2.0 keeps its error state in a context variable, cheap to set directly
    from numpy._core.umath import _extobj_contextvar, _make_extobj
except ImportError:  # a numpy that moved these privates: np.errstate, a few us slower per run
    _extobj_contextvar = None

# A compiled step: kernel; per argument an env slot (int) or an object with get(env); the
# output slot; the builtin's name; the slots that die here (cleared before the kernel runs);
# whether the output is kept (False: nothing reads it); the argument positions of a pipeline
# whose buffers may take its result (read once here and never again).
Step = tuple[Callable[..., Any], tuple[Any, ...], int, str, tuple[int, ...], bool,
             tuple[int, ...]]


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



class CompiledProgram:
    """Steps with resolved kernels and value lifetimes; run it with :func:`run`."""

    __slots__ = ("direct", "nslots", "result", "runner", "sparse", "steps")

    def __init__(self, steps: list[Step], nslots: int, result: int, sparse: bool = False
                 ) -> None:
        self.steps, self.nslots, self.result = steps, nslots, result
        # Whether CSR values may reach a step that is not CSR-aware (CSR input data).
        self.sparse = sparse
        # What runs the steps: None before the first run, then _steps, from the second run
        # on the generated function of _generated_steps (when the program has one).
        self.runner: Callable[[CompiledProgram, list[Any]], Any] | None = None
        # From the second run on: the native call computing the whole program and the
        # number of data it takes, where it has one (see _direct).
        self.direct: tuple[Callable[..., Any], int] | None = None

    def __len__(self) -> int:
        return len(self.steps)


def compile_program(program: Program, *, optimize: bool = True,
                    select_matrix_repr: bool = False, sparse_inputs: bool = False
                    ) -> CompiledProgram:
    """Rewrite and fuse (unless ``optimize`` is False), resolve kernels, compute lifetimes.

    Value ``V<k>`` keeps slot ``k``; a block's parameters occupy the slots below its first
    instruction. The result (the last instruction's value) is never dropped.
    ``select_matrix_repr`` makes results CSR where DAPHNE's ``--select-matrix-repr`` would
    (``engine/representation.py``). ``sparse_inputs``: the program reads CSR data (also
    found among its constants), so its steps check for CSR arguments and elementwise ops
    are not fused (the sparse kernels run op by op).
    """
    sparse_inputs = sparse_inputs or any(type(a) is CSRMatrix for ins in program.instrs
                                         for a in ins.args)
    if select_matrix_repr and program.instrs:
        program = select_representations(program, lookup)
    if optimize and program.instrs:
        program = rewrite(program)
        if not sparse_inputs:
            program = fuse(program)
    instrs = program.instrs
    if not instrs:
        return CompiledProgram([], 0, 0)
    result = instrs[-1].out
    last: dict[int, int] = {}
    for i, ins in enumerate(instrs):
        for v in read_ids(ins.args):
            last[v] = i
    dying: list[list[int]] = [[] for _ in instrs]
    for v, i in last.items():
        if v != result:
            dying[i].append(v)
    steps: list[Step] = []
    for i, ins in enumerate(instrs):
        if ins.op == FUSED:
            pipe, *args = ins.args
            dies = set(dying[i])
            counts = {a.id: args.count(a) for a in args}
            # Inputs read once here and never again may lend their buffer to the result.
            donors = tuple(k for k, a in enumerate(args) if a.id in dies and counts[a.id] == 1)
            fn: Callable[..., Any] = pipe
        else:
            fn, args, donors = step_kernel(ins.op, lookup), ins.args, ()
        keep = ins.out == result or ins.out in last
        steps.append((fn, tuple(_compiled_arg(a) for a in args), ins.out, builtin_of(ins.op),
                      tuple(dying[i]), keep, donors))
    nslots = max(result, *last) + 1 if last else result + 1
    return CompiledProgram(steps, nslots, result, sparse_inputs)


def run(program: CompiledProgram, params: Sequence[Any] = (), data: Sequence[Any] = ()
        ) -> Any:
    """Execute a compiled program; returns the last instruction's value.

    ``params`` pre-fill env slots ``0..len(params)-1`` (the inputs of a nested control-flow
    block, see ``engine/control.py``); the steps are numbered after them. ``data`` fill the
    last slots: the input buffers of a program compiled by :func:`compile_cached`.
    """
    if not program.steps:
        return None
    direct = program.direct
    if direct is not None and len(data) == direct[1] and not params:
        # The whole program in one native call, no context to enter (it allocates its
        # result aligned itself); it declines (None) inputs it does not take.
        value = direct[0](fusion.MIN_CELLS, *data)
        if value is not None:
            return value
    if params:
        env: list[Any] = [*params, *([None] * (program.nslots - len(params) - len(data))),
                          *data]
    else:  # a top-level program: the same list, built with fewer steps
        env = [None] * (program.nslots - len(data))
        env += data
    runner = program.runner or _runner(program)
    if _running.active:  # a nested block: the contexts below are already entered
        return runner(program, env)
    _running.active = True
    try:
        if _extobj_contextvar is None:
            with np.errstate(all="ignore"), aligned_allocation():
                return runner(program, env)
        return run_aligned(runner, program, env, _extobj_contextvar, _ignore_all())
    finally:
        _running.active = False


_ignoring: tuple[Any, Any] = (None, None)  # (an ambient error state, its ignore-all variant)


def _ignore_all() -> Any:
    """The error state ``np.errstate(all="ignore")`` would enter here.

    numpy keeps its error state in a context variable; setting it directly (``run_aligned``)
    spares the context manager's Python calls on every run. The ignore-all state is made
    from the ambient one (its error callback and buffer size), as ``np.errstate`` makes it,
    and kept while the ambient state stays the same object.
    """
    global _ignoring
    ambient = _extobj_contextvar.get()
    seen, ignore = _ignoring
    if seen is not ambient:
        ignore = _make_extobj(all="ignore")
        _ignoring = (ambient, ignore)
    return ignore


class _Running(threading.local):
    active = False  # whether this thread is inside run() (a block runs within a kernel)


_running = _Running()


def _runner(program: CompiledProgram) -> Callable[[CompiledProgram, list[Any]], Any]:
    """What runs a program's first run: the generic loop. The second run generates the
    program's function (:func:`_generated_steps`), which runs from then on: a program run
    once does not pay for generating code."""
    program.runner = _generate_then_run
    return _steps


def _generate_then_run(program: CompiledProgram, env: list[Any]) -> Any:
    runner = program.runner = _generated_steps(program) or _steps
    program.direct = _direct(program)
    return runner(program, env)


def _direct(program: CompiledProgram) -> tuple[Callable[..., Any], int] | None:
    """(The native call computing ``program``, the number of data it takes) for a program
    that receives its data and runs one pipeline with a native small path over it, in the
    same order (a tiny graph rebuilt in a loop: ``sum((X + 1) * 2, 0)``); None for any
    other program. :func:`run` calls it on the data first and runs the steps when it
    declines, so the result is the pipeline's small path's (``fusion.Pipeline.entry``)."""
    if program.sparse or len(program.steps) < 2:
        return None
    *receives, (fn, args, out, _, _, _, _) = program.steps
    if type(fn) is not Pipeline or out != program.result:
        return None
    first = program.nslots - len(receives)
    for k, (_, rargs, rout, op, _, _, _) in enumerate(receives):
        # The data slots in order, each received value the pipeline's input of that place.
        if op != "receiveFromNumpy" or rargs != (first + k,) or args[k:k + 1] != (rout,):
            return None
    small = fn.small_program() if len(args) == len(receives) else None
    return None if small is None else (small, len(receives))


def _generated_steps(program: CompiledProgram
                     ) -> Callable[[CompiledProgram, list[Any]], Any] | None:
    """A function doing what :func:`_steps` does for ``program``, with its loop unrolled:
    the same kernel calls in the same order, the same dying slots cleared before each call,
    the same buffer-donation check (the argument in a local variable and getrefcount's own
    reference: two), the same notes on errors. None for programs that may meet CSR values,
    read computed ranges or have more than :data:`GENERATED_STEPS` steps (those keep the
    loop). For ``sum(receive(V4), 0)``::

        def _steps(program, env):
            done = 0
            try:
                done = 0
                a0 = env[4]
                env[4] = None
                value = k0(a0, )
                a0 = None
                env[0] = value
                value = None
                done = 1
                a0 = env[0]
                a1 = c1_1
                env[0] = None
                value = k1(a0, a1, )
                ...
            except Exception as exc:
                if NOTES[done] is not None:
                    exc.add_note(NOTES[done])
                raise
            return env[1]

    Kernels and constants are bound by name in its namespace, never spliced into its text;
    ``done`` is the step, as in the loop, for daphnelib.progress (which finds the function by
    its name and :data:`STEPS_FILE`).
    """
    if program.sparse or len(program.steps) > GENERATED_STEPS:
        return None
    namespace: dict[str, Any] = {"ndarray": np.ndarray, "getrefcount": sys.getrefcount}
    notes: list[str | None] = []
    lines = ["    done = 0", "    try:"]
    for i, (fn, args, out, op, dies, keep, donors) in enumerate(program.steps):
        lines.append(f"        done = {i}")
        operands = []
        for j, a in enumerate(args):
            if type(a) is int:
                lines.append(f"        a{j} = env[{a}]")
            elif type(a) is _Const:
                namespace[f"c{i}_{j}"] = a.value
                lines.append(f"        a{j} = c{i}_{j}")
            else:
                return None  # a computed range
            operands.append(f"a{j}")
        lines += [f"        env[{int(d)}] = None" for d in dies]
        # A pipeline: its function for small f64 matrices, where it has one.
        namespace[f"k{i}"] = fn.entry() if type(fn) is Pipeline else fn
        call = f"k{i}({''.join(o + ', ' for o in operands)}"
        if donors:
            private = " + ".join(f"(({int(k)},) if type(a{k}) is ndarray and "
                                 f"getrefcount(a{k}) == 2 else ())" for k in donors)
            lines += [f"        private = {private}",
                      f"        value = {call}donors=private) if private else {call})"]
        else:
            lines.append(f"        value = {call})")
        if operands:
            lines.append(f"        {' = '.join(operands)} = None")
        if keep:
            lines.append(f"        env[{int(out)}] = value")
        lines.append("        value = None")
        notes.append(None if type(fn) is Pipeline else f"(in DaphneDSL builtin {op!r}, V{out})")
    namespace["NOTES"] = tuple(notes)
    lines += ["    except Exception as exc:", "        if NOTES[done] is not None:",
              "            exc.add_note(NOTES[done])", "        raise",
              f"    return env[{int(program.result)}]"]
    source = "def _steps(program, env):\n" + "\n".join(lines) + "\n"
    exec(compile(source, STEPS_FILE, "exec"), namespace)
    # Taken out of its own globals: no reference cycle, so the constants it holds go with
    # the program, not at the next garbage collection.
    return namespace.pop("_steps")


#: The file name of generated step functions (daphnelib.progress looks for it).
STEPS_FILE = "<daphnelib steps>"
#: Longer programs keep the loop: their per-step cost is small next to their run, and
#: compiling their text would not be.
GENERATED_STEPS = 64


def _steps(program: CompiledProgram, env: list[Any]) -> Any:
    sparse = program.sparse
    # ``done`` is read by daphnelib.progress from this frame (it samples, nothing reports).
    for done, (fn, args, out, op, dies, keep, donors) in enumerate(program.steps):  # noqa: B007
        vals = [env[a] if type(a) is int else a.get(env) for a in args]
        for d in dies:
            env[d] = None
        try:
            if sparse and CSRMatrix in map(type, vals):
                # Sparse operands: a CSR kernel, or the dense one on densified copies.
                from daphnelib.engine.kernels.sparse import call

                value = call(op, fn, vals)
            elif donors:
                # Two references (this list and getrefcount's argument): nothing else, not a
                # view, a caller or another value, can see the buffer.
                # (Scalars never lend a buffer: a loop's scalar pipelines skip the keyword.)
                private = tuple([k for k in donors
                                 if type(vals[k]) is np.ndarray and sys.getrefcount(vals[k]) == 2])
                value = fn(*vals, donors=private) if private else fn(*vals)
            else:
                value = fn(*vals)
        except Exception as exc:
            if type(fn) is not Pipeline:  # a pipeline names its failing op itself
                exc.add_note(f"(in DaphneDSL builtin {op!r}, V{out})")
            raise
        del vals  # the dying arguments go now, not at the next step
        if keep:
            env[out] = value
        del value  # the env slot is its only holder (see the donor check)
    return env[program.result]


# -- programs cached by structure ---------------------------------------------------------------

_CACHE: dict[tuple, CompiledProgram] = {}
_CACHE_SIZE = 256


def cached(key: tuple) -> CompiledProgram | None:
    """The compilation kept under ``key`` (see :func:`remember`), or None."""
    return _CACHE.get(key)


def remember(key: tuple, compiled: CompiledProgram) -> None:
    """Keep ``compiled`` under ``key``; the oldest of :data:`_CACHE_SIZE` entries goes."""
    if len(_CACHE) >= _CACHE_SIZE:
        _CACHE.pop(next(iter(_CACHE)))
    _CACHE[key] = compiled


def _structure(program: Program) -> tuple[tuple | None, list[Any]]:
    """(A key equal for programs that differ in their data only, or None; the data)."""
    data: list[Any] = []
    key = []
    try:
        for ins in program.instrs:
            args = []
            for a in ins.args:
                if isinstance(a, DATA):
                    args.append(data_key(a))
                    data.append(a)
                else:
                    args.append(literal_key(a))
            key.append((ins.op, ins.kind, *args))
    except TypeError:
        return None, []
    return tuple(key), data


def _with_data_slots(program: Program, first: int) -> Program:
    """``program`` reading its data from slots ``first, first + 1, ...`` instead."""
    slot = itertools.count(first)
    return Program(tuple(
        Instr(ins.out, ins.op, tuple(Var(next(slot)) if isinstance(a, DATA) else a
                                     for a in ins.args), ins.kind)
        for ins in program.instrs))


def compile_cached(program: Program) -> tuple[CompiledProgram, tuple[Any, ...]]:
    """The compiled program and the data to :func:`run` it with. Programs that differ only
    in their input buffers share one compilation, so a loop rebuilding the same graph
    compiles once."""
    key, data = _structure(program)
    if key is None:
        return compile_program(program), ()
    compiled = _CACHE.get(key)
    if compiled is None:
        first = max((ins.out for ins in program.instrs), default=-1) + 1
        csr = any(type(d) is CSRMatrix for d in data)
        compiled = compile_program(_with_data_slots(program, first), sparse_inputs=csr)
        remember(key, compiled)
    return compiled, tuple(data)


def execute(program: Program) -> Any:
    """Compile (cached by structure) and run a top-level program; its result value."""
    compiled, data = compile_cached(program)
    return run(compiled, (), data)
