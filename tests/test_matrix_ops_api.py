"""Operators, elementwise builtins and aggregation through DaphneLib's public API."""

from __future__ import annotations

import numpy as np
import pytest

from daphnelib import DaphneContext
from daphnelib.operator.nodes.matrix import Matrix
from daphnelib.operator.nodes.scalar import Scalar
from support import assert_matrix


@pytest.fixture
def a() -> np.ndarray:
    return np.array([[3.0, 1.0, 7.0], [1.0, 2.0, 8.0], [2.0, 2.5, 9.0], [0.0, 1.0, 6.0]])


def test_operators_and_reflected_operators(dc: DaphneContext, a: np.ndarray) -> None:
    X = dc.from_numpy(a)
    assert_matrix((X + 1).compute(), a + 1)
    assert_matrix((2 * X).compute(), 2 * a)
    assert_matrix((1 - X).compute(), 1 - a)
    assert_matrix((X / 2).compute(), a / 2)
    assert_matrix((2 / (X + 1)).compute(), 2 / (a + 1))
    assert_matrix((X ** 2).compute(), a**2)
    assert_matrix((2 ** X).compute(), 2.0**a)
    assert_matrix((X % 2).compute(), np.fmod(a, 2))
    assert_matrix((7 % (X + 1)).compute(), np.fmod(7, a + 1))
    assert_matrix((-X).compute(), -a)
    assert_matrix((X >= 2).compute(), (a >= 2).astype(np.float64))
    assert_matrix((X == X).compute(), np.ones_like(a))


def test_integer_matrices_keep_daphne_semantics(dc: DaphneContext) -> None:
    data = np.array([[7, -7], [9, -9]])
    X = dc.from_numpy(data)
    assert_matrix((X / 2).compute(), np.array([[3, -3], [4, -4]]))
    assert_matrix((X % 2).compute(), np.array([[1, -1], [1, -1]]))
    assert_matrix((X < 0).compute(), np.array([[0, 1], [0, 1]]))
    assert_matrix((X ** -1).compute(), np.zeros((2, 2), np.int64))
    assert_matrix((X.asType(vtype="si8") + 127).compute(), (data + 127).astype(np.int64))
    with pytest.raises(ZeroDivisionError, match="integer division by zero in '/'") as info:
        (X / 0).compute()
    assert any("'/'" in note for note in info.value.__notes__)


def test_scalar_matrix_ops_give_matrices_and_no_operand_swaps(
        dc: DaphneContext, a: np.ndarray) -> None:
    X = dc.from_numpy(a)
    s = X.sum()
    total = a.sum()
    assert isinstance(s + X, Matrix) and isinstance(X - s, Matrix)
    assert_matrix((s - X).compute(), total - a)
    assert isinstance(s ** 2, Scalar)
    assert (s ** 2).compute() == total**2
    assert (s % 3).compute() == np.fmod(total, 3)
    assert (2 ** s).compute() == 2.0**total
    assert (s / 4).compute() == total / 4
    assert (s.pow(2)).compute() == total**2
    # float '^' is numpy's vectorised power: within an ulp of libm's
    assert np.isclose((s.pow(0.5)).compute(), total**0.5, rtol=2e-16, atol=0)
    assert (X.nrow() * 2).compute() == 8


def test_aggregates(dc: DaphneContext, a: np.ndarray) -> None:
    X = dc.from_numpy(a)
    total = X.sum().compute()
    assert type(total) is np.float64 and total == a.sum()
    assert type(dc.from_numpy(a.astype(np.int32)).sum().compute()) is np.int32
    assert_matrix(X.sum(0).compute(), a.sum(axis=1, keepdims=True))
    assert X.sum(0).compute().shape == (4, 1)
    assert_matrix(X.sum(1).compute(), a.sum(axis=0, keepdims=True))
    assert X.var().compute() == np.var(a)  # population variance
    assert X.stddev().compute() == np.std(a)
    assert_matrix(X.mean(1).compute(), a.mean(axis=0, keepdims=True))
    assert X.aggMin().compute() == 0.0 and X.aggMax().compute() == 9.0
    assert_matrix(X.aggMax(0).compute(), a.max(axis=1, keepdims=True))
    idx = X.idxMax(1).compute()
    assert idx.dtype == np.uint64
    assert_matrix(idx.astype(np.uint64), np.array([[0, 2, 2]], np.uint64))
    assert_matrix(X.idxMin(0).compute().astype(np.uint64), np.array([[1], [0], [0], [0]],
                                                                    np.uint64))
    assert_matrix(X.cumSum().compute(), np.cumsum(a, axis=0))
    assert_matrix(X.cumProd().compute(), np.cumprod(a, axis=0))
    assert_matrix(X.cumMin().compute(), np.minimum.accumulate(a, axis=0))
    assert_matrix(X.cumMax().compute(), np.maximum.accumulate(a, axis=0))


