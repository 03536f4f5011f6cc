"""SQL over registered views: DAPHNE's examples with their exact output, DAPHNE's labels and
row order, answers equal to DuckDB's on the same data, SQL beyond DAPHNE, NULLs, logical
dtypes, view scoping, errors and escaping."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from daphnelib import DaphneContext, SQLError


@pytest.fixture
def dc() -> DaphneContext:
    return DaphneContext()


def frame(dc, **cols):
    """createFrame over n x 1 matrices, as DAPHNE's examples build their views."""
    return dc.createFrame([dc.from_numpy(np.asarray(v)) for v in cols.values()], list(cols))


def printed(node, capsys) -> str:
    node.print().compute()
    return capsys.readouterr().out


# ---------------------------------------------------------------------------------------------
# DAPHNE's examples (spec §6.3), byte for byte
# ---------------------------------------------------------------------------------------------

def test_group_by_sum(dc, capsys):
    frame(dc, a=[1, 1, 1], b=[1, 2, 3]).registerView("f")
    out = printed(dc.sql("SELECT f.a, sum(f.b) FROM f GROUP BY f.a;"), capsys)
    assert out == "Frame(1x2, [f.a:int64_t, sum(f.b):int64_t])\n1 6\n"


def test_avg(dc, capsys):
    frame(dc, a=np.arange(10)).registerView("f")
    assert printed(dc.sql("SELECT avg(f.a) FROM f;"), capsys) == (
        "Frame(1x1, [avg(f.a):double])\n4.5\n")


def test_distinct_sorted(dc, capsys):
    frame(dc, a=[0, 1, 2, 2, 3, 3, 6, 3, 8, 2]).registerView("f")
    assert printed(dc.sql("SELECT DISTINCT f.a FROM f;"), capsys) == (
        "Frame(6x1, [f.a:int64_t])\n0\n1\n2\n3\n6\n8\n")


def test_between_strings(dc, capsys):
    dc.from_pandas(pd.DataFrame({"a": [0, 2, 7, 5, 1], "b": ["a", "b", "c", "e", "d"]})
                   ).registerView("f")
    assert printed(dc.sql("SELECT f.a FROM f WHERE f.b BETWEEN 'b' AND 'd';"), capsys) == (
        "Frame(3x1, [f.a:int64_t])\n2\n7\n1\n")
    assert printed(dc.sql("SELECT f.a, f.b FROM f WHERE f.b = \"c\";"), capsys) == (
        "Frame(1x2, [f.a:int64_t, f.b:std::string])\n7 c\n")


def test_theta_join_is_lhs_major(dc, capsys):
    frame(dc, a=[1, 2, 3], b=[10, 20, 30]).registerView("lhs")
    frame(dc, a=[4, 2, 3], b=[0.5, 1.5, 2.5]).registerView("rhs")
    out = printed(dc.sql("SELECT lhs.a, lhs.b, rhs.a, rhs.b FROM lhs JOIN rhs ON lhs.a < rhs.a;"),
                  capsys)
    assert out == ("Frame(6x4, [lhs.a:int64_t, lhs.b:int64_t, rhs.a:int64_t, rhs.b:double])\n"
                   "1 10 4 0.5\n1 10 2 1.5\n1 10 3 2.5\n2 20 4 0.5\n2 20 3 2.5\n"
                   "3 30 4 0.5\n")


def test_constant_expression_label(dc, capsys):
    frame(dc, a=[1]).registerView("r")
    assert printed(dc.sql("SELECT 1 * 2.5 FROM r;"), capsys) == (
        "Frame(1x1, [1*2.5:double])\n2.5\n")


def test_three_way_join_group_order(dc, capsys):
    # The shape of DAPHNE's columnar_7: INNER JOINs, WHERE with AND/OR and a string
    # equality, GROUP BY with an aliased sum(expr), ORDER BY.
    frame(dc, k=[0, 1, 0, 1, 1], x=[10, 20, 5, 30, 50], d=[0, 1, 0, 1, 2]).registerView("f")
    dc.from_pandas(pd.DataFrame({"id": [0, 1, 2], "name": ["n0", "n1", "n2"]})
                   ).registerView("dim")
    frame(dc, id=[0, 1, 2], w=[2, 1, 1]).registerView("g")
    q = ("SELECT f.k AS key, sum(f.x * g.w) AS agg FROM f INNER JOIN dim ON f.d = dim.id "
         "JOIN g ON f.d = g.id WHERE (dim.name = 'n0' AND f.x > 4) OR dim.name = 'n1' "
         "GROUP BY f.k ORDER BY f.k")
    assert printed(dc.sql(q), capsys) == "Frame(2x2, [key:int64_t, agg:int64_t])\n0 30\n1 50\n"


