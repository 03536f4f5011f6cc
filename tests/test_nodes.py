"""The lazy DAG: lowering, DSL text, caching, computed range bounds, argument checks."""

from __future__ import annotations

import re

import numpy as np
import pytest

from daphnelib import DaphneContext


@pytest.fixture
def dc() -> DaphneContext:
    return DaphneContext()


def test_range_bounds_may_be_scalar_nodes(dc):
    a = np.arange(12.0).reshape(4, 3)
    X = dc.from_numpy(a)
    Y = X[1:X.nrow(), :]
    np.testing.assert_array_equal(Y.compute(), a[1:])
    script = Y.script()
    assert "V1 = nrow(V0);" in script and "V2 = V0[1:V1, :];" in script


def test_shared_subexpressions_are_computed_once(dc):
    X = dc.from_numpy(np.ones((2, 2)))
    Y = X + 1.0
    Z = Y * Y
    lines = Z.script().splitlines()
    assert sum("+ 1.0" in line for line in lines) == 1
    np.testing.assert_array_equal(Z.compute(), np.full((2, 2), 4.0))


def test_compute_is_repeatable_and_cached(dc):
    X = dc.from_numpy(np.arange(4.0).reshape(2, 2))
    Y = (X * 2.0).sum()
    assert Y.compute() == 12.0
    assert Y._program is not None
    assert dc.backend.compiled(Y._program) is dc.backend.compiled(Y._program)
    assert Y.compute() == 12.0


def test_strings_are_quoted_and_escaped_in_dsl(dc):
    node = dc.fill('a "quoted"\nline', 1, 1)
    assert 'fill("a \\"quoted\\"\\nline", 1, 1)' in node.script()
    assert node.compute().tolist() == [['a "quoted"\nline']]


def test_scalar_results_are_numpy_scalars(dc):
    X = dc.from_numpy(np.array([[1, 2], [3, 4]]))
    s = X.sum().compute()
    assert type(s) is np.int64 and s == 10
    n = X.nrow().compute()
    assert type(n) is np.uint64 and n == 2
    m = X.mean().compute()
    assert type(m) is np.float64 and m == 2.5


def test_long_chains_do_not_hit_the_recursion_limit(dc):
    X = dc.from_numpy(np.zeros((1, 1)))
    for _ in range(5000):
        X = X + 1.0
    assert X.compute()[0, 0] == 5000.0


@pytest.mark.parametrize(
    "build,exc,msg",
    [
        (lambda dc, X: X.sum(axis=2), ValueError, "axis"),
        (lambda dc, X: X.idxMax(None), ValueError, "axis"),
        (lambda dc, X: X[1], TypeError, "exactly two keys"),
        (lambda dc, X: X[::2, :], ValueError, "step"),
        (lambda dc, X: X["a", 0], TypeError, "indexes"),
        (lambda dc, X: X @ 2, TypeError, "two matrices"),
        (lambda dc, X: X + object(), TypeError, "unsupported operand"),
        (lambda dc, X: X.order([0], [True, False]), ValueError, "flag"),
        (lambda dc, X: X.bin(3, Min=0), ValueError, "both"),
        (lambda dc, X: X.asType(vtype="f16"), ValueError, "vtype"),
        (lambda dc, X: dc.fill(1.0, -1, 2), ValueError, "rows"),
        (lambda dc, X: dc.seq(1, 5, 0), ValueError, "increment"),
        (lambda dc, X: dc.rand(2, 2, sparsity=1.5), ValueError, "sparsity"),
        (lambda dc, X: dc.createFrame([X, X], ["a", "a"]), ValueError, "unique"),
        (lambda dc, X: X // 2, TypeError, "floor"),
    ],
)
def test_bad_arguments_raise_when_the_node_is_built(dc, build, exc, msg):
    X = dc.from_numpy(np.ones((3, 3)))
    with pytest.raises(exc, match=msg):
        build(dc, X)


@pytest.mark.parametrize(
    "build,msg",
    [
        (lambda X, Y: X + Y, "got lhs 3x3 and rhs 2x2"),
        (lambda X, Y: Y - X, "got lhs 2x2 and rhs 3x3"),
        (lambda X, Y: X @ Y, "columns of lhs must equal the number of rows of rhs; got lhs 3x3 "
                             "and rhs 2x2"),
        (lambda X, Y: X.cbind(Y), "cbind needs the same number of rows: lhs is 3x3, rhs is 2x2"),
        (lambda X, Y: X.t().rbind(Y), "rbind needs the same number of columns"),
        (lambda X, Y: X.reshape(2, 2), "reshape of a 3x3 matrix .9 cells. to 2x2"),
        (lambda X, Y: (X @ X.t())[0:2, :] * Y.t().cbind(Y), "got lhs 2x3 and rhs 2x4"),
    ],
)
def test_shapes_known_before_running_raise_when_the_node_is_built(dc, build, msg):
    X = dc.from_numpy(np.ones((3, 3)))
    Y = dc.from_numpy(np.ones((2, 2)))
    with pytest.raises(ValueError, match=msg):
        build(X, Y)


@pytest.mark.parametrize(
    "build,exc,msg",
    [
        (lambda S, Y: S + Y, ValueError, "3x1.*2x2|2x2.*3x1"),
        (lambda S, Y: S @ Y, ValueError, "3x1|2x2|shape|dimension"),
        (lambda S, Y: S[5, 0], IndexError, "5"),
        (lambda S, Y: S.reshape(2, 2), ValueError, "3|cell"),
    ],
)
def test_bad_shapes_raise_at_compute_and_name_the_users_line(dc, build, exc, msg):
    S = dc.seq(1, 3)  # 3 x 1, but its shape is only known when it runs
    Y = dc.from_numpy(np.ones((2, 2)))
    node = build(S, Y)
    with pytest.raises(exc, match=msg) as info:
        node.compute()
    notes = info.value.__notes__
    # The failing node was built in the lambda of the parameter list: its line is named.
    line = build.__code__.co_firstlineno
    assert any(f"built at {__file__}:{line}: (lambda S, Y:" in note for note in notes), notes
    assert not any(re.search(r"\bV\d+\b", note) for note in notes), notes
