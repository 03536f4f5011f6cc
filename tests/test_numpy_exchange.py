"""numpy <-> engine exchange: zero-copy, one conversion where needed, lifetimes, bad input."""

from __future__ import annotations

import gc
import subprocess
import sys
import weakref

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from daphnelib import DaphneContext
from daphnelib._native.buffers import ALIGNMENT, is_aligned

HELD = [np.float64, np.float32, np.int64, np.int32, np.int8, np.uint64, np.uint32, np.uint8,
        np.bool_]
WIDENED = {np.int16: np.int32, np.uint16: np.uint32, np.float16: np.float32}


@pytest.fixture
def dc() -> DaphneContext:
    return DaphneContext()


@pytest.mark.parametrize("dtype", HELD)
def test_contiguous_input_is_viewed_not_copied(dc, dtype):
    a = (np.arange(12) % 3).astype(dtype).reshape(3, 4)
    before = a.copy()
    out = dc.from_numpy(a).compute()
    assert out.dtype == a.dtype and out.shape == (3, 4)
    np.testing.assert_array_equal(out, a)
    assert np.shares_memory(out, a)
    # A pass-through result aliases the caller's data, so it is read-only.
    assert not out.flags.writeable
    with pytest.raises(ValueError):
        out[0, 0] = 1
    np.testing.assert_array_equal(a, before)


@pytest.mark.parametrize("src,dst", WIDENED.items())
def test_dtypes_daphne_lacks_are_widened_once_and_restored(dc, src, dst, capsys):
    a = np.arange(6, dtype=src).reshape(2, 3)
    X = dc.from_numpy(a, verbose=True)
    assert f"{np.dtype(src)} -> {np.dtype(dst)}" in capsys.readouterr().out
    out = X.compute()
    assert out.dtype == a.dtype
    np.testing.assert_array_equal(out, a)
    assert not np.shares_memory(out, a)
    # Computed values follow DAPHNE's types (the widened one and up).
    assert (X + X).compute().dtype == np.dtype(dst)


def test_non_contiguous_input_is_copied_once_and_read_correctly(dc, capsys):
    base = np.arange(20.0).reshape(4, 5)
    for view in (base.T, base[:, 1:4], base[::2], np.asfortranarray(base)):
        out = dc.from_numpy(view, verbose=True).compute()
        np.testing.assert_array_equal(out, view)
        assert "not C-contiguous" in capsys.readouterr().out
    np.testing.assert_array_equal(base, np.arange(20.0).reshape(4, 5))


def test_shapes_follow_daphnelib(dc):
    v = np.arange(5.0)
    assert dc.from_numpy(v).compute().shape == (5, 1)
    cube = np.arange(24.0).reshape(2, 3, 4)
    node, shape = dc.from_numpy(cube, return_shape=True)
    assert shape == (2, 3, 4)
    out = node.compute()
    assert out.shape == (2, 12) and np.shares_memory(out, cube)
    np.testing.assert_array_equal(node.compute(shape=shape), cube)
    assert dc.from_numpy(np.zeros((0, 3, 2))).compute().shape == (0, 6)


def test_result_is_64_byte_aligned_and_owned_by_the_reader(dc):
    a = np.arange(1000.0).reshape(100, 10)
    out = (dc.from_numpy(a) + 1.0).compute()
    assert is_aligned(out, ALIGNMENT)
    assert out.flags.writeable and out.flags.c_contiguous
    out[0, 0] = -1.0  # a fresh result belongs to the caller
    np.testing.assert_array_equal(a[0, 0], 0.0)


def test_result_outlives_context_and_nodes(dc):
    X = dc.from_numpy(np.ones((3, 3))) * 2.0
    out = X.compute()
    del X, dc
    gc.collect()
    np.testing.assert_array_equal(out, np.full((3, 3), 2.0))


def test_buffer_freed_when_last_view_dies(dc):
    out = (dc.from_numpy(np.ones((4, 4))) + 1.0).compute()
    owner = weakref.ref(out.base)
    view = out[1:3]
    del out
    gc.collect()
    assert owner() is not None
    del view
    gc.collect()
    assert owner() is None


def test_input_deleted_before_compute_stays_alive(dc):
    a = np.arange(6.0).reshape(2, 3)
    X = dc.from_numpy(a)
    del a
    gc.collect()
    np.testing.assert_array_equal(X.compute(), np.arange(6.0).reshape(2, 3))


def test_delete_releases_and_forbids_use(dc):
    a = np.ones((2, 2))
    X = dc.from_numpy(a)
    Y = X + 1.0
    X.delete()
    with pytest.raises(RuntimeError, match="deleted"):
        X.compute()
    with pytest.raises(RuntimeError, match="deleted"):
        Y.compute()
    with pytest.raises(RuntimeError, match="deleted"):
        X * 2.0


