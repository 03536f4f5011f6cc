"""Progress of long runs: ``ops done / total`` on stderr, for ``compute()`` and
``daphnelib run``, like DuckDB's progress bar.

Off by default, except where a person watches: stderr is a terminal or the code runs in a
Jupyter kernel. Even then nothing is shown for runs shorter than :data:`DELAY` seconds.
``set_progress(True/False)`` or ``DAPHNELIB_PROGRESS=1/0`` override the default.

The hot path pays two assignments per run: one watcher thread (started on the first run
that has progress enabled) samples the running executor's loop position from its frame every
:data:`INTERVAL` seconds, so kernels and the executor never report anything themselves.
"""

from __future__ import annotations

import math
import os
import sys
import threading
import time
from types import FrameType

from daphnelib._diagnostics import warn


def _seconds(name: str, default: float, *, zero: bool) -> float:
    """``$name`` as seconds; a value that is not one (or is 0 where ``zero`` is False) is
    ignored with a warning naming the variable: a typo there must not stop a computation."""
    text = os.environ.get(name)
    if text is None:
        return default
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if math.isfinite(value) and (value > 0 or (zero and value == 0)):
        return value
    least = "a number >= 0" if zero else "a number > 0"
    warn(f"ignoring {name}={text!r}: it must be {least} of seconds; using {default}",
         RuntimeWarning)
    return default


#: Seconds a run must last before progress appears (``DAPHNELIB_PROGRESS_DELAY``).
DELAY = _seconds("DAPHNELIB_PROGRESS_DELAY", 2.0, zero=True)
#: Seconds between two updates (``DAPHNELIB_PROGRESS_INTERVAL``).
INTERVAL = _seconds("DAPHNELIB_PROGRESS_INTERVAL", 0.25, zero=False)

_setting: bool | None = None
_lock = threading.Lock()
_watcher: threading.Thread | None = None
# The run being watched: (thread id, start time, label), or None between runs.
_current: tuple[int, float, str] | None = None
_shown = 0  # width of the progress line on stderr, 0 when none is shown


def set_progress(enabled: bool | None) -> None:
    """Show progress for long runs (True), never (False), or where a person watches (None).

    Parameters
    ----------
    enabled : bool or None
        None restores the default: on when stderr is a terminal or in a Jupyter kernel.

    Examples
    --------
    >>> from daphnelib.progress import set_progress
    >>> set_progress(False)
    >>> set_progress(None)
    """
    global _setting
    _setting = enabled


# os.environ.get costs a KeyError raised and caught when the variable is unset (~1 us, on
# every compute()); os.environ's own dict, keyed by the encoded name, answers the same
# question with one lookup. os.environ keeps it current on every assignment and deletion.
_ENVIRON: dict[object, object] | None = getattr(os.environ, "_data", None)
try:
    _KEY: object = os.environ.encodekey("DAPHNELIB_PROGRESS")  # type: ignore[attr-defined]
    _ON: object = os.environ.encodevalue("1")  # type: ignore[attr-defined]
    _OFF: object = os.environ.encodevalue("0")  # type: ignore[attr-defined]
except AttributeError:  # an os.environ without them: the public (slower) lookup
    _ENVIRON = None


def enabled() -> bool:
    if _ENVIRON is None:
        env = os.environ.get("DAPHNELIB_PROGRESS")
        if env in ("0", "1"):
            return env == "1"
    else:
        raw = _ENVIRON.get(_KEY)
        if raw == _ON or raw == _OFF:
            return raw == _ON
    if _setting is not None:
        return _setting
    return "ipykernel" in sys.modules or _is_tty(sys.stderr)


_tty: tuple[object, bool] = (None, False)  # (a stream, whether it is a terminal)


def _is_tty(stream: object) -> bool:
    """``stream.isatty()``, asked once per stream object: every compute() checks, and the
    question is a system call."""
    global _tty
    if _tty[0] is not stream:
        _tty = (stream, bool(stream.isatty()))  # type: ignore[attr-defined]
    return _tty[1]


def start(label: str) -> bool:
    """Mark the start of a run on this thread; False (and nothing to stop) when disabled."""
    global _current, _watcher
    if not enabled():
        return False
    if _watcher is None:
        with _lock:
            if _watcher is None:
                _watcher = threading.Thread(target=_watch, name="daphnelib-progress",
                                            daemon=True)
                _watcher.start()
    _current = (threading.get_ident(), time.monotonic(), label)
    return True


def stop() -> None:
    """Mark the end of the run; clears the progress line if one is shown."""
    global _current, _shown
    with _lock:
        _current = None
        if _shown:
            sys.stderr.write("\r" + " " * _shown + "\r")
            sys.stderr.flush()
            _shown = 0


def _position(frame: FrameType | None) -> tuple[int, int] | None:
    """(ops done, ops total) of the outermost executor loop on this stack."""
    found = None
    while frame is not None:
        code = frame.f_code
        # The executor's loop, or a program's generated function (engine.executor.STEPS_FILE).
        if code.co_name == "_steps" and (code.co_filename == "<daphnelib steps>" or code.
                                         co_filename.endswith(os.path.join("engine",
                                                                           "executor.py"))):
            local = frame.f_locals
            steps = getattr(local.get("program"), "steps", None)
            done = local.get("done")
            if isinstance(steps, list) and isinstance(done, int):
                found = (min(done + 1, len(steps)), len(steps))
        frame = frame.f_back
    return found


def _watch() -> None:
    global _shown
    while True:
        time.sleep(INTERVAL)
        current = _current
        if current is None or time.monotonic() - current[1] < DELAY:
            continue
        ident, t0, label = current
        position = _position(sys._current_frames().get(ident))
        if position is None:
            continue
        done, total = position
        text = f"{label}: {done}/{total} ops, {time.monotonic() - t0:.0f} s"
        with _lock:
            if _current is current:  # not finished meanwhile
                sys.stderr.write("\r" + text.ljust(_shown))
                sys.stderr.flush()
                _shown = max(_shown, len(text))
