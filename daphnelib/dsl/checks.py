"""The static pass over a lowered DaphneDSL script: the errors DAPHNE reports before anything
runs, at the stage DAPHNE reports them.

It infers what can be known without running (data type, value type, frame column labels)
for every value, and checks

- calls of user-defined functions with typed parameters: an argument whose type is known
  must have the parameter's data type, and the same value type (an ``f64`` parameter given
  ``1`` is an error; a ``matrix`` parameter without value type takes any matrix), as
  DAPHNE's parser does (exit status 1);
- ``if`` statements and loops: a variable must have the same data type (matrix, frame,
  scalar) after either branch and before and after a loop body, and ``c ? a : b`` with a
  scalar condition needs ``a`` and ``b`` of one type (parser, exit status 1);
- ``sql`` queries: every table is a registered view, named once per FROM list, every column
  of a view with known labels exists, and a grouped query selects only grouped or
  aggregated columns (DAPHNE's SQL lowering, a compiler pass: exit status 2).

A function without declared results is specialised per call (its body walked with the
argument types), as DAPHNE does. Types it cannot know (a loop that changes a variable, a
recursive call) are unknown, and unknown never fails a check: the run-time checks remain.
Errors are collected, and the one of the earliest stage is raised, as DAPHNE stops at the
first stage that fails. The pass runs for DaphneDSL scripts (``compile_script``), never for
programs of the Python API.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from daphnelib.dsl.builtins import BUILTINS
from daphnelib.dsl.errors import CompileError, DaphneDSLError, ParseError
from daphnelib.dsl.lowering import Lowered
from daphnelib.engine.control import Block, FunctionGroup, Overload, TypeSpec
from daphnelib.engine.program import Program, Var
from daphnelib.engine.values import FrameValue
from daphnelib.engine.valuetypes import most_general, vt_of, vt_of_dtype

_ARITHMETIC = frozenset(("+", "-", "*", "/", "@"))
_ELEMENTWISE = frozenset(("+", "-", "*", "/", "^", "%", "==", "!=", "<", "<=", ">", ">=",
                          "&&", "||", "@"))


@dataclass(frozen=True, slots=True)
class Static:
    """What is known of a value before running: its data type ("matrix", "frame", "scalar",
    "list"), value type and, for a frame, its column labels. None: unknown."""

    data: str | None = None
    vt: str | None = None
    labels: tuple[str, ...] | None = None

    def __str__(self) -> str:
        if self.data is None:
            return "?"
        if self.data == "scalar":
            return self.vt or "scalar"
        return self.data if self.vt is None else f"{self.data}<{self.vt}>"


UNKNOWN = Static()


def located(cls: type[DaphneDSLError], message: str, lowered: Lowered, program: Program,
            out: int | None) -> DaphneDSLError:
    """An error pointing at the script line of instruction ``out`` of ``program``."""
    loc = None if out is None else lowered.location(program, out)
    if loc is None:
        return cls(message)
    lines = lowered.sources.get(loc.file, [])
    src = lines[loc.line - 1] if 0 < loc.line <= len(lines) else None
    return cls(message, loc.file, loc.line, loc.col, src)


def check_static(lowered: Lowered) -> None:
    """Run the static pass; raise the error of the earliest stage it finds, if any."""
    checker = _Checker(lowered)
    checker.program(lowered.program, [])
    for group in lowered.functions:
        for o in group.overloads:
            if o.block is not None:
                checker.program(o.block.program, [_declared(t) for t in o.param_types])
    if checker.errors:
        raise min(checker.errors, key=lambda e: e.exit_status)


def _declared(spec: TypeSpec | None) -> Static:
    return UNKNOWN if spec is None else Static(spec.data, spec.value)


def _join(a: Static, b: Static) -> Static:
    """What is known of a value that is ``a`` on one path and ``b`` on another."""
    if a == b:
        return a
    return Static(a.data if a.data == b.data else None, a.vt if a.vt == b.vt else None)


def _constant(a: Any) -> Static:
    if type(a) is Var or a is None:
        return UNKNOWN
    if isinstance(a, np.ndarray):
        return Static("matrix", vt_of_dtype(a.dtype))
    if isinstance(a, FrameValue):
        return Static("frame", labels=tuple(a.labels))
    try:
        return Static("scalar", vt_of(a))
    except TypeError:  # a block, a function group, a slice: no value of the script
        return UNKNOWN


def _compatible(spec: TypeSpec | None, arg: Static) -> bool:
    """DAPHNE's rule for an argument of a typed parameter (unknown types pass)."""
    if spec is None or arg.data is None:
        return True
    if spec.data != arg.data:
        return False
    return spec.data == "frame" or spec.value is None or arg.vt is None or spec.value == arg.vt


