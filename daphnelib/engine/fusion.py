"""Fused elementwise pipelines, run over row blocks on a thread pool.

:func:`fuse` groups the elementwise instructions of a program (binary operators and math
builtins, unary builtins) whose intermediate values are read only inside the group into one
``fused`` instruction holding a :class:`Pipeline`. At run time a pipeline resolves the value
types and shapes of its operations once, then evaluates the whole group block by block: each
block is a few hundred KiB of rows, so its temporaries stay in cache and only the group's
result is materialised. Blocks run on a pool of one thread per core; the numpy ufuncs and the
Cython integer kernels they call release the GIL.

Every block runs the very kernels of the unfused ops (``kernels/elementwise.py``) on row
slices, so results are identical: the ops are elementwise and DAPHNE's broadcasting only
stretches extent-1 dimensions (a 1 x m row is whole in every block, an n x 1 column is sliced
with the rows). Small inputs, scalar-only groups, strings and DAPHNE's index type take the
unfused path, which runs the registered kernels one after the other; a failing block also
re-runs the group unfused, so an error is the unfused op's own, with its note.

A group of f64 ops over equal-shaped matrices and scalars (arithmetic, comparisons, min/max,
minus, abs) runs instead as one register program of ``_native/fused.pyx`` (:class:`_Native`):
one pass over memory in L1-sized strips, the GIL released, the same IEEE operations as the
ufuncs. A full ``sum`` consuming a group joins it; on the native path the sum is streamed
along numpy's pairwise summation tree, so it equals the ``sum`` kernel's result over the
materialised value bit for bit while only a strip per thread is ever materialised.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from daphnelib._native import fused as native
from daphnelib.engine.kernels.elementwise import (
    _ARITH,
    _F64,
    _F64_MATRIX_OPS,
    _NUMBERS,
    BINARY,
    UNARY,
    _check_broadcast,
    unary_apply,
    unary_typing,
)
from daphnelib.engine.program import Instr, Program, Var, read_ids
from daphnelib.engine.registry import lookup
from daphnelib.engine.valuetypes import DTYPE_OF_VT, is_integral, vt_of, vt_of_dtype

if TYPE_CHECKING:  # the pool's module is imported with the first fused block (cold start)
    from concurrent.futures import ThreadPoolExecutor

FUSED = "fused"
# ``concat`` works on strings only; every other binary builtin may join a pipeline.
FUSABLE = frozenset(op for op in BINARY if op != "concat") | UNARY
# A full ``sum`` (one argument) or row sums (``sum(X, 0)``) may end a pipeline: then the
# group's value is not materialised when the native kernel takes it (see ``_Native.sum``).
TOTAL = "sum"
# Ops that can raise on values (a domain error; integer division by zero): a pipeline with
# one of them never writes into an input's buffer, so the unfused re-run reads intact inputs.
_DOMAIN_ERRORS = frozenset(("sqrt", "ln", "asin", "acos"))
_INT_ERRORS = frozenset(("/", "%", "mod", "^", "pow"))

# Cells per block (1 MiB of f64: half that left the pool threads waiting on each other's
# per-op Python work, 1.57 vs 1.73 cores busy on the elementwise benchmark) and the result
# size below which fusing does not pay.
BLOCK_CELLS = 1 << 17
MIN_CELLS = 1 << 17
_pool: ThreadPoolExecutor | None = None
_WORKERS = os.cpu_count() or 1
# Longer pipelines keep walking their nodes unfused (compiling their text would not pay).
GENERATED_NODES = 64

# Operand references inside a pipeline: (_IN, k) the k-th input, (_NODE, j) node j's value,
# (_CONST, v) a literal.
_IN, _NODE, _CONST = range(3)


def _threads() -> ThreadPoolExecutor:
    global _pool
    if _pool is None:
        from concurrent.futures import ThreadPoolExecutor

        _pool = ThreadPoolExecutor(max_workers=_WORKERS,
                                   thread_name_prefix="daphnelib-block")
    return _pool


def _forget_pool() -> None:
    """A forked child has none of the parent's threads: it starts a pool of its own."""
    global _pool
    _pool = None


os.register_at_fork(after_in_child=_forget_pool)


