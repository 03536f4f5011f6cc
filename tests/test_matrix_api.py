"""Generators, reorganisation, casts and indexing through DaphneLib's public API."""

from __future__ import annotations

import numpy as np
import pytest

from daphnelib import DaphneContext
from daphnelib.engine.registry import load_kernels
from daphnelib.engine.valuetypes import vt_of
from support import assert_matrix


@pytest.fixture
def data() -> np.ndarray:
    return np.array([[3.0, 1.0, 7.0], [1.0, 2.0, 8.0], [2.0, 2.0, 9.0], [0.0, 1.0, 6.0]])


# -- generators --------------------------------------------------------------------------------


def test_fill_and_seq(dc: DaphneContext) -> None:
    assert_matrix(dc.fill(3, 2, 2).compute(), np.full((2, 2), 3, dtype=np.int64))
    assert_matrix(dc.fill(0.5, 1, 3).compute(), np.full((1, 3), 0.5))
    assert_matrix(dc.seq(2, 8, 3).compute(), np.array([[2], [5], [8]], dtype=np.int64))
    assert_matrix(dc.seq(2, 8, 1.5).compute(), np.arange(2, 8.1, 1.5).reshape(-1, 1))
    assert_matrix(dc.seq(1, 0, -0.5).compute(), np.array([[1.0], [0.5], [0.0]]))


def test_fill_with_a_string_and_with_a_scalar_node(dc: DaphneContext) -> None:
    s = dc.fill("x", 1, 2).compute()
    assert vt_of(s) == "str" and s.tolist() == [["x", "x"]]
    n = dc.from_numpy(np.zeros((3, 5))).nrow()
    assert_matrix(dc.fill(1.5, n, 2).compute(), np.full((3, 2), 1.5))


def test_diag_matrix(dc: DaphneContext) -> None:
    d = dc.diagMatrix(dc.seq(1, 3)).compute()
    assert_matrix(d, np.diag(np.arange(1, 4, dtype=np.int64)))


def test_rand_is_deterministic_with_a_seed(dc: DaphneContext) -> None:
    pytest.importorskip("daphnelib.engine.kernels.random")
    a = dc.rand(20, 30, -1.0, 2.0, 1.0, seed=7).compute()
    assert a.shape == (20, 30) and a.dtype == np.float64
    assert ((a >= -1.0) & (a <= 2.0)).all()
    np.testing.assert_array_equal(a, dc.rand(20, 30, -1.0, 2.0, 1.0, seed=7).compute())
    assert not np.array_equal(a, dc.rand(20, 30, -1.0, 2.0, 1.0, seed=8).compute())


# -- reorganisation ------------------------------------------------------------------------------


def test_transpose_reshape_bind(dc: DaphneContext, data: np.ndarray) -> None:
    x = dc.from_numpy(data)
    assert_matrix(x.t().compute(), data.T.copy())
    assert_matrix(x.reshape(2, 6).compute(), data.reshape(2, 6))
    assert_matrix(x.cbind(x).compute(), np.hstack([data, data]))
    assert_matrix(x.rbind(x).compute(), np.vstack([data, data]))
    ints = dc.from_numpy(np.array([[1], [2], [3], [4]], dtype=np.int64))
    assert_matrix(x.cbind(ints).compute(), np.hstack([data, [[1], [2], [3], [4]]]))
    assert_matrix(x.reverse().compute(), data[::-1])


def test_bind_shape_error_names_the_shapes(dc: DaphneContext) -> None:
    with pytest.raises(ValueError, match="lhs is 2x1, rhs is 3x1"):
        dc.fill(1, 2, 1).cbind(dc.fill(1, 3, 1)).compute()


def test_order_with_and_without_indexes(dc: DaphneContext, data: np.ndarray) -> None:
    x = dc.from_numpy(data)
    idx = x.order([1, 0], [True, False], True).compute()
    assert idx.shape == (4, 1) and idx.dtype == np.uint64
    np.testing.assert_array_equal(idx[:, 0], [0, 3, 2, 1])
    assert_matrix(x.order([2], [False]).compute(), data[[2, 1, 0, 3]])


def test_one_hot_bin_solve(dc: DaphneContext) -> None:
    codes = dc.from_numpy(np.array([[0.0, 5.0], [2.0, 6.0]]))
    info = dc.from_numpy(np.array([[3, -1]], dtype=np.int64))
    assert_matrix(codes.oneHot(info).compute(), np.array([[1.0, 0, 0, 5], [0, 0, 1, 6]]))

    v = dc.from_numpy(np.array([[2.0], [3.0], [4.0]]))
    # Min=0 is a bound (the original DaphneLib dropped both bounds when Min was falsy).
    assert_matrix(v.bin(2, Min=0, Max=8).compute(), np.zeros((3, 1)))
    assert_matrix(v.bin(2).compute(), np.array([[0.0], [0.0], [1.0]]))

    a = dc.from_numpy(np.array([[2.0, 1.0], [1.0, 3.0]]))
    b = dc.from_numpy(np.array([[3.0], [5.0]]))
    np.testing.assert_allclose(a.solve(b).compute(), [[0.8], [1.4]], rtol=1e-14)
    with pytest.raises(ValueError, match="singular"):
        dc.fill(1.0, 2, 2).solve(b).compute()


