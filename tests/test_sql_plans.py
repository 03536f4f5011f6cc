"""The SQL planning passes on fixture files: ``tests/sql_plans/<case>.txt`` holds a query over
the views ``f(a si64, b f64)`` and ``g(a si64, c str)``, the tree after each pass of
``daphnelib.sql.planning.PASSES`` (as DuckDB SQL) and the result labels."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("sqlglot")
pytest.importorskip("pyarrow")

from daphnelib.engine.values import FrameValue
from daphnelib.engine.valuetypes import STRING_DTYPE
from daphnelib.interop.arrow import table_from_frame
from daphnelib.sql import planning
from daphnelib.sql.dialect import parsed

CASES = sorted((Path(__file__).parent / "sql_plans").glob("*.txt"))
VIEWS = {
    "f": FrameValue([np.array([1, 2], dtype=np.int64), np.array([0.5, 1.5])], ["a", "b"]),
    "g": FrameValue([np.array([2, 3], dtype=np.int64),
                     np.array(["x", "y"], dtype=STRING_DTYPE)], ["g.a", "c"]),
}


def _sections(path: Path) -> dict[str, str]:
    """``-- <name>`` lines start sections; the text of each, stripped."""
    out: dict[str, list[str]] = {}
    name = None
    for line in path.read_text().splitlines():
        if line.startswith("-- "):
            name = line[3:].strip()
            out[name] = []
        elif name is not None:
            out[name].append(line)
    return {k: "\n".join(v).strip() for k, v in out.items()}


def test_there_are_fixtures_for_every_pass() -> None:
    assert len(CASES) >= 5
    names = {f"after {step.__name__}" for step in planning.PASSES}
    for case in CASES:
        assert names <= set(_sections(case)), case.name


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_planning_passes(case: Path) -> None:
    want = _sections(case)
    query = want["query"]
    tree = parsed(query)
    views = {n: planning._View.of(n, VIEWS[n], query) for n in VIEWS}
    for k, v in enumerate(views.values()):
        v.arrow = table_from_frame(v.frame, v.columns)
        v.internal = f"__daphnelib_view_{k}"
    st = planning._Planning(query, views)
    for step in planning.PASSES:
        tree = step(tree, st)
        assert tree.sql(dialect="duckdb", identify=True) == want[f"after {step.__name__}"], (
            step.__name__)
    assert " ".join(str(lbl) for lbl in st.labels) == want["labels"]