class _Node:
    __slots__ = ("args", "frees", "kernel", "op", "out")

    def __init__(self, op: str, out: int, args: tuple[tuple[int, Any], ...]) -> None:
        self.op, self.out, self.args = op, out, args
        self.kernel = lookup(op)
        self.frees: tuple[int, ...] = ()  # node values last read by this node


class Pipeline:
    """A fused group of elementwise ops; the kernel of a ``fused`` instruction.

    Called with the group's inputs (matrices or scalars) in order, it returns the value of
    the group's last op. ``donors`` are positions of inputs that die at this step and that
    nothing else refers to: the result may be written into such a buffer. The last op may
    be a ``sum`` of the elementwise ops' value (:attr:`total`): over all cells, or per row
    (:attr:`rows`).
    """

    __slots__ = ("_small", "_walk", "nodes", "rows", "total")

    def __init__(self, nodes: Sequence[_Node]) -> None:
        self.nodes = tuple(nodes)
        self.total = self.nodes[-1].op == TOTAL
        self.rows = self.total and len(self.nodes[-1].args) == 2
        # The unfused walk as generated code, made at the second unfused run (see unfused);
        # False after the first.
        self._walk: Callable[[Sequence[Any]], Any] | bool | None = None
        # The native call for small inputs (see small_program); False until asked for.
        self._small: native.Small | bool | None = False
        last: dict[int, int] = {}
        for i, node in enumerate(self.nodes):
            for kind, ref in node.args:
                if kind == _NODE:
                    last[ref] = i
        for i, node in enumerate(self.nodes):
            node.frees = tuple(j for j, at in last.items() if at == i)

    @property
    def ops(self) -> tuple[str, ...]:
        return tuple(n.op for n in self.nodes)

    def __repr__(self) -> str:
        return f"<pipeline {' '.join(self.ops)}>"

    # -- execution --------------------------------------------------------------------------

    def __call__(self, *inputs: Any, donors: tuple[int, ...] = ()) -> Any:
        # A result is never larger than the largest input (DAPHNE's broadcasting).
        for v in inputs:
            if type(v) is np.ndarray and v.size >= MIN_CELLS:
                break
        else:  # small or scalar inputs (a loop body's scalar ops): blocks do not pay
            return self.unfused(inputs)
        nodes = self.nodes[:-1] if self.total else self.nodes
        plan = _plan(nodes, inputs)
        if plan is None:
            return self.unfused(inputs)
        program = _Native.of(nodes, plan, inputs)
        try:
            if program is not None and self.total:
                return program.row_sums() if self.rows else program.sum()
            value = (program.values(plan, inputs, donors) if program is not None
                     else _blocked(nodes, inputs, plan, donors))
        except Exception:  # re-raised by the unfused ops, as their own error
            return self.unfused(inputs)
        if not self.total:
            return value
        last = self.nodes[-1]
        return _call(last, [value if k == _NODE else r for k, r in last.args])

    def unfused(self, inputs: Sequence[Any]) -> Any:
        """Run the ops one by one through their registered kernels (the reference path).

        A pipeline run unfused again (small inputs: a graph rebuilt in a loop, a compiled
        program kept by structure) runs the same calls as a generated function instead
        (:func:`_generated_walk`); the first run walks the nodes, so a program run once does
        not pay for generating code.
        """
        walk = self._walk
        if callable(walk):
            return walk(inputs)
        if walk is None or len(self.nodes) > GENERATED_NODES:  # the first unfused run
            self._walk = False
            return self.walk_nodes(inputs)
        generated = self._walk = _generated_walk(self.nodes)
        return generated(inputs)

    @property
    def ninputs(self) -> int:
        """The number of inputs the pipeline is called with."""
        return 1 + max((ref for n in self.nodes for k, ref in n.args if k == _IN), default=-1)

    def small_program(self) -> native.Small | None:
        """The pipeline as one native call for small f64 inputs of one shape
        (:func:`_small_program`), made once; None where it has none."""
        if self._small is False:
            self._small = _small_program(self.nodes, self.ninputs) if self.ninputs else None
        return self._small  # type: ignore[return-value]

    def entry(self) -> Callable[..., Any]:
        """What a program's generated steps call for this pipeline: a function taking the
        pipeline's arguments (``*inputs, donors=()``) that runs small f64 matrices straight
        through the ufunc calls the unfused kernels make (:func:`_generated_small`) and
        calls the pipeline for anything else; the pipeline itself when an op or constant
        is not one that function knows. Not kept here: the function refers to the
        pipeline, the program's generated steps keep it."""
        return _generated_small(self) or self

    def walk_nodes(self, inputs: Sequence[Any]) -> Any:
        """The unfused run as a walk over the nodes (what the generated function does)."""
        vals: list[Any] = [None] * len(self.nodes)
        for i, node in enumerate(self.nodes):
            vals[i] = _call(node, [inputs[r] if k == _IN else vals[r] if k == _NODE else r
                                   for k, r in node.args])
            for j in node.frees:
                vals[j] = None
        return vals[-1]