def test_select_star_labels_every_column_with_its_table(dc, capsys):
    frame(dc, a=[1, 2]).registerView("x")
    frame(dc, b=[7]).registerView("y")
    assert printed(dc.sql("SELECT * FROM x, y;"), capsys) == (
        "Frame(2x2, [x.a:int64_t, y.b:int64_t])\n1 7\n2 7\n")
    assert printed(dc.sql("SELECT q.* FROM x AS q;"), capsys) == (
        "Frame(2x1, [q.a:int64_t])\n1\n2\n")


def test_labels_keep_the_expression_text(dc):
    frame(dc, a=[3, 1], b=[4, 5]).registerView("f")
    out = dc.sql("SELECT SUM(f.a), max( f.b ) , sum(f.a+f.b) AS s, count(*) FROM f").compute()
    assert list(out.columns) == ["SUM(f.a)", "max(f.b)", "s", "count(*)"]
    rows = dc.sql("SELECT f.a + f.b, f.a * -2, (f.a) FROM f").compute()
    assert list(rows.columns) == ["f.a+f.b", "f.a*-2", "(f.a)"]


def test_group_by_star_and_aggregate_types(dc):
    frame(dc, a=np.array([2, 1, 2], dtype=np.int32), b=np.array([1.5, 2.5, 3.5], np.float32)
          ).registerView("f")
    out = dc.sql("SELECT f.a, sum(f.a), min(f.b), max(f.b), avg(f.b), count(f.a) FROM f "
                 "GROUP BY f.a").compute()
    assert out.dtypes.tolist() == [np.int32, np.int32, np.float32, np.float32, np.float64,
                                   np.int64]
    np.testing.assert_array_equal(out["f.a"], [1, 2])
    np.testing.assert_array_equal(out["sum(f.a)"], [1, 4])
    grouped = dc.sql("SELECT f.a, f.b FROM f GROUP BY *").compute()
    np.testing.assert_array_equal(grouped["f.a"], [1, 2, 2])
    np.testing.assert_array_equal(grouped["f.b"], np.array([2.5, 1.5, 3.5], np.float32))


def test_integer_division_truncates_like_daphne(dc):
    frame(dc, a=[7, -7, 9]).registerView("f")
    out = dc.sql("SELECT f.a / 2 AS q, f.a / 2.0 AS r, -7 / 2 AS c FROM f").compute()
    np.testing.assert_array_equal(out["q"], [3, -3, 4])
    assert out["q"].dtype == np.int64 and out["c"].dtype == np.int64
    np.testing.assert_array_equal(out["r"], [3.5, -3.5, 4.5])


def test_order_by_is_stable(dc):
    frame(dc, a=[2, 1, 2, 1, 2], b=[0, 1, 2, 3, 4]).registerView("f")
    out = dc.sql("SELECT f.a, f.b FROM f ORDER BY f.a DESC").compute()
    np.testing.assert_array_equal(out["f.b"], [0, 2, 4, 1, 3])
    grouped = dc.sql("SELECT f.a, count(*) AS n FROM f GROUP BY f.a ORDER BY n").compute()
    np.testing.assert_array_equal(grouped["f.a"], [1, 2])  # ties: group key order


def test_having(dc):
    frame(dc, a=[1, 1, 2, 3, 3, 3], b=[1, 2, 3, 4, 5, 6]).registerView("f")
    out = dc.sql("SELECT f.a, sum(f.b) FROM f GROUP BY f.a HAVING sum(f.b) > 3").compute()
    np.testing.assert_array_equal(out["f.a"], [3])
    np.testing.assert_array_equal(out["sum(f.b)"], [15])


# ---------------------------------------------------------------------------------------------
# Same answers as DuckDB on the same pandas frames
# ---------------------------------------------------------------------------------------------

