"""DaphneLib programs and their DaphneDSL twins (``tests/twins/<name>.py`` and ``.daphne``)
print the same thing, checked the way DAPHNE's own DaphneLib tests check their pairs: both
run in a fresh interpreter (``python <name>.py args`` and ``python -m daphnelib run
<name>.daphne args``), both exit 0 with an empty stderr, and their stdouts are equal byte for
byte, or, for the pairs DAPHNE compares as scalars, line by line as numbers within 0.1.

A new pair must be listed in TWINS (checked below).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

TWIN_DIR = Path(__file__).parent / "twins"
ROOT = Path(__file__).resolve().parent.parent

# name -> (comparison, script arguments per run, optional modules the Python twin needs)
TWINS: dict[str, tuple[str, tuple[tuple[str, ...], ...], tuple[str, ...]]] = {
    "data_transfer_numpy": ("bytes", ((),), ()),
    "data_transfer_pandas": ("bytes", ((),), ()),
    "data_transfer_torch": ("bytes", ((),), ("torch",)),
    "data_transfer_tensorflow": ("bytes", ((),), ("tensorflow",)),
    "frame_ops": ("bytes", ((),), ()),
    "indexing_and_casts": ("bytes", ((),), ()),
    "data_generation": ("bytes", ((),), ()),
    "random_matrix": ("bytes", ((),), ()),
    "scalar_ops": ("bytes", ((),), ()),
    "matrix_ops": ("bytes", ((),), ()),
    "control_flow": ("bytes", (("param=3.8",), ("param=0.1",)), ()),
    "user_function": ("bytes", (("param=0",), ("param=1",), ("param=2",)), ()),
    "sql_and_joins": ("bytes", ((),), ("duckdb", "sqlglot")),
    "numpy_matrix_ops": ("scalar", ((),), ()),
}
CASES = [pytest.param(name, args, id="-".join((name, *args)))
         for name, (_, runs, _) in TWINS.items() for args in runs]
SCALAR_TOLERANCE = 0.1  # DAPHNE's epsilon for its scalar pairs


def _run(cmd: list[str]) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env, cwd=ROOT)


def _numbers_agree(lib: str, dsl: str) -> bool:
    a, b = lib.splitlines(), dsl.splitlines()
    return len(a) == len(b) and all(abs(float(x) - float(y)) < SCALAR_TOLERANCE
                                    for x, y in zip(a, b, strict=True))


def test_every_twin_is_listed_and_complete() -> None:
    names = {p.stem for p in TWIN_DIR.iterdir() if p.suffix in (".py", ".daphne")}
    assert names == set(TWINS)
    for name in names:
        assert (TWIN_DIR / f"{name}.py").is_file() and (TWIN_DIR / f"{name}.daphne").is_file()


def test_scalar_comparison_can_fail() -> None:
    assert _numbers_agree("21.0\n1.70782\n", "21\n1.7\n")
    assert not _numbers_agree("21.0\n", "21.2\n")
    assert not _numbers_agree("1\n2\n", "1\n")


@pytest.mark.parametrize(("name", "args"), CASES)
def test_daphnelib_program_prints_what_its_daphnedsl_twin_prints(name: str,
                                                                 args: tuple[str, ...]) -> None:
    mode, _, needs = TWINS[name]
    for module in needs:
        pytest.importorskip(module)
    lib = _run([sys.executable, str(TWIN_DIR / f"{name}.py"), *args])
    dsl = _run([sys.executable, "-m", "daphnelib", "run", str(TWIN_DIR / f"{name}.daphne"),
                *args])
    assert (lib.returncode, lib.stderr) == (0, ""), lib.stderr
    assert (dsl.returncode, dsl.stderr) == (0, ""), dsl.stderr
    assert lib.stdout, "the DaphneLib program printed nothing"
    if mode == "bytes":
        assert lib.stdout == dsl.stdout
    else:
        assert _numbers_agree(lib.stdout, dsl.stdout), (lib.stdout, dsl.stdout)