def _call(node: _Node, args: Sequence[Any]) -> Any:
    """The node's registered kernel over ``args``; an error names the op."""
    try:
        return node.kernel(*args)
    except Exception as exc:
        exc.add_note(f"(in DaphneDSL builtin {node.op!r}, V{node.out})")
        raise


def _generated_walk(nodes: Sequence[_Node]) -> Callable[[Sequence[Any]], Any]:
    """A function making exactly the kernel calls of :meth:`Pipeline.walk_nodes`, in the same
    order on the same values, with local variables for the node values (freed where the walk
    frees them) and the same note on an error. For a pipeline ``x * 2 + y``:

        def walk(inputs):
            at = 0
            try:
                at = 0; t0 = k0(inputs[0], c0_1)
                at = 1; t1 = k1(t0, inputs[1])
                t0 = None
            except Exception as exc:
                exc.add_note(NOTES[at])
                raise
            return t1

    Kernels and constants are bound by name in the function's namespace, never spliced into
    its text.
    """
    namespace: dict[str, Any] = {
        "NOTES": tuple(f"(in DaphneDSL builtin {n.op!r}, V{n.out})" for n in nodes)}
    lines = []
    for j, node in enumerate(nodes):
        operands = []
        for i, (kind, ref) in enumerate(node.args):
            if kind == _IN:
                operands.append(f"inputs[{int(ref)}]")
            elif kind == _NODE:
                operands.append(f"t{int(ref)}")
            else:
                namespace[f"c{j}_{i}"] = ref
                operands.append(f"c{j}_{i}")
        namespace[f"k{j}"] = node.kernel
        lines.append(f"        at = {j}; t{j} = k{j}({', '.join(operands)})")
        lines += [f"        t{int(f)} = None" for f in node.frees]
    source = ("def walk(inputs):\n    at = 0\n    try:\n" + "\n".join(lines)
              + "\n    except Exception as exc:\n        exc.add_note(NOTES[at])\n        raise\n"
              f"    return t{len(nodes) - 1}\n")
    exec(compile(source, "<daphnelib pipeline>", "exec"), namespace)
    # Taken out of its own globals: no reference cycle, so the constants it holds go with
    # the program, not at the next garbage collection.
    return namespace.pop("walk")


