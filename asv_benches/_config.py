"""What the benchmark modules share: the quick mode and memory probes.

``DAPHNELIB_BENCH_QUICK=1`` (``make bench-quick`` sets it) drops the parameters whose inputs
are giant (more than ``GIANT_BYTES``: the 1e8-element and 1 GiB cases), so the smoke test
that CI runs stays short; ``make bench`` runs every parameter.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")

QUICK = os.environ.get("DAPHNELIB_BENCH_QUICK", "") not in ("", "0")
GIANT_BYTES = 256 * 2**20
MiB = 2**20


def unless_giant(values: Sequence[T], nbytes: Callable[[T], int]) -> list[T]:
    """``values``, without those whose input exceeds ``GIANT_BYTES`` in quick mode."""
    return [v for v in values if not QUICK or nbytes(v) <= GIANT_BYTES]


def _status_bytes(field: str) -> int:
    with open("/proc/self/status") as f:
        m = re.search(rf"^{field}:\s+(\d+) kB", f.read(), re.M)
    if m is None:
        raise NotImplementedError(f"/proc/self/status has no {field}")
    return int(m.group(1)) * 1024


def extra_peak_mib(fn: Callable[[], object]) -> float:
    """How far the resident set rises above its level before ``fn()`` while it runs, in MiB
    (Linux: the peak is reset through /proc/self/clear_refs). Data that ``fn`` copies counts;
    memory it only views does not."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # resets VmHWM, the peak resident set, to the current one
    except OSError:
        raise NotImplementedError("needs Linux /proc/self/clear_refs") from None
    before = _status_bytes("VmRSS")
    result = fn()
    peak = _status_bytes("VmHWM")
    del result
    return (peak - before) / MiB


def require_size(nbytes: int, cap: int) -> None:
    """Skip (asv shows n/a) a parameter combination whose input is over ``cap`` bytes, or
    giant in quick mode."""
    if nbytes > cap:
        raise NotImplementedError(f"input of {nbytes / MiB:,.0f} MiB is over the cap")
    if QUICK and nbytes > GIANT_BYTES:
        raise NotImplementedError("giant input: skipped in quick mode")
