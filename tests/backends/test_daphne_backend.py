"""The ``daphne`` backend end to end through the libdaphnelib test double: script rendering,
the script file, ``daphne()``, the C++ result record returned by value, the Cython reader.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest

import daphnelib
from daphnelib import DaphneContext
from daphnelib._native.foreign import StringResultError, foreign_result
from daphnelib.backends.daphne import CONFIG_KEYS, DaphneBackend, DaphneRunError, find_library
from daphnelib.engine.program import Instr, Kind, Program, Var
from daphnelib.engine.valuetypes import STRING_DTYPE
from support import EXACT

runner = pytest.importorskip("backends.libdaphnelib_double.runner")
ROOT = os.path.dirname(os.path.dirname(daphnelib.__file__))


@pytest.fixture
def backend(daphne_lib_dir: str) -> DaphneBackend:
    return DaphneBackend(daphne_lib_dir)


def run(backend: DaphneBackend, node: object, **kwargs: object) -> object:
    return backend.execute(node._lower(), **kwargs)  # type: ignore[attr-defined]


# -- finding and loading the library ----------------------------------------------------------

def test_library_from_environment(daphne_lib_dir: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DAPHNELIB_DIR_PATH", daphne_lib_dir)
    assert find_library() == daphne_lib_dir
    monkeypatch.delenv("DAPHNELIB_DIR_PATH")
    monkeypatch.setenv("LD_LIBRARY_PATH", os.pathsep.join(["/nonexistent", daphne_lib_dir]))
    assert find_library() == daphne_lib_dir


def test_missing_library_names_the_options(tmp_path: os.PathLike[str],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DAPHNELIB_DIR_PATH", raising=False)
    monkeypatch.delenv("LD_LIBRARY_PATH", raising=False)
    with pytest.raises(FileNotFoundError, match=r"daphne_lib_dir=.*DAPHNELIB_DIR_PATH"):
        find_library()
    missing = re.escape(f"no libdaphnelib.so found in {tmp_path}")
    with pytest.raises(FileNotFoundError, match=missing):
        DaphneBackend(tmp_path)


def test_library_without_kernels_is_refused(daphne_lib_dir: str, tmp_path: os.PathLike[str]
                                            ) -> None:
    os.symlink(os.path.join(daphne_lib_dir, "libdaphnelib.so"),
               os.path.join(tmp_path, "libdaphnelib.so"))
    with pytest.raises(FileNotFoundError, match=r"not libAllKernels\.so"):
        DaphneBackend(tmp_path)


# -- matrices -------------------------------------------------------------------------------

def test_input_passed_through_is_a_read_only_view_of_the_caller(backend: DaphneBackend) -> None:
    a = np.arange(12.0).reshape(3, 4)
    out = run(backend, DaphneContext().from_numpy(a))
    assert out.ctypes.data == a.ctypes.data
    assert not out.flags.writeable
    np.testing.assert_array_equal(out, a, strict=True)


def test_computed_result_views_the_library_memory(backend: DaphneBackend) -> None:
    a = np.arange(12, dtype=np.int32).reshape(3, 4)
    X = DaphneContext().from_numpy(a)
    out = run(backend, (X + 1).t())
    np.testing.assert_array_equal(out, (a + 1).T.astype(np.int64), strict=True)
    assert out.flags.writeable and not np.shares_memory(out, a)
    assert out.ctypes.data == runner._KEPT[-1].ctypes.data  # the buffer the double saved


def test_copy_true_owns_its_buffers(daphne_lib_dir: str) -> None:
    backend = DaphneBackend(daphne_lib_dir, copy=True)
    X = DaphneContext().from_numpy(np.arange(6.0).reshape(2, 3))
    out = run(backend, X * 2)
    saved = [k for k in runner._KEPT if isinstance(k, np.ndarray)]
    assert not any(np.shares_memory(out, k) for k in saved)
    np.testing.assert_array_equal(out, np.arange(6.0).reshape(2, 3) * 2, strict=True)
    assert out.ctypes.data % 64 == 0
    frame = run(backend, DaphneContext().from_pandas(pd.DataFrame({"a": [1, 2]})))
    saved = [k for k in runner._KEPT if isinstance(k, np.ndarray)]
    assert frame.labels == ["a"] and not any(np.shares_memory(frame.columns[0], k)
                                             for k in saved)
    np.testing.assert_array_equal(frame.columns[0], np.array([1, 2]), strict=True)


def test_scalar_results(backend: DaphneBackend) -> None:
    X = DaphneContext().from_numpy(np.arange(12, dtype=np.int64).reshape(3, 4))
    total = run(backend, X.sum())
    assert total == 66 and isinstance(total, np.int64)
    assert run(backend, X.mean()) == np.float64(5.5)


def test_strided_input_is_copied_once_and_said(backend: DaphneBackend,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    """from_numpy packs strided arrays itself; an engine buffer can still be strided (a
    program built by other means), and DAPHNE's record has no strides."""
    a = np.arange(20.0).reshape(4, 5)[:, ::2]
    program = Program((Instr(0, "receiveFromNumpy", (a,), Kind.MATRIX),))
    out = backend.execute(program, verbose=True)
    np.testing.assert_array_equal(out, a, strict=True)
    assert not np.shares_memory(out, a)
    assert "copying an input matrix once" in capsys.readouterr().out


