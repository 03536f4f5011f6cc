"""Small inputs: a program's generated steps run a fused pipeline on small f64 matrices in
one native call (inputs of one shape) or with the kernels' ufunc calls resolved once (other
small f64 inputs), and anything else through the pipeline. Each must give what the
pipeline's unfused walk gives: the same bytes, dtype, shape and flags, an aligned result,
the same error with the same notes, the caller's buffers untouched."""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from numpy._core.multiarray import get_handler_name  # NEP 49: the current allocator

from daphnelib._native.buffers import is_aligned
from daphnelib.engine import executor, fusion
from daphnelib.engine.executor import compile_program, run
from daphnelib.engine.program import Instr, Kind, Program, Var
from support import receive

M = Kind.MATRIX
NATIVE_OPS = ["+", "-", "*", "/", "==", "!=", "<", "<=", ">", ">=", "min", "max"]
OTHER_OPS = ["^", "%", "&&", "log"]  # not on either small path: the pipeline runs them
UNARY = ["minus", "abs", "sqrt"]
CONSTANTS = [2, -3, 0, 1.5, 0.5, np.float64(-0.0), np.int64(7), True, 10**400, np.inf,
             np.nan, -np.nan]
# Infinities make NaNs inside the chain (inf - inf); NaN inputs take the ufunc path.
CELLS = st.floats(-4, 4) | st.sampled_from([0.0, -0.0, np.inf, -np.inf])
NAN_CELLS = CELLS | st.sampled_from([np.nan, -np.nan])


@st.composite
def small_programs(draw: st.DrawFn) -> tuple[Program, list[np.ndarray]]:
    n, m = draw(st.integers(1, 12)), draw(st.integers(1, 40))
    inputs = []
    for i in range(draw(st.integers(1, 3))):
        shape = (n, m) if i == 0 else draw(st.sampled_from([(n, m), (n, m), (1, m), (n, 1)]))
        cells = draw(st.lists(draw(st.sampled_from([CELLS, NAN_CELLS])),
                              min_size=shape[0] * shape[1],
                              max_size=shape[0] * shape[1]))
        arr = np.array(cells, dtype=np.float64).reshape(shape)
        kind = draw(st.sampled_from(["c", "c", "c", "strided", "f32", "fortran"]))
        if kind == "strided":  # a view of every other column of a wider matrix
            wide = np.empty((shape[0], 2 * shape[1]))
            wide[:, ::2] = arr
            arr = wide[:, ::2]
        elif kind == "f32":
            arr = arr.astype(np.float32)
        elif kind == "fortran":
            arr = np.asfortranarray(arr)
        inputs.append(arr)
    instrs = [receive(i, a) for i, a in enumerate(inputs)]
    values = list(range(len(inputs)))
    for _ in range(draw(st.integers(1, 6))):
        out = len(instrs)
        if draw(st.integers(0, 5)) == 0:
            op = draw(st.sampled_from(UNARY))
            instrs.append(Instr(out, op, (Var(draw(st.sampled_from(values))),), M))
        else:
            op = draw(st.sampled_from(NATIVE_OPS * 3 + OTHER_OPS))
            lhs = Var(values[-1] if draw(st.booleans()) else 0)
            rhs: Any = (Var(draw(st.sampled_from(values))) if draw(st.booleans())
                        else draw(st.sampled_from(CONSTANTS)))
            swap = type(rhs) is not Var and draw(st.integers(0, 3)) == 0
            instrs.append(Instr(out, op, (rhs, lhs) if swap else (lhs, rhs), M))
        values.append(out)
    total = draw(st.sampled_from([None, (), (0,)]))
    if total is not None:
        instrs.append(Instr(len(instrs), "sum", (Var(values[-1]), *total),
                            M if total else Kind.SCALAR))
    return Program(tuple(instrs)), inputs


