"""Reorganisation, matrix algebra and preprocessing kernels (spec §3.11)."""

from __future__ import annotations

import decimal
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from daphnelib.engine.kernels import reorg
from daphnelib.engine.registry import KERNELS, lookup
from daphnelib.engine.values import FrameValue
from daphnelib.engine.valuetypes import SIZE_DTYPE, STRING_DTYPE, vt_of

NAN = np.nan


def m(rows: list, dtype: object = np.float64) -> np.ndarray:
    return np.array(rows, dtype=dtype)


def col(*values: object, dtype: object = np.float64) -> np.ndarray:
    return np.array(values, dtype=dtype).reshape(-1, 1)


def assert_matrix(actual: np.ndarray, expected: np.ndarray) -> None:
    assert actual.dtype == expected.dtype, (actual.dtype, expected.dtype)
    assert actual.shape == expected.shape
    np.testing.assert_array_equal(actual, expected)


def readonly(a: np.ndarray) -> np.ndarray:
    a = np.array(a)
    a.flags.writeable = False  # inputs from Python are read-only views
    return a


def test_kernels_are_registered() -> None:
    for name in ("t", "transpose", "reshape", "cbind", "rbind", "reverse", "lowerTri",
                 "upperTri", "replace", "order", "oneHot", "bin", "solve", "diagVector",
                 "ctable", "eigen", "syrk", "gemv", "isSymmetric", "sparsity", "quantize"):
        assert KERNELS[name][None].__module__ == reorg.__name__
        assert lookup(name) is KERNELS[name][None] or set(KERNELS[name]) == {None, FrameValue}


# -- t / reshape / reverse -------------------------------------------------------------------


def test_transpose_is_c_contiguous() -> None:
    x = readonly(np.arange(6, dtype=np.int32).reshape(2, 3))
    out = reorg.transpose(x)
    assert_matrix(out, x.T.copy())
    assert out.flags.c_contiguous
    assert vt_of(reorg.transpose(col(1, 2, dtype=SIZE_DTYPE))) == "size"


def test_reshape_is_row_major() -> None:
    x = readonly(np.arange(6).reshape(2, 3))
    assert_matrix(reorg.reshape(x, 3, 2), np.arange(6).reshape(3, 2))
    assert_matrix(reorg.reshape(x, np.uint64(6), 1.0), np.arange(6).reshape(6, 1))
    with pytest.raises(ValueError, match=r"2x3 matrix \(6 cells\) to 4x2"):
        reorg.reshape(x, 4, 2)


def test_reverse_reverses_rows() -> None:
    x = readonly(np.arange(6).reshape(3, 2))
    out = reorg.reverse(x)
    assert_matrix(out, np.array([[4, 5], [2, 3], [0, 1]]))
    assert out.flags.c_contiguous


# -- cbind / rbind -----------------------------------------------------------------------------


def test_cbind_rbind_values() -> None:
    a, b = readonly(m([[1, 2], [3, 4]], np.int64)), readonly(m([[5], [6]], np.int64))
    assert_matrix(reorg.cbind(a, b), m([[1, 2, 5], [3, 4, 6]], np.int64))
    assert_matrix(reorg.rbind(a, b.T.copy()), m([[1, 2], [3, 4], [5, 6]], np.int64))


@pytest.mark.parametrize(
    ("lhs", "rhs", "expected"),
    [(np.int64, np.uint64, np.uint64),  # numpy alone would give float64
     (np.int64, np.float64, np.float64),
     (np.bool_, np.int32, np.int32),
     (np.float32, np.int64, np.float32),
     (np.int8, np.uint8, np.uint8)],
)
def test_bind_uses_daphne_promotion(lhs: type, rhs: type, expected: type) -> None:
    out = reorg.cbind(col(1, dtype=lhs), col(1, dtype=rhs))
    assert out.dtype == expected
    out = reorg.rbind(col(1, dtype=lhs), col(1, dtype=rhs))
    assert out.dtype == expected


def test_bind_keeps_size_and_spells_numbers_as_strings() -> None:
    out = reorg.rbind(col(1, dtype=SIZE_DTYPE), col(2, dtype=SIZE_DTYPE))
    assert vt_of(out) == "size"
    s = reorg.cbind(col("a", dtype=STRING_DTYPE), col(1.5))
    assert s.dtype == STRING_DTYPE and s.tolist() == [["a", "1.5"]]