# (query, how our rows relate to DuckDB's): "set" where SQL leaves the order open, "sorted"
# where DAPHNE sorts (GROUP BY, DISTINCT) and DuckDB does not, "exact" under ORDER BY.
QUERIES = [
    ("SELECT t.a, t.b FROM t WHERE t.a > 3 AND t.s <> 'x'", "set"),
    ("SELECT t.a * 2 + 1 AS e, t.b - t.a AS d FROM t WHERE t.b BETWEEN 0.2 AND 0.7", "set"),
    ("SELECT t.s, count(*), sum(t.a), min(t.b), max(t.b), avg(t.b) FROM t GROUP BY t.s",
     "sorted"),
    ("SELECT t.s, u.name FROM t JOIN u ON t.a = u.id", "set"),
    ("SELECT t.a, u.id FROM t, u WHERE t.a < u.id AND u.id < 4", "set"),
    ("SELECT t.a, u.id FROM t JOIN u ON t.a <= u.id AND t.s = u.tag", "set"),
    ("SELECT t.a, u.name FROM t LEFT JOIN u ON t.a = u.id", "set"),
    ("SELECT t.a, u.name FROM t RIGHT JOIN u ON t.a = u.id", "set"),
    ("SELECT t.a, u.name FROM t FULL OUTER JOIN u ON t.a = u.id", "set"),
    ("SELECT DISTINCT t.s FROM t", "sorted"),
    ("SELECT t.a FROM t WHERE t.s IN ('x', 'z') OR t.s LIKE 'y%' ORDER BY t.a DESC LIMIT 4",
     "exact"),
    ("SELECT CASE WHEN t.b > 0.5 THEN 'hi' ELSE 'lo' END AS c, count(DISTINCT t.a) AS n "
     "FROM t GROUP BY c", "sorted"),
    ("SELECT u.tag, count(u.name) FROM u WHERE u.name IS NOT NULL GROUP BY u.tag", "sorted"),
    ("SELECT t.s, sum(t.a) AS total FROM t GROUP BY t.s HAVING count(*) > 2 "
     "ORDER BY total, t.s", "exact"),
]


@pytest.fixture
def tables() -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(11)
    n = 40
    t = pd.DataFrame({"a": rng.integers(0, 8, n), "b": rng.random(n),
                      "s": rng.choice(["x", "y", "z", "yy"], n)})
    u = pd.DataFrame({"id": [1, 2, 3, 5, 9, 2], "name": ["one", "two", "three", None, "nine",
                                                        "deux"],
                      "tag": ["x", "y", "x", "z", "y", "y"]})
    return {"t": t, "u": u}


@pytest.mark.parametrize(("query", "mode"), QUERIES)
def test_query_matches_duckdb(dc, tables, query, mode):
    import duckdb

    for name, df in tables.items():
        dc.from_pandas(df).registerView(name)
    ours = dc.sql(query).compute()
    con = duckdb.connect()
    for name, df in tables.items():
        con.register(name, df)
    theirs = con.execute(query).df()
    assert ours.shape == theirs.shape

    def rows(df: pd.DataFrame) -> list[tuple]:
        return [tuple(("~null",) if pd.isna(v) else (round(v, 9) if isinstance(v, float) else v)
                      for v in r) for r in df.itertuples(index=False)]

    a, b = rows(ours), rows(theirs)
    if mode == "set":
        a, b = sorted(a, key=repr), sorted(b, key=repr)
    elif mode == "sorted":
        b = sorted(b, key=repr)
    assert a == b


def test_join_order_is_lhs_major_like_the_join_kernels(dc, tables):
    for name, df in tables.items():
        dc.from_pandas(df).registerView(name)
    t, u = tables["t"], tables["u"]
    ours = dc.sql("SELECT t.a, t.b, u.id, u.name FROM t JOIN u ON t.a = u.id").compute()
    exp = t.merge(u, left_on="a", right_on="id", sort=False)  # lhs order, then rhs order
    np.testing.assert_array_equal(ours["t.b"], exp["b"])
    assert ours["u.name"].tolist() == exp["name"].tolist()
    kernel = dc.from_pandas(t).innerJoin(dc.from_pandas(u), "a", "id").compute()
    np.testing.assert_array_equal(ours["t.b"], kernel["b"])


# ---------------------------------------------------------------------------------------------
# Beyond DAPHNE
# ---------------------------------------------------------------------------------------------