@pytest.mark.parametrize("dtype", [np.int8, np.uint8, np.int32, np.uint32, np.int64,
                                   np.uint64, np.float32, np.float64])
def test_every_value_type_round_trips(backend: DaphneBackend, dtype: type) -> None:
    a = np.array([[0, 1, 2], [3, 4, 127]], dtype=dtype)
    out = run(backend, DaphneContext().from_numpy(a).reshape(3, 2))
    np.testing.assert_array_equal(out, a.reshape(3, 2), strict=True)


def test_bool_travels_as_ui8_and_comes_back_as_bool(backend: DaphneBackend) -> None:
    a = np.array([[True, False, True]])
    X = DaphneContext().from_numpy(a)
    assert "receiveFromNumpy" in X.script() and ", 3);" in X.script().split("\n")[0]
    out = run(backend, X)
    np.testing.assert_array_equal(out, a, strict=True)
    np.testing.assert_array_equal(run(backend, X + 1), np.array([[2, 1, 2]]), strict=True)


def test_strings_go_through_files_both_ways(backend: DaphneBackend) -> None:
    a = np.array([["a", "é漢"], ["", "x,y \"q\""]], dtype=STRING_DTYPE)
    X = DaphneContext().from_numpy(a)
    out = run(backend, X + "!")
    np.testing.assert_array_equal(out, np.strings.add(a, "!"), strict=True)


def test_reader_refuses_std_string_data(backend: DaphneBackend) -> None:
    """What DAPHNE returns for strings is std::string objects: never read as characters."""
    status = backend._lib.daphne(backend.lib_dir.encode(), _script(backend, (
        'saveDaphneLibResult(fill("abc", 2, 1));')).encode())
    assert status == 0
    with pytest.raises(StringResultError, match="std::string"):
        foreign_result(backend._get_result)


def test_string_scalar_comes_back_through_a_file(backend: DaphneBackend) -> None:
    a = np.array([["héllo"]], dtype=STRING_DTYPE)
    program = Program((Instr(0, "receiveFromNumpy", (a,), Kind.MATRIX),
                       Instr(1, "as.scalar", (Var(0),), Kind.SCALAR)))
    out = backend.execute(program)
    assert out == "héllo" and type(out) is str


def _script(backend: DaphneBackend, text: str) -> str:
    path = os.path.join(backend._dir(), "handmade.daphne")
    with open(path, "w", encoding="utf-8") as f:
        f.write(text + "\n")
    return path


# -- frames ---------------------------------------------------------------------------------

def test_frame_round_trip_keeps_labels_dtypes_and_pandas_types(backend: DaphneBackend) -> None:
    df = pd.DataFrame({"a": np.array([3, 1, 2], np.int16), "b": [1.5, 2.5, 3.5],
                       "c": pd.Categorical(["x", "y", "x"]), "d": [True, False, True]})
    dc = DaphneContext()
    F = dc.from_pandas(df)
    value = run(backend, F.order([0], [True]))
    assert value.labels == ["a", "b", "c", "d"]
    assert value.columns[3].dtype == np.bool_  # sent as ui8, restored by label
    from daphnelib.interop.pandas import to_pandas

    out = to_pandas(value)
    pd.testing.assert_frame_equal(out.reset_index(drop=True),
                                  df.sort_values("a").reset_index(drop=True), **EXACT)


def test_frame_with_missing_values_is_refused(backend: DaphneBackend) -> None:
    df = pd.DataFrame({"a": pd.array([1, None, 3], dtype="Int64")})
    with pytest.raises(ValueError, match="column 'a' has missing values"):
        run(backend, DaphneContext().from_pandas(df))


def test_frame_with_strings_goes_through_files(backend: DaphneBackend) -> None:
    df = pd.DataFrame({"s": ["b", "a", "c"], "n": [2, 1, 3]})
    value = run(backend, DaphneContext().from_pandas(df).order([1], [True]))
    assert value.labels == ["s", "n"]
    np.testing.assert_array_equal(value.columns[0], np.array(["a", "b", "c"], STRING_DTYPE))
    np.testing.assert_array_equal(value.columns[1], np.array([1, 2, 3]), strict=True)


# -- errors and flags -----------------------------------------------------------------------

def test_failing_script_raises_status_message_and_builtin(backend: DaphneBackend) -> None:
    dc = DaphneContext()
    # seq's shape is known only when it runs, so the mismatch fails in DAPHNE, not at build.
    X, Y = dc.seq(1.0, 3.0), dc.from_numpy(np.ones((2, 2)))
    with pytest.raises(DaphneRunError, match=r"builtin '@' \(status 3, execution error\)"
                       ) as info:
        run(backend, X @ Y)
    assert info.value.status == 3 and "number of columns" in info.value.message
    assert isinstance(info.value, RuntimeError)  # what DaphneLib raises


