"""The native node core (_native/nodecore.pyx) builds the nodes the Python functions describe.

Every node's static type, structural key and user line are computed natively for the common
ops; these tests compare them with ``operator.inspect.infer`` and
``operator.structure_key.tree_of`` (the generic path, still used for the other ops) on random
graphs, check that the native elementwise operators build what the generic ``elementwise``
builds, and that from_numpy's native path is the zero-copy path it replaces.
"""

from __future__ import annotations

import copy
import re
import sys
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from daphnelib import DaphneContext
from daphnelib._native.nodecore import binary
from daphnelib.engine.executor import compile_program, run
from daphnelib.interop.numpy import engine_matrix
from daphnelib.operator.inspect import infer
from daphnelib.operator.nodes.elementwise import elementwise
from daphnelib.operator.nodes.matrix import Matrix
from daphnelib.operator.operation_node import OperationNode
from daphnelib.operator.structure_key import tree_of


@pytest.fixture(scope="module")
def dc() -> DaphneContext:
    return DaphneContext()


def _graph_nodes(root: OperationNode) -> list[OperationNode]:
    nodes, stack, seen = [], [root], set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        nodes.append(node)
        stack.extend(a for a in node._args if isinstance(a, OperationNode))
    return nodes


def _check_like_generic(root: OperationNode) -> None:
    """Each node's type and key are those the Python functions give for it."""
    for node in _graph_nodes(root):
        assert node._type == infer(node._op, node._args, node._local_data)
        generic = tree_of(node._op, node._kind, node._args)
        if generic is None or node._tree is None:
            assert generic is None and node._tree is None
            continue
        key, data, leaves, size = node._tree
        assert key == generic[0] and size == generic[3]
        assert len(data) == len(generic[1])
        assert all(a is b for a, b in zip(data, generic[1], strict=True))
        subs = [a._tree[2] for a in node._args if isinstance(a, OperationNode)]
        if subs:  # an inner node's leaves are its arguments' (a leaf has its own token)
            assert leaves == frozenset().union(*subs)


_BINARY = ["+", "-", "*", "/", "<", "==", "!=", "min", "max", "pow"]
_UNARY = ["minus", "abs", "sqrt", "exp", "round", "t", "cumSum", "sign"]
_LITERALS = st.one_of(st.floats(allow_nan=True, width=64), st.integers(-5, 5),
                      st.booleans(), st.sampled_from([0.0, -0.0, 2**62, 1.5]))
_DTYPES = st.sampled_from([np.float64, np.float32, np.int64, np.int32, np.uint8, np.bool_])
_STEPS = st.lists(st.one_of(
    st.tuples(st.just("binary"), st.sampled_from(_BINARY), _LITERALS, st.booleans()),
    st.tuples(st.just("matrix"), st.sampled_from(_BINARY), st.booleans()),
    st.tuples(st.just("unary"), st.sampled_from(_UNARY)),
    st.tuples(st.just("agg"), st.sampled_from(["sum", "aggMin", "mean"]), st.sampled_from([0, 1])),
    st.tuples(st.just("matmul"), st.booleans()),
), min_size=1, max_size=6)


def _build(dc: DaphneContext, arr: np.ndarray, steps: list[tuple[Any, ...]],
           native: bool) -> Matrix:
    """The graph of ``steps`` over ``arr``: through the native ``binary`` (what the Python
    operators call) and the methods, or through the generic ``elementwise`` and
    ``Matrix(...)`` calls."""
    x = dc.from_numpy(arr)
    for step in steps:
        if step[0] == "binary":
            _, op, value, left = step
            lhs, rhs = (value, x) if left else (x, value)
            x = (binary if native else elementwise)(op, lhs, rhs)
        elif step[0] == "matrix":  # another input of x's shape, or x itself (a shared node)
            _, op, shared = step
            other = x if shared else dc.from_numpy(np.ones_like(x.compute()))
            x = (binary if native else elementwise)(op, x, other)
        elif step[0] == "unary":
            x = getattr(x, step[1])() if native and step[1] != "minus" else (
                -x if native else Matrix(dc, step[1], (x,)))
        elif step[0] == "agg":
            _, op, axis = step
            x = getattr(x, op)(axis) if native else Matrix(dc, op, (x, axis))
        else:
            x = (x @ x.t() if step[1] else x.t() @ x) if native else (
                Matrix(dc, "@", (x, Matrix(dc, "t", (x,)))) if step[1] else
                Matrix(dc, "@", (Matrix(dc, "t", (x,)), x)))
    return x


def _without_addresses(script: str) -> str:
    """The script with input buffers' addresses blanked (the two graphs have their own)."""
    return re.sub(r"receiveFromNumpy\(\d+", "receiveFromNumpy(ADDRESS", script)


