"""daphnelib.errors, the optional-dependency helper, the held-dtype table, fixed faults."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import daphnelib
from daphnelib import DaphneContext, errors
from daphnelib._optional import import_optional
from daphnelib.backends.embedded import EmbeddedBackend
from daphnelib.engine import valuetypes
from daphnelib.engine.values import FrameValue

ROOT = Path(__file__).resolve().parents[1]
# Distributions that provide each optional top-level module.
_PROVIDERS = {
    "torch": {"torch"}, "tensorflow": {"tensorflow", "tensorflow-cpu"}, "pyarrow": {"pyarrow"},
    "duckdb": {"duckdb"}, "sqlglot": {"sqlglot"}, "polars": {"polars"},
    "dask": {"dask"}, "distributed": {"distributed"}, "scipy": {"scipy"},
}


def test_errors_are_exported_from_the_package() -> None:
    for name in errors.__all__:
        assert getattr(daphnelib, name) is getattr(errors, name)
        assert name in daphnelib.__all__
    assert issubclass(daphnelib.SQLError, ValueError)
    assert issubclass(daphnelib.LogicalDtypeWarning, UserWarning)
    assert str(daphnelib.StopExecution("why")) == "system stopped: why"


def _extras() -> dict[str, set[str]]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return {extra: {re.split(r"[<>=!~;\[ ]", req, maxsplit=1)[0].lower() for req in reqs}
            for extra, reqs in project["optional-dependencies"].items()}


def _import_optional_calls() -> list[tuple[str, str, str]]:
    calls = []
    for path in (ROOT / "daphnelib").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "import_optional"
                    and len(node.args) >= 2):
                module, extra = (a.value if isinstance(a, ast.Constant) else None
                                 for a in node.args[:2])
                calls.append((str(path.relative_to(ROOT)), module, extra))
    return calls


def test_every_import_optional_names_an_extra_that_installs_the_module() -> None:
    extras = _extras()
    calls = _import_optional_calls()
    assert len(calls) >= 3
    for where, module, extra in calls:
        if module is None:  # a loop over constants: the module list is checked where it is
            continue
        assert extra in extras, f"{where}: extra {extra!r} is not in pyproject.toml"
        top = module.partition(".")[0]
        assert _PROVIDERS[top] & extras[extra], f"{where}: [{extra}] does not install {top}"


def test_the_sql_extra_installs_everything_sql_imports() -> None:
    assert {"duckdb", "sqlglot", "pyarrow"} <= _extras()["sql"]


def test_import_optional_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # import pyarrow -> ImportError
    with pytest.raises(ImportError, match=r"sql\(\) needs the optional dependency 'pyarrow', "
                                          r"which is not installed: pip install daphnelib\[sql\]"):
        import_optional("pyarrow", "sql", "sql()")
    assert import_optional("numpy", "none") is np


def test_sql_without_pyarrow_fails_at_sql_naming_the_extra(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    with pytest.raises(ImportError, match=r"pip install daphnelib\[sql\]"):
        DaphneContext().sql("SELECT 1")


@pytest.mark.parametrize("dtype", ["?", "i1", "u1", "i4", "u4", "i8", "u8", "f4", "f8",
                                   ">i8", ">f4", "i2", "u2", "f2", ">i2", "U3", "S2"])
def test_held_dtype_table(dtype: str) -> None:
    dt = np.dtype(dtype)
    held = valuetypes.held_dtype(dt)
    expected = {"i2": "i4", "u2": "u4", "f2": "f4", ">i2": "i4"}.get(dtype)
    if dt.kind in "US":
        assert held == valuetypes.STRING_DTYPE
    elif expected is not None:
        assert held == np.dtype(expected)
    else:
        assert held == dt.newbyteorder("=") and held.isnative


@pytest.mark.parametrize("dtype", ["c16", "M8[ns]", "m8[s]", "O", "V4"])
def test_held_dtype_table_refuses(dtype: str) -> None:
    assert valuetypes.held_dtype(np.dtype(dtype)) is None


class _WrongKind(EmbeddedBackend):
    """Returns a frame where a matrix is expected: the internal-error branch of compute()."""

    def execute(self, program: Any, *, verbose: bool = False) -> Any:
        return FrameValue([np.zeros(1)], ["a"])


def test_matrix_compute_internal_error_names_the_value_kind() -> None:
    dc = DaphneContext(backend=_WrongKind())
    with pytest.raises(RuntimeError, match=r"internal error: matrix op '\+' produced FrameValue"):
        (dc.from_numpy(np.ones((1, 1))) + 1.0).compute()
