"""The optimising executor: value lifetimes, rewrites and fused pipelines give the results of
the plain path (each instruction's kernel run as written, values kept to the end).

Fused pipelines are forced onto their blocked, threaded path on small inputs by shrinking
``fusion.MIN_CELLS`` and ``fusion.BLOCK_CELLS``, so the properties cover block edges.
"""

from __future__ import annotations

import contextlib
import re
import tracemalloc
import weakref
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from daphnelib import DaphneContext
from daphnelib._native import fused as native
from daphnelib.engine import executor, fusion
from daphnelib.engine.executor import compile_program, run
from daphnelib.engine.program import Instr, Kind, Program, Var, read_ids
from daphnelib.engine.registry import _RESOLVED, KERNELS
from support import receive

M, S = Kind.MATRIX, Kind.SCALAR
DTYPES = [np.float64, np.float32, np.int64, np.int32, np.int8, np.uint8, np.uint64, np.bool_]
BINARY_OPS = ["+", "-", "*", "/", "%", "^", "min", "max", "==", "!=", "<", "<=", ">", ">=",
              "&&", "||", "log"]
UNARY_OPS = ["minus", "abs", "sign", "round", "floor", "ceil", "isNan", "relu", "exp",
             "sqrt", "ln", "sin", "tanh"]
SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@contextlib.contextmanager
def tiny_blocks(block_cells: int = 5) -> Iterator[None]:
    """Fuse from one cell on, in blocks of a few cells (several blocks, ragged last one)."""
    saved = fusion.MIN_CELLS, fusion.BLOCK_CELLS
    fusion.MIN_CELLS, fusion.BLOCK_CELLS = 1, block_cells
    try:
        yield
    finally:
        fusion.MIN_CELLS, fusion.BLOCK_CELLS = saved


@contextlib.contextmanager
def extra_kernels(**kernels: Any) -> Iterator[None]:
    """Kernels registered for one test only."""
    KERNELS.update((name, {None: fn}) for name, fn in kernels.items())
    try:
        yield
    finally:
        for name in kernels:
            del KERNELS[name]
            _RESOLVED.pop(name, None)


def outcome(program: Program, *, optimize: bool) -> tuple:
    """(dtype, shape, bytes) of the result, or the error's type and message."""
    try:
        value = run(compile_program(program, optimize=optimize))
    except Exception as exc:  # both paths must raise the same error
        return ("error", type(exc).__name__, str(exc))
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "fc":
            # A NaN's sign and payload are not part of its value: numpy's own loops give
            # x + (-x) over a NaN either sign, depending on where in the array it lies.
            value = np.where(np.isnan(value), np.nan, value)
        return (value.dtype.str, value.shape, value.tobytes())
    return ("scalar", type(value).__name__, repr(value))


def unnamed(result: tuple) -> tuple:
    """An error outcome without the op name its message may carry."""
    return (*result[:2], re.sub(r" in '[^']+'", "", result[2]))


def errors_of_each_op(program: Program) -> list[tuple]:
    """The unfused outcome of every failing op, each run with only what it depends on."""
    by_out = {i.out: i for i in program.instrs}
    errors = []
    for instr in program.instrs:
        needed, todo = set(), [instr.out]
        while todo:
            out = todo.pop()
            if out not in needed:
                needed.add(out)
                todo += read_ids(by_out[out].args)
        sub = Program(tuple(i for i in program.instrs if i.out in needed))
        result = outcome(sub, optimize=False)
        if result[0] == "error":
            errors.append(result)
    return errors


# -- random elementwise programs ----------------------------------------------------------------

