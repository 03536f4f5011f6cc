"""DaphneDSL lexer/parser/lowering: literals, precedence, syntax forms, and error positions."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from daphnelib.dsl import ast, compile_script, parse
from daphnelib.dsl.errors import CompileError, ParseError
from daphnelib.engine.program import Kind, Var
from daphnelib.engine.valuetypes import SizeScalar


def expr_of(text: str) -> ast.Expr:
    stmt = parse(f"x = {text};").body[0]
    assert isinstance(stmt, ast.Assign)
    return stmt.value


def sexpr(e: ast.Expr) -> str:
    """A compact, fully parenthesised rendering of an expression tree."""
    if isinstance(e, ast.Literal):
        return repr(e.value)
    if isinstance(e, ast.Name):
        return e.name
    if isinstance(e, ast.Unary):
        return f"(- {sexpr(e.operand)})"
    if isinstance(e, ast.Binary):
        return f"({e.op} {sexpr(e.lhs)} {sexpr(e.rhs)})"
    if isinstance(e, ast.Ternary):
        return f"(? {sexpr(e.cond)} {sexpr(e.then)} {sexpr(e.other)})"
    if isinstance(e, ast.Index):
        return f"([] {sexpr(e.obj)})"
    if isinstance(e, ast.Call):
        return f"({e.name} {' '.join(sexpr(a) for a in e.args)})"
    raise AssertionError(type(e))


# -- literals ---------------------------------------------------------------------------------

@given(st.integers(0, (1 << 63) - 1), st.lists(st.sampled_from(["", "_", "'"]), max_size=25))
def test_int_literals_with_separators(value: int, seps: list[str]) -> None:
    digits = str(value)
    text = digits[0] + "".join(s + d for s, d in zip(seps, digits[1:], strict=False))
    text += digits[1 + len(seps):]
    lit = expr_of(text)
    assert isinstance(lit, ast.Literal)
    assert lit.value == value and type(lit.value) is int


@given(st.floats(allow_nan=False, allow_infinity=False, min_value=0.0))
def test_float_literals_round_trip(value: float) -> None:
    text = repr(value)
    if "e" not in text and "." not in text:
        text += ".0"
    lit = expr_of(text)
    assert lit.value == value and type(lit.value) is float


@pytest.mark.parametrize(("text", "value", "cls"), [
    ("5u", 5, np.uint64), ("5ull", 5, np.uint64), ("5l", 5, int), ("5z", 5, SizeScalar),
    ("1.5f", 1.5, np.float32), ("1e3", 1000.0, float), ("2.5E-1", 0.25, float),
    ("1'2_3.4_5'6", 123.456, float), ("true", True, bool), ("false", False, bool),
    ("18446744073709551615u", (1 << 64) - 1, np.uint64),
])
def test_literal_types(text: str, value: object, cls: type) -> None:
    lit = expr_of(text)
    assert type(lit.value) is cls
    assert lit.value == value


def test_special_floats_and_negation() -> None:
    assert np.isnan(expr_of("nan").value) and np.isnan(expr_of("nanf").value)
    assert expr_of("inff").value == np.inf
    assert expr_of("-inf").value == -np.inf
    neg_zero = expr_of("-0.0").value
    assert neg_zero == 0.0 and np.signbit(neg_zero)
    assert expr_of("-9223372036854775808").value == -(1 << 63)
    # An unsigned literal is not folded: minus stays an operation.
    assert isinstance(expr_of("-5u"), ast.Unary)


def test_string_escapes() -> None:
    assert expr_of(r'"a\tb\nc\"d\\e\bf\fg\rh"').value == 'a\tb\nc"d\\e\bf\fg\rh'
    assert expr_of('""').value == ""


def test_comments_are_skipped() -> None:
    script = parse("# one\nx = 1; // two\n/* three\n four */ y = 2;")
    assert [s.targets[0].name for s in script.body] == ["x", "y"]


# -- precedence and forms -------------------------------------------------------------------

@pytest.mark.parametrize(("text", "tree"), [
    ("a + b * c", "(+ a (* b c))"),
    ("a * b % c", "(* a (% b c))"),
    ("a % b ^ c", "(% a (^ b c))"),
    ("a ^ b @ c", "(^ a (@ b c))"),
    ("-a ^ 2", "(^ (- a) 2)"),
    ("-2 ^ 2", "(^ -2 2)"),
    ("-a @ b", "(@ (- a) b)"),
    ("-X[1, 1]", "(- ([] X))"),
    ("a - b - c", "(- (- a b) c)"),
    ("a / b / c", "(/ (/ a b) c)"),
    ("a ^ b ^ c", "(^ (^ a b) c)"),
    ("a < b == c", "(== (< a b) c)"),
    ("a + 1 < b", "(< (+ a 1) b)"),
    ("a && b || c && d", "(|| (&& a b) (&& c d))"),
    ("a == b && c", "(&& (== a b) c)"),
    ("c ? a : b", "(? c a b)"),
    ("c ? a : d ? e : f", "(? (? c a d) e f)"),
    ("c || d ? a + 1 : b", "(? (|| c d) (+ a 1) b)"),
    ("+a", "a"),
    ("- - a", "(- (- a))"),
    ("f(a, b + 1)", "(f a (+ b 1))"),
    ("ns.f(a)", "(ns.f a)"),
])
def test_precedence_and_associativity(text: str, tree: str) -> None:
    assert sexpr(expr_of(text)) == tree


def test_indexing_forms() -> None:
    e = expr_of("X[1:3, ]")
    assert isinstance(e, ast.Index) and isinstance(e.rows, ast.Range) and e.cols is None
    e = expr_of("X[:, :2]")
    assert e.rows.lo is None and e.rows.hi is None and e.cols.lo is None
    e = expr_of("X[[b, ]]")
    assert e.bits and isinstance(e.rows, ast.Name) and e.cols is None
    e = expr_of("X[ [1, 2], ]")  # a position list needs the space before '['
    assert not e.bits and isinstance(e.rows, ast.MatrixLit)
    e = expr_of('F[, "b"]')
    assert e.rows is None and e.cols.value == "b"


def test_matrix_and_frame_literals() -> None:
    e = expr_of("[1, 2, 3](1,)")
    assert isinstance(e, ast.MatrixLit) and e.shape[0].value == 1 and e.shape[1] is None
    assert expr_of("[1, 2]").shape is None
    assert expr_of("[1, 2](,)").shape == (None, None)
    f = expr_of('{"a": [1], "b": [2]}')
    assert isinstance(f, ast.FrameLit) and len(f.columns) == 2 and f.rows is None
    f = expr_of('{["a", "b"], [1, 2], [3, 4]}')
    assert len(f.rows) == 2 and [x.value for x in f.labels] == ["a", "b"]


def test_statement_forms() -> None:
    script = parse("""
        def f(a: matrix<f64>, b, c: si64,) -> matrix, si64 { return a, c; }
        p, X[0, 1:] = f(A, B, 1);
        for (i in 1:10:2) x = i;
        parfor (i in 1:2) { }
        while (x > 0) x = x - 1;
        do { x = x + 1; } while (x < 3)
        if (x) {} else if (y) {} else {};
        import "lib.daphne" as "l";
        print(fill(value=1, numRows=2, numCols=3)::hint);
    """.replace("::hint", ""))
    fn = script.body[0]
    assert isinstance(fn, ast.FuncDef)
    assert [str(p.type) if p.type else None for p in fn.params] == ["matrix<f64>", None, "si64"]
    assert [str(t) for t in fn.returns] == ["matrix", "si64"]
    assign = script.body[1]
    assert [t.name for t in assign.targets] == ["p", "X"] and assign.targets[1].indexed
    assert isinstance(script.body[2], ast.For) and script.body[2].step.value == 2
    assert isinstance(script.body[5], ast.While) and script.body[5].do
    assert isinstance(script.body[7], ast.Import) and script.body[7].alias == "l"
    call = script.body[8].expr.args[0]
    assert [k for k, _ in call.kwargs] == ["value", "numRows", "numCols"]


def test_kernel_hint_is_checked_then_dropped() -> None:
    call = expr_of("sum::_sumAll__double__DenseMatrix_double(X)")
    assert isinstance(call, ast.Call) and call.name == "sum"
    binary = expr_of("X +::_ewAdd__DenseMatrix_double__DenseMatrix_double__double 1")
    assert isinstance(binary, ast.Binary) and binary.op == "+"


def test_script_arguments() -> None:
    script = parse("x = $a + $b;", args={"a": "-12", "b": '"s"'})
    e = script.body[0].value
    assert e.lhs.value == -12 and e.rhs.value == "s"
    assert parse("x = $f;", args={"f": "1.2e5f"}).body[0].value.value == np.float32(1.2e5)


# -- lowering produces the Python API's instructions ------------------------------------------

def test_straight_line_lowering() -> None:
    p = compile_script("X = fill(-1, 2, 3);\ny = sum(X);\nZ = X[1:, 0] + y;").program
    assert [(i.op, i.args, i.kind) for i in p.instrs] == [
        ("fill", (-1, 2, 3), Kind.MATRIX),
        ("sum", (Var(0),), Kind.SCALAR),
        ("extract", (Var(0), slice(1, None), 0), Kind.MATRIX),
        ("+", (Var(2), Var(1)), Kind.MATRIX),
    ]


def test_variables_are_names_not_instructions() -> None:
    p = compile_script("a = 5; b = a; X = fill(b, 1, 1); X[0, 0] = [1](1, 1);").program
    assert [i.op for i in p.instrs] == ["fill", "matrixLiteral", "insert"]
    assert p.instrs[0].args == (5, 1, 1)


def test_dynamic_range_bounds_are_vars() -> None:
    p = compile_script("X = fill(1, 4, 4); n = nrow(X); Y = X[1:n, ];").program
    assert p.instrs[-1].args[1] == slice(1, Var(1))


def test_label_lists_and_bit_vectors() -> None:
    p = compile_script('F = {"a": [1], "b": [2]}; G = F[, ["b", "a"]];').program
    assert p.instrs[-1].args[2] == ("b", "a")
    p = compile_script("X = fill(1, 2, 2); Y = X[[ [1, 0], ]];").program
    assert p.instrs[-1].op == "filter" and p.instrs[-1].args[2] is None


# -- errors: file, line, column and what to do --------------------------------------------

def error_of(source: str, cls: type = ParseError, **kw: object) -> ParseError:
    with pytest.raises(cls) as info:
        compile_script(source, **kw)
    return info.value


@pytest.mark.parametrize(("source", "line", "col", "text"), [
    ("x = 1\ny = 2;", 2, 1, "expected ';' after the assignment"),
    ("x = (1 + 2;", 1, 11, "expected ')'"),
    ('x = "abc;', 1, 5, "unterminated string literal"),
    ('x = "a\\qb";', 1, 7, "unknown escape sequence"),
    ("x = !y;", 1, 5, "no logical-not operator"),
    ("x = 012;", 1, 5, "leading zeros"),
    ("x = 5q;", 1, 5, "invalid numeric literal"),
    ("x = 9223372036854775808;", 1, 5, "does not fit in si64"),
    ("x = $n;", 1, 5, "script argument $n is not given"),
    ("x = 1;\n  print(y);", 2, 9, "variable 'y' is used before it is assigned"),
    ("xy = 1; print(xz);", 1, 15, "did you mean 'xy'"),
    ("x = fil(1, 2, 3);", 1, 5, "unknown function 'fil'"),
    ("x = fill(1, 2);", 1, 5, "missing argument(s) numCols"),
    ("x = fill(1, 2, 3, 4);", 1, 5, "takes at most 3"),
    ("x = fill(1, 2, rows=3);", 1, 21, "has no parameter 'rows'"),
    ("x = fill(1, 2, value=3);", 1, 22, "given twice"),
    ("x = X[1];", 1, 8, "the comma is required"),
    ("for (i in 1:3) { i = 2; }", 1, 18, "read-only"),
    ("return 1;", 1, 1, "outside of a function"),
    ("def f(a) { if (a) { return 1; } }", 1, 1, "does not return a value on every path"),
    ("def f(a) { return a, 2; } x = map([1], f);", 1, 31, "returns one value"),
    ("def f(a) { if (a) { return 1; } return 1, 2; }", 1, 1, "different numbers of values"),
    ("def f(a: si64) -> si64 { return a; }\ndef f(b: si64) { return b, b; }", 2, 1,
     "defined twice with the same parameter types but 1 and 2 results"),
    ("def f() -> si64 { return 1, 2; }", 1, 1, "declares 1 result type(s)"),
    ("def f(a) { return g; }", 1, 19, "a function sees only its parameters"),
    ("if (1) { def f() { } }", 1, 10, "only be defined at the top level"),
    ("a, b = 1;", 1, 1, "needs a function call"),
    ("def f() { return 1; } a, b = f();", 1, 30, "returns 1 value(s), but 2"),
    ("E = eigen(fill(1.0, 2, 2));", 1, 5, "receive them with r0, r1 = eigen"),
    ("x = 1; f(x);", 1, 8, "unknown function 'f'"),
    ('import "no/such/file.daphne";', 1, 1, "cannot import 'no/such/file.daphne'"),
    ("while (1) { return 1; }", 1, 13, "'return' inside a loop"),
    ("x = {1: };", 1, 9, "expected an expression"),
    ("x = sql(q);", 1, 9, "'q' is used before"),
    ('q = "SELECT 1"; n = nrow(fill(1, 1, 1)); x = sql(q + n);', 1, 46, "constant string"),
])
def test_parse_error_positions(source: str, line: int, col: int, text: str) -> None:
    err = error_of(source)
    assert (err.line, err.col) == (line, col), str(err)
    assert text in err.message
    assert err.exit_status == 1
    # The rendered error shows the source line and a caret under the column.
    rendered = str(err).split("\n")
    assert rendered[0].startswith(f"<script>:{line}:{col}: ")
    assert rendered[2].index("^") - 4 == col - 1


def test_division_by_constant_zero_is_a_compile_error() -> None:
    err = error_of("x = 5;\ny = x / 0;", CompileError)
    assert (err.line, err.col, err.exit_status) == (2, 9, 2)
    assert "Can't divide by 0" in err.message
    assert "Can't compute mod 0" in error_of("y = 3 % 0;", CompileError).message


def test_bad_script_argument_values() -> None:
    from daphnelib.dsl.parser import parse_arg_value

    assert parse_arg_value("a", "-inf") == -np.inf
    assert parse_arg_value("a", "true") is True
    for bad in ("1+2", "abc", "", "-true", '-"s"', "1 2", "(1)"):
        with pytest.raises(ParseError, match="literal"):
            parse_arg_value("a", bad)
