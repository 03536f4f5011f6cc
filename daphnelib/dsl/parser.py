"""A recursive-descent parser for DaphneDSL (spec daphnedsl.md §3.2-3.3, 3.9).

Precedence, loosest first: ``?:``, ``||``, ``&&``, comparisons, ``+ -``, ``* /``, ``%``, ``^``,
``@``, unary ``- +``, then indexing. Binary operators are left-associative, and so is ``?:``
(as in DAPHNE's grammar, ``a ? b : c ? d : e`` is ``(a ? b : c) ? d : e``). A unary minus
in front of a numeric literal is folded into the literal, so ``-9223372036854775808`` is the
si64 minimum and ``fill(-1, 2, 2)`` carries the constant -1, as the Python API does.
Script arguments ``$name`` are replaced by their literal here.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from daphnelib.dsl import ast
from daphnelib.dsl.errors import ParseError
from daphnelib.dsl.hints import check_hint
from daphnelib.dsl.lexer import DATA_TYPES, VALUE_TYPES, Lexer, Token

_BINARY_LEVELS: tuple[tuple[str, ...], ...] = (
    ("||",), ("&&",), ("==", "!=", "<", "<=", ">", ">="), ("+", "-"), ("*", "/"), ("%",),
    ("^",), ("@",),
)
_LEVEL = {op: level for level, ops in enumerate(_BINARY_LEVELS) for op in ops}
_SI64_MAX = (1 << 63) - 1


def parse(source: str, file: str = "<script>", args: Mapping[str, str] | None = None
          ) -> ast.Script:
    """Parse a whole script; ``args`` are the script arguments (name -> literal text)."""
    try:
        return Parser(source, file, args).script()
    except RecursionError:  # the parser recurses once per nesting level
        raise ParseError(f"{file}: the script nests too deeply (parentheses, unary signs or "
                         "blocks) for the parser") from None


def parse_arg_value(name: str, text: str) -> object:
    """The value of a command-line script argument: one literal, optionally negated."""
    try:
        toks = Lexer(text, f"<argument {name}>").tokens()
    except ParseError as exc:
        raise ParseError(f"script argument {name}={text!r} is not a literal: {exc.message}"
                         ) from None
    neg = toks[0].kind == "op" and toks[0].text == "-"
    body = toks[1:] if neg else toks
    lit_kinds = ("int", "float", "str")
    ok = len(body) == 2 and (body[0].kind in lit_kinds or (body[0].kind == "kw" and
                                                           isinstance(body[0].value, bool)))
    if not ok or (neg and body[0].kind in ("str", "kw")):
        raise ParseError(f"script argument {name}={text!r} must be a single literal (a number, "
                         'true/false, or a quoted string such as \'"text"\'), optionally with a '
                         "leading '-'")
    value = body[0].value
    if neg:
        folded = _negate(value)
        if folded is None:
            raise ParseError(f"script argument {name}={text!r}: an unsigned literal cannot be "
                             "negated")
        value = folded
    if isinstance(value, int) and not isinstance(value, bool) and not (
            -_SI64_MAX - 1 <= value <= _SI64_MAX):
        raise ParseError(f"script argument {name}={text!r} does not fit in si64")
    return value


def _negate(value: object) -> object | None:
    """``-value`` for a signed numeric literal; None when the literal must stay an op."""
    if isinstance(value, bool) or isinstance(value, (str, np.unsignedinteger)):
        return None
    if isinstance(value, (int, float, np.floating)):
        return -value
    return None


class Parser:
    def __init__(self, source: str, file: str = "<script>",
                 args: Mapping[str, str] | None = None) -> None:
        self.lexer = Lexer(source, file)
        self.source = source
        self.file = file
        self.toks = self.lexer.tokens()
        self.i = 0
        self.args = dict(args or {})

    # -- token helpers ------------------------------------------------------------------------

    def peek(self, k: int = 0) -> Token:
        return self.toks[min(self.i + k, len(self.toks) - 1)]

    def next(self) -> Token:
        tok = self.toks[self.i]
        if tok.kind != "eof":
            self.i += 1
        return tok

    def at(self, text: str, k: int = 0) -> bool:
        tok = self.peek(k)
        return tok.kind in ("op", "kw") and tok.text == text

    def accept(self, text: str) -> Token | None:
        return self.next() if self.at(text) else None

    def expect(self, text: str, context: str) -> Token:
        if not self.at(text):
            raise self.error(f"expected '{text}' {context}, found {self.describe(self.peek())}")
        return self.next()

    def describe(self, tok: Token) -> str:
        return "end of file" if tok.kind == "eof" else repr(tok.text)

    def error(self, message: str, tok: Token | None = None) -> ParseError:
        tok = tok or self.peek()
        return ParseError(message, self.file, tok.line, tok.col,
                          self.lexer.source_line(tok.line))

    def ident(self, context: str) -> Token:
        tok = self.peek()
        if tok.kind != "id":
            extra = " (a reserved word)" if tok.kind == "kw" else ""
            raise self.error(f"expected a name {context}, found {self.describe(tok)}{extra}")
        return self.next()

    def dotted(self, context: str) -> tuple[str, Token]:
        first = self.ident(context)
        parts = [first.text]
        while self.at(".") and self.peek(1).kind == "id":
            self.next()
            parts.append(self.next().text)
        return ".".join(parts), first

    # -- statements ---------------------------------------------------------------------------

    def script(self) -> ast.Script:
        body = []
        while self.peek().kind != "eof":
            body.append(self.statement())
        return ast.Script(body, self.file, self.source)

    def statement(self) -> ast.Stmt:
        tok = self.peek()
        if tok.kind == "kw":
            handler = {
                "if": self.if_stmt, "while": self.while_stmt, "do": self.do_stmt,
                "for": self.for_stmt, "parfor": self.for_stmt, "def": self.func_def,
                "return": self.return_stmt, "import": self.import_stmt,
            }.get(tok.text)
            if handler is not None:
                return handler()
        if self.at("{"):
            return self.block()
        start = self.i
        targets = self.try_targets()
        if targets is not None:
            self.next()  # '='
            value = self.expr()
            self.expect(";", "after the assignment")
            return ast.Assign(tok.line, tok.col, targets, value)
        self.i = start
        expr = self.expr()
        if self.at("=") and isinstance(expr, (ast.Call, ast.Literal, ast.Binary)):
            raise self.error("cannot assign to an expression; the left side of '=' must be "
                             "variable names, optionally indexed (X[r, c] = ...)")
        self.expect(";", "after the expression statement")
        return ast.ExprStmt(tok.line, tok.col, expr)

    def try_targets(self) -> list[ast.Target] | None:
        """``a, X[1, ], m.b =`` if the statement is an assignment (then at '='), else None."""
        targets = []
        while True:
            tok = self.peek()
            if tok.kind != "id":
                return None
            name, _ = self.dotted("")
            target = ast.Target(tok.line, tok.col, name)
            if self.at("[") and not self._at_double_bracket():
                try:
                    target.rows, target.cols = self.index_specs()
                except ParseError:
                    return None
                target.indexed = True
            targets.append(target)
            if self.accept(","):
                continue
            return targets if self.at("=") else None

    def block(self) -> ast.Block:
        open_ = self.expect("{", "to open a block")
        body = []
        while not self.at("}"):
            if self.peek().kind == "eof":
                raise self.error(f"missing '}}' to close the block opened at line {open_.line}, "
                                 f"column {open_.col}")
            body.append(self.statement())
        self.next()
        self.accept(";")
        return ast.Block(open_.line, open_.col, body)

    def paren_cond(self, keyword: str) -> ast.Expr:
        self.expect("(", f"after '{keyword}'")
        cond = self.expr()
        self.expect(")", f"to close the condition of '{keyword}'")
        return cond

    def if_stmt(self) -> ast.If:
        tok = self.next()
        cond = self.paren_cond("if")
        then = self.statement()
        other = self.statement() if self.accept("else") else None
        return ast.If(tok.line, tok.col, cond, then, other)

    def while_stmt(self) -> ast.While:
        tok = self.next()
        cond = self.paren_cond("while")
        return ast.While(tok.line, tok.col, cond, self.statement())

    def do_stmt(self) -> ast.While:
        tok = self.next()
        body = self.statement()
        self.expect("while", "after the body of 'do'")
        cond = self.paren_cond("while")
        self.accept(";")
        return ast.While(tok.line, tok.col, cond, body, do=True)

    def for_stmt(self) -> ast.For:
        tok = self.next()
        self.expect("(", f"after '{tok.text}'")
        var = self.ident("for the loop variable").text
        self.expect("in", "after the loop variable (for (i in a:b) ...)")
        start = self.expr()
        self.expect(":", "between the start and end of the loop range")
        end = self.expr()
        step = self.expr() if self.accept(":") else None
        self.expect(")", "to close the loop header")
        return ast.For(tok.line, tok.col, var, start, end, step, self.statement())

    def type_spec(self) -> ast.TypeSpec:
        tok = self.peek()
        if tok.kind == "kw" and tok.text in DATA_TYPES:
            self.next()
            vt = None
            if self.accept("<"):
                vt = self.value_type()
                self.expect(">", "to close the value type")
            return ast.TypeSpec(tok.line, tok.col, tok.text, vt)
        if tok.kind == "kw" and tok.text in VALUE_TYPES:
            self.next()
            return ast.TypeSpec(tok.line, tok.col, None, tok.text)
        raise self.error(f"expected a type (matrix, frame, scalar, matrix<f64>, si64, ...), "
                         f"found {self.describe(tok)}")

    def value_type(self) -> str:
        tok = self.peek()
        if tok.kind != "kw" or tok.text not in VALUE_TYPES:
            raise self.error(f"expected a value type ({', '.join(VALUE_TYPES)}), found "
                             f"{self.describe(tok)}")
        return self.next().text

    def func_def(self) -> ast.FuncDef:
        tok = self.next()
        name = self.ident("for the function").text
        self.expect("(", "after the function name")
        params: list[ast.Param] = []
        while not self.at(")"):
            p = self.ident("for a parameter")
            ptype = self.type_spec() if self.accept(":") else None
            params.append(ast.Param(p.line, p.col, p.text, ptype))
            if not self.accept(","):
                break
        self.expect(")", "to close the parameter list")
        returns = None
        if self.accept("->"):
            returns = [self.type_spec()]
            while self.accept(","):
                returns.append(self.type_spec())
        if not self.at("{"):
            raise self.error(f"expected '{{' to open the body of function '{name}', found "
                             f"{self.describe(self.peek())}")
        return ast.FuncDef(tok.line, tok.col, name, params, returns, self.block())

    def return_stmt(self) -> ast.Return:
        tok = self.next()
        values = []
        if not self.at(";"):
            values.append(self.expr())
            while self.accept(","):
                values.append(self.expr())
        self.expect(";", "after the return statement")
        return ast.Return(tok.line, tok.col, values)

    def import_stmt(self) -> ast.Import:
        tok = self.next()
        path = self.peek()
        if path.kind != "str":
            raise self.error('expected the file to import as a string, e.g. import "f.daphne";')
        self.next()
        alias = None
        if self.accept("as"):
            a = self.peek()
            if a.kind != "str":
                raise self.error('expected the alias as a string, e.g. import "f.daphne" as "f";')
            alias = self.next().value
        self.expect(";", "after the import statement")
        return ast.Import(tok.line, tok.col, path.value, alias)

    # -- expressions --------------------------------------------------------------------------

    def expr(self) -> ast.Expr:
        node = self.binary(0)
        while self.at("?"):
            q = self.next()
            then = self.expr()
            self.expect(":", "between the branches of '?:'")
            node = ast.Ternary(q.line, q.col, node, then, self.binary(0))
        return node

    def binary(self, min_level: int) -> ast.Expr:
        """Precedence climbing over the binary operators binding at least ``min_level``;
        the right operand binds one level tighter, which makes them left-associative."""
        node = self.unary()
        while True:
            tok = self.peek()
            level = _LEVEL.get(tok.text, -1) if tok.kind == "op" else -1
            if level < min_level:
                return node
            self.next()
            if self.accept("::"):  # X +::kernel Y: a kernel hint on an operator
                check_hint(tok.text, self.ident("for the kernel hint after '::'"), self.error)
            rhs = self.binary(level + 1)
            node = ast.Binary(tok.line, tok.col, tok.text, node, rhs)

    def unary(self) -> ast.Expr:
        if self.at("-") or self.at("+"):
            op = self.next()
            operand = self.unary_operand()
            if op.text == "+":
                return operand
            if isinstance(operand, ast.Literal):
                folded = _negate(operand.value)
                if folded is not None:
                    return self.checked(ast.Literal(op.line, op.col, folded), op)
            return ast.Unary(op.line, op.col, "-", operand)
        tok = self.peek()
        return self.checked(self.postfix(), tok)

    def unary_operand(self) -> ast.Expr:
        """The operand of a unary operator; an si64 literal may be 2^63 until negated."""
        if self.at("-") or self.at("+"):
            return self.unary()
        return self.postfix()

    def checked(self, node: ast.Expr, tok: Token) -> ast.Expr:
        if isinstance(node, ast.Literal) and type(node.value) is int and not (
                -_SI64_MAX - 1 <= node.value <= _SI64_MAX):
            raise self.error(f"integer literal {node.value} does not fit in si64 (use the u "
                             "suffix for ui64)", tok)
        return node

    def _at_double_bracket(self) -> bool:
        a, b = self.peek(), self.peek(1)
        return a.text == "[" and b.kind == "op" and b.text == "[" and a.end == b.start

    def postfix(self) -> ast.Expr:
        node = self.primary()
        while self.at("["):
            tok = self.peek()
            if self._at_double_bracket():
                self.next()
                self.next()
                rows = None if self.at(",") else self.expr()
                self.expect(",", "between the row and column bit vectors of X[[rows, cols]]")
                cols = None if self.at("]") else self.expr()
                context = ("to close the bit-vector index X[[rows, cols]] (a position list as "
                           "the row index needs a space: X[ [1, 2], ])")
                self.expect("]", context)
                self.expect("]", context)
                node = ast.Index(tok.line, tok.col, node, rows, cols, bits=True)
            else:
                rows, cols = self.index_specs()
                node = ast.Index(tok.line, tok.col, node, rows, cols)
        return node

    def index_specs(self) -> tuple[ast.Expr | ast.Range | None, ast.Expr | ast.Range | None]:
        self.expect("[", "to start the index")
        rows = self.index_spec(",")
        if not self.at(","):
            raise self.error("index a matrix or frame with X[rows, cols]: the comma is "
                             "required (X[i, ] is row i, X[, j] is column j)")
        self.next()
        cols = self.index_spec("]")
        self.expect("]", "to close the index")
        return rows, cols

    def index_spec(self, closer: str) -> ast.Expr | ast.Range | None:
        tok = self.peek()
        if self.at(closer):
            return None
        lo = None if self.at(":") else self.expr()
        if not self.accept(":"):
            return lo
        hi = None if self.at(closer) or self.at(",") or self.at("]") else self.expr()
        return ast.Range(tok.line, tok.col, lo, hi)

    def primary(self) -> ast.Expr:
        tok = self.peek()
        if tok.kind in ("int", "float", "str") or (tok.kind == "kw" and tok.text in
                                                   ("true", "false")):
            self.next()
            return ast.Literal(tok.line, tok.col, tok.value)
        if tok.kind == "arg":
            self.next()
            if tok.value not in self.args:
                raise self.error(f"script argument ${tok.value} is not given; pass it on the "
                                 f"command line as {tok.value}=<literal> or --args "
                                 f"{tok.value}=<literal>", tok)
            return ast.Literal(tok.line, tok.col, parse_arg_value(tok.value,
                                                                  self.args[tok.value]))
        if self.at("("):
            self.next()
            node = self.expr()
            self.expect(")", "to close the parenthesis")
            return node
        if self.at("["):
            return self.matrix_literal()
        if self.at("{"):
            return self.frame_literal()
        if self.at("as"):
            return self.cast()
        if tok.kind == "id":
            name, _ = self.dotted("")
            if self.accept("::"):
                check_hint(name, self.ident("for the kernel hint after '::'"), self.error)
                if not self.at("("):
                    raise self.error("expected '(' after the kernel hint")
            if self.at("("):
                return self.call(name, tok)
            return ast.Name(tok.line, tok.col, name)
        if tok.kind == "kw":
            raise self.error(f"unexpected reserved word {tok.text!r} in an expression")
        raise self.error(f"expected an expression, found {self.describe(tok)}")

    def call(self, name: str, tok: Token) -> ast.Call:
        self.expect("(", "to start the argument list")
        args: list[ast.Expr] = []
        kwargs: list[tuple[str, ast.Expr]] = []
        while not self.at(")"):
            if self.peek().kind == "id" and self.at("=", 1):
                key = self.next()
                self.next()
                if any(k == key.text for k, _ in kwargs):
                    raise self.error(f"keyword argument {key.text!r} given twice", key)
                kwargs.append((key.text, self.expr()))
            else:
                if kwargs:
                    raise self.error("positional arguments must come before keyword arguments")
                args.append(self.expr())
            if not self.accept(","):
                break
        self.expect(")", f"to close the arguments of {name}()")
        return ast.Call(tok.line, tok.col, name, args, kwargs)

    def cast(self) -> ast.Cast:
        tok = self.next()
        self.expect(".", "after 'as' (casts are written as.f64(x), as.matrix<f64>(x), ...)")
        t = self.peek()
        if t.kind == "kw" and t.text in DATA_TYPES:
            self.next()
            target = t.text
            if self.accept("<"):
                target += f"<{self.value_type()}>"
                self.expect(">", "to close the value type of the cast")
        elif t.kind == "kw" and t.text in VALUE_TYPES:
            self.next()
            target = t.text
        else:
            raise self.error(f"unknown cast target {self.describe(t)}: use as.<matrix|frame|"
                             f"scalar>, as.<value type> or as.<data type><<value type>>")
        self.expect("(", f"after as.{target}")
        arg = self.expr()
        self.expect(")", f"to close as.{target}(...)")
        return ast.Cast(tok.line, tok.col, target, arg)

    def matrix_literal(self) -> ast.MatrixLit:
        tok = self.next()
        elems = []
        while not self.at("]"):
            elems.append(self.expr())
            if not self.accept(","):
                break
        self.expect("]", "to close the matrix literal")
        shape = None
        if self.at("("):
            self.next()
            rows = None if self.at(",") else self.expr()
            self.expect(",", "in the matrix literal's shape (rows, cols); use (r,) or (,c) for "
                        "one of them")
            cols = None if self.at(")") else self.expr()
            self.expect(")", "to close the matrix literal's shape")
            shape = (rows, cols)
        return ast.MatrixLit(tok.line, tok.col, elems, shape)

    def frame_literal(self) -> ast.FrameLit:
        tok = self.next()
        if self.at("["):
            labels = self.bracket_list("the frame's column labels")
            rows = []
            while self.accept(","):
                rows.append(self.bracket_list("a frame row"))
            self.expect("}", "to close the frame literal")
            return ast.FrameLit(tok.line, tok.col, labels, rows=rows)
        labels, columns = [], []
        while not self.at("}"):
            labels.append(self.expr())
            self.expect(":", "between a column label and its values in the frame literal")
            columns.append(self.expr())
            if not self.accept(","):
                break
        self.expect("}", "to close the frame literal")
        return ast.FrameLit(tok.line, tok.col, labels, columns=columns)

    def bracket_list(self, what: str) -> list[ast.Expr]:
        self.expect("[", f"to start {what}")
        items = []
        while not self.at("]"):
            items.append(self.expr())
            if not self.accept(","):
                break
        self.expect("]", f"to close {what}")
        return items