@st.composite
def elementwise_programs(draw: st.DrawFn) -> tuple[Program, list[np.ndarray]]:
    n = draw(st.integers(1, 9))
    m = draw(st.integers(1, 4))
    shapes = [(n, m), (n, m), (1, m), (n, 1)]
    inputs = []
    for i in range(draw(st.integers(1, 3))):
        dtype = np.dtype(draw(st.sampled_from(DTYPES)))
        shape = shapes[0] if i == 0 else draw(st.sampled_from(shapes))
        if dtype.kind == "f":
            values = draw(st.lists(st.floats(-4, 4, width=dtype.itemsize * 8)
                                   | st.sampled_from([0.0, -0.0, np.nan, np.inf]),
                                   min_size=shape[0] * shape[1], max_size=shape[0] * shape[1]))
        else:
            info = np.iinfo(dtype) if dtype.kind != "b" else None
            lo, hi = (0, 1) if info is None else (max(info.min, -5), min(info.max, 5))
            values = draw(st.lists(st.integers(lo, hi), min_size=shape[0] * shape[1],
                                   max_size=shape[0] * shape[1]))
        inputs.append(np.array(values, dtype=dtype).reshape(shape))
    instrs = [receive(i, a) for i, a in enumerate(inputs)]
    # The first value is the full-shape matrix; every op keeps it on the left of a binary op
    # now and then, so the result is n x m whatever the other operands are.
    values = list(range(len(inputs)))
    for _ in range(draw(st.integers(1, 8))):
        out = len(instrs)
        if draw(st.booleans()):
            op = draw(st.sampled_from(UNARY_OPS))
            instrs.append(Instr(out, op, (Var(draw(st.sampled_from(values))),), M))
        else:
            op = draw(st.sampled_from(BINARY_OPS))
            lhs = Var(values[-1] if draw(st.booleans()) else 0)
            rhs: Any = (Var(draw(st.sampled_from(values))) if draw(st.booleans())
                        else draw(st.sampled_from([2, -3, 0, 1.5, 0.5, True])))
            args = (rhs, lhs) if draw(st.integers(0, 4)) == 0 and type(rhs) is not Var else (
                lhs, rhs)
            instrs.append(Instr(out, op, args, M))
        values.append(out)
    return Program(tuple(instrs)), inputs


def two_failing_ops() -> tuple[Program, list[np.ndarray]]:
    """A shape error and, independently, an integer division by zero (found by CI)."""
    inputs = [np.zeros((5, 3), np.int64), np.zeros((1, 3))]
    instrs = [receive(0, inputs[0]), receive(1, inputs[1]),
              Instr(2, "+", (Var(1), Var(0)), M), Instr(3, "/", (2, Var(0)), M),
              Instr(4, "minus", (Var(2),), M)]
    return Program(tuple(instrs)), inputs


@SETTINGS
@given(elementwise_programs(), st.integers(1, 7))
@example(two_failing_ops(), 1)
def test_fused_pipelines_equal_unfused_ops(case: tuple[Program, list[np.ndarray]],
                                           block: int) -> None:
    program, inputs = case
    before = [a.copy() for a in inputs]
    expected = outcome(program, optimize=False)
    with tiny_blocks(block):
        got = outcome(program, optimize=True)
    if got[0] == expected[0] == "error":
        # Of two independent failing ops, fusion may run either first: its error must be
        # the one some op of the program raises when run unfused on its own inputs.
        assert unnamed(got) in {unnamed(e) for e in errors_of_each_op(program)}
    else:
        assert got == expected
    for a, b in zip(inputs, before, strict=True):
        assert a.tobytes() == b.tobytes()  # the caller's buffers are never written


@SETTINGS
@given(elementwise_programs())
@example(two_failing_ops())
def test_generated_code_makes_the_loops_calls(case: tuple[Program, list[np.ndarray]]) -> None:
    """A program run a second time runs generated code for its steps, and its pipelines run
    unfused (small inputs) generated code for their ops: the same value, or the same error
    with the same notes, as the executor's loop and the walk over the nodes."""
    compiled = compile_program(case[0])
    pipes = {i: step[0] for i, step in enumerate(compiled.steps)
             if type(step[0]) is fusion.Pipeline}
    results = []
    # The walk and the loop, then the generated functions of both (made, then kept).
    for _ in range(3):
        try:
            value = run(compiled)
            results.append((value.dtype.str, value.shape, value.tobytes()))
        except Exception as exc:  # the same error each time, with the same notes
            results.append(("error", type(exc).__name__, str(exc), tuple(exc.__notes__)))
    assert results[0] == results[1] == results[2]
    assert compiled.runner.__code__.co_filename == executor.STEPS_FILE
    if results[0][0] != "error":
        # Each pipeline ran generated code: its walk, or its path for small f64 matrices.
        called = compiled.runner.__globals__
        assert all(callable(p._walk) or called[f"k{i}"].__name__ == "small"
                   for i, p in pipes.items())