def test_bind_shape_errors() -> None:
    with pytest.raises(ValueError, match="same number of rows: lhs is 2x1, rhs is 3x1"):
        reorg.cbind(np.ones((2, 1)), np.ones((3, 1)))
    with pytest.raises(ValueError, match="same number of columns: lhs is 1x2, rhs is 1x3"):
        reorg.rbind(np.ones((1, 2)), np.ones((1, 3)))
    with pytest.raises(TypeError, match="rhs must be a matrix"):
        reorg.cbind(np.ones((1, 1)), FrameValue([np.ones(1)]))


def test_frames_are_dispatched_to_the_frame_kernels() -> None:
    f, g = FrameValue([np.arange(3)]), FrameValue([np.arange(3)], ["b"])
    assert lookup("cbind")(f, g).labels == ["col_0", "b"]
    assert lookup("rbind")(f, f).nrow == 6
    assert lookup("order")(f, 0, False, True).ravel().tolist() == [2, 1, 0]
    with pytest.raises(TypeError, match="rhs must be a frame like lhs, got ndarray"):
        lookup("cbind")(f, np.ones((3, 1)))
    with pytest.raises(TypeError, match="arg must be a matrix"):
        reorg.order(f, 0, False, True)  # the matrix kernel itself takes matrices only


# -- lowerTri / upperTri -----------------------------------------------------------------------


SQ = m([[1, 2, 3], [4, 0, 6], [NAN, 8, 9]])


@pytest.mark.parametrize(
    ("upper", "diag", "values", "expected"),
    [(False, True, True, [[1, 0, 0], [4, 0, 0], [NAN, 8, 9]]),
     (False, False, True, [[0, 0, 0], [4, 0, 0], [NAN, 8, 0]]),
     (False, True, False, [[1, 0, 0], [1, 0, 0], [1, 1, 1]]),
     (True, True, True, [[1, 2, 3], [0, 0, 6], [0, 0, 9]]),
     (True, False, False, [[0, 1, 1], [0, 0, 1], [0, 0, 0]])],
)
def test_tri(upper: bool, diag: bool, values: bool, expected: list) -> None:
    fn = reorg.upper_tri if upper else reorg.lower_tri
    assert_matrix(fn(readonly(SQ), diag, values), m(expected))


def test_tri_keeps_int_type_and_needs_a_square() -> None:
    out = reorg.lower_tri(m([[1, 2], [3, 4]], np.int32), True, False)
    assert_matrix(out, m([[1, 0], [1, 1]], np.int32))
    with pytest.raises(ValueError, match="square matrix, got 2x3"):
        reorg.upper_tri(np.ones((2, 3)), True, True)


# -- replace -----------------------------------------------------------------------------------


def test_replace_values_and_nan() -> None:
    x = readonly(m([[1, NAN], [2, 1]]))
    assert_matrix(reorg.replace(x, 1, 5), m([[5, NAN], [2, 5]]))
    assert_matrix(reorg.replace(x, NAN, 0), m([[1, 0], [2, 1]]))
    assert_matrix(reorg.replace(x, 2.0, NAN), m([[1, NAN], [NAN, 1]]))
    assert reorg.replace(x, 7, 0) is x  # nothing to replace: no copy
    np.testing.assert_array_equal(x, m([[1, NAN], [2, 1]]))


def test_replace_in_int_and_string_matrices() -> None:
    x = m([[1, 2], [2, 3]], np.int32)
    assert_matrix(reorg.replace(x, 2, 9), m([[1, 9], [9, 3]], np.int32))
    assert reorg.replace(x, NAN, 0) is x
    with pytest.raises(ValueError, match="nan"):
        reorg.replace(x, 2, NAN)
    s = m([["a", "b"]], STRING_DTYPE)
    assert reorg.replace(s, "a", "zz").tolist() == [["zz", "b"]]
    with pytest.raises(TypeError, match="pattern"):
        reorg.replace(s, 1, 2)


# -- order -------------------------------------------------------------------------------------


def test_order_multi_key_mixed_directions() -> None:
    x = readonly(m([[3, 1], [1, 2], [2, 2], [0, 1]], np.int64))
    # column 1 ascending, ties by column 0 descending
    assert_matrix(reorg.order(x, 1, 0, True, False, False),
                  m([[3, 1], [0, 1], [2, 2], [1, 2]], np.int64))
    idx = reorg.order(x, 1, 0, True, False, True)
    assert idx.shape == (4, 1) and vt_of(idx) == "size"
    np.testing.assert_array_equal(idx[:, 0], [0, 3, 2, 1])


