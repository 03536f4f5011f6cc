"""Assertion helpers shared by the test modules (fixtures live in ``tests/conftest.py``).

Importable as ``support`` because pytest puts ``tests/`` on ``sys.path`` when it loads
``tests/conftest.py`` (the default "prepend" import mode).
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from typing import Any

import numpy as np
import pytest

# pandas.testing.assert_frame_equal options for an exact comparison: values bit for bit,
# index and column index types included.
EXACT = {"check_exact": True, "check_index_type": True, "check_column_type": True}


def assert_matrix(actual: object, expected: np.ndarray) -> None:
    """``actual`` is a 2-D array equal to ``expected`` in dtype, shape and values."""
    assert isinstance(actual, np.ndarray) and actual.ndim == 2, type(actual)
    assert actual.dtype == expected.dtype, (actual.dtype, expected.dtype)
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    np.testing.assert_array_equal(actual, expected)


def run_child(prelude: str, code: str) -> str:
    """stdout of ``prelude`` + ``code`` (dedented) in a fresh interpreter, which must exit 0."""
    proc = subprocess.run([sys.executable, "-c", prelude + textwrap.dedent(code)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def verbose_log_on(backend: Any, script: str, capsys: pytest.CaptureFixture[str]) -> str:
    """Assert a DaphneDSL script prints the same (something, and nothing on stderr) embedded
    and on ``backend``; the verbose log of one more run of it on ``backend``."""
    from daphnelib.dsl.runner import compile_script, execute

    execute(compile_script(script))
    local = capsys.readouterr()
    execute(compile_script(script), backend)
    distributed = capsys.readouterr()
    assert distributed.out == local.out and local.out
    assert distributed.err == local.err == ""
    backend.execute(compile_script(script).program, verbose=True)
    return capsys.readouterr().out


def sql_answer(query: str, views: dict[str, Any]) -> Any:
    """``dc.sql(query).compute()`` over pandas frames registered under their names in a new
    context, or the message of the SQLError it raises."""
    from daphnelib import DaphneContext, SQLError

    dc = DaphneContext()
    for name, df in views.items():
        dc.from_pandas(df).registerView(name)
    try:
        return dc.sql(query).compute()
    except SQLError as exc:
        return f"SQLError: {exc}"


def receive(out: int, arr: np.ndarray) -> Any:
    """The instruction receiving ``arr`` into slot ``out``: a read-only view, as from_numpy
    hands the engine a caller's buffer."""
    from daphnelib.engine.program import Instr, Kind

    view = arr.view()
    view.flags.writeable = False
    return Instr(out, "receiveFromNumpy", (view,), Kind.MATRIX)
