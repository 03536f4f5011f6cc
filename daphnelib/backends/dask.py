"""The Dask backend: a program's matrix ops on a Dask cluster, every block run by our kernels.

``DaskBackend(client=None, placement="dask")`` runs a :class:`~daphnelib.engine.program.Program`
instruction by instruction:

- an op with a distributed lowering (``dask_blocks``) runs on the cluster when the placement
  says so; its result stays there as a row-blocked ``dask.array`` (lazy) unless it is a
  scalar, which comes back at once (scalars steer loops and conditions on the client);
- any other op runs locally through the embedded kernel, on inputs gathered from the cluster
  only when they fit ``gather_limit`` (else a ``MemoryError`` names the op and the sizes);
- ``if`` and loops run on the client, each op of their blocks dispatched as above; a loop's
  carried distributed values are persisted after every iteration (``client.persist``), so
  its task graph does not grow with the iteration count;
- a user-defined function call runs its body the same way (its inputs are not gathered for
  the call), ``map`` runs the function per block on the workers.

Placement: ``"dask"`` puts inputs, generators and everything computed from them on the
cluster. ``"auto"`` decides per op, SystemDS-style: an op goes to the cluster only when its
memory estimate (inputs + output) exceeds ``memory_fraction`` (0.7) of the available memory,
or ``memory_budget`` bytes; a program whose every op fits runs on the embedded engine as a
whole, without touching the cluster (decided once per program, from a walk over its shapes
that enters loops, branches and function bodies). ``verbose=True`` prints what ran where and
what data moved.

``rand`` on the cluster is generated in tiles of ``dask_blocks.RAND_TILE`` rows, tile t with
a seed derived from the user's seed and t (tile 0 uses the seed itself): the same for every
block size and run, and equal to the embedded ``rand`` up to RAND_TILE rows.
"""

from __future__ import annotations

import sys
import time
import weakref
from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np

from daphnelib.backends import dask_blocks as blocks
from daphnelib.backends import dask_frames as frames
from daphnelib.backends.base import Backend
from daphnelib.backends.embedded import EmbeddedBackend
from daphnelib.engine.control import Block, LocalCalls, truth
from daphnelib.engine.executor import run
from daphnelib.engine.kernels.cast import keep_vt, parse_cast
from daphnelib.engine.kernels.control import loop_range
from daphnelib.engine.kernels.elementwise import BINARY, OUTER, _check_broadcast
from daphnelib.engine.kernels.indexing import axis_selector, bit_selector
from daphnelib.engine.program import Instr, Kind, Program, Var
from daphnelib.engine.registry import lookup
from daphnelib.engine.values import FrameValue
from daphnelib.engine.valuetypes import (
    DTYPE_OF_VT,
    STRING_DTYPE,
    SizeScalar,
    most_general,
    vt_of,
    vt_of_dtype,
)