def test_daphnelib_standardisation_example(dc: DaphneContext) -> None:
    a = np.random.default_rng(7).random((50, 4)) * 10
    X = dc.from_numpy(a)
    Y = (X - X.mean(axis=1)) / X.stddev(axis=1)
    assert_matrix(Y.compute(), (a - a.mean(axis=0)) / a.std(axis=0))


def test_elementwise_builtins(dc: DaphneContext) -> None:
    data = np.array([[0.5, -1.5, 2.25], [4.0, 9.0, -0.0]])
    X = dc.from_numpy(data)
    assert_matrix(X.round().compute(), np.array([[1.0, -2.0, 2.0], [4.0, 9.0, -0.0]]))
    assert_matrix(X.abs().sqrt().compute(), np.sqrt(np.abs(data)))
    assert_matrix(X.floor().compute(), np.floor(data))
    assert_matrix(X.sign().compute(), np.array([[1.0, -1.0, 1.0], [1.0, 1.0, 0.0]]))
    assert_matrix(X.exp().ln().compute(), np.log(np.exp(data)))
    assert_matrix(X.min(1.0).compute(), np.minimum(data, 1.0))
    assert_matrix(X.max(X.abs()).compute(), np.abs(data))
    with np.errstate(divide="ignore"):
        assert_matrix(X.abs().log(2).compute(), np.log(np.abs(data)) / np.log(2))
    assert_matrix(X.isNan().compute(), np.zeros_like(data))
    ints = dc.from_numpy(np.array([[4, 9]], np.int32))
    assert_matrix(ints.sqrt().compute(), np.array([[2.0, 3.0]]))
    assert_matrix(ints.mod(3).compute(), np.array([[1, 0]], np.int64))
    with pytest.raises(ValueError, match=r"invalid argument '-1\.5' passed to unary func sqrt"):
        X.sqrt().compute()


def test_matrix_product_outer_and_if_else(dc: DaphneContext, a: np.ndarray) -> None:
    X = dc.from_numpy(a)
    W = dc.from_numpy(a.T.copy())
    assert_matrix((X @ W).compute(), a @ a.T)
    ints = dc.from_numpy(np.arange(6, dtype=np.int64).reshape(2, 3))
    assert_matrix((ints @ ints.t()).compute(), np.array([[5, 14], [14, 50]]))
    col = dc.from_numpy(np.array([[1.0], [2.0]]))
    row = dc.from_numpy(np.array([[10.0, 20.0, 30.0]]))
    assert_matrix(col.outerAdd(row).compute(), np.array([[11.0, 21, 31], [12, 22, 32]]))
    assert_matrix(col.outerLt(row / 10).compute(), np.array([[0.0, 1, 1], [0, 0, 1]]))
    assert_matrix((X > 2).ifElse(X, 0.0).compute(), np.where(a > 2, a, 0.0))
    assert_matrix((X > 2).ifElse(1.0, -1.0).compute(), np.where(a > 2, 1.0, -1.0))
    assert_matrix((X > 2).ifElse(X, 0).compute(), np.where(a > 2, a, 0.0))
    with pytest.raises(TypeError, match="same value type"):
        (X > 2).ifElse(X, X.asType(vtype="si64")).compute()


def test_broadcasting_through_the_api(dc: DaphneContext, a: np.ndarray) -> None:
    X = dc.from_numpy(a)
    assert_matrix((X - X.aggMin(1)).compute(), a - a.min(axis=0, keepdims=True))
    assert_matrix((X / X.sum(0)).compute(), a / a.sum(axis=1, keepdims=True))
    with pytest.raises(ValueError, match="got lhs 4x3 and rhs 3x4"):
        (X + X.t()).compute()


def test_results_do_not_alias_the_inputs(dc: DaphneContext, a: np.ndarray) -> None:
    X = dc.from_numpy(a)
    before = a.copy()
    for node in (X + 0, X.round(), X.cumMax(), (X > 0).ifElse(X, 0.0)):
        result = node.compute()
        assert not np.shares_memory(result, a)
    np.testing.assert_array_equal(a, before)


def test_printed_results(dc: DaphneContext, capsys: pytest.CaptureFixture[str]) -> None:
    X = dc.from_numpy(np.array([[1.0, 2.5], [-3.0, 1e-7]]))
    (X * 2).print().compute()
    X.sum().print().compute()
    (X > 1).print().compute()
    ints = dc.from_numpy(np.array([[7, -7]]))
    (ints / 2).print().compute()
    ints.idxMax(0).print().compute()
    (ints.sum() + 0.5).print().compute()
    assert capsys.readouterr().out == (
        "DenseMatrix(2x2, double)\n2 5\n-6 2e-07\n"
        "0.5\n"
        "DenseMatrix(2x2, double)\n0 1\n0 0\n"
        "DenseMatrix(1x2, int64_t)\n3 -3\n"
        "DenseMatrix(1x1, uint64_t)\n0\n"
        "0.5\n"
    )