def _frame_labels_of_file(filename: Any) -> tuple[str, ...] | None:
    """The labels a ``readFrame`` of a constant file name gives, from its .meta (as DAPHNE
    reads it when compiling); None when they cannot be known now."""
    if not isinstance(filename, str):
        return None
    try:
        with open(filename + ".meta", encoding="utf-8") as f:
            schema = json.load(f).get("schema")
        return tuple(str(c["label"]) for c in schema)
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None


class _Checker:
    def __init__(self, lowered: Lowered) -> None:
        self.lowered = lowered
        self.errors: list[DaphneDSLError] = []
        self.specialisations: dict[tuple[int, tuple[Static, ...]], list[Static]] = {}

    def fail(self, cls: type[DaphneDSLError], message: str, program: Program, out: int) -> None:
        self.errors.append(located(cls, message, self.lowered, program, out))

    def program(self, program: Program, params: Sequence[Static]) -> list[Static]:
        """Check a program whose parameters are ``params``; the types of its results."""
        env: dict[int, Any] = dict(enumerate(params))
        results: list[Static] = []
        for ins in program.instrs:
            if ins.op == "results":
                results = [self.operand(a, env) for a in ins.args]
                continue
            env[ins.out] = self.instr(program, ins.out, ins.op, ins.args, env)
        return results

    def operand(self, a: Any, env: dict[int, Any]) -> Static:
        if type(a) is Var:
            t = env.get(a.id, UNKNOWN)
            return t if isinstance(t, Static) else UNKNOWN
        return _constant(a)

    def block(self, block: Block | None, params: list[Static]) -> list[Static] | None:
        return None if block is None else self.program(block.program, params)

    # -- instructions -------------------------------------------------------------------------

    def instr(self, program: Program, out: int, op: str, args: tuple, env: dict[int, Any]
              ) -> Any:
        """The type of instruction ``out`` (a list for one with several results)."""
        types = [self.operand(a, env) for a in args]
        if op == "if":
            return self.if_(program, out, args, types)
        if op in ("for", "while", "do-while"):
            return self.loop(program, out, op, args, types)
        if op == "call":
            return self.call(program, out, args[0], args[1], types[2:])
        if op == "item":
            multi = env.get(args[0].id) if type(args[0]) is Var else None
            i = args[1]
            return multi[i] if isinstance(multi, list) and i < len(multi) else UNKNOWN
        if op == "sql":
            return Static("frame", labels=self.sql(program, out, args, types))
        if op == "?:":
            self.cond(program, out, types)
        return self.builtin(op, args, types)

    def cond(self, program: Program, out: int, types: list[Static]) -> None:
        """``c ? a : b`` with a scalar condition picks one value: DAPHNE requires ``a`` and
        ``b`` of the same data and value type (its test expressions/cond_success_1)."""
        cond, a, b = types
        if cond.data != "scalar":
            return
        if (a.data and b.data and a.data != b.data) or (
                a.data == b.data and a.vt and b.vt and a.vt != b.vt):
            self.fail(ParseError, f"the two values of '?:' with a scalar condition must have "
                      f"the same type, got {a} and {b} (cast one of them)", program, out)

    def if_(self, program: Program, out: int, args: tuple, types: list[Static]
            ) -> list[Static]:
        then, other, ncarried = args[1], args[2], args[3]
        params = types[4:]
        before = params[:ncarried]
        after_then = self.block(then, params) or before
        after_else = self.block(other, params) or before
        merged = []
        names = self.lowered.carried.get((id(program), out), ())
        for i, (t, e) in enumerate(zip(after_then, after_else, strict=False)):
            if t.data is not None and e.data is not None and t.data != e.data:
                paths = ("after the then-branch", "after the else-branch") if other else (
                    "when the then-branch runs", "when it does not")
                name = names[i] if i < len(names) else f"#{i + 1}"
                what = "the function's result" if name.startswith("#") else f"variable {name!r}"
                self.fail(ParseError, f"{what} is a {t.data} {paths[0]} but a {e.data} "
                          f"{paths[1]}: its data type (matrix, frame or scalar) must not "
                          "depend on the branch", program, out)
            merged.append(_join(t, e))
        return merged

    def loop(self, program: Program, out: int, op: str, args: tuple, types: list[Static]
             ) -> list[Static]:
        if op == "for":
            body, ncarried, state = args[3], args[4], types[5:]
            after = self.block(body, [Static("scalar"), *state]) or state
        else:
            cond, body, ncarried, state = args[0], args[1], args[2], types[3:]
            self.block(cond, state)
            after = self.block(body, state) or state
        names = self.lowered.carried.get((id(program), out), ())
        for i, (before, t) in enumerate(zip(state[:ncarried], after, strict=False)):
            if before.data is not None and t.data is not None and before.data != t.data:
                name = names[i] if i < len(names) else f"#{i + 1}"
                self.fail(ParseError, f"variable {name!r} is a {before.data} before the loop "
                          f"but a {t.data} after its body: its data type (matrix, frame or "
                          "scalar) must not change in a loop", program, out)
        # A variable the body changes may change value type in a later iteration: keep only
        # what the initial value and one pass of the body agree on.
        return [_join(a, b) for a, b in zip(state[:ncarried], after, strict=False)]

    def call(self, program: Program, out: int, group: FunctionGroup, nresults: int,
             types: list[Static]) -> Any:
        arity = [o for o in group.overloads if len(o.param_names) == len(types)]
        fitting = [o for o in arity
                   if all(_compatible(s, t) for s, t in zip(o.param_types, types, strict=True))]
        if arity and not fitting:
            sigs = "; ".join(o.signature() for o in group.overloads)
            got = ", ".join(map(str, types))
            self.fail(ParseError, f"no definition of function {group.name!r} takes arguments "
                      f"of types ({got}); defined: {sigs}", program, out)
        chosen = fitting or arity
        results = self.declared_results(chosen)
        if not results and len(chosen) == 1:
            results = self.specialised(chosen[0], types)
        return results[0] if nresults == 1 and results else results

    def specialised(self, overload: Overload, types: list[Static]) -> list[Static]:
        """The result types of a function without declared results, for these argument types
        (DAPHNE specialises such a function per call). Errors in its body are reported by the
        check of the body itself, not once per call; a recursive call is unknown."""
        params = tuple(t if s is None else _declared(s)
                       for s, t in zip(overload.param_types, types, strict=True))
        key = (id(overload), params)
        if key not in self.specialisations:
            self.specialisations[key] = []  # while the body is walked: a recursive call
            saved, self.errors = self.errors, []
            try:
                self.specialisations[key] = self.program(overload.block.program, list(params))
            finally:
                self.errors = saved
        return self.specialisations[key]

    @staticmethod
    def declared_results(overloads: list[Overload]) -> list[Static]:
        declared = {tuple(o.return_types) if o.return_types is not None else None
                    for o in overloads}
        if len(declared) != 1 or None in declared:
            return []
        return [_declared(t) for t in declared.pop()]

    def builtin(self, op: str, args: tuple, types: list[Static]) -> Any:
        if op.startswith("as."):
            return self.cast(op[3:], types[0] if types else UNKNOWN)
        if op in _ELEMENTWISE:
            data = self.ew_data(types)
            vts = [t.vt for t in types]
            vt = most_general(*vts) if op in _ARITHMETIC and None not in vts else None
            return Static("matrix" if op == "@" else data, vt)
        if op == "matrixLiteral":
            vts = [t.vt for t in types[2:]]
            known = vts and None not in vts
            return Static("matrix", most_general(*vts) if known else None)
        if op == "fill":
            return Static("matrix", types[0].vt if types else None)
        if op == "createFrame":
            n = len(args) // 2
            labels = args[n:]
            known = all(isinstance(lbl, str) for lbl in labels)
            return Static("frame", labels=tuple(labels) if known else None)
        if op == "setColLabels":
            labels = args[1:]
            known = all(isinstance(lbl, str) for lbl in labels)
            return Static("frame", labels=tuple(labels) if known else None)
        if op == "readFrame":
            return Static("frame", labels=_frame_labels_of_file(args[0] if args else None))
        if op in ("extract", "filter", "insert", "minus"):
            first = types[0] if types else UNKNOWN
            return Static(first.data, first.vt if first.data != "frame" else None)
        if op == "?:":
            cond = types[0] if types else UNKNOWN
            return Static("matrix" if cond.data == "matrix" else self.ew_data(types[1:]))
        b = BUILTINS.get(op)
        if b is None:
            return UNKNOWN
        kinds = [self.result_data(op, args, k, types) for k in b.kinds]
        return Static(kinds[0]) if len(kinds) == 1 else [Static(k) for k in kinds]

    @staticmethod
    def ew_data(types: Sequence[Static]) -> str | None:
        datas = [t.data for t in types]
        for d in ("matrix", "frame"):
            if d in datas:
                return d
        return None if None in datas else "scalar"

    def result_data(self, op: str, args: tuple, kind: str, types: list[Static]) -> str | None:
        if kind == "same":
            if op == "order" and args and args[-1] is True:
                return "matrix"  # returnIndexes: a position matrix
            return types[0].data if types else None
        if kind == "ew":
            return self.ew_data(types)
        if kind == "agg":
            return "scalar" if len(types) == 1 else "matrix"
        return None if kind == "none" else kind

    @staticmethod
    def cast(target: str, arg: Static) -> Static:
        data, _, vt = target.partition("<")
        if data in ("matrix", "frame", "scalar"):
            return Static(data, vt.rstrip(">") or (arg.vt if data != "frame" else None))
        return Static(arg.data, target)  # as.<value type>: the data type stays

    # -- SQL ----------------------------------------------------------------------------------

    def sql(self, program: Program, out: int, args: tuple, types: list[Static]
            ) -> tuple[str, ...] | None:
        """Check a query; the labels of its result when they are known."""
        query = args[0]
        if not isinstance(query, str):
            return None
        from daphnelib.errors import SQLError
        from daphnelib.sql.dialect import parse

        views = {name: t.labels for name, t in zip(args[1::2], types[2::2], strict=False)}
        try:
            tree = parse(query)
        except SQLError as exc:
            self.fail(CompileError, str(exc), program, out)
            return None
        except ImportError:  # without the sql extra, the kernel says which extra to install
            return None
        problems = _sql_problems(tree, views)
        for message in problems:
            self.fail(CompileError, f"{message}\n  in query: {query}", program, out)
        return None if problems else _result_labels(tree)


