"""Programs found by the structural key a node builds with itself (operator/structure_key.py).

``compute()`` on a node whose sub-DAG is a tree runs the program compiled for an earlier
graph of the same key, on this graph's input buffers. These tests check that a graph never
gets another graph's answer: keys differ with every constant (its type and value, -0.0 vs
0.0), inputs of another shape or dtype give their own answer, shared sub-DAGs, left indexing
and delete() are handled, and errors name the same user line on a kept program.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from daphnelib import DaphneContext
from daphnelib.engine import executor
from daphnelib.engine.executor import compile_program, run
from daphnelib.operator.operation_node import OperationNode


@pytest.fixture(scope="module")
def dc() -> DaphneContext:
    return DaphneContext()


def _fresh(node: OperationNode) -> Any:
    """The node's value from its program lowered and compiled afresh (no cache at all)."""
    return run(compile_program(node._lower()))


def _same(got: Any, expected: Any) -> None:
    got, expected = np.asarray(got), np.asarray(expected)
    assert got.dtype == expected.dtype and got.shape == expected.shape
    assert np.array_equal(got, expected, equal_nan=True)
    if got.dtype.kind == "f":  # -0.0 and 0.0 too
        assert np.array_equal(np.signbit(got), np.signbit(expected))


def test_another_constant_is_another_program(dc: DaphneContext) -> None:
    X = dc.from_numpy(np.array([[1.0, -2.0]]))
    for c, expected in [(1.0, [[2.0, -1.0]]), (2.0, [[3.0, 0.0]]), (1.0, [[2.0, -1.0]])]:
        out = (X + c).compute()
        assert out.dtype == np.float64 and out.tolist() == expected
    Y = dc.from_numpy(np.array([[3, 4]], dtype=np.int64))
    assert (Y + 1).compute().dtype == np.int64
    assert (Y + 1.0).compute().dtype == np.float64
    assert (Y + True).compute().tolist() == [[4, 5]]
    # -0.0 and 0.0 are equal numbers but different constants.
    Z = dc.from_numpy(np.array([[1.0]]))
    assert not np.signbit((Z * 0.0).compute()[0, 0])
    assert np.signbit((Z * -0.0).compute()[0, 0])


def test_the_same_structure_over_other_shapes_and_dtypes(dc: DaphneContext) -> None:
    for x in (np.ones((2, 2)), np.arange(6.0).reshape(3, 2), np.arange(3, dtype=np.int64),
              np.array([[True, False]]), np.arange(4, dtype=np.float32).reshape(2, 2)):
        node = ((dc.from_numpy(x) + 1) * 2).sum(axis=0)
        _same(node.compute(), _fresh(node))


def test_shared_inputs_are_not_mistaken_for_a_tree(dc: DaphneContext) -> None:
    a, b = np.array([[1.0, 2.0]]), np.array([[10.0, 20.0]])
    X, Y = dc.from_numpy(a), dc.from_numpy(b)
    assert (X + Y)._tree is not None and (X + X)._tree is None
    assert ((X * 2.0) + X)._tree is None
    assert (X + Y).compute().tolist() == [[11.0, 22.0]]
    assert (X + X).compute().tolist() == [[2.0, 4.0]]
    assert (Y + Y).compute().tolist() == [[20.0, 40.0]]
    assert ((X * 2.0) + (Y * 2.0)).compute().tolist() == [[22.0, 44.0]]
    assert ((X * 2.0) + X).compute().tolist() == [[3.0, 6.0]]


def test_left_indexing_keeps_consumers_keys_right(dc: DaphneContext) -> None:
    X = dc.from_numpy(np.zeros((2, 2)))
    C = X * 2.0 + 1.0  # built on X's old value
    X[0:1, :] = dc.from_numpy(np.full((1, 2), 5.0))
    N = C + X  # reads X's old value through C and the new one directly
    assert N._tree is None  # they share X's old value
    expected = [[6.0, 6.0], [1.0, 1.0]]
    assert N.compute().tolist() == expected and _fresh(N).tolist() == expected
    assert (X + 0.0).compute().tolist() == [[5.0, 5.0], [0.0, 0.0]]
    assert C.compute().tolist() == [[1.0, 1.0], [1.0, 1.0]]


def test_a_deleted_input_makes_its_keyed_consumers_fail(dc: DaphneContext) -> None:
    X = dc.from_numpy(np.ones((2, 2)))
    Y = (X + 1.0).sum(axis=0)
    Y.compute()
    X.delete()
    assert Y._tree is None
    with pytest.raises(RuntimeError, match="deleted"):
        Y.compute()


def test_a_kept_program_names_the_users_line_in_errors(dc: DaphneContext) -> None:
    def build() -> OperationNode:
        return dc.seq(1, 3) + dc.from_numpy(np.ones((2, 2)))  # 3 x 1, known at run time

    line = build.__code__.co_firstlineno + 1
    for _ in range(2):  # compiled, then found by key
        node = build()
        assert node._tree is not None
        with pytest.raises(ValueError) as info:
            node.compute()
        notes = info.value.__notes__
        assert any(f"built at {__file__}:{line}" in n for n in notes), notes


def test_the_key_is_the_cache_the_executor_keeps(monkeypatch: pytest.MonkeyPatch,
                                                 dc: DaphneContext) -> None:
    compiled = []
    plain = executor.compile_program
    monkeypatch.setattr(executor, "compile_program",
                        lambda p, **kw: compiled.append(p) or plain(p, **kw))
    monkeypatch.setattr(executor, "_CACHE", {})
    for v in (1.0, 2.0, 3.0):
        node = (dc.from_numpy(np.full((2, 2), v)) - 0.5).sum(axis=1)
        assert node.compute().tolist() == [[2 * v - 1.0, 2 * v - 1.0]]
    assert len(compiled) == 1 and len(executor._CACHE) == 2  # by program and by key