def test_unqualified_columns_subqueries_ctes_and_unions(dc):
    frame(dc, a=[3, 1, 2], b=[30, 10, 20]).registerView("f")
    assert list(dc.sql("SELECT a, b FROM f WHERE a > 1").compute().columns) == ["a", "b"]
    sub = dc.sql("SELECT s.* FROM (SELECT f.a AS x, f.b FROM f) AS s WHERE s.x > 1").compute()
    assert list(sub.columns) == ["s.x", "s.b"]
    np.testing.assert_array_equal(sub["s.x"], [3, 2])
    cte = dc.sql("WITH big AS (SELECT f.a FROM f WHERE f.b > 15) SELECT big.a FROM big")
    np.testing.assert_array_equal(cte.compute()["big.a"], [3, 2])
    union = dc.sql("SELECT f.a FROM f UNION ALL SELECT f.b FROM f").compute()
    assert list(union.columns) == ["f.a"]
    np.testing.assert_array_equal(union["f.a"], [3, 1, 2, 30, 10, 20])


def test_null_semantics_of_nullable_columns(dc):
    df = pd.DataFrame({"k": [1, 2, 3, 4], "v": pd.array([5, None, 7, None], dtype="Int64"),
                       "x": [1.0, np.nan, 3.0, 4.0]})
    dc.from_pandas(df).registerView("f")
    out = dc.sql("SELECT count(f.v) AS cv, sum(f.v) AS sv, count(f.x) AS cx, sum(f.x) AS sx "
                 "FROM f").compute()
    assert out["cv"].tolist() == [2] and out["sv"].tolist() == [12]
    assert out["cx"].tolist() == [4] and np.isnan(out["sx"][0])  # NaN is a value, not a NULL
    nulls = dc.sql("SELECT f.k FROM f WHERE f.v IS NULL").compute()
    np.testing.assert_array_equal(nulls["f.k"], [2, 4])
    both = dc.sql("SELECT f.k, f.v FROM f WHERE f.v > 5 OR f.v IS NULL").compute()
    assert both["f.v"].dtype == pd.Int64Dtype() and both["f.v"].tolist() == [pd.NA, 7, pd.NA]
    frame(dc, id=[1, 9]).registerView("g")
    left = dc.sql("SELECT g.id, f.v FROM g LEFT JOIN f ON g.id = f.k").compute()
    assert left["f.v"].tolist() == [5, pd.NA]


def test_logical_dtypes_survive_selection(dc):
    df = pd.DataFrame({
        "k": [3, 1, 2],
        "cat": pd.Categorical(["b", "a", "b"], categories=["b", "a", "c"], ordered=True),
        "ts": pd.date_range("2024-01-01", periods=3, tz="UTC"),
        "ns": pd.to_datetime(["2024-01-01 00:00:00.000000001"] * 3),
        "td": pd.to_timedelta([1, 2, 3], unit="ms"),
        "s": pd.array(["p", None, "r"], dtype="string"),
        "n": pd.array([1, None, 3], dtype="Int32"),
        "f": pd.array([0.5, None, 1.5], dtype="Float32"),
    })
    dc.from_pandas(df).registerView("t")
    out = dc.sql("SELECT * FROM t WHERE t.k > 1 ORDER BY t.k").compute()
    exp = df[df.k > 1].sort_values("k").reset_index(drop=True)
    exp.columns = [f"t.{c}" for c in exp.columns]
    pd.testing.assert_frame_equal(out, exp)
    mx = dc.sql("SELECT max(t.ts), min(t.cat) FROM t").compute()
    assert mx.dtypes.tolist() == [df["ts"].dtype, df["cat"].dtype]


def test_empty_views_and_results(dc):
    empty = pd.DataFrame({"a": np.array([], np.int64), "s": pd.array([], dtype="str")})
    dc.from_pandas(empty).registerView("e")
    frame(dc, a=[1, 2]).registerView("f")
    out = dc.sql("SELECT e.a, e.s FROM e").compute()
    assert out.shape == (0, 2) and out["e.a"].dtype == np.int64
    assert dc.sql("SELECT f.a FROM f WHERE f.a > 5").compute().shape == (0, 1)
    assert dc.sql("SELECT count(*) AS n FROM e").compute()["n"].tolist() == [0]
    assert dc.sql("SELECT f.a FROM f JOIN e ON f.a = e.a").compute().shape == (0, 1)


# ---------------------------------------------------------------------------------------------
# Views: scoping, registration, DaphneLib's compute_sql
# ---------------------------------------------------------------------------------------------