def test_order_is_stable_and_puts_nan_last_both_ways() -> None:
    x = col(2, NAN, 1, 2, NAN, 1)
    np.testing.assert_array_equal(reorg.order(x, 0, True, True)[:, 0], [2, 5, 0, 3, 1, 4])
    np.testing.assert_array_equal(reorg.order(x, 0, False, True)[:, 0], [0, 3, 2, 5, 1, 4])


def test_order_strings_and_unsigned_descending() -> None:
    s = col("b", "a", "c", "a", dtype=STRING_DTYPE)
    np.testing.assert_array_equal(reorg.order(s, 0, False, True)[:, 0], [2, 0, 1, 3])
    u = col(0, 2**64 - 1, 5, dtype=np.uint64)
    np.testing.assert_array_equal(reorg.order(u, 0, False, True)[:, 0], [1, 2, 0])


@given(
    x=hnp.arrays(np.int8, hnp.array_shapes(min_dims=2, max_dims=2, max_side=12),
                 elements=st.integers(-3, 3)),
    data=st.data(),
)
def test_order_matches_python_stable_sort(x: np.ndarray, data: st.DataObject) -> None:
    k = data.draw(st.integers(1, x.shape[1]))
    cols = data.draw(st.lists(st.integers(0, x.shape[1] - 1), min_size=k, max_size=k))
    ascs = data.draw(st.lists(st.booleans(), min_size=k, max_size=k))
    expected = list(range(x.shape[0]))
    for c, asc in reversed(list(zip(cols, ascs, strict=True))):  # stable sorts, last key first
        expected.sort(key=lambda i, c=c: int(x[i, c]), reverse=not asc)
    got = reorg.order(x, *cols, *ascs, True)[:, 0].tolist()
    # reverse=True keeps ties stable in Python too, so the permutations agree exactly.
    assert got == expected
    assert_matrix(reorg.order(x, *cols, *ascs, False), x[expected])


def test_order_argument_errors() -> None:
    x = np.ones((2, 2))
    with pytest.raises(ValueError, match="k column indexes"):
        reorg.order(x, 0, 1, True, False)
    with pytest.raises(IndexError, match="column index 2 out of bounds for 2 columns"):
        reorg.order(x, 2, True, False)


# -- oneHot ------------------------------------------------------------------------------------


def test_one_hot_keep_drop_expand() -> None:
    x = readonly(m([[0, 7, 2, 9], [1, 8, 0, 9]]))
    info = m([[2, -1, 3, 0]], np.int64)
    assert_matrix(reorg.one_hot(x, info), m([[1, 0, 7, 0, 0, 1], [0, 1, 8, 1, 0, 0]]))
    ints = reorg.one_hot(m([[1], [0]], np.int32), m([[2]], np.int64))
    assert_matrix(ints, m([[0, 1], [1, 0]], np.int32))


def test_one_hot_codes_strings_by_first_appearance_per_column() -> None:
    x = readonly(np.array([["b", "q"], ["a", "q"], ["c", "p"], ["b", "p"]], dtype=STRING_DTYPE))
    out = reorg.one_hot(x, m([[-1, 2]], np.int64))
    assert out.dtype == np.int64
    np.testing.assert_array_equal(out, [[0, 1, 0], [1, 1, 0], [2, 0, 1], [0, 0, 1]])
    assert_matrix(reorg.one_hot(x, m([[3, 0]], np.int64)),
                  m([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 0, 0]], np.int64))
    empty = reorg.one_hot(np.empty((0, 2), dtype=STRING_DTYPE), m([[-1, 2]], np.int64))
    assert empty.shape == (0, 3) and empty.dtype == np.int64
    with pytest.raises(ValueError, match=r"value 2 at \(2, 0\) must be an integer in \[0, 2\)"):
        reorg.one_hot(x, m([[2, 0]], np.int64))


@given(hnp.arrays(np.int8, hnp.array_shapes(min_dims=2, max_dims=2, max_side=6),
                  elements=st.integers(0, 3)))