@settings(max_examples=60, deadline=None)
@given(dtype=_DTYPES, rows=st.integers(1, 3), cols=st.integers(1, 3), steps=_STEPS)
def test_native_nodes_are_the_generic_nodes(dc: DaphneContext, dtype: Any, rows: int,
                                            cols: int, steps: list[tuple[Any, ...]]) -> None:
    arr = (np.arange(rows * cols) % 3).reshape(rows, cols).astype(dtype)
    native, generic = _build(dc, arr, steps, True), _build(dc, arr, steps, False)
    _check_like_generic(native)
    assert native._type == generic._type
    assert _without_addresses(native.script()) == _without_addresses(generic.script())
    assert (native._tree is None) == (generic._tree is None)
    if native._tree is not None:
        assert native._tree[0] == generic._tree[0]
    with np.errstate(all="ignore"):
        got = _outcome(native.compute)
        expected = _outcome(lambda: run(compile_program(generic._lower())))
    if isinstance(got, type) or isinstance(expected, type):  # integer division by zero
        assert got is expected
        return
    np.testing.assert_array_equal(np.asarray(got), np.asarray(expected))
    assert np.asarray(got).dtype == np.asarray(expected).dtype


def _outcome(compute: Any) -> Any:
    """The value ``compute()`` gives, or the type of the exception it raises."""
    try:
        return compute()
    except Exception as exc:
        return type(exc)


def test_shape_errors_are_the_generic_messages(dc: DaphneContext) -> None:
    a, b = dc.from_numpy(np.ones((2, 3))), dc.from_numpy(np.ones((3, 2)))
    for op, build in [("+", lambda: a + b), ("@", lambda: a @ a)]:
        with pytest.raises(ValueError) as native:
            build()
        with pytest.raises(ValueError) as generic:
            infer(op, (a, b) if op == "+" else (a, a))
        assert str(native.value) == str(generic.value)


def test_the_origin_is_the_users_line(dc: DaphneContext) -> None:
    here = sys._getframe().f_lineno
    a = dc.from_numpy(np.ones((2, 2))) + 1.0
    b = dc.fill(1.0, 2, 2).sum(0)
    c = Matrix(dc, "t", (b,))
    for i, node in enumerate((a, b, c)):
        assert node._origin == (node._op, __file__, here + 1 + i)
    # The line reported in a run-time error is the node's.
    bad = dc.fill(1, 2, 2) / 0
    with pytest.raises(ZeroDivisionError) as err:
        bad.compute()
    assert f"built at {__file__}:{here + 7}" in str(err.value.__notes__)


def test_tensor_shapes_are_kept_as_by_the_generic_path(dc: DaphneContext) -> None:
    x = dc.from_numpy(np.ones((2, 3, 4)))
    x._with_tensor_shape((2, 3, 4))
    for native, generic in [(x + 1, elementwise("+", x, 1)), (2 * x, elementwise("*", 2, x)),
                            (x * x, elementwise("*", x, x)),
                            (x + dc.fill(1.0, 2, 12), elementwise("+", x, dc.fill(1.0, 2, 12)))]:
        assert native.tensor_shape == generic.tensor_shape
        assert native._type == generic._type


def test_out_of_range_ints_and_numpy_scalars_take_the_generic_path(dc: DaphneContext) -> None:
    x = dc.from_numpy(np.ones((1, 2), dtype=np.uint64))
    with pytest.raises(ValueError, match="does not fit si64"):
        x + 2**63
    node = x + np.uint64(2**63)
    assert type(node._args[1]) is np.uint64
    assert (x + np.float64(1.5))._args[1] == 1.5


@pytest.mark.parametrize("arr", [
    np.arange(6.0).reshape(2, 3),
    np.arange(6, dtype=np.int32).reshape(3, 2),
    np.array([[True, False]]),
    np.arange(6.0).reshape(3, 2)[:, :1],  # not contiguous
    np.arange(6.0).reshape(2, 3).T,  # Fortran order
    np.arange(4, dtype=">f8").reshape(2, 2),  # another byte order
    np.arange(4, dtype=np.float16).reshape(2, 2),  # widened
    np.frombuffer(bytes(33), dtype=np.float64, offset=1).reshape(2, 2),  # unaligned
    np.arange(3.0),
])
def test_from_numpy_is_the_engine_matrix_path(dc: DaphneContext, arr: np.ndarray) -> None:
    before = arr.flags.writeable
    node = dc.from_numpy(arr)
    view = node._args[0]
    expected = engine_matrix(arr)
    assert node._local_data is arr and arr.flags.writeable == before
    assert not view.flags.writeable
    assert view.dtype == expected.dtype and view.shape == expected.shape
    assert np.shares_memory(view, arr) == np.shares_memory(expected, arr)
    assert node._type == infer("receiveFromNumpy", (expected,))
    np.testing.assert_array_equal(node.compute(), np.asarray(arr).reshape(view.shape))


def test_a_node_copies_and_its_deletion_reaches_consumers(dc: DaphneContext) -> None:
    x = dc.from_numpy(np.ones((2, 2)))
    y = x * 2.0
    clone = copy.copy(y)
    assert clone._args == y._args and clone._tree is y._tree and clone._origin == y._origin
    x.delete()
    with pytest.raises(RuntimeError, match="was deleted"):
        y.compute()
    with pytest.raises(RuntimeError, match="was deleted"):
        x + 1.0
