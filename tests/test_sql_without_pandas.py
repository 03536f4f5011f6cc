"""SQL is Arrow in, Arrow out: it runs in a child interpreter where pandas cannot be imported,
and gives exactly the Arrow table it gives with pandas."""

from __future__ import annotations

import datetime
import math

import pytest

from support import run_child

pa = pytest.importorskip("pyarrow")
pytest.importorskip("duckdb")
pytest.importorskip("sqlglot")

# A finder that refuses pandas (``sys.modules["pandas"] = None`` would break pyarrow, which
# only catches ImportError when it looks for pandas).
BLOCK_PANDAS = """
import importlib.abc, sys
class _NoPandas(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "pandas" or name.startswith("pandas."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None
sys.meta_path.insert(0, _NoPandas())
"""

QUERY = """
import numpy as np
import pyarrow as pa
from daphnelib import DaphneContext
dc = DaphneContext()
f = dc.from_arrow(pa.table({
    "k": pa.array([1, 2, 3], pa.int64()),
    "s": pa.array(["a", None, "c"]),
    "c": pa.array(["x", "y", "x"]).dictionary_encode(),
    "t": pa.array([1, None, 3], pa.timestamp("ms")),
    "m": pa.array([1, None, 3], pa.int32()),
    "h": pa.array([4, 5, 6], pa.int16()),
}))
g = dc.createFrame([dc.from_numpy(np.array([[2], [3], [4]], dtype=np.int64)),
                    dc.from_numpy(np.array([[0.5], [1.5], [2.5]]))], ["k", "w"])
f.registerView("f")
g.registerView("g")
RESULT = dc.sql("SELECT f.k, f.s, f.c, f.t, f.m, f.h, g.w, g.k AS gk, sum(f.k) AS total "
                "FROM f LEFT JOIN g ON f.k = g.k GROUP BY f.k, f.s, f.c, f.t, f.m, f.h, g.w, "
                "g.k ORDER BY f.k").compute(asArrow=True)
"""


def _in_child(code: str) -> str:
    return run_child(BLOCK_PANDAS, code)


def test_sql_runs_without_pandas_and_answers_exactly() -> None:
    out = _in_child(QUERY + """
import sys
sink = pa.BufferOutputStream()
with pa.ipc.new_stream(sink, RESULT.schema) as writer:
    writer.write_table(RESULT)
print(sink.getvalue().to_pybytes().hex())
print("pandas" in sys.modules and sys.modules["pandas"] is not None)
""")
    ipc, pandas_loaded = out.split()
    assert pandas_loaded == "False"
    _check(pa.ipc.open_stream(bytes.fromhex(ipc)).read_all(), pa.string())
    # With pandas the records name pandas dtypes; the answer is the same table, except that
    # categories held as a pandas Index of str come back as large_string.
    scope: dict[str, object] = {}
    exec(QUERY, scope)
    _check(scope["RESULT"], pa.large_string())


def _check(table: pa.Table, categories: pa.DataType) -> None:
    assert table.schema == pa.schema([
        ("f.k", pa.int64()), ("f.s", pa.large_string()),
        ("f.c", pa.dictionary(pa.int8(), categories)), ("f.t", pa.timestamp("ms")),
        ("f.m", pa.int32()), ("f.h", pa.int16()), ("g.w", pa.float64()), ("gk", pa.int64()),
        ("total", pa.int64())])
    ms = datetime.timedelta(milliseconds=1)
    epoch = datetime.datetime(1970, 1, 1)
    got = table.to_pydict()
    w = got.pop("g.w")  # a float null is NaN, a value (as in DAPHNE and DuckDB's DataFrames)
    assert math.isnan(w[0]) and w[1:] == [0.5, 1.5]
    assert got == {
        "f.k": [1, 2, 3], "f.s": ["a", None, "c"], "f.c": ["x", "y", "x"],
        "f.t": [epoch + ms, None, epoch + 3 * ms], "f.m": [1, None, 3], "f.h": [4, 5, 6],
        "gk": [None, 2, 3], "total": [1, 2, 3]}
    assert table.column("f.c").chunk(0).dictionary.to_pylist() == ["x", "y"]


# DuckDB result types the DAPHNE dialect cannot spell (DECIMAL, DATE, INTERVAL, ENUM literals,
# untyped NULL, 128-bit sums): read from DuckDB's Arrow export, they must give exactly what
# DuckDB's own DataFrame export gives.
DUCKDB_QUERIES = [
    "SELECT DATE '2020-01-02' AS d, CAST(NULL AS DATE) AS dn",
    "SELECT INTERVAL 1 MONTH + INTERVAL 2 DAY + INTERVAL 3 SECOND AS i, NULL::INTERVAL AS n",
    "SELECT 1.25::DECIMAL(10, 2) AS dec, NULL::DECIMAL(4, 1) AS dn",
    "SELECT NULL AS n, NULL::INTEGER AS ni, NULL::BOOLEAN AS nb, NULL::DOUBLE AS nd",
    "SELECT 'b'::ENUM('a', 'b') AS e, NULL::ENUM('x') AS en",
    "SELECT TIMESTAMP_NS '2020-01-01 00:00:00.000000001' AS ns, TIMESTAMP_S '2020-01-01' AS s",
    "SELECT TIMESTAMPTZ '2020-01-01 10:00:00+00' AS tz",
    "SELECT * FROM (VALUES (1::SMALLINT, 'x'), (NULL, NULL)) t(h, s)",
    "SELECT * FROM (VALUES ('x')) t(s) WHERE s = 'y'",
    "SELECT sum(x) AS s FROM range(5) r(x)",
]


@pytest.mark.parametrize("query", DUCKDB_QUERIES)
def test_results_read_from_arrow_equal_duckdbs_dataframes(query: str) -> None:
    import duckdb
    import pandas as pd

    from daphnelib.interop.pandas import to_pandas
    from daphnelib.sql import duckdb as engine
    from daphnelib.sql.result import frame_value_from_result

    table = engine.run(query, {})
    value = frame_value_from_result(table, table.column_names, [None] * table.num_columns)
    expected = duckdb.connect().sql(query).df()
    for j in range(expected.shape[1]):  # what run() casts inside DuckDB
        if str(duckdb.connect().sql(query).types[j]).startswith("HUGEINT"):
            expected.isetitem(j, expected.iloc[:, j].astype("int64"))
    pd.testing.assert_frame_equal(to_pandas(value), expected, check_exact=True)


def test_result_types_daphne_cannot_hold_are_named() -> None:
    from daphnelib.sql import duckdb as engine
    from daphnelib.sql.result import frame_value_from_result

    table = engine.run("SELECT TIME '10:00' AS t", {})
    with pytest.raises(TypeError, match=r"column 't' has DuckDB type time64\[us\]"):
        frame_value_from_result(table, ["t"], [None])