def test_one_hot_string_codes_match_a_per_column_dictionary(cells: np.ndarray) -> None:
    x = cells.astype(str).astype(STRING_DTYPE)
    kept = reorg.one_hot(x, np.full((1, x.shape[1]), -1, dtype=np.int64))
    want = np.empty(x.shape, dtype=np.int64)
    for j in range(x.shape[1]):
        seen: dict[str, int] = {}
        want[:, j] = [seen.setdefault(str(v), len(seen)) for v in x[:, j]]
    assert kept.dtype == np.int64
    np.testing.assert_array_equal(kept, want)


@pytest.mark.parametrize(
    ("x", "info", "exc", "match"),
    [(m([[3.0]]), m([[3]], np.int64), ValueError,
      r"value 3\.0 at \(0, 0\) must be an integer in \[0, 3\)"),
     (m([[1.5]]), m([[3]], np.int64), ValueError, "1.5"),
     (m([[-1.0]]), m([[3]], np.int64), ValueError, "-1.0"),
     (m([[NAN]]), m([[3]], np.int64), ValueError, "nan"),
     (m([[1.0]]), m([[-2]], np.int64), ValueError, "-1, 0 or positive"),
     (m([[1.0, 2.0]]), m([[2]], np.int64), ValueError, "1x2 row"),
     (m([[1.0]]), m([[2.0]]), TypeError, "integer info"),
     (m([[1.0, 2.0]]), m([[0, 0]], np.int64), ValueError, "at least one non-zero entry"),
     (np.empty((2, 0)), np.empty((1, 0), np.int64), ValueError, "at least one non-zero")],
)
def test_one_hot_errors(x: np.ndarray, info: np.ndarray, exc: type, match: str) -> None:
    with pytest.raises(exc, match=match):
        reorg.one_hot(x, info)


# -- bin ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64, np.uint32])
def test_bin_daphne_examples(dtype: type) -> None:
    x = col(10, 20, 30, 40, 50, 60, 70, dtype=dtype)
    assert_matrix(reorg.bin_(x, 3, 10, 70), col(0, 0, 0, 1, 1, 2, 2, dtype=dtype))
    outside = col(5, 20, 30, 40, 50, 60, 100, dtype=dtype)
    assert_matrix(reorg.bin_(outside, 3, 10, 70), col(0, 0, 0, 1, 1, 2, 2, dtype=dtype))
    assert_matrix(reorg.bin_(col(10, 20, 30, dtype=dtype), 1, 20, 20), col(0, 0, 0, dtype=dtype))
    assert_matrix(reorg.bin_(col(10, 30, 20, dtype=dtype), 1, 10, 30), col(0, 0, 0, dtype=dtype))


def test_bin_nan_inf_and_default_bounds() -> None:
    out = reorg.bin_(col(NAN, np.inf, -np.inf), 3, 10.0, 70.0)
    assert_matrix(out, col(NAN, 2, 0))
    # Without min/max the bounds are arg's own (NaN ignored): [0, 4] here.
    assert_matrix(reorg.bin_(col(0, 1, 2, 3, 4, NAN), 2), col(0, 0, 0, 1, 1, NAN))
    # min=0 is a real bound, not "no bound": [0, 8] gives different bins than [2, 4].
    x = col(2, 3, 4)
    assert_matrix(reorg.bin_(x, 2, 0, 8), col(0, 0, 0))
    assert_matrix(reorg.bin_(x, 2), col(0, 0, 1))