def _generated_small(pipe: Pipeline) -> Callable[..., Any] | None:
    """A function running ``pipe`` on small f64 matrices in as few calls as its ops allow,
    and calling ``pipe`` for any other arguments; None when it has no such path.

    Two paths, each taken only where it computes what the unfused kernels compute: inputs of
    one shape (C-contiguous) go to one native call (:func:`_small_program`); other small f64
    inputs (a broadcast row or column, a strided view) to the ufunc calls the kernels would
    make (:func:`_ufunc_lines`). For ``sum((x + 1.0) * 2.0, 0)``::

        def small(x0, donors=()):
            value = native(fusion.MIN_CELLS, x0)
            if value is not None:
                return value
            if (type(x0) is ndarray and x0.dtype is F64 and x0.ndim == 2
                    and x0.size < fusion.MIN_CELLS):
                at = 0
                try:
                    at = 0; t0 = u0(x0, c0_1)
                    at = 1; t1 = u1(t0, c1_1)
                    t0 = None
                    at = 2; t2 = reduce(t1, 1, F64, None, True)
                    t1 = None
                except Exception as exc:
                    exc.add_note(NOTES[at])
                    raise
                return t2
            return pipe(x0, donors=donors)

    Kernels, constants and the pipeline are bound by name in its namespace, never spliced
    into its text.
    """
    nodes, ninputs = pipe.nodes, pipe.ninputs
    if ninputs == 0:
        return None
    namespace: dict[str, Any] = {
        "NOTES": tuple(f"(in DaphneDSL builtin {n.op!r}, V{n.out})" for n in nodes),
        "ndarray": np.ndarray, "F64": _F64, "fusion": sys.modules[__name__], "pipe": pipe,
        "reduce": np.add.reduce, "check": _check_broadcast, "empty": np.empty,
        "native": pipe.small_program()}
    names = [f"x{k}" for k in range(ninputs)]
    params = "".join(f"{x}, " for x in names)
    # Longer pipelines keep the pipeline's own small path: compiling their text would not pay
    # (a 1000-op chain's text took more memory to compile than its 7.6 MiB result).
    lines = _ufunc_lines(nodes, namespace) if len(nodes) <= GENERATED_NODES else None
    if namespace["native"] is None and lines is None:
        return None
    source = f"def small({params}donors=()):\n"
    if namespace["native"] is not None:
        source += (f"    value = native(fusion.MIN_CELLS, {params})\n"
                   "    if value is not None:\n        return value\n")
    if lines is not None:
        guard = " and ".join(f"type({x}) is ndarray and {x}.dtype is F64 and {x}.ndim == 2 "
                             f"and {x}.size < fusion.MIN_CELLS" for x in names)
        source += (f"    if {guard}:\n        at = 0\n        try:\n" + "\n".join(lines)
                   + "\n        except Exception as exc:\n"
                   "            exc.add_note(NOTES[at])\n            raise\n"
                   f"        return t{len(nodes) - 1}\n")
    source += f"    return pipe({params}donors=donors)\n"
    exec(compile(source, "<daphnelib pipeline>", "exec"), namespace)
    return namespace.pop("small")


def _ufunc_lines(nodes: Sequence[_Node], namespace: dict[str, Any]) -> list[str] | None:
    """The lines computing the nodes on f64 matrices ``x0, x1, ...`` with the ufunc calls the
    unfused kernels make for them (names they use bound in ``namespace``); None when an op or
    constant is not one they cover.

    The kernels' choices that depend on value types only are made here once: for f64
    matrices, an op of ``_F64_MATRIX_OPS`` with a number is that ufunc with the number as
    an f64 (``elementwise.binary``), with an f64 matrix the ufunc after DAPHNE's broadcast
    check (``Binary``: no cast, comparisons written as 0/1 into an f64 matrix); a ``sum`` is
    ``np.add.reduce`` in f64 (``aggregate.sum_``). Every value is then again an f64 matrix,
    so a guard on the inputs covers every step.
    """
    lines = []
    for j, node in enumerate(nodes):
        operands: list[str] = []
        for i, (kind, ref) in enumerate(node.args):
            if kind == _CONST:
                if type(ref) not in _NUMBERS:
                    return None
                try:
                    namespace[f"c{j}_{i}"] = np.float64(ref)
                except OverflowError:
                    return None
                operands.append(f"c{j}_{i}")
            else:
                operands.append(f"x{int(ref)}" if kind == _IN else f"t{int(ref)}")
        matrices = [i for i, (kind, _) in enumerate(node.args) if kind != _CONST]
        if node.op == TOTAL:  # a full sum or row sums (the pipeline's last op)
            if matrices != [0]:
                return None
            call = (f"reduce({operands[0]}, None, F64, None, False)" if len(node.args) == 1
                    else f"reduce({operands[0]}, 1, F64, None, True)")
        elif node.op in _F64_MATRIX_OPS and len(node.args) == 2 and matrices:
            namespace[f"u{j}"] = _F64_MATRIX_OPS[node.op]
            if len(matrices) == 2:  # the result has the lhs' shape (or the check raises)
                lines.append(f"            at = {j}; check({node.op!r}, {operands[0]}, "
                             f"{operands[1]})")
            # A comparison writes 0/1 into an f64 matrix of the (lhs) matrix' shape, as the
            # kernels do.
            out = "" if node.op in _ARITH else f", out=empty({operands[matrices[0]]}.shape, F64)"
            call = f"u{j}({operands[0]}, {operands[1]}{out})"
        else:
            return None
        lines.append(f"            at = {j}; t{j} = {call}")
        lines += [f"            t{int(f)} = None" for f in node.frees]
    return lines


