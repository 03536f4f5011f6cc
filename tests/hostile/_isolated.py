"""Run code that could kill the interpreter in a child process.

A crash (segfault, abort) in the child shows up as a negative return code instead of taking
the test run down with it. The child prints one line per case; the parent compares them.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

_ROOT = str(Path(__file__).resolve().parents[2])


def run_isolated(code: str, timeout: float = 300) -> list[str]:
    """Run ``code`` in a fresh interpreter (this checkout first on sys.path); return its
    stdout lines. Fails the test on a signal or a non-zero exit, showing stderr's tail."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [_ROOT, *filter(None, [os.environ.get("PYTHONPATH")])]),
        TF_CPP_MIN_LOG_LEVEL="3")
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, timeout=timeout, env=env, cwd=_ROOT)
    assert proc.returncode >= 0, f"killed by signal {-proc.returncode}:\n{proc.stderr[-3000:]}"
    assert proc.returncode == 0, f"exit {proc.returncode}:\n{proc.stderr[-3000:]}"
    return proc.stdout.splitlines()


# Child-side helper, pasted at the top of a child script: one line per case, naming the
# exception class (a clean Python exception is an acceptable outcome of hostile input).
OUTCOME = '''
def outcome(name, fn):
    try:
        result = fn()
    except Exception as exc:
        print(f"{name}: {type(exc).__name__}: {exc}", flush=True)
    else:
        print(f"{name}: ok {result}", flush=True)
'''
