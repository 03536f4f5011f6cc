"""``t(X) @ X`` and ``X @ t(X)`` are exactly symmetric at every size, as DAPHNE's syrk gives.

Through the kernels (every layout numpy may hand them), through DaphneDSL and through the
Python API (``X.t() @ X``), so that ``isSymmetric`` holds and ``eigen`` accepts the product.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from daphnelib import DaphneContext
from daphnelib.dsl import run_script
from daphnelib.engine.registry import lookup

SETTINGS = settings(max_examples=40, deadline=None)
FLOATS = (np.float64, np.float32)
TOLERANCE = {np.dtype(np.float64): 1e-10, np.dtype(np.float32): 1e-4}


@st.composite
def matrices(draw: st.DrawFn) -> np.ndarray:
    """Matrices of 1..90 rows/columns (numpy's BLAS paths change around 57), in any layout."""
    rows, cols = draw(st.integers(1, 90)), draw(st.integers(1, 90))
    dtype = draw(st.sampled_from([*FLOATS, np.int64, np.int32]))
    layout = draw(st.sampled_from(["C", "F", "strided"]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x = (rng.standard_normal((rows, 2 * cols if layout == "strided" else cols)) * 100)
    x = x.astype(dtype)
    if layout == "strided":
        return x[:, ::2]  # no unit stride: numpy copies and may use gemm instead of syrk
    return np.asfortranarray(x) if layout == "F" else x


def _expected(x: np.ndarray, transposed_first: bool) -> np.ndarray:
    wide = x.astype(np.float64) if x.dtype.kind == "f" else x
    return wide.T @ wide if transposed_first else wide @ wide.T


def _check(out: np.ndarray, x: np.ndarray, transposed_first: bool) -> None:
    assert out.dtype == x.dtype
    assert np.array_equal(out, out.T)  # exact, not within a tolerance
    expected = _expected(x, transposed_first)
    if x.dtype.kind == "f":
        scale = np.abs(expected).max() if expected.size else 1.0
        np.testing.assert_allclose(out, expected, rtol=0, atol=TOLERANCE[x.dtype] * scale)
    else:
        assert np.array_equal(out, expected)


@SETTINGS
@given(matrices(), st.booleans())
def test_gram_kernels_are_exactly_symmetric(x: np.ndarray, transposed_first: bool) -> None:
    before = x.copy()
    out = lookup("t@")(x, x) if transposed_first else lookup("@t")(x, x)
    _check(out, x, transposed_first)
    assert np.array_equal(x, before)
    if transposed_first:
        _check(lookup("syrk")(x), x, True)


def test_two_equal_matrices_in_different_buffers_are_a_plain_product() -> None:
    x = np.random.default_rng(5).random((70, 60))
    y = x.copy()
    out = lookup("t@")(x, y)
    np.testing.assert_allclose(out, x.T @ x, rtol=1e-12)


@pytest.mark.parametrize("size", [10, 57, 64, 100, 200])
def test_dsl_products_are_symmetric_and_eigen_accepts_them(
    size: int, capsys: pytest.CaptureFixture[str]
) -> None:
    run_script(f"""
X = rand({size + 7}, {size}, -1.0, 1.0, 1.0, 42);
A = t(X) @ X;
B = X @ t(X);
print(isSymmetric(A));
print(isSymmetric(B));
v, e = eigen(A);
print(nrow(v));
C = as.f32(X);
print(isSymmetric(t(C) @ C));
""")
    assert capsys.readouterr().out == f"1\n1\n{size}\n1\n"


@SETTINGS
@given(matrices(), st.booleans())
def test_python_api_products_are_symmetric(x: np.ndarray, transposed_first: bool) -> None:
    m = DaphneContext().from_numpy(x)
    node = m.t() @ m if transposed_first else m @ m.t()
    _check(node.compute(), x, transposed_first)