class _Plan:
    """The types and shapes of one run: per node (vt, result vt, operands); result shape."""

    __slots__ = ("dtype", "may_raise", "operands", "shape", "shapes", "vts")

    def __init__(self) -> None:
        self.operands: list[list[tuple[int, Any]]] = []
        self.vts: list[tuple[str, str]] = []
        self.shapes: list[tuple[int, int] | None] = []  # per node; None for a scalar
        self.may_raise = False
        self.shape: tuple[int, int] = (0, 0)
        self.dtype: np.dtype = np.dtype(np.float64)


def _describe(value: Any) -> tuple[str, tuple[int, int] | None] | None:
    """(VT, shape or None for a scalar) of an operand the blocked path can take, else None."""
    if isinstance(value, np.ndarray):
        if value.ndim != 2 or value.dtype.metadata is not None:
            return None
        try:
            vt = vt_of_dtype(value.dtype)
        except TypeError:
            return None
        return (vt, value.shape) if vt != "str" else None
    try:
        vt = vt_of(value)
    except TypeError:
        return None
    return (vt, None) if vt not in ("str", "size") else None


def _plan(nodes: Sequence[_Node], inputs: Sequence[Any]) -> _Plan | None:
    """Resolve types and shapes once; None when the group should run unfused."""
    infos = [_describe(v) for v in inputs]
    plan = _Plan()
    shapes = plan.shapes
    for node in nodes:
        described = []
        for kind, ref in node.args:
            info = (infos[ref] if kind == _IN else (plan.vts[ref][1], shapes[ref])
                    if kind == _NODE else _describe(ref))
            if info is None:
                return None
            described.append(info)
        try:
            if len(described) == 2:
                (va, sa), (vb, sb) = described
                vt, rvt = BINARY[node.op].typing(node.op, va, vb)
                if sa is not None and sb is not None:
                    n, m = sa
                    if sb not in ((n, m), (1, m), (n, 1)):
                        return None  # the unfused op raises DAPHNE's broadcasting error
                shape = sa if sa is not None else sb
            else:
                ((vt, shape),) = described
                rvt = unary_typing(node.op, vt)
        except TypeError:
            return None
        if rvt == "size":
            return None
        operands = []
        for (kind, ref), (va, sa) in zip(node.args, described, strict=True):
            if sa is None:  # a scalar: one 1 x 1 array of its own VT for the whole run
                value = inputs[ref] if kind == _IN else ref
                operands.append((_CONST, np.full((1, 1), value, DTYPE_OF_VT[va])))
            else:
                operands.append((kind, ref))
        plan.operands.append(operands)
        plan.vts.append((vt, rvt))
        plan.may_raise |= node.op in _DOMAIN_ERRORS or (node.op in _INT_ERRORS
                                                         and is_integral(vt))
        shapes.append(shape)
    shape = shapes[-1]
    if shape is None or shape[0] * shape[1] == 0:
        return None
    plan.shape = shape
    plan.dtype = DTYPE_OF_VT[plan.vts[-1][1]]
    return plan


def _donor(inputs: tuple, donors: tuple[int, ...], plan: _Plan) -> np.ndarray | None:
    """An input buffer the result may overwrite. The executor offers inputs that die at this
    step and that nothing else refers to (no view, no caller, no other value); of those, one
    that owns its buffer and has the result's shape and dtype."""
    if plan.may_raise:
        return None
    for k in donors:
        arr = inputs[k]
        if (isinstance(arr, np.ndarray) and arr.base is None and arr.flags.writeable
                and arr.flags.c_contiguous and arr.shape == plan.shape
                and arr.dtype == plan.dtype and arr.dtype.metadata is None):
            return arr
    return None


