"""Progress display: shown on stderr for long runs when enabled, cleared at the end, and
never for short runs or when nobody watches (no terminal)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

LOOP = """
X = fill(1.0, 800, 800);
i = 0;
while (i < $n) {
    X = X @ X / 800.0;
    i = i + 1;
}
print(sum(X));
"""


def run(script: Path, n: int, **env: str) -> subprocess.CompletedProcess[str]:
    # Bytes, decoded by hand: text mode would turn the carriage returns into newlines.
    base = {k: v for k, v in os.environ.items() if not k.startswith("DAPHNELIB_PROGRESS")}
    proc = subprocess.run([sys.executable, "-m", "daphnelib", "run", str(script), f"n={n}"],
                          capture_output=True, timeout=300, env={**base, **env})
    return subprocess.CompletedProcess(proc.args, proc.returncode, proc.stdout.decode(),
                                       proc.stderr.decode())


def test_progress_for_long_runs_only_and_only_when_enabled(tmp_path: Path) -> None:
    script = tmp_path / "loop.daphne"
    script.write_text(LOOP)
    # Sampled every 10 ms, a run of about a second shows progress however fast the machine.
    shown = run(script, 60, DAPHNELIB_PROGRESS="1", DAPHNELIB_PROGRESS_DELAY="0",
                DAPHNELIB_PROGRESS_INTERVAL="0.01")
    assert (shown.returncode, shown.stdout) == (0, "640000\n")
    assert "\rdaphnelib run loop.daphne: 2/6 ops, " in shown.stderr
    assert shown.stderr.endswith("\r"), repr(shown.stderr[-40:])  # the line is cleared
    # Not a terminal: nothing, however long; enabled but short: nothing either.
    assert run(script, 60, DAPHNELIB_PROGRESS_DELAY="0").stderr == ""
    assert run(script, 1, DAPHNELIB_PROGRESS="1").stderr == ""


def test_progress_of_compute_names_compute(tmp_path: Path) -> None:
    code = ("import numpy as np\nfrom daphnelib import DaphneContext\n"
            "dc = DaphneContext()\nX = dc.from_numpy(np.ones((800, 800)))\n"
            "Y = X\nfor _ in range(40):\n    Y = Y @ X / 800.0\nprint(Y.sum().compute())\n")
    env = {**os.environ, "DAPHNELIB_PROGRESS": "1", "DAPHNELIB_PROGRESS_DELAY": "0",
           "DAPHNELIB_PROGRESS_INTERVAL": "0.01"}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=300,
                          env=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == b"640000.0\n"
    # 81 steps: the receive, 40 products, 40 divisions (the last one fused with the sum).
    assert re.search(rb"\rcompute\(\): \d+/81 ops, \d+ s", proc.stderr), proc.stderr
    assert proc.stderr.endswith(b"\r")


def test_bad_progress_settings_are_ignored_with_a_warning_naming_them() -> None:
    code = ("import numpy as np\nfrom daphnelib import DaphneContext\n"
            "dc = DaphneContext()\n"
            "print(dc.from_numpy(np.ones((2, 3))).sum().compute())\n"
            "from daphnelib import progress\nprint(progress.DELAY, progress.INTERVAL)\n")
    for delay, interval in [("abc", "0"), ("-1", "nan"), ("inf", "-0.5"), ("", "1e999")]:
        env = {**os.environ, "DAPHNELIB_PROGRESS": "1", "DAPHNELIB_PROGRESS_DELAY": delay,
               "DAPHNELIB_PROGRESS_INTERVAL": interval}
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              timeout=120, env=env)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout == "6.0\n2.0 0.25\n"
        assert f"ignoring DAPHNELIB_PROGRESS_DELAY={delay!r}: it must be a number >= 0" \
            in proc.stderr
        assert f"ignoring DAPHNELIB_PROGRESS_INTERVAL={interval!r}: it must be a number > 0" \
            in proc.stderr
    env = {**os.environ, "DAPHNELIB_PROGRESS_DELAY": "0", "DAPHNELIB_PROGRESS_INTERVAL": "0.5"}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, env=env)
    assert (proc.stdout, proc.stderr) == ("6.0\n0.0 0.5\n", "")


def test_enabled_follows_the_environment_and_set_progress(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The variable is read on every call (from os.environ's own dict): a change made while
    the process runs counts at the next compute(), and "1"/"0" win over set_progress."""
    from daphnelib import progress

    monkeypatch.delenv("DAPHNELIB_PROGRESS", raising=False)
    try:
        for setting in (True, False):
            progress.set_progress(setting)
            assert progress.enabled() is setting
            monkeypatch.setenv("DAPHNELIB_PROGRESS", "1")
            assert progress.enabled() is True
            monkeypatch.setenv("DAPHNELIB_PROGRESS", "0")
            assert progress.enabled() is False
            monkeypatch.setenv("DAPHNELIB_PROGRESS", "yes")  # not 0/1: the setting decides
            assert progress.enabled() is setting
            monkeypatch.delenv("DAPHNELIB_PROGRESS")
            assert progress.enabled() is setting
    finally:
        progress.set_progress(None)