def outcome(compiled: executor.CompiledProgram, data: tuple = ()) -> tuple:
    """(type, dtype, shape, bytes, flags, alignment) of a run's result, or its error."""
    try:
        value = run(compiled, (), data)
    except Exception as exc:
        return ("error", type(exc).__name__, str(exc), tuple(getattr(exc, "__notes__", ())))
    if isinstance(value, np.ndarray):
        flags = value.flags
        return (type(value).__name__, value.dtype.str, value.shape, value.tobytes(),
                flags.c_contiguous, flags.writeable, flags.owndata,
                is_aligned(value) or value.size == 0)
    return (type(value).__name__, repr(value), np.float64(value).tobytes())


def path_of(compiled: executor.CompiledProgram) -> str:
    """The small paths the generated steps have for the program's pipeline."""
    smalls = [f for name, f in compiled.runner.__globals__.items()
              if name.startswith("k") and getattr(f, "__name__", "") == "small"]
    if not smalls:
        return "pipeline"
    paths = ["native"] if smalls[0].__globals__["native"] is not None else []
    if "ndarray" in smalls[0].__code__.co_names:  # the guard of the ufunc path
        paths.append("ufuncs")
    return "+".join(paths)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_programs())
def test_small_paths_equal_the_unfused_walk(case: tuple[Program, list[np.ndarray]]) -> None:
    program, inputs = case
    before = [a.tobytes() for a in inputs]
    allocator = get_handler_name()
    # The reference: a first run, the executor's loop and the pipeline's walk over its nodes.
    expected = outcome(compile_program(program))
    # The same program with its data as constants, then with its data in slots (as a keyed
    # compute() runs it): the second run generates the steps, which call the pipeline's
    # small path; from the third on, a program with a direct native call makes it first.
    compiled = compile_program(program)
    cached, data = executor.compile_cached(program)
    got = [outcome(compiled) for _ in range(3)] + [outcome(cached, data) for _ in range(3)]
    nan = any(np.isnan(a).any() for a in inputs)
    direct = "direct" if cached.direct is not None else "steps"
    event(f"{direct}, path: {path_of(compiled)}; {expected[0]}{'; NaN' if nan else ''}")
    assert got == [expected] * 6
    assert [a.tobytes() for a in inputs] == before  # the caller's buffers are never written
    assert get_handler_name() == allocator  # numpy's allocator is the caller's again


def test_the_native_path_takes_inputs_of_one_shape_only() -> None:
    x = np.arange(6.0).reshape(2, 3)
    nodes = [fusion._Node("+", 1, ((fusion._IN, 0), (fusion._CONST, 1.0))),
             fusion._Node("*", 2, ((fusion._NODE, 0), (fusion._IN, 1)))]
    small = fusion._small_program(fusion.Pipeline(nodes).nodes, 2)
    assert small is not None
    assert np.array_equal(small(100, x, x), (x + 1.0) * x)
    assert small(6, x, x) is None  # not fewer cells than the limit: the blocked path's
    assert small(100, x, x[:1]) is None  # a broadcast row
    assert small(100, x, x.astype(np.float32)) is None
    assert small(100, x, np.asfortranarray(x)) is None
    assert small(100, x, x.view(x.dtype.newbyteorder()).byteswap()) is None
    assert small(100, x, x.tolist()) is None
    assert small(100, x, np.where(x > 2, np.nan, x)) is None  # NaN inputs: the ufunc path
    # Ops that flip or clear a NaN's sign, and NaN constants, have no native program.
    for op, const in [("minus", None), ("abs", None), ("+", np.nan), ("*", -np.nan)]:
        args = ((fusion._IN, 0),) if const is None else ((fusion._IN, 0), (fusion._CONST, const))
        pipe = fusion.Pipeline([fusion._Node(op, 1, args)])
        assert fusion._small_program(pipe.nodes, 1) is None
    with pytest.raises(TypeError, match="expected 2 inputs"):
        small(100, x)