def _blocked(nodes: Sequence[_Node], inputs: tuple, plan: _Plan, donors: tuple[int, ...]
             ) -> np.ndarray:
    n, m = plan.shape
    out = _donor(inputs, donors, plan)
    if out is None:
        out = np.empty(plan.shape, plan.dtype)
    step = max(1, BLOCK_CELLS // max(m, 1))
    starts = range(0, n, step)
    operands, vts = plan.operands, plan.vts
    # An operand is sliced with the rows when it has the result's row count; a 1 x m row or
    # a 1 x 1 matrix is read whole by every block.
    sliced = [isinstance(v, np.ndarray) and v.shape[0] == n for v in inputs]

    def block(lo: int) -> None:
        with np.errstate(all="ignore"):  # numpy's error state is per thread
            run_block(lo, min(lo + step, n))

    def run_block(lo: int, hi: int) -> None:
        vals: list[Any] = [None] * len(nodes)
        for i, node in enumerate(nodes):
            args = []
            for kind, ref in operands[i]:
                if kind == _IN:
                    v = inputs[ref]
                    args.append(v[lo:hi] if sliced[ref] else v)
                elif kind == _NODE:
                    args.append(vals[ref])
                else:
                    args.append(ref)
            vt, rvt = vts[i]
            if len(args) == 2:
                vals[i] = BINARY[node.op].apply(node.op, args[0], args[1], vt)
            else:
                vals[i] = unary_apply(node.op, args[0], vt, rvt)
            for j in node.frees:
                vals[j] = None
        np.copyto(out[lo:hi], vals[-1], casting="no")

    _each(block, starts)
    return out


def _each(task: Callable[[int], None], starts: Sequence[int]) -> None:
    """``task(start)`` for every start, on the pool when there are several."""
    if len(starts) == 1:
        task(starts[0])
        return
    # The calling thread takes tasks too, from the same queue as the pool's threads: it
    # would only wait otherwise, and a core stays idle while it wakes up after each task.
    queue = iter(starts)  # next() on it is atomic under the GIL

    def drain() -> None:
        for lo in queue:
            task(lo)

    helpers = [_threads().submit(drain) for _ in range(min(_WORKERS, len(starts)) - 1)]
    try:
        drain()
    finally:
        for f in helpers:
            f.result()


def _register_code(nodes: Sequence[_Node], refs: Sequence[Sequence[tuple[int, int]]],
                   ninputs: int, nconsts: int) -> tuple[np.ndarray, int]:
    """The register program of ``nodes`` for ``_native/fused.pyx``, whose operands are
    ``refs`` per node: (_IN, input slot), (_CONST, constant index) or (_NODE, node index).
    Slots are the inputs, then the constants, then the registers; the number of registers."""
    base = ninputs + nconsts
    # A value's register is freed after its last reader took its own, so no op writes
    # over an operand (the loops then vectorise without an overlap check failing).
    reg: dict[int, int] = {}
    free: list[int] = []
    nregs = 0
    code = np.zeros((len(nodes), 4), np.longlong)
    for i, (node, row) in enumerate(zip(nodes, refs, strict=True)):
        operand = [slot if kind == _IN else ninputs + slot if kind == _CONST
                   else base + reg[slot] for kind, slot in row]
        if free:
            reg[i] = free.pop()
        else:
            reg[i], nregs = nregs, nregs + 1
        code[i] = (native.OPCODES[node.op], operand[0], operand[-1], base + reg[i])
        free += [reg[j] for j in node.frees]
    return code, nregs


# The ops of a Small program: those whose NaN results are the CPU's default NaN, never an
# operand's NaN with its sign flipped or cleared (minus, abs), so no NaN of another sign
# can meet one (see native.Small).
_SMALL_OPS = frozenset(native.OPCODES) - {"minus", "abs"}


def _small_program(nodes: Sequence[_Node], ninputs: int) -> native.Small | None:
    """The pipeline as one native call for small f64 matrices of one shape
    (``native.Small``), or None when an op or constant is not one the native ops compute
    as the kernels do, to the bit (see :class:`_Native` and ``native.Small``)."""
    mode = native.VALUES
    if nodes[-1].op == TOTAL:
        mode = native.ROWS if len(nodes[-1].args) == 2 else native.TOTAL
        if len(nodes) < 2 or nodes[-1].args[0] != (_NODE, len(nodes) - 2):
            return None
        nodes = nodes[:-1]
    if ninputs > native.SMALL_INPUTS:
        return None
    consts: list[float] = []
    refs = []
    for node in nodes:
        if node.op not in _SMALL_OPS or len(node.args) != 2:
            return None
        row = []
        for kind, ref in node.args:
            if kind == _CONST:
                if type(ref) not in _NUMBERS:
                    return None
                try:
                    consts.append(float(np.float64(ref)))
                except OverflowError:
                    return None
                if consts[-1] != consts[-1]:
                    return None  # a NaN constant
                row.append((_CONST, len(consts) - 1))
            else:
                row.append((kind, ref))
        if all(kind == _CONST for kind, _ in row):
            return None  # a number op a number: a scalar, not a matrix
        refs.append(row)
    code, nregs = _register_code(nodes, refs, ninputs, len(consts))
    return native.Small(code, ninputs, np.array(consts, np.float64), nregs, mode)


class _Native:
    """A pipeline of f64 ops over equal-shaped C-contiguous matrices, as a register program
    for ``_native/fused.pyx``: one pass over memory, L1-sized strips, the GIL released.

    Only where it computes what the ufuncs compute, bit for bit: every op is one the kernel
    has, in f64 with an f64 result (comparisons give 0.0/1.0), on inputs of the result's
    shape (no broadcast row or column) or scalars; anything else takes ``_blocked``.
    """

    __slots__ = ("cells", "code", "consts", "flat", "nregs", "shape")

    def __init__(self, code: np.ndarray, flat: tuple[np.ndarray, ...], consts: np.ndarray,
                 nregs: int, shape: tuple[int, int]) -> None:
        self.code, self.flat, self.consts, self.nregs = code, flat, consts, nregs
        self.shape, self.cells = shape, shape[0] * shape[1]

    @classmethod
    def of(cls, nodes: Sequence[_Node], plan: _Plan, inputs: Sequence[Any]) -> _Native | None:
        """The program of the pipeline for these inputs, or None when it does not apply."""
        f64 = DTYPE_OF_VT["f64"]
        if plan.dtype != f64 or None in plan.shapes:
            return None
        slots: dict[int, int] = {}  # input position -> input slot
        consts: list[float] = []
        refs: list[list[tuple[int, int]]] = []  # per node: (_IN/_CONST/_NODE, index)
        for node, operands, vts in zip(nodes, plan.operands, plan.vts, strict=True):
            if vts != ("f64", "f64") or node.op not in native.OPCODES:
                return None
            row = []
            for kind, ref in operands:
                if kind == _IN:
                    x = inputs[ref]
                    if x.shape != plan.shape or x.dtype != f64 or not x.flags.c_contiguous:
                        return None
                    row.append((_IN, slots.setdefault(ref, len(slots))))
                elif kind == _CONST:  # a 1 x 1 array of the scalar's VT, cast as _cast does
                    consts.append(float(ref.astype(f64)[0, 0]))
                    row.append((_CONST, len(consts) - 1))
                else:
                    row.append((_NODE, ref))
            refs.append(row)
        code, nregs = _register_code(nodes, refs, len(slots), len(consts))
        flat = [None] * len(slots)
        for k, s in slots.items():
            flat[s] = inputs[k].reshape(-1)
        return cls(code, tuple(flat), np.array(consts, f64), nregs, plan.shape)

    def _task_cells(self) -> int:
        # A few tasks per thread: the pool balances them when another process takes a core.
        return max(BLOCK_CELLS, -(-self.cells // (4 * _WORKERS)))

    def values(self, plan: _Plan, inputs: Sequence[Any], donors: tuple[int, ...]
               ) -> np.ndarray:
        """The pipeline's value, a new matrix or a donor input's buffer."""
        out = _donor(tuple(inputs), donors, plan)
        if out is None:
            out = np.empty(plan.shape, plan.dtype)
        flat, step = out.reshape(-1), self._task_cells()

        def task(lo: int) -> None:
            native.run_into(self.code, self.flat, self.consts, self.nregs, flat, lo,
                            min(lo + step, self.cells))

        _each(task, range(0, self.cells, step))
        return out

    def sum(self) -> np.float64:
        """``sum`` of the pipeline's value, as the ``sum`` kernel computes it over the
        materialised matrix (np.add.reduce, pairwise), bit for bit, without materialising
        it: each node of numpy's summation tree small enough for one task is a task."""
        size = self._task_cells()
        nodes = native.tree_nodes(self.cells, size)
        partials = np.empty(len(nodes))

        def task(k: int) -> None:
            native.sum_nodes(self.code, self.flat, self.consts, self.nregs, self.cells,
                             nodes[k:k + 1], partials[k:k + 1])

        _each(task, range(len(nodes)))
        return np.float64(native.tree_sum(self.cells, size, partials))

    def row_sums(self) -> np.ndarray:
        """``sum(value, 0)``: the n x 1 row sums, as the ``sum`` kernel computes them over
        the materialised matrix (each contiguous row pairwise), without materialising it."""
        n, m = self.shape
        out = np.empty((n, 1))
        flat, step = out.reshape(-1), max(1, self._task_cells() // m)

        def task(lo: int) -> None:
            native.row_sums(self.code, self.flat, self.consts, self.nregs, m, flat, lo,
                            min(lo + step, n))

        _each(task, range(0, n, step))
        return out


# -- the compile-time pass ----------------------------------------------------------------------



def fuse(program: Program) -> Program:
    """``program`` with each maximal group of elementwise instructions, whose intermediates
    are read only inside the group, replaced by one ``fused`` instruction."""
    instrs = program.instrs
    if not instrs:
        return program
    at = {ins.out: i for i, ins in enumerate(instrs)}
    users: dict[int, list[int]] = {}
    for i, ins in enumerate(instrs):
        for v in read_ids(ins.args):
            users.setdefault(v, []).append(i)
    result = instrs[-1].out
    group = [-1] * len(instrs)
    roots = []
    for i in range(len(instrs) - 1, -1, -1):
        if group[i] >= 0 or not (_fusable(instrs[i]) or _total(instrs[i])):
            continue
        group[i] = i
        stack = [i]
        size = 1
        while stack:
            for v in read_ids(instrs[stack.pop()].args):
                j = at.get(v)
                if (j is not None and group[j] < 0 and _fusable(instrs[j]) and v != result
                        and all(group[u] == i for u in users[v])):
                    group[j] = i
                    stack.append(j)
                    size += 1
        if size == 1 and _total(instrs[i]):
            group[i] = -1  # a sum ends a group, it is none on its own
        else:
            roots.append(i)
    if not roots:
        return program
    members: dict[int, list[int]] = {r: [] for r in roots}
    for i, g in enumerate(group):
        if g >= 0:
            members[g].append(i)
    out: list[Instr] = []
    for i, ins in enumerate(instrs):
        if group[i] < 0:
            out.append(ins)
        elif group[i] == i:
            out.append(_fused(instrs, members[i]))
    return Program(tuple(out))


def _fusable(ins: Instr) -> bool:
    return ins.op in FUSABLE and len(ins.args) == (2 if ins.op in BINARY else 1)


def _total(ins: Instr) -> bool:
    """A sum over all cells, or per row (DAPHNE's axis 0, a literal)."""
    if ins.op != TOTAL:
        return False
    return len(ins.args) == 1 or (len(ins.args) == 2 and type(ins.args[1]) is int
                                  and ins.args[1] == 0)


def _fused(instrs: Sequence[Instr], member_ids: list[int]) -> Instr:
    """One ``fused`` instruction for the group (in program order, the root last)."""
    node_of = {instrs[i].out: k for k, i in enumerate(member_ids)}
    inputs: list[Var] = []
    slot: dict[int, int] = {}
    nodes = []
    for i in member_ids:
        ins = instrs[i]
        refs = []
        for a in ins.args:
            if type(a) is Var and a.id in node_of:
                refs.append((_NODE, node_of[a.id]))
            elif type(a) is Var:
                if a.id not in slot:
                    slot[a.id] = len(inputs)
                    inputs.append(a)
                refs.append((_IN, slot[a.id]))
            else:
                refs.append((_CONST, a))
        nodes.append(_Node(ins.op, ins.out, tuple(refs)))
    root = instrs[member_ids[-1]]
    return Instr(root.out, FUSED, (Pipeline(nodes), *inputs), root.kind)