def test_generated_code_frees_a_programs_data_with_it() -> None:
    """No reference cycle in generated code: data a program holds as constants is freed
    when the program goes, without waiting for the garbage collector."""
    import gc

    x = np.ones((3, 3))
    program = Program((Instr(0, "receiveFromNumpy", (x,), M), Instr(1, "*", (Var(0), 2.0), M),
                       Instr(2, "sum", (Var(1), 0), M)))
    assert [float(v[0, 0]) for v in each_run(program)] == [6.0] * 3
    alive = weakref.ref(x)
    del x, program
    gc.disable()
    try:
        assert alive() is None
    finally:
        gc.enable()


def test_progress_finds_the_position_in_generated_steps() -> None:
    import sys

    from daphnelib import progress

    seen: list[tuple[int, int] | None] = []

    def where() -> int:
        seen.append(progress._position(sys._getframe()))
        return 1

    program = Program((Instr(0, "testWhere", (), S), Instr(1, "testWhere", (), S),
                       Instr(2, "+", (Var(0), Var(1)), S)))
    with extra_kernels(testWhere=where):
        assert list(each_run(program)) == [2, 2, 2]
    assert seen == [(1, 3), (2, 3)] * 3


def test_pipeline_errors_are_the_unfused_ops_own() -> None:
    x = np.array([[4.0, -2.0], [9.0, 16.0]])
    program = Program((receive(0, x), Instr(1, "+", (Var(0), 1.0), M),
                       Instr(2, "sqrt", (Var(1),), M), Instr(3, "*", (Var(2), 2.0), M)))
    assert any(ins.op == fusion.FUSED for ins in fusion.fuse(program).instrs)
    with tiny_blocks(), pytest.raises(ValueError, match="invalid argument '-1' passed to") as e:
        run(compile_program(program))
    assert "(in DaphneDSL builtin 'sqrt', V2)" in e.value.__notes__


def test_integer_division_by_zero_in_a_pipeline() -> None:
    x = np.arange(12, dtype=np.int64).reshape(6, 2)
    program = Program((receive(0, x), Instr(1, "-", (Var(0), 5), M),
                       Instr(2, "/", (7, Var(1)), M)))
    with tiny_blocks(), pytest.raises(ZeroDivisionError, match="integer division by zero"):
        run(compile_program(program))


def test_fusion_groups_only_values_read_inside_the_group() -> None:
    x = np.ones((4, 4))
    program = Program((receive(0, x), Instr(1, "+", (Var(0), 1.0), M),
                       Instr(2, "*", (Var(1), 2.0), M), Instr(3, "sum", (Var(1),), S),
                       Instr(4, "-", (Var(2), Var(3)), M)))
    ops = [(ins.op, ins.args[0].ops if ins.op == fusion.FUSED else None)
           for ins in fusion.fuse(program).instrs]
    # V1 is read by sum too, so it stays a value of its own; V2 and V4 fuse.
    assert ops == [("receiveFromNumpy", None), (fusion.FUSED, ("+",)), ("sum", None),
                   (fusion.FUSED, ("*", "-"))]