def test_delete_releases_data_held_by_already_computed_consumers(dc):
    class Owned(np.ndarray):  # a weak-referenceable array, to observe its release
        pass

    a = np.ones((3, 3)).view(Owned)
    gone = weakref.ref(a)
    X = dc.from_numpy(a)
    Y = X * 2.0
    np.testing.assert_array_equal(Y.compute(), np.full((3, 3), 2.0))  # compiled and cached
    del a
    X.delete()
    gc.collect()
    assert gone() is None
    with pytest.raises(RuntimeError, match="deleted"):
        Y.compute()


def test_files_path_round_trips_exactly(dc):
    a = np.array([[1e-10, np.pi, -0.0], [np.nan, np.inf, 1 / 3]])
    out = dc.from_numpy(a, shared_memory=False).compute(type="files")
    assert out.shape == a.shape and out.dtype == a.dtype
    np.testing.assert_array_equal(out, a)
    ints = np.array([[2**63 - 1], [-(2**63)]])
    np.testing.assert_array_equal(dc.from_numpy(ints, shared_memory=False).compute(), ints)


def test_files_path_uses_a_private_directory(dc, tmp_path):
    X = dc.from_numpy(np.ones((2, 2)), shared_memory=False)
    path = X._args[0]
    assert "daphnelib-" in path and path.endswith(".csv")
    X.compute(type="files")


@pytest.mark.parametrize(
    "bad,exc,msg",
    [
        (np.array([1 + 2j]), TypeError, "complex"),
        (np.array([object(), 1], dtype=object), TypeError, "object"),
        (np.array(3.0), ValueError, "0-d"),
        ([[1.0, 2.0]], TypeError, "from_python"),
        (np.array(["2020-01-01"], dtype="datetime64[D]"), TypeError, "datetime64"),
    ],
)
def test_bad_input_names_the_problem(dc, bad, exc, msg):
    with pytest.raises(exc, match=msg):
        dc.from_numpy(bad)


def test_from_python_lists(dc):
    out = dc.from_python([10, 20, 30]).compute()
    assert out.dtype == np.int64 and out.shape == (3, 1)
    np.testing.assert_array_equal((dc.from_python([[1.5, 2], [3, 4]]) + 100.0).compute(),
                                  [[101.5, 102], [103, 104]])
    with pytest.raises(ValueError, match="rectangular"):
        dc.from_python([[1, 2], [3]])


def test_string_matrices_travel_through_shared_memory(dc):
    a = np.array([["a", "bb"], ["ccc", ""]])
    out = dc.from_numpy(a).compute()
    assert out.dtype == np.dtypes.StringDType()
    assert out.tolist() == a.tolist()


def test_lazy_nodes_have_no_truth_value(dc):
    X = dc.from_numpy(np.ones((1, 1)))
    with pytest.raises(TypeError, match="truth value"):
        bool(X == X)


def test_verbose_prints_script_and_phase_times(dc, capsys):
    (dc.from_numpy(np.ones((2, 2))) + 1.0).compute(verbose=True)
    out = capsys.readouterr().out
    assert "receiveFromNumpy(" in out and "V1 = V0 + 1.0;" in out
    assert "saveDaphneLibResult(V1);" in out and "execute:" in out


def test_import_is_light():
    code = ("import sys, daphnelib; from daphnelib import DaphneContext; "
            "heavy = {'pandas', 'torch', 'tensorflow', 'pyarrow', 'polars', 'duckdb'}; "
            "print(sorted(heavy & set(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_drop_in_import_paths():
    from daphnelib.context import DaphneContext as Ctx2
    from daphnelib.context.daphne_context import DaphneContext as Ctx1
    from daphnelib.operator.nodes.frame import Frame
    from daphnelib.operator.nodes.matrix import Matrix
    from daphnelib.operator.nodes.scalar import Scalar

    assert Ctx1 is Ctx2 is DaphneContext
    assert {Matrix.__name__, Frame.__name__, Scalar.__name__} == {"Matrix", "Frame", "Scalar"}


@settings(max_examples=60, deadline=None)
@given(hnp.arrays(
    dtype=st.sampled_from([np.float64, np.float32, np.int64, np.int32, np.int16, np.int8,
                           np.uint64, np.uint32, np.uint16, np.uint8, np.bool_, np.float16]),
    shape=hnp.array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=5),
))
def test_round_trip_property(arr):
    dc = DaphneContext()
    before = arr.copy()
    node, shape = dc.from_numpy(arr, return_shape=True)
    out = node.compute(shape=shape)
    assert out.shape == arr.shape and out.dtype == arr.dtype
    np.testing.assert_array_equal(out, arr)
    np.testing.assert_array_equal(arr, before)
    if arr.dtype.char in "dfqlibQLIB?" and arr.flags.c_contiguous and arr.size:
        assert np.shares_memory(out, arr)