def test_views_belong_to_their_context(dc):
    other = DaphneContext()
    frame(dc, a=[1]).registerView("t")
    frame(other, a=[2, 3]).registerView("t")
    np.testing.assert_array_equal(dc.sql("SELECT t.a FROM t").compute()["t.a"], [1])
    np.testing.assert_array_equal(other.sql("SELECT t.a FROM t").compute()["t.a"], [2, 3])
    with pytest.raises(SQLError, match="unknown table 'u'"):
        other.sql("SELECT u.a FROM u").compute()


def test_a_query_sees_the_views_registered_before_it(dc):
    frame(dc, a=[1]).registerView("t")
    q1 = dc.sql("SELECT t.a FROM t")
    frame(dc, a=[5, 6]).registerView("t")  # re-registering affects later queries only
    q2 = dc.sql("SELECT t.a FROM t")
    np.testing.assert_array_equal(q1.compute()["t.a"], [1])
    np.testing.assert_array_equal(q2.compute()["t.a"], [5, 6])


def test_register_view_node_computes_to_none(dc):
    assert frame(dc, a=[1]).registerView("t").compute() is None


def test_compute_sql_compatibility(dc):
    f = frame(dc, a=[1, 2, 3])
    view = f.registerView("f")
    res = dc.sql("SELECT f.a FROM f WHERE f.a > 1")
    np.testing.assert_array_equal(res.compute_sql([view])["f.a"], [2, 3])
    np.testing.assert_array_equal(res.compute()["f.a"], [2, 3])  # the view is bound anyway
    with pytest.raises(TypeError, match="registerView"):
        res.compute_sql([f])
    with pytest.raises(TypeError, match=r"frames made by DaphneContext.sql\(\)"):
        f.compute_sql([view])


def test_compute_sql_adds_views_to_a_query_built_before_them(dc):
    res = dc.sql("SELECT f.a FROM f")
    with pytest.raises(SQLError, match=r"unknown table 'f'.*registered: \[\]"):
        res.compute()
    view = frame(dc, a=[7]).registerView("f")
    assert res.compute_sql([view])["f.a"].tolist() == [7]
    frame(dc, a=[8]).registerView("h")
    q = dc.sql("SELECT h.a FROM h")
    assert q.compute_sql([frame(dc, a=[9]).registerView("h")])["h.a"].tolist() == [9]


# ---------------------------------------------------------------------------------------------
# Errors and escaping
# ---------------------------------------------------------------------------------------------

def test_bad_sql_raises_with_the_engine_message_and_query(dc):
    frame(dc, a=[1], b=[2]).registerView("f")
    with pytest.raises(SQLError, match=r"(?s)syntax error.*in query: SELEC f.a FROM f"):
        dc.sql("SELEC f.a FROM f")
    with pytest.raises(SQLError, match=r"(?s)Binder Error.*zz.*in query: SELECT f.zz FROM f"):
        dc.sql("SELECT f.zz FROM f").compute()
    with pytest.raises(SQLError, match=r"Conversion Error"):
        dc.sql("SELECT f.a + 'x' FROM f").compute()
    with pytest.raises(SQLError, match="Ambiguous reference"):
        dc.sql("SELECT f.a FROM f, f").compute()
    with pytest.raises(SQLError, match=r"labels \['a'\] more than once"):
        dc.sql("SELECT f.a AS a, f.b AS a FROM f").compute()
    with pytest.raises(SQLError, match="must appear in the GROUP BY"):
        dc.sql("SELECT f.a, f.b FROM f GROUP BY f.a").compute()
    assert issubclass(SQLError, ValueError)


def test_only_single_queries_over_views(dc):
    frame(dc, a=[1]).registerView("f")
    with pytest.raises(SQLError, match="not DROP statements"):
        dc.sql("DROP TABLE f")
    with pytest.raises(SQLError, match="exactly one query, got 2"):
        dc.sql("SELECT 1; SELECT 2")
    with pytest.raises(SQLError, match="reads registered views only"):
        dc.sql("SELECT * FROM read_csv('/etc/passwd')").compute()
    with pytest.raises(SQLError, match="unknown table 'secret'"):
        dc.sql("SELECT * FROM secret").compute()
    with pytest.raises(TypeError, match="query as a str"):
        dc.sql(42)


