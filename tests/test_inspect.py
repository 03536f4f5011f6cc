"""What a user sees of lazy nodes before and around running them: repr, the HTML plan,
np.asarray, the context manager, and where diagnostics and warnings go."""

from __future__ import annotations

import logging
import os
import time
import warnings

import numpy as np
import pandas as pd
import pytest

from daphnelib import DaphneContext


def test_repr_shows_op_shape_and_value_type(dc: DaphneContext) -> None:
    A = dc.from_numpy(np.ones((3, 5)))
    B = dc.from_numpy(np.ones((5, 4), dtype=np.float32))
    assert repr(A) == "Matrix(3x5, f64) = receiveFromNumpy(array(3x5, float64))"
    assert repr(A @ A.t()) == "Matrix(3x3, f64) = Matrix(3x5, f64) @ Matrix(5x3, f64)"
    assert repr(A @ B) == "Matrix(3x4) = Matrix(3x5, f64) @ Matrix(5x4, f32)"
    assert repr(A.sum()) == "Scalar(f64) = sum(Matrix(3x5, f64))"
    assert repr(A.mean(axis=0)) == "Matrix(3x1, f64) = mean(Matrix(3x5, f64), 0)"
    assert repr(-A[0:2, 1]) == "Matrix(2x1, f64) = -Matrix(2x1, f64)"
    assert repr(dc.seq(1, 3) + 1) == "Matrix = Matrix + 1"
    A.delete()
    assert repr(A) == "Matrix(deleted)"


def test_repr_html_shows_the_plan(dc: DaphneContext) -> None:
    X = dc.from_numpy(np.ones((2, 2)))
    html = ((X + 1) * X)._repr_html_()
    assert "<b>Matrix(2x2, f64) = Matrix(2x2, f64) * Matrix(2x2, f64)</b>" in html
    assert "V1 = V0 + 1;" in html and "V2 = V1 * V0;" in html


def test_asarray_computes(dc: DaphneContext) -> None:
    a = np.arange(6.0).reshape(2, 3)
    X = dc.from_numpy(a)
    out = np.asarray(X * 2)
    assert out.dtype == np.float64 and out.shape == (2, 3)
    np.testing.assert_array_equal(out, a * 2)
    assert np.asarray(X.sum()).item() == 15.0
    assert np.asarray(X, dtype=np.int64).dtype == np.int64
    F = dc.from_pandas(pd.DataFrame({"a": [1, 2], "b": [3, 4]}))
    np.testing.assert_array_equal(np.asarray(F), [[1, 3], [2, 4]])


def test_frame_indexing_error_says_frame(dc: DaphneContext) -> None:
    F = dc.from_pandas(pd.DataFrame({"a": [1], "b": [2]}))
    with pytest.raises(TypeError, match=r"index a frame with two keys, F\[rows, cols\]: "
                                        r"F\[:, 'b'\] selects column 'b'"):
        F["b"]  # type: ignore[index]


def test_context_manager_closes_backend_and_removes_temp_files() -> None:
    with DaphneContext() as dc:
        X = dc.from_numpy(np.ones((2, 2)), shared_memory=False)  # goes through a temp file
        tmpdir = dc._tmpdir
        assert tmpdir is not None and os.path.isdir(tmpdir)
        closed = []
        dc.backend.close = lambda: closed.append(True)  # type: ignore[method-assign]
        dc._close_backend.detach()
        import weakref

        dc._close_backend = weakref.finalize(dc, dc.backend.close)
        assert X.compute().sum() == 4.0
    assert not os.path.exists(tmpdir)
    assert closed == [True]
    dc.close()  # twice is harmless
    assert closed == [True]


def test_copy_notes_go_to_the_logger_and_stdout_only_with_verbose(
        dc: DaphneContext, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    a = np.ones((3, 3))[:, ::2]  # strided: one copy
    with caplog.at_level(logging.INFO, logger="daphnelib"):
        dc.from_numpy(a)
    assert capsys.readouterr().out == ""
    assert [r.getMessage() for r in caplog.records] == [
        "copying array once (not C-contiguous)"]
    dc.from_numpy(a, verbose=True)
    assert capsys.readouterr().out == "daphnelib: copying array once (not C-contiguous)\n"


def test_warnings_point_at_the_users_line(dc: DaphneContext) -> None:
    from daphnelib.engine.valuetypes import carrier_dtype
    from daphnelib.errors import LogicalDtypeWarning
    from daphnelib.interop.numpy import engine_matrix

    # An int16 input's carrier holding a value int16 cannot represent: compute() keeps the
    # engine dtype and warns, at the line that called compute().
    carrier = np.array([[40000, 1]], dtype=np.int32).view(carrier_dtype("int16"))
    X = dc._input_node(engine_matrix(carrier), carrier, True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = X.compute()
    assert out.dtype == np.int32
    assert [w.category for w in caught] == [LogicalDtypeWarning]
    assert (caught[0].filename, caught[0].lineno) == (
        __file__, test_warnings_point_at_the_users_line.__code__.co_firstlineno + 11)


def test_recording_the_users_line_is_cheap(dc: DaphneContext) -> None:
    # A sanity bound, not a benchmark: building a node (which records its origin and infers
    # its shape) stays in the microseconds.
    X = dc.from_numpy(np.ones((2, 2)))
    t0 = time.perf_counter()
    for _ in range(2000):
        X + 1
    per_node = (time.perf_counter() - t0) / 2000
    assert per_node < 500e-6