# -- random graphs ----------------------------------------------------------------------------

_DTYPES = [np.float64, np.int64, np.float32, np.int32, np.bool_, np.uint8]
_BINARY = ["+", "-", "*", "/", ">", "==", "min", "max"]
_CONSTS = st.one_of(st.integers(-3, 3), st.sampled_from([0.0, -0.0, 0.5, 2.0, -1.5]),
                    st.booleans())


@st.composite
def _graphs(draw: st.DrawFn) -> tuple[list[np.ndarray], list[tuple[Any, ...]]]:
    shape = draw(st.sampled_from([(2, 2), (1, 3), (3, 1), (2, 3)]))
    cells = shape[0] * shape[1]
    inputs = [np.asarray(draw(st.lists(st.integers(-4, 4), min_size=cells, max_size=cells)))
              .astype(draw(st.sampled_from(_DTYPES))).reshape(shape)  # wraps into uint8
              for _ in range(draw(st.integers(1, 3)))]
    steps = []
    for _ in range(draw(st.integers(1, 5))):
        kind = draw(st.sampled_from(["const", "node", "agg", "unary"]))
        if kind == "const":
            steps.append((kind, draw(st.sampled_from(_BINARY)), draw(st.booleans()),
                          draw(_CONSTS)))
        elif kind == "node":
            steps.append((kind, draw(st.sampled_from(_BINARY)), draw(st.integers(0, 9))))
        elif kind == "agg":
            steps.append((kind, draw(st.sampled_from(["sum", "aggMax"])),
                          draw(st.sampled_from([0, 1]))))
        else:
            steps.append((kind, draw(st.sampled_from(["abs", "t", "sqrt"]))))
    return inputs, steps


_OPS = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
        "/": lambda a, b: a / b, ">": lambda a, b: a > b, "==": lambda a, b: a == b}


def _apply(op: str, a: Any, b: Any) -> Any:
    return _OPS[op](a, b) if op in _OPS else getattr(a, op)(b) if isinstance(
        a, OperationNode) else getattr(b, op)(a)


def _build(dc: DaphneContext, inputs: list[np.ndarray], steps: list[tuple[Any, ...]]
           ) -> OperationNode:
    nodes = [dc.from_numpy(x) for x in inputs]
    for step in steps:
        kind, top = step[0], nodes[-1]
        if kind == "const":
            _, op, left, c = step
            nodes.append(_apply(op, c, top) if left and op in _OPS else _apply(op, top, c))
        elif kind == "node":  # any earlier node: trees and shared sub-DAGs alike
            nodes.append(_apply(step[1], top, nodes[step[2] % len(nodes)]))
        elif kind == "agg":
            nodes.append(getattr(top, step[1])(axis=step[2]))
        else:
            nodes.append(getattr(top, step[1])())
    return nodes[-1]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_graphs(), _graphs())
def test_random_graphs_agree_with_a_fresh_compilation(first: Any, second: Any) -> None:
    """Two random graphs in turn (often of one structure: few shapes, ops and constants),
    each computed twice: the answer, or the error, is the one a fresh compilation gives."""
    dc = DaphneContext()
    for inputs, steps in (first, second, first):
        try:
            node = _build(dc, inputs, steps)
        except (ValueError, TypeError):
            event("rejected when built")
            continue  # rejected when built (shapes that never combine, bool arithmetic)
        event("keyed" if node._tree is not None else "not keyed")
        try:
            expected: Any = _fresh(node)
        except Exception as exc:  # the same error must come from compute()
            with pytest.raises(type(exc)) as info:
                node.compute()
            assert str(info.value) == str(exc)
            event("error")
            continue
        for _ in range(2):
            _same(node.compute(), expected)


# -- the run's floating-point error state ---------------------------------------------------

@pytest.mark.parametrize("direct", [True, False])
def test_runs_ignore_fp_errors_and_restore_the_callers_state(
        dc: DaphneContext, direct: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each run enters numpy's ignore-all error state (set directly, or by np.errstate where
    numpy's context variable is not found): no warning or error inside, the caller's state
    (and its error callback) intact after."""
    import warnings

    assert executor._extobj_contextvar is not None  # the pinned numpy has it
    if not direct:
        monkeypatch.setattr(executor, "_extobj_contextvar", None)

    calls: list[str] = []
    X = dc.from_numpy(np.array([[1.0, 0.0, -1.0]]))
    old_call = np.seterrcall(lambda kind, flag: calls.append(kind))
    try:
        for state in ({"all": "raise"}, {"all": "warn"}, {"all": "call"}, {"all": "ignore"}):
            with np.errstate(**state), warnings.catch_warnings():
                warnings.simplefilter("error")
                before = np.geterr()
                out = (X / 0.0).compute()
                assert np.geterr() == before
                assert np.isinf(out[0, 0]) and np.isnan(out[0, 1]) and np.isinf(out[0, 2])
                assert (X * 1e308 * 10.0).compute()[0, 0] == np.inf  # overflow
            if state["all"] == "call":  # the callback still works outside the run
                with np.errstate(all="call"):
                    np.divide(np.ones(1), 0.0)
        assert calls == ["divide by zero"]
    finally:
        np.seterrcall(old_call)