def test_quotes_are_escaped_never_spliced(dc):
    df = pd.DataFrame({"it's": [1, 2], 'say "hi"': ["a'b", 'c"d']})
    dc.from_pandas(df).registerView("my 'view\"")
    q = ("SELECT v.`it's` AS \"x\", v.`say \"hi\"`, 'it''s', \"q\\\"r\" FROM `my 'view\"` AS v "
         "WHERE v.`say \"hi\"` = 'a\\'b'")
    out = dc.sql(q).compute()
    assert list(out.columns) == ["x", 'v.say "hi"', "'it''s'", '"q\\"r"']
    assert out.iloc[0].tolist() == [1, "a'b", "it's", 'q"r']
    injected = dc.sql("SELECT v.`it's` FROM `my 'view\"` AS v WHERE 'x' = 'x''; DROP TABLE v; --'")
    assert injected.compute().shape == (0, 1)


def test_views_with_qualified_labels_are_reprefixed(dc):
    frame(dc, a=[1, 2], b=[3, 4]).registerView("f")
    first = dc.sql("SELECT f.a, f.b FROM f")
    first.registerView("g")  # labels f.a, f.b are addressed as g.a, g.b
    assert list(dc.sql("SELECT g.a, g.b FROM g").compute().columns) == ["g.a", "g.b"]
    frame(dc, x=[1]).registerView("x")
    joined = dc.sql("SELECT * FROM f, x WHERE f.a = x.x")
    joined.setColLabels(["p.a", "q.a", "r.x"]).registerView("j")
    with pytest.raises(SQLError, match=r"view 'j' has columns \['a'\] more than once"):
        dc.sql("SELECT j.x FROM j").compute()


def test_sql_without_the_extra_raises_import_error(dc, monkeypatch):
    monkeypatch.setitem(sys.modules, "duckdb", None)  # import duckdb -> ImportError
    with pytest.raises(ImportError, match=r"daphnelib\[sql\]"):
        dc.sql("SELECT 1")


def test_import_does_not_load_sql_libraries():
    code = ("import sys, daphnelib\nfrom daphnelib import DaphneContext\n"
            "print(sorted(m for m in ('duckdb', 'sqlglot', 'pyarrow') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"


def _roundtrip_kinds():
    import pathlib

    path = pathlib.Path(__file__).parent / "conformance" / "test_pandas_roundtrip.py"
    spec = importlib.util.spec_from_file_location("_pandas_kinds_for_sql", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return {k: b for k, b in module.KINDS.items()
            if list(module.frame_of(b()).columns) == ["x"]}


KINDS = _roundtrip_kinds()


@pytest.mark.parametrize("kind", list(KINDS))
def test_every_pandas_column_kind_survives_sql(dc, kind):
    data = KINDS[kind]()
    data = data.to_frame() if isinstance(data, pd.Series) else data
    dc.from_pandas(data).registerView("v")
    out = dc.sql("SELECT v.x FROM v").compute()["v.x"]
    expected = data["x"].reset_index(drop=True)
    assert out.dtype == expected.dtype
    if kind == "Float64_nan_and_na":  # documented: NaN of a nullable float comes back NA
        values = expected.to_numpy(dtype=np.float64, na_value=np.nan)
        assert np.isnan(values).sum() > expected.isna().sum()  # the input has both
        expected = pd.Series(pd.array(values, dtype=expected.dtype))  # NaN -> NA
    pd.testing.assert_series_equal(out, expected, check_names=False, check_exact=True)


def test_syntax_errors_carry_no_terminal_escape_codes(dc):
    with pytest.raises(SQLError, match="SQL syntax error") as info:
        dc.sql("SELEC x FROM")
    assert "\x1b" not in str(info.value)


@pytest.mark.parametrize(("query", "message"), [
    ("SELECT t.a FROM t WHERE", "SQL syntax error at line 1, column 23: WHERE is incomplete"),
    ("SELECT t.a FROM t GROUP BY t.a HAVING SUM(t.a",
     "SQL syntax error at line 1, column 45: Expecting )"),
])
def test_syntax_errors_name_the_place_once_without_parser_internals(dc, query, message):
    dc.from_pandas(pd.DataFrame({"a": [1]})).registerView("t")
    with pytest.raises(SQLError) as info:
        dc.sql(query)
    text = str(info.value)
    assert text.startswith(message)
    assert "sqlglot" not in text and "<class" not in text
    assert text.count(query) == 1 and text.endswith(f"in query: {query}")