def test_tri_replace_diag_vector(dc: DaphneContext) -> None:
    sq = np.arange(1.0, 10.0).reshape(3, 3)
    x = dc.from_numpy(sq)
    assert_matrix(x.lowerTri(True, True).compute(), np.tril(sq))
    assert_matrix(x.upperTri(False, False).compute(), np.triu(np.ones((3, 3)), 1))
    assert_matrix(x.replace(5.0, -1.0).compute(), np.where(sq == 5, -1.0, sq))
    assert_matrix(x.diagVector().compute(), np.array([[1.0], [5.0], [9.0]]))


# -- casts ---------------------------------------------------------------------------------------


def test_as_type(dc: DaphneContext) -> None:
    x = dc.from_numpy(np.array([[1.9, -1.9]]))
    assert_matrix(x.asType(vtype="si32").compute(), np.array([[1, -1]], dtype=np.int32))
    assert_matrix(x[:, 0:1].asType("matrix", "ui8").compute(), np.array([[1]], dtype=np.uint8))
    with pytest.raises(ValueError, match=r"cannot cast -1\.9 to ui8"):
        x.asType("matrix", "ui8").compute()
    s = x[0, 1].asType(dtype="scalar").compute()
    assert type(s) is np.float64 and s == -1.9
    assert x[0, 0].asType("scalar", "si64").compute() == np.int64(1)
    with pytest.raises(ValueError, match="1x1 matrix, got 1x2"):
        x.asType(dtype="scalar").compute()
    back = x.toFrame().toMatrix("f64").compute()
    assert_matrix(back, np.array([[1.9, -1.9]]))


# -- right and left indexing ----------------------------------------------------------------------


def test_right_indexing(dc: DaphneContext, data: np.ndarray) -> None:
    x = dc.from_numpy(data)
    assert_matrix(x[1:3, :].compute(), data[1:3, :])
    assert_matrix(x[-1, 0].compute(), np.array([[0.0]]))
    p = dc.from_numpy(np.array([[3], [0], [3]], dtype=np.int64))
    assert_matrix(x[p, :].compute(), data[[3, 0, 3], :])
    assert_matrix(x[:, 1:].compute(), data[:, 1:])
    with pytest.raises(IndexError, match=r"row position 4 is out of bounds .* 4x3"):
        x[4, :].compute()


def test_range_extraction_of_an_input_is_a_read_only_view(
    dc: DaphneContext, data: np.ndarray
) -> None:
    out = dc.from_numpy(data)[1:3, :].compute()
    assert np.shares_memory(out, data)
    assert not out.flags.writeable  # a write must not reach the caller's array


def test_left_indexing_is_copy_on_write(dc: DaphneContext, data: np.ndarray) -> None:
    original = data.copy()
    x = dc.from_numpy(data)
    before = x[0:2, :]  # a consumer built before the assignment
    x[1, 1:3] = dc.from_numpy(np.array([[-5.0, -6.0]]))
    after = x.t()  # built after: sees the new data
    expected = original.copy()
    expected[1, 1:3] = [-5, -6]
    assert_matrix(before.compute(), original[0:2, :])
    assert_matrix(x.compute(), expected)
    assert_matrix(after.compute(), expected.T.copy())
    np.testing.assert_array_equal(data, original)  # the caller's array is untouched


def test_matrix_indexing_3_sum_taken_before_the_assignment(dc: DaphneContext) -> None:
    if "sum" not in load_kernels():
        pytest.skip("the aggregation kernels are not available yet")
    x = dc.fill(10, 3, 3)
    y = x.sum()
    x[1, 1] = dc.fill(0, 1, 1)
    assert y.compute() == 90
    assert x.sum().compute() == 80


def test_left_indexing_type_and_shape_rules(dc: DaphneContext) -> None:
    x = dc.fill(10, 3, 3)
    x[0, 0] = dc.fill(1.5, 1, 1)
    with pytest.raises(TypeError, match="matrix is si64, the assigned value is f64"):
        x.compute()
    y = dc.fill(10, 3, 3)
    y[0:2, 0] = dc.fill(1, 1, 1)
    with pytest.raises(ValueError, match="1x1 value does not fit the 2x1 target region"):
        y.compute()
    with pytest.raises(TypeError, match="ints and ranges"):
        dc.fill(1, 2, 2)[dc.fill(0, 1, 1), 0] = dc.fill(1, 1, 1)


def test_inputs_survive_a_whole_pipeline(dc: DaphneContext, data: np.ndarray) -> None:
    original = data.copy()
    x = dc.from_numpy(data)
    x[0, :] = dc.from_numpy(np.array([[9.0, 9.0, 9.0]]))
    pipeline = x.order([0], [True]).reverse().t().asType(vtype="f32")
    pipeline.compute()
    x.replace(1.0, 0.0).compute()
    x.cbind(x)[1:, :].compute()
    np.testing.assert_array_equal(data, original)
