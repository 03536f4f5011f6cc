"""``daphnelib compat``: unmodified DaphneLib programs (``import daphne...``) on daphnelib."""

from __future__ import annotations

import subprocess
import sys
import types
from pathlib import Path

import pytest

from daphnelib.compat import aliased

PROGRAM = '''\
import sys

import numpy as np
import pandas as pd

from daphne.context.daphne_context import DaphneContext
from daphne.operator.nodes.matrix import Matrix
from daphne.operator.nodes.frame import Frame
from daphne.operator.nodes.scalar import Scalar
from daphne.script_building.dag import OutputType
import daphne.utils.consts as consts

dc = DaphneContext()
X = dc.from_numpy(np.arange(6, dtype=np.float64).reshape(2, 3))
assert isinstance(X, Matrix) and consts.F64 == 7 and OutputType.MATRIX.name == "MATRIX"
(X * 2 + 1).print().compute()
print((X.sum(1)).compute().tolist())
F = dc.from_pandas(pd.DataFrame({"a": [3, 1, 2]}))
assert isinstance(F, Frame)
print(F.order([0], [True]).compute()["a"].tolist())
s = X.sum()
assert isinstance(s, Scalar)
(out,) = dc.for_loop([X], lambda x, i: x + i, 1, int(sys.argv[1]))
print(out.compute().tolist())
'''


def test_compat_runs_a_daphnelib_program(tmp_path: Path) -> None:
    prog = tmp_path / "prog.py"
    prog.write_text(PROGRAM)
    proc = subprocess.run([sys.executable, "-m", "daphnelib", "compat", str(prog), "3"],
                          capture_output=True, text=True, timeout=120)
    assert proc.stderr == ""
    assert proc.returncode == 0
    assert proc.stdout == (
        "DenseMatrix(2x3, double)\n1 3 5\n7 9 11\n"
        "[[3.0, 5.0, 7.0]]\n[1, 2, 3]\n[[6.0, 7.0, 8.0], [9.0, 10.0, 11.0]]\n")


def test_compat_reports_the_program_exit_status(tmp_path: Path) -> None:
    prog = tmp_path / "fail.py"
    prog.write_text("import daphne.context.daphne_context\nraise SystemExit(4)\n")
    proc = subprocess.run([sys.executable, "-m", "daphnelib", "compat", str(prog)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 4
    prog.write_text("import daphne.no_such_module\n")
    proc = subprocess.run([sys.executable, "-m", "daphnelib", "compat", str(prog)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1 and "No module named 'daphne.no_such_module'" in proc.stderr


def test_aliases_are_the_daphnelib_modules_and_vanish_afterwards() -> None:
    import daphnelib.context.daphne_context as ours

    real = types.ModuleType("daphne")  # an unrelated package already imported
    sys.modules["daphne"] = real
    try:
        with aliased():
            import daphne.context.daphne_context as theirs
            from daphne.operator.nodes.cond import Cond

            assert theirs is ours
            assert Cond.__module__ == "daphnelib.operator.control_flow"
        assert sys.modules["daphne"] is real
        assert "daphne.context" not in sys.modules
    finally:
        del sys.modules["daphne"]
    with pytest.raises(ImportError):
        import daphne.context.daphne_context  # noqa: F401 - no alias outside the block
