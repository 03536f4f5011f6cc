"""CSR matrices: the engine value, DAPHNE's CSR ``rand``, the sparse kernels,
``--select-matrix-repr`` and the zero-copy scipy exchange."""

from __future__ import annotations

import sys

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from daphnelib import DaphneContext
from daphnelib.__main__ import run_command
from daphnelib.engine.executor import compile_program, run
from daphnelib.engine.kernels import sparse
from daphnelib.engine.kernels.random import rand_csr
from daphnelib.engine.printing import format_value, type_string
from daphnelib.engine.program import Instr, Kind, Program, Var
from daphnelib.engine.registry import lookup
from daphnelib.engine.representation import select_representations
from daphnelib.engine.values import CSRMatrix

SETTINGS = settings(max_examples=40, deadline=None)
M = Kind.MATRIX


@st.composite
def sparse_dense(draw: st.DrawFn, dtype: object = None) -> np.ndarray:
    """A dense matrix with many zeros (the dense twin of a CSR matrix)."""
    rows, cols = draw(st.integers(0, 12)), draw(st.integers(0, 12))
    dtype = dtype or draw(st.sampled_from([np.float64, np.float32, np.int64, np.int32]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    values = rng.integers(-9, 10, (rows, cols)).astype(dtype)
    if np.dtype(dtype).kind == "f":
        values = values * np.asarray(0.37, dtype)
    return np.where(rng.random((rows, cols)) < draw(st.floats(0.0, 1.0)), values, 0)


# -- the value -------------------------------------------------------------------------------


@SETTINGS
@given(sparse_dense())
def test_dense_round_trip_and_print(dense: np.ndarray) -> None:
    m = CSRMatrix.from_dense(dense)
    assert m.shape == dense.shape and m.dtype == dense.dtype
    assert m.nnz == np.count_nonzero(dense)
    assert np.array_equal(m.to_dense(), dense)
    dense_text = format_value(dense)
    assert format_value(m) == dense_text.replace("DenseMatrix", "CSRMatrix", 1)
    assert type_string(m) == type_string(dense).replace("DenseMatrix", "CSRMatrix")


def test_invalid_arrays_are_rejected() -> None:
    ints = np.zeros(2, np.int64)
    with pytest.raises(ValueError, match="row_offsets of a 3-row matrix must have 4"):
        CSRMatrix(np.zeros(0), np.zeros(0, np.int64), ints, (3, 2))
    with pytest.raises(ValueError, match="col_idxs must be a 1-D int32 or int64 array"):
        CSRMatrix(np.zeros(1), np.zeros(1, np.float64), ints, (1, 2))
    with pytest.raises(ValueError, match="values and col_idxs must be 1-D of one length"):
        CSRMatrix(np.zeros(2), np.zeros(1, np.int64), ints, (1, 2))


# -- DAPHNE's CSR rand -----------------------------------------------------------------------


@SETTINGS
@given(st.integers(1, 40), st.integers(1, 40), st.floats(0.0, 1.0),
       st.sampled_from([(0.5, 1.0), (np.float32(-2), np.float32(3)), (1, 9), (-5, 5)]),
       st.integers(-(2**40), 2**40))
def test_rand_csr_structure(rows: int, cols: int, sparsity: float, bounds: tuple,
                            seed: int) -> None:
    m = rand_csr(rows, cols, bounds[0], bounds[1], sparsity, seed)
    nnz = int(np.floor(rows * cols * sparsity + 0.5))
    assert m.shape == (rows, cols) and m.nnz == nnz
    assert m.dtype == {float: np.float64, np.float32: np.float32, int: np.int64}[type(bounds[0])]
    assert m.row_offsets[0] == 0 and np.all(np.diff(m.row_offsets) >= 0)
    scipy_m = sparse.to_scipy(m)
    assert scipy_m.has_canonical_format  # sorted, distinct columns in every row
    assert np.all((m.values >= bounds[0]) & (m.values <= bounds[1]))
    if seed != -1:  # -1 draws a fresh seed, as in DAPHNE
        again = rand_csr(rows, cols, bounds[0], bounds[1], sparsity, seed)
        assert np.array_equal(again.to_dense(), m.to_dense())


def test_rand_csr_matches_daphnes_sparse_tests() -> None:
    # DAPHNE's test/api/cli/vectorized/run{EwBinary,ColAgg}Sparse expectations.
    x = sparse.to_scipy(rand_csr(10000, 1000, 0.5, 1.0, 0.04, 7))
    y = sparse.to_scipy(rand_csr(10000, 1000, 0.0, 0.5, 0.04, 7))
    assert f"{(x + y).sum():.6g}" == "400103"
    assert f"{x.multiply(y).sum():.6g}" == "83385.5"
    z = sparse.to_scipy(rand_csr(10000, 1000, 0.0, 1.0, 0.01, 7))
    assert f"{z.sum():.6g}" == "50078.2"


def test_rand_csr_checks_its_arguments() -> None:
    with pytest.raises(ValueError, match="sparsity must be in"):
        rand_csr(2, 2, 0.0, 1.0, 1.5, 1)
    with pytest.raises(ValueError, match="min must be <= max"):
        rand_csr(2, 2, 3, 1, 0.1, 1)


# -- sparse kernels against the dense ones ---------------------------------------------------


def _dense_result(value: object) -> object:
    return value.to_dense() if isinstance(value, CSRMatrix) else value


def _same(got: object, expected: object, exact: bool) -> None:
    got = _dense_result(got)
    assert np.asarray(got).dtype == np.asarray(expected).dtype
    if exact:
        assert np.array_equal(got, expected)
    else:
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


@SETTINGS
@given(sparse_dense(), st.data())
def test_sparse_kernels_equal_dense_kernels(a: np.ndarray, data: st.DataObject) -> None:
    b = np.where(a != 0, a[::-1, ::-1], a * 0)  # same shape and dtype, other pattern
    csr_a, csr_b = CSRMatrix.from_dense(a), CSRMatrix.from_dense(b)
    exact = a.dtype.kind != "f"
    cases = [("*", (csr_a, 3), (a, 3)), ("*", (2, csr_a), (2, a)),
             ("*", (csr_a, csr_b), (a, b)), ("*", (csr_a, b), (a, b)),
             ("+", (csr_a, csr_b), (a, b)), ("-", (csr_a, csr_b), (a, b)),
             ("+", (csr_a, 1), (a, 1)), ("t", (csr_a,), (a,)), ("abs", (csr_a,), (a,)),
             ("minus", (csr_a,), (a,)), ("floor", (csr_a,), (a,)),
             ("sum", (csr_a, 0), (a, 0)), ("sum", (csr_a, 1), (a, 1)),
             ("@", (csr_a, a.T.copy()), (a, a.T.copy())),
             ("@", (csr_a, sparse.CSRMatrix.from_dense(a.T.copy())), (a, a.T.copy())),
             ("aggMax", (csr_a,), (a,)) if a.size else ("t", (csr_a,), (a,))]
    op, sparse_args, dense_args = data.draw(st.sampled_from(cases))
    before = a.copy()
    got = sparse.call(op, lookup(op), sparse_args)
    _same(got, lookup(op)(*dense_args), exact or op in ("*", "t", "abs", "+", "-", "minus",
                                                         "floor"))
    assert np.array_equal(a, before)
    if op in ("t", "abs", "floor") or (op == "*" and not isinstance(sparse_args[1], np.ndarray)):
        assert isinstance(got, CSRMatrix)  # kernels that keep 0 at 0 stay sparse


def test_full_sum_and_sparsity_of_csr() -> None:
    a = np.array([[0, 2.5, 0], [0, 0, -1.0]])
    m = CSRMatrix.from_dense(a)
    assert sparse.call("sum", lookup("sum"), (m,)) == np.float64(1.5)
    assert sparse.call("sparsity", lookup("sparsity"), (m,)) == np.float64(2 / 6)
    negated = sparse.call("minus", lookup("minus"), (m,))
    assert format_value(negated) == format_value(-a)  # "-0" cells, as the dense kernel gives


# -- --select-matrix-repr --------------------------------------------------------------------


def _rand(out: int, sparsity: float, rows: int = 20, cols: int = 10) -> Instr:
    return Instr(out, "rand", (rows, cols, 0.0, 1.0, sparsity, 3), M)


@pytest.mark.parametrize(("instrs", "expected"), [
    ((_rand(0, 0.2),), ["toCSR:rand"]),
    ((_rand(0, 0.25),), ["rand"]),  # the threshold is strict
    ((_rand(0, 0.1), _rand(1, 0.1), Instr(2, "+", (Var(0), Var(1)), M)),
     ["toCSR:rand", "toCSR:rand", "toCSR:+"]),
    ((_rand(0, 0.2), _rand(1, 0.9), Instr(2, "+", (Var(0), Var(1)), M)),
     ["toCSR:rand", "rand", "toDense:+"]),
    ((_rand(0, 0.2), Instr(1, "*", (Var(0), 2.0), M), Instr(2, "+", (Var(0), 2.0), M)),
     ["toCSR:rand", "toCSR:*", "toDense:+"]),
    ((_rand(0, 0.1), Instr(1, "t", (Var(0),), M), Instr(2, "@", (Var(0), Var(1)), M)),
     ["toCSR:rand", "toCSR:t", "toCSR:@"]),  # 1 - (1 - 0.01)^10 = 0.096
    ((_rand(0, 0.3, 20, 40), Instr(1, "t", (Var(0),), M), Instr(2, "@", (Var(0), Var(1)), M)),
     ["rand", "t", "@"]),
    # Scalars computed from literals are folded (DAPHNE's canonicalisation): 2.0 / 100 ^ 1.
    ((Instr(0, "as.f64", (100,), Kind.SCALAR), Instr(1, "/", (2.0, Var(0)), Kind.SCALAR),
      Instr(2, "rand", (Var(0), Var(0), 1.0, 1.0, Var(1), -1), M),
      Instr(3, "upperTri", (Var(2), False, False), M), Instr(4, "t", (Var(3),), M),
      Instr(5, "+", (Var(3), Var(4)), M)),
     ["as.f64", "/", "toCSR:rand", "toCSR:upperTri", "toCSR:t", "toCSR:+"]),
    ((Instr(0, "now", (), Kind.SCALAR), Instr(1, "rand", (5, 5, 1.0, 1.0, Var(0), -1), M)),
     ["now", "rand"]),  # not a constant: unknown, dense
])
def test_representation_rule(instrs: tuple[Instr, ...], expected: list[str]) -> None:
    assert [i.op for i in select_representations(Program(instrs), lookup).instrs] == expected


def test_cli_option_selects_csr(tmp_path: object, capsys: pytest.CaptureFixture[str]) -> None:
    script = tmp_path / "s.daphne"
    script.write_text("X = rand(6, 5, 1.0, 2.0, 0.1, 42);\nprint(typeOf(X));\n"
                      "print(sum(X));\nprint(typeOf(X + 1));\n")
    assert run_command([str(script)]) == 0
    dense = capsys.readouterr()
    assert run_command(["--select-matrix-repr", str(script)]) == 0
    csr = capsys.readouterr()
    assert dense.out.splitlines()[::2] == ["DenseMatrix(6x5, double)", "DenseMatrix(6x5, double)"]
    assert csr.out.splitlines()[::2] == ["CSRMatrix(6x5, double)", "DenseMatrix(6x5, double)"]
    assert dense.out.splitlines()[1] != csr.out.splitlines()[1]  # another random stream
    assert csr.err == dense.err == ""
    assert run_command(["--select-matrix-representations", str(script)]) == 0  # DAPHNE's alias
    assert capsys.readouterr().out == csr.out


def test_unsupported_builtins_run_on_a_dense_copy(capsys: pytest.CaptureFixture[str]) -> None:
    program = Program((_rand(0, 0.2, 3, 3), Instr(1, "cumSum", (Var(0),), M)))
    out = run(compile_program(program, select_matrix_repr=True))
    csr = run(compile_program(Program(program.instrs[:1]), select_matrix_repr=True))
    assert isinstance(csr, CSRMatrix)
    assert np.array_equal(out, np.cumsum(csr.to_dense(), axis=0))


# -- scipy exchange ------------------------------------------------------------------------


@pytest.fixture
def a() -> sp.csr_array:
    return sp.random_array((60, 40), density=0.1, format="csr", random_state=1)


def test_from_scipy_and_as_scipy_are_zero_copy(dc: DaphneContext, a: sp.csr_array) -> None:
    before = a.copy()
    out = dc.from_scipy(a).compute(asScipy=True)
    assert isinstance(out, sp.csr_array)
    for name in ("data", "indices", "indptr"):
        assert np.shares_memory(getattr(out, name), getattr(a, name))
        assert not getattr(out, name).flags.writeable  # the caller's data stays safe
    scaled = (dc.from_scipy(a) * 3.0).compute(asScipy=True)
    assert np.shares_memory(scaled.indices, a.indices)  # structure shared, values new
    assert not np.shares_memory(scaled.data, a.data)
    assert (abs(scaled - a * 3.0)).max() == 0
    assert (a != before).nnz == 0


def test_python_api_on_csr(dc: DaphneContext, a: sp.csr_array) -> None:
    x = dc.from_scipy(a)
    assert repr(x.t() @ x).startswith("Matrix(40x40, f64) = ")  # shapes known before running
    gram = (x.t() @ x).compute()
    assert isinstance(gram, np.ndarray) and np.array_equal(gram, gram.T)
    np.testing.assert_allclose(gram, (a.T @ a).toarray(), rtol=1e-12)
    assert np.array_equal(x.compute(), a.toarray())
    np.testing.assert_allclose(x.sum().compute(), a.sum(), rtol=1e-12)
    assert np.array_equal((x + 1).compute(), a.toarray() + 1)
    dense = dc.from_numpy(np.eye(3)).compute(asScipy=True)
    assert isinstance(dense, sp.csr_array) and dense.nnz == 3


def test_other_formats_and_dtypes_are_converted_once(
    dc: DaphneContext, a: sp.csr_array, capsys: pytest.CaptureFixture[str]
) -> None:
    coo = a.tocoo()
    out = dc.from_scipy(coo, verbose=True).compute(asScipy=True)
    assert "copying sparse matrix once (format coo -> csr)" in capsys.readouterr().out
    assert np.array_equal(out.toarray(), a.toarray())
    messy = sp.csr_array((np.array([1.0, 2.0]), np.array([2, 0]), np.array([0, 2])),
                         shape=(1, 3))
    assert np.array_equal(dc.from_scipy(messy).compute(), [[2.0, 0.0, 1.0]])
    assert list(messy.indices) == [2, 0]  # the caller's matrix is not sorted in place
    small = (a * 10).astype(np.int16)  # DAPHNE has no si16: widened once, as from_numpy does
    assert dc.from_scipy(small).compute(asScipy=True).dtype == np.int32


def test_bad_inputs_name_the_problem(dc: DaphneContext, a: sp.csr_array) -> None:
    with pytest.raises(TypeError, match=r"from_scipy needs a scipy\.sparse matrix"):
        dc.from_scipy(a.toarray())
    with pytest.raises(TypeError, match="sparse matrices of dtype complex128 are not supported"):
        dc.from_scipy(a.astype(np.complex128))
    with pytest.raises(TypeError, match="sparse matrices of dtype <U1 are not supported"):
        dc.from_scipy(sp.csr_array((np.array(["x"]), np.array([0]), np.array([0, 1])),
                                   shape=(1, 1)))
    with pytest.raises(ValueError, match="asScipy does not combine with asPyTorch"):
        dc.from_scipy(a).compute(asScipy=True, asPyTorch=True)


def test_missing_scipy_names_the_extra(dc: DaphneContext, a: sp.csr_array,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "scipy.sparse", None)
    with pytest.raises(ImportError, match=r"pip install daphnelib\[sparse\]"):
        dc.from_scipy(a)


def test_verbose_and_script_of_a_csr_input(dc: DaphneContext, a: sp.csr_array,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    x = dc.from_scipy(a)
    assert (x * 2).compute(verbose=True).shape == a.shape
    assert "CSR matrix input (60x40, from_scipy) has no DaphneDSL form" in capsys.readouterr().out
    with pytest.raises(TypeError, match="runs on the embedded engine only"):
        x.script()


def test_native_structure_refuses_impossible_sizes() -> None:
    from daphnelib._native import sparse_rand

    with pytest.raises(ValueError, match="no 2x2 structure with 10 non-zeros"):
        sparse_rand.structure(np.zeros(3, np.int64), np.zeros(10, np.int64), 2, False, 1)
    with pytest.raises(ValueError, match="no 0x2 structure"):
        sparse_rand.structure(np.zeros(1, np.int64), np.zeros(0, np.int64), 2, False, 1)
    empty = rand_csr(0, 5, 0.0, 1.0, 0.5, 1)
    assert empty.shape == (0, 5) and empty.nnz == 0
