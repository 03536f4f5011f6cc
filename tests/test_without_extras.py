"""The base install (numpy + pandas, no optional extra) works on its own: checked in a child
interpreter where the optional libraries cannot be imported. (``make dist`` checks the real
thing: the examples in a fresh venv with only the required dependencies.)"""

from __future__ import annotations

from support import run_child

BLOCK = "import sys\nfor m in ('pyarrow', 'polars', 'duckdb', 'sqlglot', 'torch', " \
        "'tensorflow'):\n    sys.modules[m] = None\n"


def run_without_extras(code: str) -> str:
    return run_child(BLOCK, code)


def test_string_index_round_trip_keeps_its_dtype_without_pyarrow() -> None:
    out = run_without_extras("""
        import pandas as pd
        from daphnelib import DaphneContext
        df = pd.DataFrame({"x": [1.0, 2.0], "s": ["a", "b"]},
                          index=pd.Index(["apple", "pear"], name="fruit"))
        back = DaphneContext().from_pandas(df, keepIndex=True).compute(useIndexColumn=True)
        pd.testing.assert_frame_equal(back, df, check_exact=True)
        print(back.index.dtype, back["s"].dtype)
    """)
    assert out == "str str\n"


def test_sql_without_its_extra_names_the_extra() -> None:
    out = run_without_extras("""
        import pandas as pd
        from daphnelib import DaphneContext
        dc = DaphneContext()
        dc.from_pandas(pd.DataFrame({"a": [1]})).registerView("t")
        try:
            dc.sql("SELECT t.a FROM t;")
        except ImportError as exc:
            print(exc)
    """)
    assert "sql() needs the optional dependency" in out and "pip install daphnelib[sql]" in out