def test_programs_run_in_threads_give_one_answer() -> None:
    rng = np.random.default_rng(3)
    x = rng.random((7, 9))
    program = Program((receive(0, x), Instr(1, "*", (Var(0), 3.0), M),
                       Instr(2, "-", (Var(1), Var(0)), M), Instr(3, "sum", (Var(2), 0), M)))
    compiled = compile_program(program)
    expected = run(compiled)
    run(compiled)
    assert path_of(compiled) == "native+ufuncs"
    seen: list[bytes] = []

    def work() -> None:
        for _ in range(200):
            seen.append(run(compiled).tobytes())

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert set(seen) == {expected.tobytes()}


def test_native_sums_follow_numpys_pairwise_tree_at_larger_sizes() -> None:
    """Sums over more cells than one strip and rows longer than one (numpy's pairwise
    recursion), below the blocked path's threshold."""
    rng = np.random.default_rng(5)
    for shape in [(1, 3000), (300, 70), (2, 257), (5000, 1)]:
        x = rng.random(shape) * 1e6 + rng.random(shape) * 1e-9
        for total in [(), (0,)]:
            program = Program((receive(0, x), Instr(1, "*", (Var(0), 1.000001), M),
                               Instr(2, "sum", (Var(1), *total), M)))
            compiled = compile_program(program)
            results = [outcome(compiled) for _ in range(3)]
            assert path_of(compiled) == "native+ufuncs"
            assert results[0] == results[1] == results[2], (shape, total)


def test_a_rebuilt_tiny_graph_runs_as_one_native_call() -> None:
    """From its third run, ``sum((X + 1) * 2, 0)`` kept by structure is one native call on
    its data (no run contexts entered): the kernels' bytes, an aligned, writeable result of
    its own, numpy's allocator and error state the caller's; inputs the call declines (a
    NaN, another dtype) run the steps."""
    from daphnelib import DaphneContext

    dc = DaphneContext()
    rng = np.random.default_rng(11)
    for a in [rng.random((2, 2)), rng.random((5, 3)), np.array([[np.nan, 1.0]]),
              np.arange(6, dtype=np.int32).reshape(2, 3)]:
        expected = ((a + 1.0) * 2.0).sum(axis=1, keepdims=True)
        for _ in range(4):
            state = np.geterr()
            out = ((dc.from_numpy(a) + 1.0) * 2.0).sum(axis=0).compute()
            assert (out.dtype, out.shape, out.tobytes()) == (expected.dtype, expected.shape,
                                                             expected.tobytes())
            assert is_aligned(out) and out.flags.writeable and out.flags.c_contiguous
            assert not np.shares_memory(out, a)
            assert get_handler_name() == "default_allocator" and np.geterr() == state
    key = ((dc.from_numpy(a) + 1.0) * 2.0).sum(axis=0)._tree[0]
    assert executor.cached(key).direct is not None


@pytest.mark.parametrize("length", [fusion.GENERATED_NODES, fusion.GENERATED_NODES + 1])
def test_long_pipelines_compile_no_ufunc_text(length: int) -> None:
    """Compiling the ufunc lines of a long chain costs more than its result's memory (a
    1000-op chain's text took 7 MiB): past GENERATED_NODES the entry has the native call
    and the pipeline only, and still gives the walk's answer."""
    x = np.arange(6.0).reshape(2, 3) + 1
    instrs = [receive(0, x)]
    for i in range(length):
        instrs.append(Instr(i + 1, "*" if i % 2 else "+", (Var(i), 0.5), M))
    compiled = compile_program(Program(tuple(instrs)))
    (pipe,) = [step[0] for step in compiled.steps if type(step[0]) is fusion.Pipeline]
    names = pipe.entry().__code__.co_names
    assert ("u0" in names) == (length <= fusion.GENERATED_NODES)
    expected = x
    for i in range(length):
        expected = expected * 0.5 if i % 2 else expected + 0.5
    for _ in range(3):  # the loop, then the generated steps (made, then kept)
        assert run(compiled).tobytes() == expected.tobytes()