def test_large_chain_runs_blocked_on_the_thread_pool() -> None:
    x = np.random.default_rng(1).random((fusion.MIN_CELLS // 10 + 3, 10))
    instrs = [receive(0, x)]
    for i in range(1, 41):
        instrs.append(Instr(i, "*" if i % 2 else "+", (Var(i - 1), 0.999 if i % 2 else 0.001),
                            M))
    program = Program(tuple(instrs))
    assert len(compile_program(program)) == 2  # the receive and one pipeline
    assert outcome(program, optimize=True) == outcome(program, optimize=False)


# -- lifetimes and buffer reuse -----------------------------------------------------------------

def each_run(program: Program) -> Iterator[Any]:
    """The values of three runs of one compilation: the executor's loop, then the generated
    function of the program's steps (made at the second run, kept for the third)."""
    compiled = compile_program(program)
    for _ in range(3):
        yield run(compiled)
    assert compiled.runner.__code__.co_filename == executor.STEPS_FILE


def test_values_die_after_their_last_use() -> None:
    remembered: list[weakref.ref] = []

    def remember(x: np.ndarray) -> np.ndarray:
        remembered.append(weakref.ref(x))
        return x + 1.0

    def alive() -> int:
        return sum(r() is not None for r in remembered)

    program = Program((
        receive(0, np.zeros((3, 3))), Instr(1, "t", (Var(0),), M),
        Instr(2, "testRemember", (Var(1),), M), Instr(3, "testRemember", (Var(2),), M),
        Instr(4, "testAlive", (), S), Instr(5, "+", (Var(3), Var(4)), M)))
    with extra_kernels(testRemember=remember, testAlive=alive):
        for out in each_run(program):
            # At V4, V1 (last read by V2) and V2 (last read by V3) are gone.
            assert out.tolist() == [[2.0] * 3] * 3


def test_a_dying_engine_buffer_takes_the_result() -> None:
    made: list[int] = []

    def make() -> np.ndarray:
        arr = np.empty((4, 3))  # owns its buffer
        arr[...] = np.arange(12.0).reshape(4, 3)
        made.append(arr.ctypes.data)
        return arr

    program = Program((Instr(0, "testMake", (), M), Instr(1, "*", (Var(0), 2.0), M),
                       Instr(2, "+", (Var(1), 1.0), M)))
    with extra_kernels(testMake=make), tiny_blocks():
        for out in each_run(program):
            assert out.ctypes.data == made[-1]
            assert out.tolist() == (np.arange(12.0).reshape(4, 3) * 2 + 1).tolist()


def test_a_buffer_still_viewed_is_not_reused() -> None:
    def make() -> np.ndarray:
        return np.arange(12.0).reshape(4, 3)

    # V1 views V0; V0 dies at V2, but its buffer must keep the values V1 shows.
    program = Program((Instr(0, "testMake", (), M), Instr(1, "reshape", (Var(0), 3, 4), M),
                       Instr(2, "*", (Var(0), 2.0), M), Instr(3, "sum", (Var(1),), S),
                       Instr(4, "+", (Var(2), Var(3)), M)))
    with extra_kernels(testMake=make), tiny_blocks():
        for out in each_run(program):
            assert out.tolist() == (np.arange(12.0).reshape(4, 3) * 2 + 66).tolist()


def test_a_callers_buffer_is_never_reused() -> None:
    x = np.arange(12.0).reshape(4, 3)
    program = Program((Instr(0, "receiveFromNumpy", (x,), M),
                       Instr(1, "*", (Var(0), 2.0), M)))
    with tiny_blocks():
        for out in each_run(program):
            assert not np.shares_memory(out, x)
    assert x.tolist() == np.arange(12.0).reshape(4, 3).tolist()


# -- rewrites -----------------------------------------------------------------------------------

def _ops(program: Program) -> list[str]:
    return [step[3] for step in compile_program(program).steps]


def test_transpose_written_twice_is_computed_once() -> None:
    x = np.random.default_rng(2).random((50, 4))
    program = Program((receive(0, x), Instr(1, "t", (Var(0),), M), Instr(2, "t", (Var(0),), M),
                       Instr(3, "cbind", (Var(1), Var(2)), M)))
    assert _ops(program) == ["receiveFromNumpy", "t", "cbind"]
    assert outcome(program, optimize=True) == outcome(program, optimize=False)


def test_gram_matrix_is_exactly_symmetric_without_a_copy_of_x() -> None:
    x = np.random.default_rng(3).random((2000, 30))
    program = Program((receive(0, x), Instr(1, "t", (Var(0),), M),
                       Instr(2, "@", (Var(1), Var(0)), M)))
    assert _ops(program) == ["receiveFromNumpy", "t@"]
    out = run(compile_program(program))
    assert np.array_equal(out, out.T)
    np.testing.assert_allclose(out, x.T @ x, rtol=1e-12)


@st.composite
def product_programs(draw: st.DrawFn) -> tuple[Program, bool]:
    dtype = draw(st.sampled_from([np.float64, np.float32, np.int64, np.int32, np.uint8]))
    n, m, k = (draw(st.integers(1, 6)) for _ in range(3))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    a = (rng.random((n, m)) * 10).astype(dtype)
    b = (rng.random((draw(st.sampled_from([n, m, k])), draw(st.sampled_from([n, m, k]))))
         * 10).astype(dtype)
    instrs = [receive(0, a), receive(1, b), Instr(2, "t", (Var(0),), M),
              Instr(3, "t", (Var(1),), M)]
    lhs = draw(st.sampled_from([0, 1, 2, 3]))
    rhs = draw(st.sampled_from([0, 1, 2, 3]))
    instrs.append(Instr(4, "@", (Var(lhs), Var(rhs)), M))
    if draw(st.booleans()):  # the same product again, and the transpose read elsewhere
        instrs.append(Instr(5, "@", (Var(lhs), Var(rhs)), M))
        instrs.append(Instr(6, "+", (Var(4), Var(5)), M))
    return Program(tuple(instrs)), np.dtype(dtype).kind == "f"


@SETTINGS
@given(product_programs())
def test_rewritten_products_equal_plain_ones(case: tuple[Program, bool]) -> None:
    program, floating = case
    expected = outcome(program, optimize=False)
    got = outcome(program, optimize=True)
    if expected[0] == "error" or not floating:
        assert got == expected
        return
    # BLAS may order a float product's sums differently once the transpose is a view.
    assert got[:2] == expected[:2]
    dtype = np.dtype(got[0])
    np.testing.assert_allclose(np.frombuffer(got[2], dtype), np.frombuffer(expected[2], dtype),
                               rtol=1e-5 if dtype == np.float32 else 1e-12)


def test_side_effects_and_random_ops_are_never_merged() -> None:
    program = Program((Instr(0, "rand", (3, 3, 0.0, 1.0, 1.0, -1), M),
                       Instr(1, "rand", (3, 3, 0.0, 1.0, 1.0, -1), M),
                       Instr(2, "-", (Var(0), Var(1)), M)))
    assert _ops(program).count("rand") == 2


def test_constants_of_different_types_are_not_merged() -> None:
    x = np.arange(6, dtype=np.int64).reshape(3, 2)
    program = Program((receive(0, x), Instr(1, "+", (Var(0), 1), M),
                       Instr(2, "+", (Var(0), 1.0), M), Instr(3, "cbind", (Var(1), Var(2)), M)))
    out = run(compile_program(program))
    assert out.dtype == np.float64
    assert out.tolist() == [[1, 2, 1, 2], [3, 4, 3, 4], [5, 6, 5, 6]]


# -- programs cached by structure ---------------------------------------------------------------

def test_a_rebuilt_graph_compiles_once(monkeypatch: pytest.MonkeyPatch) -> None:
    from daphnelib import DaphneContext
    from daphnelib.engine import executor

    compiled: list[Program] = []
    plain = executor.compile_program

    def counting(program: Program, **kwargs: Any) -> Any:
        compiled.append(program)
        return plain(program, **kwargs)

    monkeypatch.setattr(executor, "compile_program", counting)
    monkeypatch.setattr(executor, "_CACHE", {})
    dc = DaphneContext()
    results = [((dc.from_numpy(np.full((2, 2), v)) + 1.0) * 2.0).sum(axis=0).compute()
               for v in (1.0, 2.0, 3.0)]
    assert [r.tolist() for r in results] == [[[8.0], [8.0]], [[12.0], [12.0]], [[16.0], [16.0]]]
    assert len(compiled) == 1
    # Another literal is another program: 1 and 1.0 differ in type, so in the result's.
    out = (dc.from_numpy(np.full((2, 2), 1, dtype=np.int64)) + 1).compute()
    assert out.dtype == np.int64 and len(compiled) == 2
    out = (dc.from_numpy(np.full((2, 2), 1, dtype=np.int64)) + 1.0).compute()
    assert out.dtype == np.float64 and len(compiled) == 3


def test_a_forked_child_runs_pipelines_on_its_own_pool() -> None:
    """In a subprocess: a pipeline in a forked child must not wait for the parent's threads."""
    import subprocess
    import sys

    code = """
import multiprocessing as mp
import numpy as np
from daphnelib.engine import executor, fusion
from daphnelib.engine.executor import compile_program, run
from daphnelib.engine.program import Instr, Kind, Program, Var, read_ids

fusion.MIN_CELLS, fusion.BLOCK_CELLS = 1, 4
x = np.arange(64.0).reshape(16, 4)
program = Program((Instr(0, "receiveFromNumpy", (x,), Kind.MATRIX),
                   Instr(1, "*", (Var(0), 2.0), Kind.MATRIX)))

def child(q):
    q.put(float(run(compile_program(program)).sum()))

run(compile_program(program))  # the parent's pool exists now
ctx = mp.get_context("fork")
q = ctx.Queue()
p = ctx.Process(target=child, args=(q,))
p.start()
print(q.get(timeout=60))
p.join(60)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == str(2.0 * sum(range(64)))


# -- native f64 pipelines and fused full sums ---------------------------------------------------
# The native kernel (``_native/fused.pyx``) and the fused ``sum`` give the unfused ops' results
# bit for bit, and a summed chain is never materialised. numpy sums a contiguous f64 buffer
# pairwise; the streamed sum rebuilds that summation tree from node sums, so the sizes here
# straddle the tree's leaves (128 cells), the kernel's strips (256 cells) and the pool's tasks
# (``fusion.BLOCK_CELLS``, shrunk).

NATIVE_BINARY = ["+", "-", "*", "/", "min", "max", "==", "!=", "<", "<=", ">", ">="]
SIZES = [1, 7, 8, 127, 128, 129, 255, 256, 257, 1023, 1025, 2049, 5000]
FLOATS = (st.floats(-1e6, 1e6) | st.floats(-1e-300, 1e-300)
          | st.sampled_from([0.0, -0.0, np.nan, np.inf, -np.inf, 0.5, 1.0]))


def cells(draw: st.DrawFn, shape: tuple[int, int], dtype: type = np.float64) -> np.ndarray:
    """Random cells with special values sprinkled in (hypothesis' own arrays are slow)."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    if dtype is np.int64:
        return rng.integers(-5, 6, shape)
    x = rng.standard_normal(shape) * 10.0 ** rng.integers(-5, 6, shape)
    special = np.array([0.0, -0.0, np.nan, np.inf, -np.inf, 0.5, 1.0])
    mask = rng.random(shape) < draw(st.sampled_from([0.0, 0.05, 0.5]))
    x[mask] = rng.choice(special, int(mask.sum()))
    return x.astype(dtype)


@st.composite
def f64_chains(draw: st.DrawFn) -> tuple[Program, list[np.ndarray]]:
    """A chain of f64 ops over one or two full-shape matrices, often ending in a sum;
    sometimes an op or input the native kernel does not take (it falls back)."""
    n = draw(st.sampled_from(SIZES))
    m = draw(st.integers(1, 3) | st.sampled_from([255, 257, 600]))
    other = draw(st.sampled_from([np.float64, np.float64, np.float32, np.int64]))
    inputs = [cells(draw, (n, m)), cells(draw, (n, m), other)]
    instrs = [receive(0, inputs[0]), receive(1, inputs[1])]
    values = [0, 1]  # an f32 or si64 input makes the chain take the numpy blocks
    for _ in range(draw(st.integers(1, 6))):
        out = len(instrs)
        kind = draw(st.integers(0, 9))
        if kind == 0:
            op = draw(st.sampled_from(["minus", "abs", "sqrt"]))
            instrs.append(Instr(out, op, (Var(values[-1]),), M))
        else:
            op = draw(st.sampled_from(NATIVE_BINARY + (["%"] if kind == 1 else [])))
            lhs = Var(values[-1])
            rhs = (Var(draw(st.sampled_from(values))) if draw(st.booleans())
                   else draw(st.sampled_from([2, -3, 0, 1.5, 0.5, 1e300, True])))
            instrs.append(Instr(out, op, (lhs, rhs) if draw(st.booleans()) else (rhs, lhs), M))
        values.append(out)
    # A full sum, row sums (DAPHNE's axis 0, fused too), column sums (not fused), or none.
    axis = draw(st.sampled_from([None, None, 0, 1, "none"]))
    if axis is None:
        instrs.append(Instr(len(instrs), "sum", (Var(values[-1]),), S))
    elif axis != "none":
        instrs.append(Instr(len(instrs), "sum", (Var(values[-1]), axis), M))
    return Program(tuple(instrs)), inputs


@SETTINGS
@given(f64_chains(), st.sampled_from([1, 100, 700, 4096]))
def test_native_pipelines_and_sums_equal_the_unfused_ops(
        case: tuple[Program, list[np.ndarray]], block: int) -> None:
    program, inputs = case
    before = [a.copy() for a in inputs]
    expected = outcome(program, optimize=False)
    with tiny_blocks(block):
        got = outcome(program, optimize=True)
    if program.result.op == "sum":
        # Which of two NaNs a sum propagates is the compiler's choice (numpy's pairwise sum
        # and the kernel's may commute an addition): NaN sign bits aside, bit for bit.
        got, expected = nan_blind(got), nan_blind(expected)
    assert got == expected
    for a, b in zip(inputs, before, strict=True):
        assert a.tobytes() == b.tobytes()


def nan_blind(result: tuple) -> tuple:
    """An :func:`outcome` with every NaN of a float matrix made the same NaN."""
    if result[0] in ("error", "scalar") or np.dtype(result[0]).kind != "f":
        return result
    values = np.frombuffer(result[2], result[0]).copy()
    values[np.isnan(values)] = np.nan
    return (result[0], result[1], values.tobytes())


def test_a_sum_joins_the_pipeline_it_consumes() -> None:
    x = np.ones((4, 4))
    program = Program((receive(0, x), Instr(1, "*", (Var(0), 2.0), M),
                       Instr(2, "+", (Var(1), 1.0), M), Instr(3, "sum", (Var(2),), S),
                       Instr(4, "-", (Var(0), 1.0), M), Instr(5, "sum", (Var(4), 0), M),
                       Instr(6, "-", (Var(0), 2.0), M), Instr(7, "sum", (Var(6), 1), M),
                       Instr(8, "sum", (Var(0),), S)))
    fused = fusion.fuse(program).instrs
    # A full sum and row sums join; column sums and a sum of no elementwise op do not.
    assert [(ins.op, ins.args[0].ops if ins.op == fusion.FUSED else None)
            for ins in fused] == [("receiveFromNumpy", None),
                                  (fusion.FUSED, ("*", "+", "sum")),
                                  (fusion.FUSED, ("-", "sum")), (fusion.FUSED, ("-",)),
                                  ("sum", None), ("sum", None)]
    assert [ins.out for ins in fused[1:3]] == [3, 5] and fused[1].kind is S


def test_the_native_program_reads_inputs_and_constants_and_reuses_registers() -> None:
    x = np.zeros((fusion.MIN_CELLS, 1))
    program = Program((receive(0, x), Instr(1, "*", (Var(0), 2), M),
                       Instr(2, "+", (Var(1), 1.0), M), Instr(3, "/", (Var(2), 3.0), M),
                       Instr(4, ">", (Var(3), 0.5), M), Instr(5, "*", (Var(4), Var(0)), M),
                       Instr(6, "sum", (Var(5),), S)))
    (_, fused) = fusion.fuse(program).instrs
    pipe, *_ = fused.args
    plan = fusion._plan(pipe.nodes[:-1], (x,))
    assert plan is not None
    prog = fusion._Native.of(pipe.nodes[:-1], plan, (x,))
    assert prog is not None
    assert prog.consts.tolist() == [2.0, 1.0, 3.0, 0.5]  # the int 2 cast to f64
    # Slots: 0 = X, 1-4 the constants, then registers; no op writes over its own operand.
    assert prog.code.tolist() == [[2, 0, 1, 5], [0, 5, 2, 6], [3, 6, 3, 5], [8, 5, 4, 6],
                                  [2, 6, 0, 5]]
    assert prog.nregs == 2


@SETTINGS
@given(st.integers(0, 3000).flatmap(lambda n: hnp.arrays(np.float64, n, elements=FLOATS)))
@example(np.full(9, -0.0))
def test_the_kernels_pairwise_sum_is_numpys(a: np.ndarray) -> None:
    with np.errstate(invalid="ignore"):  # inf - inf
        expected = np.add.reduce(a)
    got = np.float64(native.pairwise_sum(a))
    assert np.array_equal(got, expected, equal_nan=True)
    assert np.isnan(got) or np.signbit(got) == np.signbit(expected)  # -0.0 stays -0.0


@SETTINGS
@given(st.integers(1, 300_000), st.integers(1, 70_000), st.integers(0, 2**32 - 1))
def test_node_sums_added_up_the_tree_are_numpys_sum(n: int, size: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(n) * 10.0 ** rng.integers(-8, 9, n)
    nodes = native.tree_nodes(n, size)
    assert nodes[0, 0] == 0 and nodes[:, 1].sum() == n
    assert (nodes[1:, 0] == nodes[:-1, 0] + nodes[:-1, 1]).all()  # in order, no gaps
    partials = np.array([np.add.reduce(a[s:s + k]) for s, k in nodes])
    assert native.tree_sum(n, size, partials) == np.add.reduce(a)


def test_the_kernel_refuses_malformed_programs() -> None:
    x, out, consts = np.zeros(10), np.empty(10), np.array([2.0])
    good = np.array([[0, 0, 1, 2]], np.longlong)  # out := x + 2.0
    native.run_into(good, (x,), consts, 1, out, 0, 10)
    assert out.tolist() == [2.0] * 10
    for code, inputs, message in [
            (np.array([[99, 0, 1, 2]], np.longlong), (x,), "unknown opcode 99"),
            (np.array([[0, 0, 7, 2]], np.longlong), (x,), "operand slot 7 out of range"),
            (np.array([[0, 0, 1, 0], [0, 0, 1, 2]], np.longlong), (x,), "is not a register"),
            (good, (np.zeros(3),), "input 0 has 3 cells, expected 10"),
            (np.zeros((1, 3), np.longlong), (x,), "table of")]:
        with pytest.raises(ValueError, match=message):
            native.run_into(code, inputs, consts, 1, out, 0, 10)
    with pytest.raises(ValueError, match="outside"):
        native.run_into(good, (x,), consts, 1, out, 5, 11)
    with pytest.raises(ValueError, match="outside"):
        native.sum_nodes(good, (x,), consts, 1, 10, np.array([[4, 7]], np.intp), np.empty(1))


def _traced_peak(program: Program, *, optimize: bool) -> tuple[int, object]:
    compiled = compile_program(program, optimize=optimize)
    run(compiled)  # warm: the pool's threads, imports
    tracemalloc.start()
    try:
        value = run(compiled)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, value


def test_a_summed_chain_is_not_materialised() -> None:
    x = np.random.default_rng(2).random((1 << 20, 1))  # 8 MiB
    program = Program((receive(0, x), Instr(1, "*", (Var(0), 2.0), M),
                       Instr(2, "+", (Var(1), 1.0), M), Instr(3, ">", (Var(2), 2.0), M),
                       Instr(4, "*", (Var(3), Var(0)), M), Instr(5, "sum", (Var(4),), S)))
    fused_peak, fused = _traced_peak(program, optimize=True)
    plain_peak, plain = _traced_peak(program, optimize=False)
    assert fused == plain and type(fused) is np.float64
    assert plain_peak >= x.nbytes  # numpy's buffers are traced: the product shows
    assert fused_peak < x.nbytes // 16


def test_the_benchmark_chain_through_the_python_api() -> None:
    X = np.random.default_rng(4).random((300_001, 1))
    Xn = DaphneContext().from_numpy(X)
    got = ((((Xn * 2.0 + 1.0) / 3.0) > 0.5) * Xn).sum().compute()
    assert got == (((X * 2 + 1) / 3 > 0.5) * X).sum()
    values = ((((Xn * 2.0 + 1.0) / 3.0) > 0.5) * Xn).compute()
    assert values.tobytes() == (((X * 2 + 1) / 3 > 0.5) * X).tobytes()
