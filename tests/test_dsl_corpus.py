"""Run every ``tests/dsl/*.daphne`` script and compare its stdout with ``<name>.txt``.

Expected outputs follow DAPHNE's print format (spec daphnedsl.md §4) and semantics (§3.10).
A script whose first lines say ``// requires: b1 b2`` needs those builtins' kernels; while
the engine lacks one, the script is an expected failure naming the missing builtin.
``// options: --flag ...`` gives the script DAPHNE command-line options.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from daphnelib.__main__ import run_command

CORPUS = Path(__file__).parent / "dsl"
SCRIPTS = sorted(CORPUS.glob("*.daphne"))
_REQUIRES = re.compile(r"^//\s*requires:\s*(.+)$", re.MULTILINE)
_OPTIONS = re.compile(r"^//\s*options:\s*(.+)$", re.MULTILINE)


def _missing_kernels(source: str) -> list[str]:
    from daphnelib.engine.registry import lookup

    missing = []
    for m in _REQUIRES.finditer(source):
        for name in m.group(1).split():
            try:
                lookup(name)
            except NotImplementedError:
                missing.append(name)
    return missing


def script_options(script: Path) -> list[str]:
    """The command-line options a corpus script asks for (``// options: ...``)."""
    return [o for m in _OPTIONS.finditer(script.read_text()) for o in m.group(1).split()]


def test_corpus_is_complete() -> None:
    assert len(SCRIPTS) >= 15
    for script in SCRIPTS:
        assert script.with_suffix(".txt").is_file(), f"{script.name} has no expected output"


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_script_output(script: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = _missing_kernels(script.read_text())
    if missing:
        pytest.xfail(f"the engine has no kernel for {', '.join(missing)} yet")
    status = run_command([*script_options(script), str(script)])
    out, err = capsys.readouterr()
    assert err == ""
    assert status == 0
    assert out == script.with_suffix(".txt").read_text()