def _sql_problems(tree: Any, views: dict[str, tuple[str, ...] | None]) -> list[str]:
    """Unknown tables, and unknown columns of views whose labels are known."""
    from sqlglot import exp

    ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
    problems = []
    for table in tree.find_all(exp.Table):
        if table.name not in views and table.name not in ctes:
            problems.append(f"unknown table {table.name!r}: no view of that name is registered"
                            f" (registered: {sorted(views)})")
    if problems:
        return problems
    for select in tree.find_all(exp.Select):
        sources: dict[str, tuple[str, ...] | None] = {}
        for table in select.find_all(exp.Table):
            if table.parent_select is select:
                alias = table.alias_or_name.lower()
                if alias in sources:
                    problems.append(f"table {table.alias_or_name!r} appears twice in one FROM "
                                    "list; give one of them another name (FROM t, t AS u)")
                names = views.get(table.name) if table.name not in ctes else None
                sources[alias] = names
        problems += _ungrouped_columns(select)
        aliases = {e.alias.lower() for e in select.expressions if isinstance(e, exp.Alias)}
        for column in select.find_all(exp.Column):
            if column.parent_select is not select or isinstance(column.this, exp.Star):
                continue
            name = column.name.lower()
            if column.table:
                labels = sources.get(column.table.lower(), None)
                candidates = [labels] if labels is not None else []
            elif name in aliases or None in sources.values() or not sources:
                continue
            else:
                candidates = list(sources.values())
            if candidates and not any(_has_column(lbls, name) for lbls in candidates):
                known = sorted({lbl for lbls in candidates for lbl in lbls})
                problems.append(f"unknown column {column.sql()!r} (the view has the columns "
                                f"{known})")
    return problems