_UNARY = ("minus", "abs", "sign", "exp", "ln", "sqrt", "round", "floor", "ceil", "sin", "cos",
          "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "isNan", "relu")
_AGGREGATES = ("sum", "aggMin", "aggMax", "mean", "var", "stddev", "idxMin", "idxMax")
# Ops whose output row i depends on input row i only: one kernel call per row block.
_ROW_LOCAL = frozenset((*BINARY, *OUTER, *_UNARY, "?:", "softmax", "replace", "oneHot"))
_GENERATORS = ("receiveFromNumpy", "receiveFrame", "fill", "seq", "rand")
_PLACEMENTS = ("dask", "auto")
_DEFAULT_BLOCK_BYTES = 64 << 20
# How long a reading of the available memory is reused (seconds): reading it costs about
# 40 us (psutil parses /proc/meminfo), more than a small program's whole run.
_AVAILABLE_TTL = 1.0
_STRUCTURE_PEAKS = 256  # programs of distinct structure and input shapes whose peak is kept
_INLINE_BYTES = 1 << 20  # local matrices below this travel inside the task graph


def _nbytes(value: Any) -> int:
    if isinstance(value, FrameValue):
        return sum(c.nbytes for c in value.columns)
    return int(getattr(value, "nbytes", 0) or 0)


def _size(nbytes: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if nbytes < 1024 or unit == "GiB":
            return f"{nbytes:.0f} {unit}" if unit == "B" else f"{nbytes:.1f} {unit}"
        nbytes /= 1024
    raise AssertionError  # unreachable


def _is_matrix(value: Any) -> bool:
    return (isinstance(value, np.ndarray) and value.ndim == 2) or blocks.is_dask(value)


class DaskBackend(Backend):
    """Runs programs on a Dask cluster, each block computed by the embedded engine's kernels.

    Parameters
    ----------
    client : distributed.Client, optional
        The cluster to use; default: the current default client, else a ``LocalCluster``
        (threads, this machine) started on first use and closed by :meth:`close`.
    placement : {"dask", "auto"}
        "dask": everything with a distributed lowering runs on the cluster. "auto": only ops
        whose memory estimate exceeds the local budget do.
    block_rows : int, optional
        Rows per block; default: about ``block_bytes`` per block.
    block_bytes : int
        Target block size when ``block_rows`` is not given (64 MiB).
    memory_fraction : float
        The local budget as a fraction of the available memory (0.7).
    memory_budget : int, optional
        The local budget in bytes (overrides ``memory_fraction``).
    gather_limit : int, optional
        The most bytes brought back for a local op or a result (default: the local budget).
    """

    name: ClassVar[str] = "dask"

    def __init__(self, client: Any = None, placement: str = "dask", block_rows: int | None = None,
                 block_bytes: int = _DEFAULT_BLOCK_BYTES, memory_fraction: float = 0.7,
                 memory_budget: int | None = None, gather_limit: int | None = None) -> None:
        if placement not in _PLACEMENTS:
            raise ValueError(f"placement must be one of {_PLACEMENTS}, got {placement!r}")
        if not 0.0 < memory_fraction <= 1.0:
            raise ValueError(f"memory_fraction must be in (0, 1], got {memory_fraction}")
        if block_rows is not None and (not isinstance(block_rows, int) or block_rows < 1):
            raise ValueError(f"block_rows must be a positive int, got {block_rows!r}")
        self.placement = placement
        self.block_rows, self.block_bytes = block_rows, int(block_bytes)
        self.memory_fraction, self._memory_budget = memory_fraction, memory_budget
        self._gather_limit = gather_limit
        self._client, self._owned = client, None
        self._log: list[str] = []
        # id(t(X) array) -> (that array, X), for t(X) @ Y. The array is kept so that its id
        # is not reused by another one (a loop body's values die every iteration).
        self._transposed: dict[int, tuple[Any, Any]] = {}
        # id(input matrix) -> (it, its dask array once sent) for this run: an input read by
        # several ops that go to the cluster is sent once. Inputs only: the program holds
        # them anyway, where keeping what a loop body made would hold every iteration's.
        self._sent: dict[int, tuple[np.ndarray, Any]] = {}
        self._embedded = EmbeddedBackend()  # auto's local programs: compiled once, cached
        # auto: per program, [its largest op output in bytes (inf: unknown or distributed
        # input), its compiled program and data (None until it runs locally)], found once
        # and dropped with the program.
        self._plans: weakref.WeakKeyDictionary[Program, list[Any]] = weakref.WeakKeyDictionary()
        self._available: tuple[float, int] = (-float("inf"), 0)  # (when read, bytes)
        # (id(compiled program), input shapes) -> (it, peak): see _peak_of.
        self._structure_peaks: dict[tuple[int, tuple], tuple[Any, float]] = {}

    # -- resources ----------------------------------------------------------------------------

    @property
    def client(self) -> Any:
        """The ``distributed.Client`` in use (started on first use if none was given)."""
        if self._client is None:
            from distributed import Client, LocalCluster, default_client

            try:
                self._client = default_client()
            except ValueError:  # no client yet: a threaded cluster on this machine
                cluster = LocalCluster(processes=False, dashboard_address=":0")
                self._client = Client(cluster, set_as_default=False)
                self._owned = cluster
        return self._client

    def close(self) -> None:
        """Close the client and cluster this backend started itself (a given one stays open)."""
        self._embedded.close()
        self._plans.clear()
        if self._owned is not None:
            self._client.close()
            self._owned.close()
            self._client = self._owned = None

    @property
    def memory_budget(self) -> int:
        """Bytes an op may use locally: ``memory_budget`` or ``memory_fraction`` x available
        (the available memory is read at most once a second)."""
        if self._memory_budget is not None:
            return int(self._memory_budget)
        now = time.monotonic()
        when, available = self._available
        if now - when > _AVAILABLE_TTL:
            import psutil

            available = psutil.virtual_memory().available
            self._available = (now, available)
        return int(self.memory_fraction * available)

    @property
    def gather_limit(self) -> int:
        return self.memory_budget if self._gather_limit is None else int(self._gather_limit)

    # -- running a program --------------------------------------------------------------------

    def execute(self, program: Program, *, verbose: bool = False) -> Any:
        """Run ``program``; the last instruction's value comes back as an engine value."""
        if self.placement == "auto":
            plan = self._local_plan(program)
            if plan is not None:
                # The all-local path: no client, no per-op dispatch, no bookkeeping.
                if verbose:
                    sys.stdout.write(f"[dask] {self._all_local()}\n")
                return run(plan[1], (), plan[2])
        value = self._run(program)
        if isinstance(value, tuple):  # several results
            value = tuple(self._gather(v, "a result") if _distributed(v) else v for v in value)
        elif _distributed(value):
            value = self._gather(value, "the result")
        if verbose:
            self._flush()
        return value

    def execute_lazy(self, program: Program, *, verbose: bool = False) -> Any:
        """Like :meth:`execute`, but a distributed matrix result stays a ``dask.array``."""
        value = self._run(program)
        if verbose:
            self._flush()
        return value

    def _run(self, program: Program) -> Any:
        self._log, self._transposed = [], {}
        self._sent = {id(ins.args[0]): (ins.args[0], None) for ins in program.instrs
                      if ins.op == "receiveFromNumpy" and isinstance(ins.args[0], np.ndarray)}
        plan = self._local_plan(program) if self.placement == "auto" else None
        if plan is not None:
            self._note(self._all_local())
            return run(plan[1], (), plan[2])
        return self._run_instrs(program, {})

    def _all_local(self) -> str:
        return (f"auto: every op fits the local budget ({_size(self.memory_budget)}): "
                "the whole program runs on the embedded engine")

    def _run_instrs(self, program: Program, env: dict[int, Any]) -> Any:
        for ins in program.instrs:
            try:
                env[ins.out] = self._step(ins, [self._arg(a, env) for a in ins.args])
            except Exception as exc:
                # Where it failed, as the embedded executor and Block.run say it: the DSL
                # runner maps this back to a script line (the innermost block wins).
                if not hasattr(exc, "daphne_program"):
                    exc.add_note(f"(in DaphneDSL builtin {ins.op!r}, V{ins.out})")
                    exc.daphne_program = program
                raise
        return env[program.result.out]

    def _flush(self) -> None:
        sys.stdout.write("".join(f"[dask] {line}\n" for line in self._log))

    def _note(self, line: str) -> None:
        self._log.append(line)

    @staticmethod
    def _arg(arg: Any, env: dict[int, Any]) -> Any:
        if type(arg) is Var:
            return env[arg.id]
        if isinstance(arg, slice) and (type(arg.start) is Var or type(arg.stop) is Var):
            return slice(*(env[b.id] if type(b) is Var else b for b in (arg.start, arg.stop)))
        return arg

    def _step(self, ins: Instr, args: list[Any]) -> Any:
        if ins.op == "call":
            return self._call(ins, args)
        control = _CONTROL.get(ins.op)
        if control is not None:
            return control(self, ins.op, args)
        rule = self._rule(ins.op, args)
        if rule is not None and self._on_cluster(ins, args):
            out = rule(self, ins.op, args)
            if out is not NotImplemented:
                where = (f"{out.numblocks[0]} blocks" if blocks.is_dask(out) else
                         f"{len(out.parts)} partitions" if frames.is_partitioned(out) else
                         "nothing moved" if out is None else "partials combined, result local")
                self._note(f"V{ins.out} {ins.op}: cluster ({where})")
                return out
        local = [self._gather(a, f"V{ins.out} {ins.op}") if _distributed(a) else a
                 for a in args]
        with np.errstate(all="ignore"):
            out = lookup(ins.op)(*local)
        if any(map(_distributed, args)) or (rule is not None and self.placement == "dask"):
            self._note(f"V{ins.out} {ins.op}: local")
        return out

    def _gather(self, x: Any, what: str) -> Any:
        if frames.is_partitioned(x):
            value = self._compute(frames.gathered(x))
            self._note(f"gathered a {value.nrow}x{value.ncol} frame ({_size(_nbytes(value))}) "
                       f"for {what}")
            return value
        nbytes = x.nbytes if not np.isnan(x.nbytes) else float("inf")
        if nbytes > self.gather_limit:
            raise MemoryError(
                f"{what} needs a distributed {x.shape[0]}x{x.shape[1]} matrix locally "
                f"({_size(nbytes)}), more than the gather limit ({_size(self.gather_limit)}); "
                "aggregate or slice it first, or use compute(asDask=True)")
        value = self.client.compute(x).result()
        self._note(f"gathered {x.shape[0]}x{x.shape[1]} ({_size(value.nbytes)}) for {what}")
        return keep_vt(value, x.dtype) if x.dtype.metadata else value

    def _compute(self, delayed: Any) -> Any:
        return self.client.compute(delayed).result()

    # -- control flow: on the client, each op of a block dispatched like any other ------------

    def _run_block(self, block: Block, params: tuple) -> tuple:
        """A block's instructions, numbered after its parameters; its results tuple."""
        return self._run_instrs(block.program, dict(enumerate(params)))

    def _local(self, value: Any, what: str) -> Any:
        return self._gather(value, what) if _distributed(value) else value

    def _persisted(self, values: tuple) -> tuple:
        """Distributed values computed and held on the cluster: a loop's next iteration
        starts from their blocks, not from a graph that grows with every iteration. The
        previous iteration's values are released as their last reference goes."""
        out = []
        for v in values:
            if blocks.is_dask(v):
                kept = self.client.persist(v)
                if self._source_of(v) is not None:
                    self._transposed[id(kept)] = (kept, self._source_of(v))
                v = kept
            elif frames.is_partitioned(v):
                v = frames.PartitionedFrame(tuple(self.client.persist(list(v.parts))),
                                            v.schema, v.nrows)
            out.append(v)
        return tuple(out)

    def _loop(self, op: str, args: list[Any]) -> tuple:
        """``for``/``while``/``do-while`` (layout in engine/control.py): iterations on the
        client; the carried and captured distributed values are persisted before the loop,
        the carried ones again after every iteration."""
        head = 4 if op == "for" else 2  # the arguments before ncarried
        ncarried = args[head]
        state = self._persisted(tuple(args[head + 1:]))
        if any(map(_distributed, state)):
            self._note(f"{op}: loop-carried distributed values persisted after each iteration")
        carried, captured = state[:ncarried], state[ncarried:]
        if op == "for":
            bounds = (self._local(a, "the for-loop range") for a in args[:3])
            for i in loop_range(*bounds):
                carried = self._persisted(self._run_block(args[3], (i, *carried, *captured)))
            return carried
        cond, body = args[0], args[1]
        if op == "while" and not self._holds(cond, (*carried, *captured)):
            return carried
        while True:
            carried = self._persisted(self._run_block(body, (*carried, *captured)))
            if not self._holds(cond, (*carried, *captured)):
                return carried

    def _holds(self, cond: Block, state: tuple) -> bool:
        value = self._run_block(cond, state)[0]
        return truth(self._local(value, "the while-condition"), "while-condition")

    def _if(self, op: str, args: list[Any]) -> tuple:
        cond, then, other, ncarried, *state = args
        block = then if truth(self._local(cond, "the if-condition"), "if-condition") else other
        return tuple(state[:ncarried]) if block is None else self._run_block(block, tuple(state))

    def _call(self, ins: Instr, args: list[Any]) -> Any:
        """A user-defined function: the embedded engine's choice of definition, casts and
        result checks, but its body runs op by op here, as a loop body does: each op with a
        distributed lowering runs where its inputs are, the others gather theirs (and say
        so), instead of the whole call gathering every input."""
        group, nresults, params = args[0], args[1], args[2:]
        if any(map(_distributed, params)):
            self._note(f"V{ins.out} call {group.name}: its body runs op by op, its "
                       "distributed inputs stay on the cluster")
        return group.call(params, nresults, _ClusterCalls(self, ins))

    def _structure(self, op: str, args: list[Any]) -> Any:
        """``results``/``item``: tuples of values, distributed ones stay where they are."""
        return tuple(args) if op == "results" else lookup(op)(*args)

    # -- placement ----------------------------------------------------------------------------

    def _on_cluster(self, ins: Instr, args: list[Any]) -> bool:
        """Where an op runs. "dask": on the cluster when it reads a distributed value, or
        makes (input, generator) a matrix of more than one block. "auto" (SystemDS's rule):
        an op reading a distributed value stays there when its inputs and output exceed the
        budget (else its inputs are small and come back); an op over local values goes out
        only when its output alone exceeds the budget (data already in local memory fits by
        definition)."""
        distributed = any(map(_distributed, args))
        if self.placement == "dask":
            return distributed or (ins.op in _GENERATORS and self._several_blocks(ins.op, args))
        shapes = [a.shape if _is_matrix(a) else None for a in args]
        out = _cells(_out_shape(ins.op, args, shapes))
        if distributed:
            return 8 * (sum(map(_cells, shapes)) + out) > self.memory_budget
        return ins.op != "receiveFromNumpy" and 8 * out > self.memory_budget

    def _several_blocks(self, op: str, args: list[Any]) -> bool:
        """Whether an input or generator makes a matrix of more than one block."""
        if op == "receiveFrame":
            f = args[0]
            return len(self._chunks(f.nrow, max(f.ncol, 1))) > 1
        if op == "receiveFromNumpy":
            x = args[0]
            return blocks.is_dask(x) or (
                _is_matrix(x) and len(self._chunks(*x.shape, x.dtype.itemsize)) > 1)
        try:
            shape = (_seq_length(args), 1) if op == "seq" else _out_shape(op, args, [])
        except (TypeError, ValueError):
            return False  # let the kernel name the bad argument
        if op == "rand" and shape is not None and shape[0] > blocks.RAND_TILE:
            return True  # tiled: the same values for every block size
        return shape is None or len(self._chunks(*shape)) > 1

    def _fits(self, program: Program) -> bool:
        """Whether "auto" keeps every op of ``program`` local: its largest op output (found
        once per program) is within the budget."""
        return self._local_plan(program) is not None

    def _local_plan(self, program: Program) -> list[Any] | None:
        """``[peak, compiled program, data]`` to run ``program`` on the embedded engine when
        "auto" keeps it local, else None. One look-up per compute once the program is known."""
        plan = self._plans.get(program)
        if plan is None:
            plan = self._plans[program] = self._plan_of(program)
        if plan[0] > self.memory_budget:
            return None
        if plan[1] is None:
            plan[1:] = self._embedded.compiled(program)
        return plan

    def _plan_of(self, program: Program) -> list[Any]:
        """A new program's plan. Its peak is shared by the programs of one structure and
        input shapes: a graph rebuilt over new data of the same shapes (the embedded engine
        then reuses its compilation too) costs a dictionary look-up, not a walk."""
        if any(ins.op == "receiveFromNumpy" and blocks.is_dask(ins.args[0])
               for ins in program.instrs):
            return [float("inf"), None, None]
        try:
            compiled, data = self._embedded.compiled(program)  # the local run reuses it
        except Exception:  # a local run raises it again, where it belongs
            return [_peak_bytes(program), None, None]
        if not data:  # no inputs, or not cached by structure (blocks): per program only
            return [_peak_bytes(program), compiled, data]
        key = (id(compiled), tuple(getattr(d, "shape", None) for d in data))
        hit = self._structure_peaks.get(key)
        if hit is None or hit[0] is not compiled:
            if len(self._structure_peaks) >= _STRUCTURE_PEAKS:
                self._structure_peaks.pop(next(iter(self._structure_peaks)))  # the oldest
            hit = self._structure_peaks[key] = (compiled, _peak_bytes(program))
        return [hit[1], compiled, data]

    # -- lowerings ----------------------------------------------------------------------------

    def _rule(self, op: str, args: list[Any]) -> Callable[..., Any] | None:
        """The distributed lowering of ``op`` for these args, or None (run locally)."""
        if any(map(frames.is_partitioned, args)):
            return _FRAME_RULES.get("as.matrix" if op.startswith("as.matrix") else op)
        if op == "receiveFrame" and isinstance(args[0], FrameValue):
            return DaskBackend._receive_frame
        if op == "createFrame" and any(map(blocks.is_dask, args)):
            return DaskBackend._create_frame
        # Local frames and string cells stay with the embedded engine.
        if any(isinstance(a, FrameValue) or (_is_matrix(a) and a.dtype == STRING_DTYPE)
               for a in args):
            return None
        if op in _ROW_LOCAL:
            return None if any(isinstance(a, str) for a in args) else DaskBackend._row_local
        if op.startswith("as."):
            dt, _ = parse_cast(op)
            return DaskBackend._row_local if dt in (None, "matrix") else None
        if op in _AGGREGATES:
            return DaskBackend._aggregate if len(args) <= 2 else None  # grouped: local
        return _RULES.get(op)

    def _chunks(self, n: int, m: int, itemsize: int = 8) -> tuple[int, ...]:
        return blocks.row_chunks(n, m, itemsize, self.block_rows, self.block_bytes)

    def _to_cluster(self, x: np.ndarray, what: str) -> Any:
        """A local matrix as a row-blocked dask array: scattered once to a worker, whose
        tasks cut the blocks (the data does not travel inside the task graph)."""
        sent = self._sent.get(id(x))
        if sent is None or sent[0] is not x:
            return self._sent_now(x, what)
        if sent[1] is None:
            self._sent[id(x)] = sent = (x, self._sent_now(x, what))
        return sent[1]

    def _sent_now(self, x: np.ndarray, what: str) -> Any:
        self._note(f"sent {x.shape[0]}x{x.shape[1]} ({_size(x.nbytes)}) to the cluster "
                   f"for {what}")
        chunks = self._chunks(*x.shape, x.dtype.itemsize)
        if x.nbytes < _INLINE_BYTES:
            return blocks.aligned(x, chunks)
        return blocks.from_future(self.client.scatter(x, hash=False), x, chunks)

    def _on_workers(self, args: list[Any]) -> list[Any]:
        """``args`` with every local matrix of 1 MiB or more scattered to the cluster (an
        input once a run; smaller ones travel inside the task graph)."""
        return [self._to_cluster(a, "an operand") if isinstance(a, np.ndarray) and a.ndim == 2
                and a.nbytes >= _INLINE_BYTES else a for a in args]

    def _driver(self, args: list[Any]) -> Any:
        """The matrix argument whose row blocks the result follows (the tallest, dask first)."""
        mats = [a for a in args if _is_matrix(a)]
        tallest = max(mats, key=lambda a: (a.shape[0], blocks.is_dask(a)))
        return tallest if blocks.is_dask(tallest) else self._to_cluster(tallest, "an operand")

    def _row_local(self, op: str, args: list[Any]) -> Any:
        mats = [a for a in args if _is_matrix(a)]
        if op in BINARY and len(mats) == 2:
            _check_broadcast(op, *(blocks.standin(a) for a in args))
        elif op in OUTER:
            lhs, rhs = (blocks.standin(a) if _is_matrix(a) else a for a in args)
            if not (_is_matrix(args[0]) and args[0].shape[1] == 1) or (
                    _is_matrix(args[1]) and args[1].shape[0] != 1):
                lookup(op)(lhs, rhs)  # raises the kernel's own shape error
                return NotImplemented
        elif op == "?:" and len(mats) > 1 and any(a.shape != mats[0].shape for a in mats):
            return NotImplemented  # the kernel names the mismatch when it runs locally
        args = self._on_workers(args)
        return blocks.rowwise(blocks.BlockKernel(op), args, self._driver(args))

    def _aggregate(self, op: str, args: list[Any]) -> Any:
        x, axis = args[0], (args[1] if len(args) > 1 else None)
        if x.size == 0 or not blocks.is_dask(x):
            return NotImplemented
        lookup(op)(blocks.tiny(x), *args[1:])  # the kernel's own argument checks
        if axis == 0:
            return blocks.rowwise(blocks.BlockKernel(op, 0), [x], x)
        if axis is None and op in ("idxMin", "idxMax"):
            return NotImplemented
        return blocks.column_or_full(op, x, axis, self._compute)

    def _generate(self, op: str, args: list[Any]) -> Any:
        if op == "receiveFromNumpy":
            x = args[0]
            if blocks.is_dask(x):  # dc.from_dask: already on the cluster
                return x if x.numblocks[1] == 1 else x.rechunk({1: -1})
            return self._to_cluster(x, "the input") if x.ndim == 2 else NotImplemented
        if any(blocks.is_dask(a) for a in args):
            return NotImplemented
        sample = {"fill": lambda: lookup("fill")(args[0], 1, args[2]),
                  "seq": lambda: lookup("seq")(*args),
                  "rand": lambda: lookup("rand")(min(int(args[0]), 1), *args[1:])}[op]()
        if sample.dtype == STRING_DTYPE:
            return NotImplemented
        if op == "seq":
            n, m = _seq_length(args), 1
            fn: Any = blocks.SeqBlock(args[0], args[2] if len(args) > 2 else 1, sample.dtype)
        else:
            n, m = (int(args[0]), int(args[1])) if op == "rand" else (int(args[1]), int(args[2]))
            fn = (blocks.FillBlock(args[0], m) if op == "fill" else
                  blocks.RandBlock(n, m, tuple(args[2:5]), _seed(args[5])))
        if n == 0:
            return NotImplemented
        chunks = self._chunks(n, m, sample.dtype.itemsize)
        if op == "rand" and self.block_rows is None:
            chunks = blocks.rand_chunks(chunks)
        self._note(f"{op} {n}x{m} generated on the workers")
        return blocks.generated(fn, chunks, m, sample[:0].reshape(0, m))

    def _matmul(self, op: str, args: list[Any]) -> Any:
        lhs, rhs = args
        if lhs.shape[1] != rhs.shape[0]:
            lookup(op)(blocks.standin(lhs), blocks.standin(rhs))  # names the mismatch
            return NotImplemented
        source = self._source_of(lhs)
        if source is not None and blocks.is_dask(source) and source.shape[0] > 1:
            # t(X) @ Y: a sum of per-block products, never materialising t(X).
            shape = (source.shape[1], rhs.shape[1])
            rhs = self._on_workers([rhs])[0]  # t(X) @ X over a local X: X was sent once
            if rhs is source:
                return blocks.block_products("syrk", source, None, shape)
            return blocks.block_products("tmm", source, rhs, shape)
        if blocks.is_dask(lhs) and lhs.numblocks[1] == 1:
            return blocks.times_matrix(blocks.BlockKernel("@"), lhs, rhs)
        return NotImplemented

    def _syrk_gemv(self, op: str, args: list[Any]) -> Any:
        x = args[0]
        if not blocks.is_dask(x) or (op == "gemv" and args[1].shape != (x.shape[0], 1)):
            return NotImplemented
        shape = (x.shape[1], x.shape[1] if op == "syrk" else 1)
        return blocks.block_products(op, x, args[1] if op == "gemv" else None, shape)

    def _map(self, op: str, args: list[Any]) -> Any:
        """``map(X, f)``: the scalar function per cell, each block on a worker (the function
        travels with the task; output type and shape are the input's)."""
        import dask.array as da

        x = args[0] if blocks.is_dask(args[0]) else self._to_cluster(args[0], "an operand")
        return da.map_blocks(blocks.BlockKernel(op), x, args[1], dtype=x.dtype, meta=x._meta)

    def _transpose(self, op: str, args: list[Any]) -> Any:
        x = args[0] if blocks.is_dask(args[0]) else self._to_cluster(args[0], "an operand")
        t = _swap_axes_graph(x)
        out = t.rechunk({0: self._chunks(*t.shape, x.dtype.itemsize), 1: -1})
        self._transposed[id(out)] = (out, x)
        return out

    def _source_of(self, x: Any) -> Any:
        """X when ``x`` is a ``t(X)`` made by :meth:`_transpose`, else None."""
        entry = self._transposed.get(id(x))
        return entry[1] if entry is not None and entry[0] is x else None

    def _bind(self, op: str, args: list[Any]) -> Any:
        lhs, rhs = args
        axis = 1 if op == "cbind" else 0
        if lhs.shape[1 - axis] != rhs.shape[1 - axis]:
            lookup(op)(blocks.standin(lhs), blocks.standin(rhs))  # names the mismatch
            return NotImplemented
        args = self._on_workers(args)
        if op == "cbind":
            return blocks.rowwise(blocks.BlockKernel("cbind"), args, self._driver(args))
        vt = most_general(vt_of_dtype(lhs.dtype), vt_of_dtype(rhs.dtype))
        parts = [blocks.rowwise(blocks.BlockKernel(f"as.{vt}") if vt != "size" else
                                blocks.BlockKernel("as.ui64"), [a], self._driver([a]))
                 for a in args]
        import dask.array as da

        return da.concatenate(parts, axis=0)

    def _extract(self, op: str, args: list[Any]) -> Any:
        x, rows, cols = args
        if not blocks.is_dask(x):
            return NotImplemented
        if blocks.is_dask(rows) or blocks.is_dask(cols):
            return NotImplemented
        if op == "filter":
            return self._filter(x, rows, cols)
        r = axis_selector(rows, 0, x.shape)  # the kernel's checks and messages
        axis_selector(cols, 1, x.shape)
        x = x[r] if not (isinstance(r, slice) and r == slice(0, x.shape[0])) else x
        if isinstance(r, np.ndarray):
            x = x.rechunk({0: self._chunks(*x.shape, x.dtype.itemsize)})
        return blocks.rowwise(blocks.BlockKernel("extract", None, cols), [x], x)

    def _filter(self, x: Any, rowbits: Any, colbits: Any) -> Any:
        if rowbits is None:
            return blocks.rowwise(blocks.BlockKernel("filter", None, colbits), [x], x)
        if rowbits.shape != (x.shape[0], 1):
            if not blocks.is_dask(rowbits):
                bit_selector(blocks.standin(rowbits), 0, x.shape)  # names the mismatch
            return NotImplemented
        import dask.array as da

        bits = blocks.aligned(rowbits, x.chunks[0])
        out = blocks.rowwise(blocks.BlockKernel("filter", colbits), [x, bits], x)
        # Rows kept per block, from the bits alone: later ops need the shape.
        counts = tuple(self._compute(blocks.reduce_blocks(_count_ones, _concat, bits)))
        return da.Array(out.dask, out.name, (counts, out.chunks[1]), meta=out._meta)

    def _shape_scalar(self, op: str, args: list[Any]) -> Any:
        x = args[0]
        if frames.is_partitioned(x):
            n, m = sum(frames.row_counts(x, self._compute)), x.schema.ncol
            return SizeScalar({"nrow": n, "ncol": m, "ncell": n * m}[op])
        return lookup(op)(blocks.standin(x))

    # -- frames -------------------------------------------------------------------------------

    def _partitioned(self, value: Any) -> Any:
        """A frame argument as partitions (a local one becomes a single partition)."""
        if isinstance(value, FrameValue):
            return frames.split(value, (value.nrow,))
        return value

    def _receive_frame(self, op: str, args: list[Any]) -> Any:
        f = args[0]
        self._note(f"sent a {f.nrow}x{f.ncol} frame ({_size(_nbytes(f))}) to the cluster")
        return frames.split(f, self._chunks(f.nrow, max(f.ncol, 1)))

    def _create_frame(self, op: str, args: list[Any]) -> Any:
        cols = [a for a in args if _is_matrix(a)]
        labels = args[len(cols):]
        lookup(op)(*(blocks.standin(c)[:0] for c in cols), *labels)  # the kernel's checks
        if any(c.shape[0] != cols[0].shape[0] for c in cols):
            return NotImplemented
        driver = self._driver(cols)
        columns = [blocks.blocks_of(blocks.aligned(c, driver.chunks[0])) for c in cols]
        make = blocks.dask.delayed(blocks.BlockKernel(op), pure=True)
        parts = tuple(make(*col_blocks, *labels) for col_blocks in zip(*columns, strict=True))
        schema = lookup(op)(*(np.empty((0, 1), c.dtype) for c in cols), *labels)
        return frames.PartitionedFrame(parts, schema, driver.chunks[0])

    def _frame_to_matrix(self, op: str, args: list[Any]) -> Any:
        import dask.array as da

        f = args[0]
        kernel = blocks.BlockKernel(op)
        meta = kernel(f.schema)
        rows = frames.row_counts(f, self._compute)
        make = blocks.dask.delayed(kernel, pure=True)
        return da.concatenate([da.from_delayed(make(p), shape=(n, meta.shape[1]),
                                               dtype=meta.dtype, meta=meta)
                               for p, n in zip(f.parts, rows, strict=True)], axis=0)

    def _frame_select(self, op: str, args: list[Any]) -> Any:
        f, rows, cols = args
        if blocks.is_dask(cols) or (rows is not None and not blocks.is_dask(rows)):
            return NotImplemented  # row ranges and positions: locally
        if rows is None:
            return frames.per_partition(f, op, None, cols)
        if op != "filter" or rows.shape[1] != 1:
            return NotImplemented
        counts = frames.row_counts(f, self._compute)
        if sum(counts) != rows.shape[0]:
            return NotImplemented  # the kernel names the mismatch
        bits = blocks.blocks_of(blocks.aligned(rows, counts))
        run = blocks.dask.delayed(blocks.BlockKernel(op), pure=True)
        parts = tuple(run(p, b, cols) for p, b in zip(f.parts, bits, strict=True))
        return frames.PartitionedFrame(parts, lookup(op)(f.schema, None, cols),
                                       (None,) * len(parts))

    def _frame_bind(self, op: str, args: list[Any]) -> Any:
        lhs, rhs = (self._partitioned(a) for a in args)
        schema = lookup(op)(lhs.schema, rhs.schema)  # the kernel's schema checks
        if op == "rbind":
            return frames.PartitionedFrame(lhs.parts + rhs.parts, schema, lhs.nrows + rhs.nrows)
        if frames.row_counts(lhs, self._compute) != frames.row_counts(rhs, self._compute):
            return NotImplemented  # differently cut: the kernel runs on the gathered frames
        run = blocks.dask.delayed(blocks.BlockKernel(op), pure=True)
        return frames.PartitionedFrame(tuple(run(a, b) for a, b in zip(lhs.parts, rhs.parts,
                                                                        strict=True)),
                                       schema, lhs.nrows)

    def _frame_join(self, op: str, args: list[Any]) -> Any:
        if (isinstance(args[1], FrameValue) and frames.is_partitioned(args[0])
                and op in frames.BROADCAST_JOINS):
            return frames.broadcast_join(op, args[0], args[1], tuple(args[2:]))
        lhs, rhs = (self._partitioned(a) for a in args[:2])
        if not self._hashable_keys(lhs, rhs, [k for k in args[2:] if isinstance(k, str)]):
            return NotImplemented
        return frames.join(op, lhs, rhs, tuple(args[2:]))

    def _frame_group(self, op: str, args: list[Any]) -> Any:
        f = self._partitioned(args[0])
        keys = args[2:2 + args[1]] if op == "groupBy" else args[1:-1]
        if not self._hashable_keys(f, None, list(keys)):
            return NotImplemented
        return frames.group(op, f, tuple(args[1:]))

    def _sql(self, op: str, args: list[Any]) -> Any:
        from daphnelib.backends import dask_sql

        views = dict(zip(args[1::2], args[2::2], strict=True))  # a later name wins
        return dask_sql.run(args[0], views, self._compute, self._note)

    def _register_view(self, op: str, args: list[Any]) -> None:
        """Views bind when sql nodes are built: nothing to run, and nothing to gather."""
        lookup(op)(args[0], args[1].schema)

    @staticmethod
    def _hashable_keys(lhs: Any, rhs: Any, keys: list[str]) -> bool:
        """Whether every key column is numeric, bool or a string (others are joined or
        grouped locally)."""
        for f in (lhs, rhs):
            if f is None:
                continue
            for k in keys:
                if k in f.schema.labels and f.schema.columns[f.schema.index_of(k)].dtype.kind \
                        not in "biufT":
                    return False
        return True


class _ClusterCalls(LocalCalls):
    """A function call's body on the Dask backend: run op by op by the backend, type checks
    on stand-ins of the distributed values, casts as ops of the call."""

    def __init__(self, backend: DaskBackend, ins: Instr) -> None:
        self.backend, self.ins = backend, ins

    def view(self, value: Any) -> Any:
        if blocks.is_dask(value):
            return blocks.standin(value)
        return value.schema if frames.is_partitioned(value) else value

    def convert(self, op: str, value: Any) -> Any:
        return self.backend._step(Instr(self.ins.out, op, (), self.ins.kind), [value])

    def run(self, block: Block, params: Any) -> tuple:
        return self.backend._run_block(block, tuple(params))


def _swap_axes_graph(x: Any) -> Any:
    """t(X) of a row-blocked X: each block transposed by the ``t`` kernel, blocks swapped."""
    import dask.array as da

    fn = blocks.BlockKernel("t")
    meta = np.asarray(fn(blocks.tiny(x)))
    return da.blockwise(fn, "ji", x, "ij", dtype=meta.dtype, meta=meta[:0])


def _count_ones(bits: np.ndarray) -> list[int]:
    return [int(np.count_nonzero(bits))]


def _concat(parts: list[list[int]]) -> list[int]:
    return [c for p in parts for c in p]


def _seed(seed: Any) -> int:
    from daphnelib.engine.kernels.random import _random_seed

    return _random_seed(int(seed))


def _seq_length(args: list[Any]) -> int:
    """seq's length without building it, counted as the kernel counts it."""
    start, end = args[0], args[1]
    inc = args[2] if len(args) > 2 else 1
    dtype = DTYPE_OF_VT[most_general(vt_of(start), vt_of(end), vt_of(inc))]
    if dtype.kind == "f":
        from daphnelib.engine.kernels.generate import _seq_length as float_length

        a, b, s = float(start), float(end), float(inc)
        return 0 if (b - a) * s < 0 else float_length(a, b, s, float(np.finfo(dtype).eps))
    a, b, s = int(start), int(end), int(inc)
    return 0 if (b - a) * s < 0 else (b - a) // s + 1


def _cells(shape: tuple[int, int] | None) -> int:
    return 0 if shape is None else shape[0] * shape[1]


def _out_shape(op: str, args: list[Any], shapes: list[Any]) -> tuple[int, int] | None:
    """The output shape of an op from its arguments' shapes, where it is cheap to know."""
    rule = _SHAPE_RULES.get(op)
    try:
        if rule is not None:
            return rule(args, shapes)
        known = [s for s in shapes if s is not None]
        if not known:
            return None
        return known[0] if len(known) == 1 else max(known, key=_cells)
    except (TypeError, ValueError, IndexError):
        return None


def _known(shapes: list[Any]) -> list[tuple[int, int]]:
    return [s for s in shapes if s is not None]


def _broadcast_shape(args: list[Any], shapes: list[Any]) -> tuple[int, int] | None:
    """Elementwise: a row or column vector grows to the other side's shape."""
    known = _known(shapes)
    if len(known) == 2:
        return (max(known[0][0], known[1][0]), max(known[0][1], known[1][1]))
    return known[0] if known else None


def _product_shape(args: list[Any], shapes: list[Any]) -> tuple[int, int] | None:
    """``@`` and ``outer*``: the left side's rows, the right side's columns."""
    known = _known(shapes)
    return (known[0][0], known[1][1]) if len(known) == 2 else _widest(known)


def _bind_shape(op: str) -> Callable[[list[Any], list[Any]], tuple[int, int] | None]:
    axis = 1 if op == "cbind" else 0

    def rule(args: list[Any], shapes: list[Any]) -> tuple[int, int] | None:
        known = _known(shapes)
        if len(known) != 2:
            return _widest(known)
        out = list(known[0])
        out[axis] += known[1][axis]
        return (out[0], out[1])

    return rule


def _aggregate_shape(args: list[Any], shapes: list[Any]) -> tuple[int, int] | None:
    """Per row (axis 0): a column; per column (axis 1): a row; in full: a scalar."""
    known = _known(shapes)
    if not known:
        return None
    if len(args) == 2 and isinstance(args[1], int):
        n, m = known[0]
        return (n, 1) if args[1] == 0 else (1, m)
    return (0, 0)


def _extract_shape(args: list[Any], shapes: list[Any]) -> tuple[int, int] | None:
    if shapes[0] is None:
        return _widest(_known(shapes))
    n, m = shapes[0]
    return (_selected(args[1], shapes[1], n), _selected(args[2], shapes[2], m))


def _widest(known: list[tuple[int, int]]) -> tuple[int, int] | None:
    return max(known, key=_cells) if known else None


_SHAPE_RULES: dict[str, Callable[[list[Any], list[Any]], tuple[int, int] | None]] = {
    "fill": lambda args, shapes: (int(args[1]), int(args[2])),
    "rand": lambda args, shapes: (int(args[0]), int(args[1])),
    "seq": lambda args, shapes: (_seq_length(args), 1),
    "extract": _extract_shape,
    "t": lambda args, shapes: (shapes[0][1], shapes[0][0]),
    "transpose": lambda args, shapes: (shapes[0][1], shapes[0][0]),
    "syrk": lambda args, shapes: (shapes[0][1], shapes[0][1]),
    "@": _product_shape,
    "cbind": _bind_shape("cbind"),
    "rbind": _bind_shape("rbind"),
    **dict.fromkeys(OUTER, _product_shape),
    **dict.fromkeys(BINARY, _broadcast_shape),
    **dict.fromkeys(_AGGREGATES, _aggregate_shape),
    **dict.fromkeys(("nrow", "ncol", "ncell"), lambda args, shapes: (0, 0)),
}


def _selected(selector: Any, shape: tuple[int, int] | None, n: int) -> int:
    """How many of ``n`` rows (columns) an ``extract`` selector picks, at most."""
    if shape is not None:  # a matrix of positions
        return shape[0] * shape[1]
    if isinstance(selector, (int, np.integer)) and not isinstance(selector, bool):
        return 1
    if isinstance(selector, slice):
        try:
            return len(range(*selector.indices(n)))
        except TypeError:  # bounds computed at run time
            return n
    return n


def _peak_bytes(program: Program) -> float:
    """The largest output of any op of ``program`` in bytes (8 a cell), from the shapes known
    before running; inf when an input is distributed or a matrix output has no cheap shape
    rule (it counts as too big)."""
    return 8 * _ShapeWalk().peak(program, {})


class _ShapeWalk:
    """Output shapes through a program, into the blocks of loops, ``if`` and function calls.

    A value's entry is its ``(rows, cols)``, None (not a matrix, or not known), or a list of
    entries (the tuple a block or call yields). A loop whose body changes the shape of what it
    carries, or a function that calls itself, has no static peak (inf).
    """

    def __init__(self) -> None:
        self.entered: set[int] = set()  # blocks being walked: recursion has no static peak

    def peak(self, program: Program, shapes: dict[int, Any]) -> float:
        """The largest output (in cells) of ``program``; ``shapes`` gains every value's."""
        peak: float = 0
        get = shapes.get
        for ins in program.instrs:
            op, args = ins.op, ins.args
            if op == "receiveFromNumpy":
                if blocks.is_dask(args[0]):
                    return float("inf")
                shapes[ins.out] = args[0].shape
                continue
            # Var arguments stay in ``args``: a shape rule that needs their value fails
            # (int(Var) is a TypeError) and the shape is unknown.
            arg_shapes = [get(a.id) if type(a) is Var else
                          (a.shape if type(a) is np.ndarray and a.ndim == 2 else None)
                          for a in args]
            structured = _STRUCTURED.get(op)
            if structured is not None:
                inner, out = structured(self, op, args, arg_shapes)
                peak = max(peak, inner)
            elif op == "results":
                out = arg_shapes
            elif op == "item":
                out = arg_shapes[0][args[1]] if isinstance(arg_shapes[0], list) else None
            else:
                out = _out_shape(op, args, [s if type(s) is tuple else None
                                            for s in arg_shapes])
            if type(out) is tuple:
                cells = out[0] * out[1]
                if cells > peak:
                    peak = cells
            elif ins.kind is Kind.MATRIX:
                return float("inf")
            shapes[ins.out] = out
        return peak

    def block(self, block: Any, params: list[Any]) -> tuple[float, Any]:
        """A block's peak and the entries of what it yields."""
        if id(block) in self.entered:
            return float("inf"), None
        self.entered.add(id(block))
        try:
            shapes = dict(enumerate(params))
            peak = self.peak(block.program, shapes)
            return peak, shapes.get(block.program.result.out)
        finally:
            self.entered.discard(id(block))

    def loop(self, op: str, args: tuple, arg_shapes: list[Any]) -> tuple[float, Any]:
        """``for``/``while``/``do-while``: the body with the carried shapes, then once more
        with the larger of those and what it yielded (shape rules are upper bounds); what it
        carries must then keep its shape, else the loop has no static peak."""
        head = 4 if op == "for" else 2
        state = arg_shapes[head + 1:]
        ncarried = args[head]
        carried = state[:ncarried]
        for _ in range(2):
            params = [*carried, *state[ncarried:]]
            if op == "for":
                peak, yielded = self.block(args[3], [None, *params])  # the loop variable first
            else:
                peak, _ = self.block(args[0], params)  # the condition
                inner, yielded = self.block(args[1], params)
                peak = max(peak, inner)
            widened = _widened(carried, yielded)
            if widened == carried:
                return peak, carried
            if widened is None:
                break
            carried = widened
        return float("inf"), None

    def branch(self, op: str, args: tuple, arg_shapes: list[Any]) -> tuple[float, Any]:
        """``if``: both branches; what it yields is, per value, the larger of their shapes."""
        state = arg_shapes[4:]
        out = state[:args[3]]
        peak: float = 0
        for block in args[1:3]:
            if block is not None:
                inner, yielded = self.block(block, state)
                peak, out = max(peak, inner), _widened(out, yielded)
                if out is None:
                    return float("inf"), None
        return peak, out

    def call(self, op: str, args: tuple, arg_shapes: list[Any]) -> tuple[float, Any]:
        """A user-defined function: every definition that may be picked, with the arguments'
        shapes; they must agree on the shapes of what they return."""
        group, nresults, params = args[0], args[1], arg_shapes[2:]
        peak: float = 0
        found: list[Any] = []
        for overload in group.overloads:
            if len(overload.param_names) != len(params):
                continue
            if overload.block is None:
                return float("inf"), None
            inner, yielded = self.block(overload.block, params)
            peak = max(peak, inner)
            found.append(yielded)
        if not found or any(y != found[0] for y in found):
            return float("inf"), None
        return peak, (found[0][0] if nresults == 1 and isinstance(found[0], list)
                      else found[0])


def _widened(carried: list[Any], yielded: Any) -> Any:
    """Per value, the larger of two shapes; None where one is not a matrix shape."""
    if not isinstance(yielded, list) or len(yielded) != len(carried):
        return None
    return [(max(c[0], y[0]), max(c[1], y[1])) if isinstance(c, tuple) and isinstance(y, tuple)
            else (c if c == y else None) for c, y in zip(carried, yielded, strict=True)]


_STRUCTURED: dict[str, Callable[..., tuple[float, Any]]] = {
    "for": _ShapeWalk.loop,
    "while": _ShapeWalk.loop,
    "do-while": _ShapeWalk.loop,
    "if": _ShapeWalk.branch,
    "call": _ShapeWalk.call,
}


def _distributed(value: Any) -> bool:
    return blocks.is_dask(value) or frames.is_partitioned(value)


# Structured control flow: run on the client, the ops of its blocks dispatched one by one.
_CONTROL: dict[str, Callable[..., Any]] = {
    "for": DaskBackend._loop,
    "while": DaskBackend._loop,
    "do-while": DaskBackend._loop,
    "if": DaskBackend._if,
    "results": DaskBackend._structure,
    "item": DaskBackend._structure,
}

# Lowerings of ops reading a partitioned frame (others gather it and run locally).
_FRAME_RULES: dict[str, Callable[..., Any]] = {
    "as.matrix": DaskBackend._frame_to_matrix,
    "extract": DaskBackend._frame_select,
    "filter": DaskBackend._frame_select,
    "rbind": DaskBackend._frame_bind,
    "cbind": DaskBackend._frame_bind,
    "groupBy": DaskBackend._frame_group,
    "groupSum": DaskBackend._frame_group,
    **dict.fromkeys(frames.JOINS, DaskBackend._frame_join),
    **dict.fromkeys(("nrow", "ncol", "ncell"), DaskBackend._shape_scalar),
    "sql": DaskBackend._sql,
    "registerView": DaskBackend._register_view,
}

_RULES: dict[str, Callable[..., Any]] = {
    **dict.fromkeys(_GENERATORS, DaskBackend._generate),
    "@": DaskBackend._matmul,
    "syrk": DaskBackend._syrk_gemv,
    "gemv": DaskBackend._syrk_gemv,
    "t": DaskBackend._transpose,
    "transpose": DaskBackend._transpose,
    "map": DaskBackend._map,
    "cbind": DaskBackend._bind,
    "rbind": DaskBackend._bind,
    "extract": DaskBackend._extract,
    "filter": DaskBackend._extract,
    "nrow": DaskBackend._shape_scalar,
    "ncol": DaskBackend._shape_scalar,
    "ncell": DaskBackend._shape_scalar,
}
