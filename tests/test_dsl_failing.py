"""DaphneDSL scripts that DAPHNE rejects, each at its stage: ``tests/dsl/failing/*.daphne``.

The first line of a script is ``// exit: <status> <text the error line contains>``, and
``<name>.txt`` is its exact stdout. A script refused before running (status 1 or 2) prints
nothing, though its first statements are prints; one that fails while running (3) prints
what came before the failure. Scripts run in an empty working directory, which must stay
empty: a refused ``write`` writes nothing.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from daphnelib.__main__ import run_command

FAILING = Path(__file__).parent / "dsl" / "failing"
SCRIPTS = sorted(FAILING.glob("*.daphne"))
_HEADER = re.compile(r"^// exit: ([123]) ?(.*)$")


def test_failing_corpus_is_complete() -> None:
    assert len(SCRIPTS) >= 15
    for script in SCRIPTS:
        assert _HEADER.match(script.read_text().splitlines()[0]), script.name
        assert script.with_suffix(".txt").is_file(), f"{script.name} has no expected output"


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_failing_script(script: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                        capsys: pytest.CaptureFixture[str]) -> None:
    status, text = _HEADER.match(script.read_text().splitlines()[0]).groups()
    monkeypatch.chdir(tmp_path)
    assert run_command([str(script)]) == int(status)
    out, err = capsys.readouterr()
    assert out == script.with_suffix(".txt").read_text()
    if text:
        stage = {"1": "Parser error", "2": "Compile error", "3": "Execution error"}[status]
        assert err.startswith(f"[error]: {stage}: {script}:")
        assert text.split(": ", 1)[1] in err
    else:  # stop(): DAPHNE's line is on stdout, nothing on stderr
        assert err == ""
    assert list(tmp_path.iterdir()) == []