def _result_labels(tree: Any) -> tuple[str, ...] | None:
    """The labels of a query's result when its items are columns (``t.a``) or aliased."""
    from sqlglot import exp

    if not isinstance(tree, exp.Select):
        return None
    labels = []
    for item in tree.expressions:
        if isinstance(item, exp.Alias):
            labels.append(item.alias)
        elif isinstance(item, exp.Column) and not isinstance(item.this, exp.Star):
            labels.append(f"{item.table}.{item.name}" if item.table else item.name)
        else:
            return None
    return tuple(labels)


def _ungrouped_columns(select: Any) -> list[str]:
    """Select items that name a column neither grouped nor aggregated, in a grouped query
    (``*`` and ``t.*`` items are left to planning, which gives them DAPHNE's meaning)."""
    from sqlglot import exp

    group = select.args.get("group")
    if group is None:
        return []
    keys = {k.sql().lower() for k in group.expressions}
    key_columns = [(k.table.lower(), k.name.lower()) for k in group.expressions
                   if isinstance(k, exp.Column)]
    star_tables = {k.table.lower() for k in group.expressions
                   if isinstance(k, exp.Column) and isinstance(k.this, exp.Star)}
    if any(isinstance(k, (exp.Star, exp.Literal)) for k in group.expressions):
        return []  # GROUP BY * or by position: left to planning and DuckDB
    problems = []
    for item in select.expressions:
        column = item.this if isinstance(item, exp.Alias) else item
        if not isinstance(column, exp.Column) or isinstance(column.this, exp.Star):
            continue
        table, name = column.table.lower(), column.name.lower()
        grouped = any(n == name and (not t or not table or t == table) for t, n in key_columns)
        aliased = isinstance(item, exp.Alias) and item.alias.lower() in keys
        if not (grouped or aliased or table in star_tables):
            problems.append(f"column {column.sql()!r} is selected but neither in the GROUP BY "
                            "list nor inside an aggregation")
    return problems


def _has_column(labels: tuple[str, ...], name: str) -> bool:
    """Whether a view with these labels has column ``name`` (a label ``t.a`` is column
    ``a`` inside the query; names compare without case, as in the query engine)."""
    return any(name in (lbl.lower(), lbl.lower().partition(".")[2]) for lbl in labels)
