"""The static pass (``daphnelib/dsl/checks.py``), ``--config`` checks and ``--kernel-ext``
priorities, in process: what is rejected before running, and what must stay accepted."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from daphnelib.__main__ import UsageError, _kernel_ext
from daphnelib.dsl import CompileError, ParseError, compile_script, run_script
from daphnelib.dsl.config import SCHEDULING_SCHEMES, SCHEMA, check_user_config


@pytest.mark.parametrize("source", [
    # same data type in both branches, different value types: DAPHNE generalises
    "x = 1; if (2 > 1) { x = 2.5; } print(x);",
    "X = [1, 2]; if (2 > 1) { X = [0.5]; } else { X = fill(1.0, 1, 1); } print(X);",
    # both branches agree: the type may differ from the one before the if
    "X = [1]; if (2 > 1) { X = 3; } else { X = 4; } print(X);",
    # a variable local to the branches (not assigned before) may differ
    "if (2 > 1) { y = 1; print(y); } else { y = [1]; print(y); }",
    # a loop may change a variable's value type; the pass does not guess
    "x = 1; for (i in 1:3) { x = x / 2.0; } if (x > 0) { x = x * 2; } print(x);",
    # a typed parameter given a value whose type the pass does not infer (a loop-carried
    # value, a recursive function's result): cast at run time
    "def f(a: f64) { print(a); }\ndef g(b) { if (b < 1) return b; return g(b - 1); }\n"
    "f(g(2));",
    "def f(a: f64) { print(a); }\nx = 1;\nfor (i in 1:2) x = x + i;\nf(as.f64(x));",
    # a matrix parameter without value type takes any matrix; frames take any frame
    "def f(m: matrix) { print(sum(m)); }\nf([1, 2]);\nf([0.5]);",
    "def f(t: frame) { print(nrow(t)); }\nf(createFrame([1], \"a\"));",
    # grouped queries: keys by alias, by position, qualified or not
    *(f'f = createFrame([0, 1, 1], [5, 4, 5], "a", "b");\nregisterView("f", f);\n'
      f'print(sql("{q}"));' for q in (
          "SELECT f.a AS k, sum(f.b) FROM f GROUP BY k;",
          "SELECT f.a, sum(f.b) FROM f GROUP BY 1;",
          "SELECT a, sum(f.b) FROM f GROUP BY f.a;",
          "SELECT f.a, sum(f.b) AS s FROM f GROUP BY a ORDER BY s;")),
    # ?: with a scalar condition and values of one type; a matrix condition broadcasts
    'x = 3;\nprint(x > 2 ? 0.5 : 1.5);\nprint(1 ? [1] : [2]);\nprint([1, 0] ? [1, 2] : 3);',
    # overloads: one fits
    "def f(a: si64) { print(1); }\ndef f(a: f64) { print(2); }\nf(1);\nf(1.0);",
])
def test_scripts_the_static_pass_accepts(source: str, capsys: pytest.CaptureFixture[str]
                                         ) -> None:
    run_script(source)
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize(("source", "error", "text"), [
    ("def f(a: si64) { print(1); }\nf(true);", ParseError, "(bool)"),
    ("def f(a: f32) { print(1); }\nf(1.5);", ParseError, "(f64)"),
    ("def f(a: matrix<si64>) { print(1); }\nf(as.matrix<f32>([1]));", ParseError,
     "(matrix<f32>)"),
    ("def f(a: scalar) { print(1); }\nf(createFrame([1], \"a\"));", ParseError, "(frame)"),
    # an untyped function is specialised per call, as in DAPHNE: g(2) is si64
    ("def f(a: f64) { print(a); }\ndef g(b) { return b; }\nf(g(2));", ParseError, "(si64)"),
    ('f = createFrame([1], "a");\nregisterView("t", f);\nr = sql("SELECT t.a AS b FROM t;");'
     '\nregisterView("s", r);\nq = sql("SELECT s.a FROM s;");', CompileError,
     "unknown column 's.a'"),
    ("X = [1];\nif (2 > 1) { X = 3; } else { X = [4]; }", ParseError,
     "variable 'X' is a scalar after the then-branch but a matrix after the else-branch"),
    ('f = createFrame([1], "a");\nregisterView("t", f);\nr = sql("SELECT t.A, t.zz FROM t;");',
     CompileError, "unknown column 't.zz'"),
    ('f = createFrame([1], "a");\nregisterView("t", f);\nr = sql("SELEC t.a FROM t;");',
     CompileError, "SQL syntax error"),
    ('f = createFrame([1], "a");\nx = 1 ? f : [1];', ParseError, "got frame and matrix<si64>"),
])
def test_scripts_the_static_pass_rejects(source: str, error: type, text: str) -> None:
    with pytest.raises(error) as info:
        compile_script(source)
    assert text in str(info.value)
    assert info.value.line >= 1  # points at the script


def test_parser_errors_win_over_compile_errors() -> None:
    # DAPHNE stops at the first failing stage: the typed call (parser) comes before the SQL
    # pass, though the query is earlier in the script.
    source = ('f = createFrame([1], "a");\nregisterView("t", f);\nr = sql("SELECT u.a FROM u;");'
              '\ndef g(a: f64) { print(a); }\ng(1);')
    with pytest.raises(ParseError):
        compile_script(source)


def test_sql_labels_from_a_meta_file(tmp_path) -> None:
    path = tmp_path / "f.csv"
    run_script(f'writeFrame(createFrame([1, 2], "a"), "{path}");')
    with pytest.raises(CompileError, match=r"unknown column 'v\.b'"):
        compile_script(f'f = readFrame("{path}");\nregisterView("v", f);\n'
                       'r = sql("SELECT v.b FROM v;");')


_VALID = {
    **{k: st.booleans() for k, (check, _) in SCHEMA.items() if check(True) and check(False)
       and not check(1.5)},
    "numberOfThreads": st.integers(-1, 64), "minimumTaskSize": st.integers(1, 100),
    "taskPartitioningScheme": st.sampled_from(sorted(SCHEDULING_SCHEMES)),
    "library_paths": st.lists(st.text(max_size=5), max_size=3),
    "daphnedsl_import_paths": st.dictionaries(st.text(max_size=5),
                                              st.lists(st.text(max_size=5), max_size=2),
                                              max_size=2),
}


@given(st.fixed_dictionaries({}, optional=_VALID))
def test_configs_of_known_keys_and_types_pass(config: dict) -> None:
    check_user_config(config, "c.json")


@given(st.fixed_dictionaries({}, optional=_VALID),
       st.text(min_size=1, max_size=12).filter(lambda k: k not in SCHEMA))
def test_any_unknown_key_is_refused(config: dict, key: str) -> None:
    with pytest.raises(ValueError, match="unexpected key"):
        check_user_config({**config, key: True}, "c.json")


@given(st.sampled_from(sorted(k for k, (check, _) in SCHEMA.items() if not check("x"))))
def test_a_string_where_another_type_belongs_is_refused(key: str) -> None:
    with pytest.raises(ValueError, match=f"'{key}' in 'c.json' must be"):
        check_user_config({key: "x"}, "c.json")


@given(st.integers(-(2**31), 2**31 - 1))
def test_kernel_extension_priorities_of_32_bits(priority: int) -> None:
    assert _kernel_ext(f"k.json:{priority}") == ("k.json", priority)


@given(st.one_of(st.integers().filter(lambda p: not -(2**31) <= p < 2**31).map(str),
                 st.floats(allow_nan=False).map(repr),
                 st.text(max_size=6).filter(lambda t: not t.lstrip("+-").isdigit())))
def test_other_kernel_extension_priorities_are_refused(priority: str) -> None:
    with pytest.raises(UsageError, match="must be an integer"):
        _kernel_ext(f"k.json:{priority}")


def test_a_function_result_that_depends_on_the_branch() -> None:
    with pytest.raises(ParseError, match="the function's result is a matrix after the "
                                         "then-branch but a scalar after the else-branch"):
        compile_script("def f(a) {\n  if (a > 0) return [1];\n  else return 2;\n}\nprint(f(1));")


def test_kernel_extension_hints_hold_for_one_run(tmp_path, capsys) -> None:
    from daphnelib.__main__ import run_command

    ext = tmp_path / "k.json"
    ext.write_text('[{"opMnemonic": "sumAll", "kernelFuncName": "mySumAll"}]')
    script = tmp_path / "s.daphne"
    script.write_text("print(sum::mySumAll([1.5]));")
    assert run_command(["--kernel-ext", f"{ext}:2", str(script)]) == 0
    assert run_command([str(script)]) == 2  # a later run without the extension
    out, err = capsys.readouterr()
    assert out == "1.5\n" and "names no kernel of 'sum'" in err