@pytest.mark.parametrize(
    ("args", "match"),
    [((0, 1.0, 2.0), "greater than zero"),
     ((2, 3.0, 1.0), "must not be greater than max"),
     ((3, 2.0, 2.0), "numBins must be 1"),
     ((1, NAN, 2.0), "finite"),
     ((1, 1.0, np.inf), "finite"),
     ((1, 1.0), "both min and max")],
)
def test_bin_errors(args: tuple, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        reorg.bin_(col(1.0, 2.0), *args)


# -- solve / diagVector / ctable -----------------------------------------------------------------


def test_solve() -> None:
    a = readonly(m([[2, 1], [1, 3]]))
    b = readonly(col(3, 5))
    x = reorg.solve(a, b)
    assert x.dtype == np.float64 and x.shape == (2, 1)
    np.testing.assert_allclose(a @ x, b, rtol=1e-14)
    assert reorg.solve(a.astype(np.float32), b.astype(np.float32)).dtype == np.float32
    xi = reorg.solve(m([[2, 0], [0, 4]], np.int64), col(2, 8, dtype=np.int64))
    assert_matrix(xi, col(1.0, 2.0))


def test_solve_errors() -> None:
    with pytest.raises(ValueError, match="2x2 matrix A is singular"):
        reorg.solve(m([[1, 2], [2, 4]]), col(1, 2))
    with pytest.raises(ValueError, match="A is 2x2, b is 3x1"):
        reorg.solve(np.eye(2), np.ones((3, 1)))
    with pytest.raises(ValueError, match="square"):
        reorg.solve(np.ones((2, 3)), np.ones((2, 1)))


def test_diag_vector() -> None:
    assert_matrix(reorg.diag_vector(m([[1, 2], [3, 4]], np.int32)), col(1, 4, dtype=np.int32))
    with pytest.raises(ValueError, match="square"):
        reorg.diag_vector(np.ones((1, 2)))


def test_ctable() -> None:
    ys, xs = col(0, 1, 1, 2, dtype=np.int64), col(1, 0, 0, 2, dtype=np.int64)
    assert_matrix(reorg.ctable(ys, xs), m([[0, 1, 0], [2, 0, 0], [0, 0, 1]]))
    assert_matrix(reorg.ctable(ys, xs, 3), m([[0, 3, 0], [6, 0, 0], [0, 0, 3]], np.int64))
    # given sizes crop (out-of-range pairs are ignored) or pad
    assert_matrix(reorg.ctable(ys, xs, 2, 4), m([[0, 1, 0, 0], [2, 0, 0, 0]]))
    assert_matrix(reorg.ctable(ys, xs, 0.5, -1, 2), m([[0, 0.5], [1, 0], [0, 0]]))
    assert reorg.ctable(col(1.0), col(1.0)).shape == (2, 2)
    with pytest.raises(ValueError, match="lhs position -1"):
        reorg.ctable(col(-1), col(0))
    with pytest.raises(ValueError, match="same number of rows"):
        reorg.ctable(col(1, 2), col(0))


# -- eigen / syrk / gemv / isSymmetric / sparsity -------------------------------------------------


def test_eigen_of_small_matrices() -> None:
    values, vectors = lookup("eigen")(readonly(np.diag([3.0, 1.0, 2.0])))
    assert_matrix(values, col(1.0, 2.0, 3.0))  # ascending
    assert_matrix(vectors, m([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]))
    values, vectors = lookup("eigen")(readonly(m([[2.0, 1.0], [1.0, 2.0]])))
    np.testing.assert_allclose(values, col(1.0, 3.0), rtol=1e-15)
    h = np.sqrt(0.5)
    # The first entry of largest magnitude is positive (LAPACK's sign is arbitrary).
    np.testing.assert_allclose(vectors, m([[h, h], [-h, h]]), rtol=1e-15)
    assert vectors.flags.c_contiguous and vectors.dtype == np.float64


@given(a=hnp.arrays(np.float64, st.integers(1, 6).map(lambda n: (n, n)),
                    elements=st.floats(-100, 100)))
def test_eigen_decomposes_symmetric_matrices(a: np.ndarray) -> None:
    a = readonly(a + a.T)
    values, vectors = lookup("eigen")(a)
    n = a.shape[0]
    assert values.shape == (n, 1) and vectors.shape == (n, n)
    assert values.dtype == vectors.dtype == np.float64
    assert (np.diff(values[:, 0]) >= 0).all()
    scale = max(1.0, np.abs(a).max())
    np.testing.assert_allclose(a @ vectors, vectors * values.T, atol=1e-9 * scale)
    np.testing.assert_allclose(vectors.T @ vectors, np.eye(n), atol=1e-9)
    # The first entry whose magnitude is the largest up to rounding (64 ulp) is positive.
    near_max = np.abs(vectors) >= np.abs(vectors).max(axis=0) * (1 - 64 * np.finfo(float).eps)
    lead = np.argmax(near_max, axis=0)
    assert (vectors[lead, np.arange(n)] > 0).all()


def test_eigen_value_types() -> None:
    values, vectors = lookup("eigen")(readonly(m([[2, 0], [0, 1]], np.float32)))
    assert_matrix(values, col(1.0, 2.0, dtype=np.float32))
    assert vectors.dtype == np.float32
    values, vectors = lookup("eigen")(readonly(m([[2, 0], [0, 1]], np.int64)))
    assert_matrix(values, col(1.0, 2.0))
    assert_matrix(vectors, m([[0.0, 1.0], [1.0, 0.0]]))
    values, vectors = lookup("eigen")(np.empty((0, 0)))
    assert values.shape == (0, 1) and vectors.shape == (0, 0)


@pytest.mark.parametrize(("arg", "exc", "match"), [
    (m([[1.0, 2.0], [3.0, 4.0]]), ValueError, "eigen needs a symmetric matrix; the 2x2"),
    (np.ones((2, 3)), ValueError, "eigen needs a square matrix, got 2x3"),
    (m([[NAN, 0.0], [0.0, 1.0]]), ValueError, "eigen: the matrix must not contain NaN"),
    (m([["a"]], STRING_DTYPE), TypeError, "eigen needs a numeric matrix"),
    (2.0, TypeError, "eigen: arg must be a matrix"),
])
def test_eigen_errors(arg: object, exc: type, match: str) -> None:
    with pytest.raises(exc, match=match):
        lookup("eigen")(arg)


@pytest.mark.parametrize("dtype", [np.int8, np.int64, np.uint32, np.float32, np.float64])
def test_syrk_is_the_gram_matrix(dtype: type) -> None:
    rng = np.random.default_rng(7)
    a = readonly(rng.integers(-9, 10, (5, 3)).astype(dtype))
    out = lookup("syrk")(a)
    assert_matrix(out, a.T @ a)  # small integers: exact in every type
    assert_matrix(lookup("gemv")(a, readonly(col(1, 0, 2, 0, 1, dtype=dtype))),
                  a.T @ col(1, 0, 2, 0, 1, dtype=dtype))


def test_syrk_of_floats_is_exactly_symmetric() -> None:
    a = readonly(np.random.default_rng(3).standard_normal((50, 7)))
    out = lookup("syrk")(a)
    assert out.shape == (7, 7) and out.dtype == np.float64
    np.testing.assert_array_equal(out, out.T)
    np.testing.assert_allclose(out, a.T @ a, rtol=1e-13)
    assert lookup("isSymmetric")(out)
    assert_matrix(lookup("syrk")(np.empty((0, 2))), np.zeros((2, 2)))
    size = readonly(np.ones((2, 2), np.uint64).view(SIZE_DTYPE))
    assert vt_of(lookup("syrk")(size)) == "size"
    with pytest.raises(TypeError, match="syrk needs a numeric matrix, got a string matrix"):
        lookup("syrk")(m([["a"]], STRING_DTYPE))


def test_gemv_types_and_errors() -> None:
    a = readonly(m([[1, 2], [3, 4], [5, 6]], np.int64))
    assert_matrix(lookup("gemv")(a, readonly(col(1.0, 0.5, 0.0))), col(2.5, 4.0))
    assert_matrix(lookup("gemv")(a, readonly(col(1, 1, 1, dtype=np.int8))),
                  col(9, 12, dtype=np.int64))
    with pytest.raises(ValueError, match=r"gemv: vec must be an n x 1 column.*mat is 3x2, vec "
                                         r"is 2x1"):
        lookup("gemv")(a, col(1, 2))
    with pytest.raises(ValueError, match="vec is 3x2"):
        lookup("gemv")(a, np.ones((3, 2)))
    with pytest.raises(TypeError, match="gemv: vec must be a matrix"):
        lookup("gemv")(a, 1.0)


def test_is_symmetric() -> None:
    is_sym = lookup("isSymmetric")
    assert is_sym(readonly(m([[1, 2], [2, 1]], np.int64))) is np.True_
    assert is_sym(readonly(m([[1, 2], [3, 1]], np.int64))) is np.False_
    # Only the off-diagonal pairs are compared: a NaN there never equals its mirror.
    assert is_sym(readonly(m([[NAN, 1.0], [1.0, 2.0]]))) is np.True_
    assert is_sym(readonly(m([[0.0, NAN], [NAN, 2.0]]))) is np.False_
    assert is_sym(readonly(m([["a", "b"], ["b", "c"]], STRING_DTYPE))) is np.True_
    assert is_sym(readonly(m([["a", "b"], ["B", "c"]], STRING_DTYPE))) is np.False_
    assert is_sym(np.ones((1, 1))) and is_sym(np.empty((0, 0)))
    with pytest.raises(ValueError, match="isSymmetric needs a square matrix, got 2x3"):
        is_sym(np.ones((2, 3)))


def test_sparsity_is_the_fraction_of_non_zeros() -> None:
    sparsity = lookup("sparsity")
    assert sparsity(readonly(m([[0, 1, 0, 2]], np.int32))) == 0.5
    assert type(sparsity(readonly(m([[0, 1]], np.int32)))) is np.float64
    assert sparsity(readonly(m([[NAN, 0.0, -0.0]]))) == 1 / 3  # NaN is not zero
    assert sparsity(readonly(m([[True, False, False, False]]))) == 0.25
    assert sparsity(np.zeros((3, 3))) == 0.0 and sparsity(np.ones((2, 1))) == 1.0
    assert np.isnan(sparsity(np.empty((0, 3))))
    with pytest.raises(TypeError, match="sparsity needs a numeric matrix"):
        sparsity(m([["a"]], STRING_DTYPE))


# -- quantize --------------------------------------------------------------------------------


def quantize_reference(x: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """DAPHNE's kernel cell by cell in f32 (C's roundf: halfway cases away from zero)."""
    f = np.float32
    lo32, hi32 = min(f(lo), f(0)), max(f(hi), f(0))
    scale = (hi32 - lo32) / f(256)
    z = f(255) - hi32 / scale
    zero = f(0) if z < 0 else f(255) if z > 255 else f(math.floor(z + 0.5))
    out = np.empty(x.shape, np.uint8)
    for i, a in np.ndenumerate(x.astype(np.float32)):
        v = min(max(zero + a / scale, f(0)), f(255))
        out[i] = int(decimal.Decimal(float(v)).quantize(0, decimal.ROUND_HALF_UP))
    return out


def test_quantize_daphne_example() -> None:
    x = readonly(m([[-1.0, 0.0, 0.5, 1.0, 2.0, -3.0]], np.float32))
    # scale = 2/256, zero point = 255 - 1/scale = 127
    assert_matrix(lookup("quantize")(x, -1.0, 1.0), m([[0, 127, 191, 255, 255, 0]], np.uint8))
    # The range always includes 0: [0.5, 1] quantizes as [0, 1].
    assert_matrix(lookup("quantize")(readonly(m([[0.0, 0.5, 1.0]], np.float32)), 0.5, 1.0),
                  m([[0, 128, 255]], np.uint8))
    assert_matrix(lookup("quantize")(readonly(m([[1, 2]], np.int64)), 0, 2),
                  m([[128, 255]], np.uint8))


@given(x=hnp.arrays(np.float32, st.tuples(st.integers(0, 3), st.integers(0, 4)),
                    elements=st.floats(-1e6, 1e6, width=32)),
       lo=st.floats(-1e4, 1e4), width=st.floats(1e-3, 1e4))
def test_quantize_equals_the_cell_by_cell_reference(x: np.ndarray, lo: float,
                                                    width: float) -> None:
    x.flags.writeable = False
    hi = lo + width
    if np.float32(lo) == 0 and np.float32(hi) == 0:
        return
    assert_matrix(lookup("quantize")(x, lo, hi), quantize_reference(x, lo, hi))


@pytest.mark.parametrize(("args", "exc", "match"), [
    ((m([[NAN]], np.float32), 0.0, 1.0), ValueError, "quantize: NaN has no 8-bit code"),
    ((m([[1.0]], np.float32), 2.0, 1.0), ValueError, r"quantize: min \(2.0\) must not be greater"),
    ((m([[1.0]], np.float32), 0.0, 0.0), ValueError, "min and max are both 0"),
    ((m([[1.0]], np.float32), 0.0, np.inf), ValueError, "quantize: max must be finite"),
    ((m([[1.0]], np.float32), "a", 1.0), TypeError, "quantize: min must be a number"),
    ((m([["a"]], STRING_DTYPE), 0.0, 1.0), TypeError, "quantize needs a numeric"),
    ((1.0, 0.0, 1.0), TypeError, "quantize: arg must be a matrix"),
])
def test_quantize_errors(args: tuple, exc: type, match: str) -> None:
    with pytest.raises(exc, match=match):
        lookup("quantize")(*args)
