"""Fixtures shared by the test modules, and the conformance summary at the end of a run.

The generated conformance modules (``tests/conformance/test_*.py``) carry the marker
``conformance(family)``; after the run one line per family reports how many cases ran,
passed, failed and were skipped, with the skip reasons (e.g. an optional library missing).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import settings

from daphnelib import DaphneContext

# Hypothesis' per-example deadline is a timing assertion; on a shared 2-core machine it fails
# at random, so properties check values only (speed lives in the benchmarks).
settings.register_profile("daphnelib", deadline=None)
settings.load_profile("daphnelib")

_FAMILY_OF: dict[str, str] = {}  # node id -> conformance family of the collected items


@pytest.fixture
def dc() -> DaphneContext:
    return DaphneContext()


@pytest.fixture
def pandas_copy_on_write() -> Iterator[None]:
    """pandas 3 semantics under pandas 2.2 too: results never alias an input frame's data
    behind its back. Modules opt in with ``pytest.mark.usefixtures``."""
    import pandas as pd

    if pd.__version__ < "3":
        with pd.option_context("mode.copy_on_write", True):
            yield
    else:
        yield


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "conformance(family): a generated conformance case of that family")


def pytest_collection_finish(session: pytest.Session) -> None:
    _FAMILY_OF.clear()
    for item in session.items:
        marker = item.get_closest_marker("conformance")
        if marker is not None:
            _FAMILY_OF[item.nodeid] = marker.args[0]


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr: Any = report.longrepr
    reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
    return reason.removeprefix("Skipped: ")


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not _FAMILY_OF:
        return
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    reasons: dict[str, Counter[str]] = defaultdict(Counter)
    for family in _FAMILY_OF.values():
        counts[family]["cases"] += 1
    # One outcome per case: a failed or skipped setup/teardown counts like a failed call.
    for outcome in ("passed", "failed", "skipped", "error", "xfailed", "xpassed"):
        for report in terminalreporter.stats.get(outcome, ()):
            family = _FAMILY_OF.get(getattr(report, "nodeid", ""))
            if family is None or (outcome == "passed" and report.when != "call"):
                continue
            counts[family][outcome] += 1
            if outcome == "skipped":
                reasons[family][_skip_reason(report)] += 1
    terminalreporter.section("conformance summary", sep="-")
    for family in sorted(counts):
        c = counts[family]
        parts = [f"{c['cases']} cases", f"{c['passed']} passed"]
        parts += [f"{c[k]} {k}" for k in ("failed", "error", "xfailed", "xpassed") if c[k]]
        if c["skipped"]:
            why = "; ".join(f"{n}x {r}" for r, n in reasons[family].most_common())
            parts.append(f"{c['skipped']} skipped ({why})")
        not_run = c["cases"] - sum(c[k] for k in c if k != "cases")
        if not_run > 0:
            parts.append(f"{not_run} not run")
        terminalreporter.write_line(f"{family}: {', '.join(parts)}")
