"""daphnelib.sql as a package: a query is parsed once, and its parse tree is never changed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("sqlglot")
pytest.importorskip("duckdb")
import sqlglot

from daphnelib import DaphneContext
from daphnelib.sql import dialect


def test_a_query_is_parsed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    dialect._shared.cache_clear()  # parses are kept per query text (another test may have run it)
    calls = []
    real = sqlglot.parse
    monkeypatch.setattr(sqlglot, "parse", lambda *a, **k: calls.append(a[0]) or real(*a, **k))
    dc = DaphneContext()
    dc.from_pandas(pd.DataFrame({"a": [3, 1, 2]})).registerView("f")
    node = dc.sql("SELECT f.a FROM f WHERE f.a > 1 ORDER BY f.a")
    out = node.compute()
    assert out["f.a"].tolist() == [2, 3]
    node.compute()  # cached program: no new parse either
    assert calls == ["SELECT f.a FROM f WHERE f.a > 1 ORDER BY f.a"]


def test_planning_works_on_a_copy_of_the_tree() -> None:
    query = dialect.check_query("SELECT * FROM f, g")
    before = query.tree.sql()
    copy = dialect.parsed(query)
    copy.set("expressions", [])
    assert query.tree.sql() == before and copy is not query.tree
    assert query == "SELECT * FROM f, g" and isinstance(query, str)


def test_the_node_program_carries_the_parsed_query() -> None:
    dc = DaphneContext()
    dc.from_numpy(np.ones((2, 1))).asType("frame").registerView("f")
    node = dc.sql("SELECT f.col_0 FROM f")
    instr = node._lowered().result
    assert instr.op == "sql" and isinstance(instr.args[0], dialect.Query)
    assert 'sql("SELECT f.col_0 FROM f"' in node.script()