def test_a_failure_leaves_the_next_run_intact(backend: DaphneBackend) -> None:
    dc = DaphneContext()
    with pytest.raises(DaphneRunError):
        run(backend, dc.seq(1.0, 3.0) @ dc.from_numpy(np.ones((2, 2))))
    out = run(backend, dc.from_numpy(np.ones((2, 2))) * 3)
    np.testing.assert_array_equal(out, np.full((2, 2), 3.0), strict=True)


def test_flags_reach_daphne_as_arguments(daphne_lib_dir: str) -> None:
    flags = ["--vec", "--num-threads=4", "--select-matrix-repr"]
    backend = DaphneBackend(daphne_lib_dir, flags=flags)
    run(backend, DaphneContext().from_numpy(np.ones((2, 2))) + 1)
    assert runner.LAST_ARGV[:3] == ["daphne", "--libdir", daphne_lib_dir]
    assert runner.LAST_ARGV[3:6] == flags
    assert runner.LAST_ARGV[-1].endswith("script.daphne")


def test_flags_reach_daphne_as_a_user_config(daphne_lib_dir: str) -> None:
    backend = DaphneBackend(daphne_lib_dir, flags=["--vec", "--num-threads=4"],
                            flags_via="config")
    run(backend, DaphneContext().from_numpy(np.ones((2, 2))) + 1)
    assert runner.LAST_CONFIG == {"use_vectorized_exec": True, "numberOfThreads": 4}
    assert runner.LAST_ARGV[3].startswith("--config=")
    backend = DaphneBackend(daphne_lib_dir, flags=["--no-obj-ref-mgnt"], flags_via="config")
    run(backend, DaphneContext().from_numpy(np.ones((1, 1))))
    assert runner.LAST_CONFIG == {"use_obj_ref_mgnt": False}


def test_flags_without_config_key_are_refused_for_config(daphne_lib_dir: str) -> None:
    with pytest.raises(ValueError, match=r"--select-matrix-repr.*flags_via='argv'"):
        DaphneBackend(daphne_lib_dir, flags=["--select-matrix-repr"], flags_via="config")
    with pytest.raises(ValueError, match="integer"):
        DaphneBackend(daphne_lib_dir, flags=["--num-threads=many"], flags_via="config")
    with pytest.raises(ValueError, match="'argv' or 'config'"):
        DaphneBackend(daphne_lib_dir, flags_via="env")  # type: ignore[arg-type]
    assert "--vec" in CONFIG_KEYS


def test_unknown_flag_is_daphnes_parser_error(daphne_lib_dir: str) -> None:
    backend = DaphneBackend(daphne_lib_dir, flags=["--no-such-flag"])
    with pytest.raises(DaphneRunError, match=r"status 1, parser error.*--no-such-flag"):
        run(backend, DaphneContext().from_numpy(np.ones((1, 1))))


def test_results_outlive_the_backend_in_a_fresh_interpreter(daphne_lib_dir: str) -> None:
    """Views of DAPHNE's memory stay valid after more runs and until the process exits."""
    code = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {os.path.dirname(os.path.dirname(__file__))!r})
        import numpy as np
        from daphnelib import DaphneContext
        from daphnelib.backends.daphne import DaphneBackend
        b = DaphneBackend({daphne_lib_dir!r})
        X = DaphneContext().from_numpy(np.arange(4.0).reshape(2, 2))
        first = b.execute((X + 1)._lower())
        for _ in range(20):
            b.execute((X * 2)._lower())
        b.close()
        del b
        assert first.tolist() == [[1.0, 2.0], [3.0, 4.0]], first
        print("ok")
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": ROOT}, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


# -- through DaphneContext ----------------------------------------------------------------------

def test_context_runs_on_daphne_with_options(daphne_lib_dir: str) -> None:
    dc = DaphneContext(backend="daphne", daphne_lib_dir=daphne_lib_dir, flags=["--vec"])
    assert isinstance(dc.backend, DaphneBackend) and dc.backend.flags == ["--vec"]
    a = np.arange(6.0).reshape(2, 3)
    X = dc.from_numpy(a)
    np.testing.assert_array_equal(((X - X.mean()) * 2).compute(), (a - a.mean()) * 2,
                                  strict=True)
    assert X.nrow().compute() == np.uint64(2)
    assert runner.LAST_ARGV[3] == "--vec"
    df = dc.from_pandas(pd.DataFrame({"k": [2, 1]})).order([0], [True]).compute()
    pd.testing.assert_frame_equal(df, pd.DataFrame({"k": [1, 2]}), **EXACT)
    with pytest.raises(TypeError):
        DaphneContext(backend="daphne", daphne_lib_dir=daphne_lib_dir, threads=4)
