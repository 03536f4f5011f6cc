"""Lower a DaphneDSL syntax tree to the engine's IR (``engine/program.py``).

Straight-line code becomes the same instructions the Python API produces: one per builtin
call or operator, with literals inlined as constant arguments (``X = fill(-1, 2, 2);`` is
``fill(-1, 2, 2)`` exactly as ``dc.fill(-1, 2, 2)``). Variables are compile-time names for
SSA values: an assignment emits nothing, it rebinds the name.

Control flow uses the structured instructions of ``engine/control.py``. For each construct
the *carried* variables are the already-visible names it assigns, and the *captured* ones
the visible names it only reads; both become block parameters (a captured constant is
inlined instead), and the construct's results rebind the carried names. This gives DAPHNE's
scoping for free: a name first assigned inside a block or branch is local to it.

Functions are lowered to one :class:`~daphnelib.engine.control.Overload` per definition; a
call picks the definition by the run-time argument types (overloading) and casts to declared
parameter types. A ``return`` inside an ``if`` is supported by moving the statements after the
``if`` into the branches that do not return.
"""

from __future__ import annotations

import difflib
import json
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from daphnelib.dsl import ast
from daphnelib.dsl.builtins import BUILTINS, Builtin
from daphnelib.dsl.config import check_user_config
from daphnelib.dsl.errors import CompileError, DaphneDSLError, ParseError
from daphnelib.dsl.parser import parse
from daphnelib.engine.control import Block, FunctionGroup, Overload, TypeSpec
from daphnelib.engine.program import Instr, Kind, Program, Var

_KIND_OF = {"matrix": Kind.MATRIX, "frame": Kind.FRAME, "scalar": Kind.SCALAR,
            "none": Kind.NONE, "list": Kind.MATRIX}
_MISSING = object()
# What receiveFromNumpy reads: live arrays by address, or a resolver
# ``(address, rows, cols, value_type_code) -> array`` that reads the memory itself.
Buffers = Mapping[int, np.ndarray] | Callable[[int, int, int, int], np.ndarray]
_RETURN = "#return"  # hidden variables #return0, #return1, ... hold a function's results


@dataclass(frozen=True, slots=True)
class Location:
    file: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


@dataclass(slots=True)
class Value:
    """A lowered expression: a :class:`Var` or a constant, and its data kind (None: unknown)."""

    operand: Any
    kind: Kind | None


@dataclass(slots=True)
class Binding:
    value: Value
    readonly: bool = False  # for-loop variables


class Scope:
    __slots__ = ("names", "parent")

    def __init__(self, parent: Scope | None = None) -> None:
        self.names: dict[str, Binding] = {}
        self.parent = parent

    def find(self, name: str) -> Scope | None:
        scope: Scope | None = self
        while scope is not None:
            if name in scope.names:
                return scope
            scope = scope.parent
        return None

    def visible(self) -> dict[str, Binding]:
        chain, scope = [], self
        while scope is not None:
            chain.append(scope.names)
            scope = scope.parent
        out: dict[str, Binding] = {}
        for names in reversed(chain):
            out.update(names)
        return out


class Region:
    """A program under construction: the top level, a block, or a function body."""

    def __init__(self, nparams: int, scope: Scope) -> None:
        self.nparams = nparams
        self.instrs: list[Instr] = []
        self.locations: dict[int, Location] = {}
        self.carried: dict[int, tuple[str, ...]] = {}  # out of a construct -> its variables
        self.scope = scope

    def emit(self, op: str, args: Sequence[Any], kind: Kind | None, where: Location) -> Var:
        out = self.nparams + len(self.instrs)
        self.instrs.append(Instr(out, op, tuple(args), kind or Kind.MATRIX))
        self.locations[out] = where
        return Var(out)


@dataclass
class Module:
    """One script file: its functions and the names its own top level defines."""

    file: str
    lines: list[str]
    functions: dict[str, FunctionGroup] = field(default_factory=dict)
    imported_names: set[str] = field(default_factory=set)
    defs: list[tuple[ast.FuncDef, Overload]] = field(default_factory=list)


@dataclass
class Lowered:
    """A lowered script: the program, plus where each instruction came from."""

    program: Program
    locations: dict[tuple[int, int], Location]  # (id(program), out) -> source location
    functions: list[FunctionGroup]
    sources: dict[str, list[str]] = field(default_factory=dict)  # file -> its lines
    # (id(program), out) of an if/for/while -> the names of the variables it assigns
    carried: dict[tuple[int, int], tuple[str, ...]] = field(default_factory=dict)

    def location(self, program: Program, out: int) -> Location | None:
        return self.locations.get((id(program), out))


def lower_script(
    script: ast.Script,
    *,
    args: Mapping[str, str] | None = None,
    import_paths: Mapping[str, Sequence[str]] | None = None,
    buffers: Buffers | None = None,
) -> Lowered:
    """Lower a parsed script. ``import_paths`` is the ``daphnedsl_import_paths`` of a DAPHNE
    config; ``buffers`` maps addresses to live arrays for ``receiveFromNumpy`` (or is a
    resolver that builds them from the builtin's constant arguments)."""
    try:
        return Lowerer(script, args, import_paths, buffers).run()
    except RecursionError:  # lowering recurses once per level of the syntax tree
        raise ParseError("the script nests too deeply (long operator chains, nested blocks) "
                         "to be compiled") from None


def read_import_paths(config_file: str) -> dict[str, list[str]]:
    """``daphnedsl_import_paths`` of a DAPHNE user config JSON (``--config=FILE``), after
    checking the whole file as DAPHNE does (ValueError). Relative directories are relative to
    the working directory, as in DAPHNE."""
    with open(config_file, encoding="utf-8") as f:
        config = json.load(f)
    check_user_config(config, config_file)
    paths = config.get("daphnedsl_import_paths", {})
    return {key: [os.path.abspath(d) for d in dirs] for key, dirs in paths.items()}


# -- syntax-tree queries ----------------------------------------------------------------------

def _children(node: Any) -> Iterator[Any]:
    if isinstance(node, list):
        yield from node
        return
    if isinstance(node, ast.FuncDef):
        return  # functions have their own scope
    if isinstance(node, ast.Node):
        for name in node.__slots__:
            value = getattr(node, name)
            if isinstance(value, (ast.Node, list)):
                yield value
            elif isinstance(value, tuple):
                yield from (v for v in value if isinstance(v, ast.Node))
        if isinstance(node, ast.Call):
            yield from (e for _, e in node.kwargs)


def _walk(node: Any) -> Iterator[Any]:
    yield node
    for child in _children(node):
        if isinstance(child, list):
            for c in child:
                yield from _walk(c)
        else:
            yield from _walk(child)


def _assigned(nodes: Iterable[Any]) -> list[str]:
    """Names assigned anywhere in these statements, in order of first assignment."""
    out: dict[str, None] = {}
    for node in nodes:
        for n in _walk(node):
            if isinstance(n, ast.Assign):
                out.update((t.name, None) for t in n.targets)
            elif isinstance(n, ast.Return):
                out.update((f"{_RETURN}{i}", None) for i in range(len(n.values)))
    return list(out)


def _referenced(nodes: Iterable[Any]) -> list[str]:
    """Names read anywhere in these statements/expressions (over-approximated)."""
    out: dict[str, None] = {}
    for node in nodes:
        for n in _walk(node):
            if isinstance(n, ast.Name):
                out[n.name] = None
            elif isinstance(n, ast.Target) and n.indexed:
                out[n.name] = None
    return list(out)


def _has_return(node: Any) -> bool:
    return any(isinstance(n, ast.Return) for n in _walk(node))


def _always_returns(stmt: ast.Stmt | None) -> bool:
    if isinstance(stmt, ast.Return):
        return True
    if isinstance(stmt, ast.Block):
        return any(_always_returns(s) for s in stmt.body)
    if isinstance(stmt, ast.If):
        return _always_returns(stmt.then) and _always_returns(stmt.other)
    return False


def _body(stmt: ast.Stmt | None) -> list[ast.Stmt]:
    if stmt is None:
        return []
    return list(stmt.body) if isinstance(stmt, ast.Block) else [stmt]


def _static_results(fn: ast.FuncDef) -> int:
    counts = {len(n.values) for n in _walk(fn.body.body) if isinstance(n, ast.Return)}
    if len(counts) > 1:
        raise ValueError("different numbers of values")
    return counts.pop() if counts else 0


def _type_spec(t: ast.TypeSpec | None) -> TypeSpec | None:
    if t is None:
        return None
    return TypeSpec(t.data or "scalar", t.value)


def _ew_kind(*kinds: Kind | None) -> Kind | None:
    if Kind.MATRIX in kinds:
        return Kind.MATRIX
    if Kind.FRAME in kinds:
        return Kind.FRAME
    return None if None in kinds else Kind.SCALAR


# -- the lowering -----------------------------------------------------------------------------

class Lowerer:
    def __init__(self, script: ast.Script, args: Mapping[str, str] | None,
                 import_paths: Mapping[str, Sequence[str]] | None,
                 buffers: Buffers | None) -> None:
        self.script = script
        self.args = dict(args or {})
        self.import_paths = {k: list(v) for k, v in (import_paths or {}).items()}
        self.buffers = buffers
        self.views: dict[str, Value] = {}  # registerView: name -> frame (compile-time, as DAPHNE)
        self.module = Module(script.file, script.source.split("\n"))
        self.region = Region(0, Scope())
        self.in_function = False
        self.importing: list[str] = [os.path.abspath(script.file)]
        self.imported_stems: dict[str, str] = {}  # import name -> absolute path
        self.locations: dict[tuple[int, int], Location] = {}
        self.carried: dict[tuple[int, int], tuple[str, ...]] = {}
        self.groups: list[FunctionGroup] = []
        self.nresults: dict[int, int] = {}  # id(overload) -> number of results
        self.sources = {script.file: self.module.lines}

    # -- errors and locations -----------------------------------------------------------------

    def where(self, node: ast.Node) -> Location:
        return Location(self.module.file, node.line, node.col)

    def error(self, message: str, node: ast.Node, cls: type[DaphneDSLError] = ParseError
              ) -> DaphneDSLError:
        lines = self.module.lines
        src = lines[node.line - 1] if 0 < node.line <= len(lines) else None
        return cls(message, self.module.file, node.line, node.col, src)

    def finish(self, region: Region) -> Program:
        program = Program(tuple(region.instrs))
        for out, loc in region.locations.items():
            self.locations[(id(program), out)] = loc
        for out, names in region.carried.items():
            self.carried[(id(program), out)] = names
        return program

    # -- entry --------------------------------------------------------------------------------

    def run(self) -> Lowered:
        self.lower_module(self.script.body)
        program = self.finish(self.region)
        return Lowered(program, self.locations, self.groups, self.sources, self.carried)

    def lower_module(self, body: list[ast.Stmt]) -> None:
        """Lower a file's top level: register its functions, run its statements, then lower
        the function bodies (so that they may call functions of later imports)."""
        for stmt in body:
            if isinstance(stmt, ast.FuncDef):
                self.register_function(stmt)
        for stmt in body:
            self.statement(stmt, top=True)
        for fn, overload in self.module.defs:
            self.lower_function(fn, overload)

    # -- names --------------------------------------------------------------------------------

    def lookup(self, name: str, node: ast.Node) -> Value:
        scope = self.region.scope.find(name)
        if scope is None:
            raise self.undefined(name, node)
        return scope.names[name].value

    def undefined(self, name: str, node: ast.Node) -> DaphneDSLError:
        if name in self.module.functions:
            return self.error(f"{name!r} is a function; call it as {name}(...)", node)
        known = [n for n in self.region.scope.visible() if not n.startswith("#")]
        hint = difflib.get_close_matches(name, known, n=1, cutoff=0.5)
        text = f"variable {name!r} is used before it is assigned"
        if self.in_function:
            text += " (a function sees only its parameters and its own variables)"
        if hint:
            text += f"; did you mean {hint[0]!r}?"
        return self.error(text, node)

    def assign(self, name: str, value: Value, node: ast.Node) -> None:
        scope = self.region.scope.find(name)
        if scope is None:
            self.region.scope.names[name] = Binding(value)
            return
        if scope.names[name].readonly:
            raise self.error(f"the loop variable {name!r} is read-only inside the loop", node)
        scope.names[name] = Binding(value)

    # -- statements ---------------------------------------------------------------------------

    def statement(self, stmt: ast.Stmt, top: bool = False) -> None:
        if isinstance(stmt, ast.ExprStmt):
            if isinstance(stmt.expr, ast.Call):
                self.call(stmt.expr, nresults=0)
            else:
                self.expr(stmt.expr)
        elif isinstance(stmt, ast.Assign):
            self.assignment(stmt)
        elif isinstance(stmt, ast.Block):
            outer = self.region.scope
            self.region.scope = Scope(outer)
            try:
                self.statements(stmt.body)
            finally:
                self.region.scope = outer
        elif isinstance(stmt, ast.If):
            self.if_stmt(stmt)
        elif isinstance(stmt, ast.While):
            self.while_stmt(stmt)
        elif isinstance(stmt, ast.For):
            self.for_stmt(stmt)
        elif isinstance(stmt, ast.FuncDef):
            if not top or self.in_function:
                raise self.error("functions can only be defined at the top level of a script",
                                 stmt)
        elif isinstance(stmt, ast.Return):
            if not self.in_function:
                raise self.error("'return' outside of a function", stmt)
            for i, e in enumerate(stmt.values):
                self.assign(f"{_RETURN}{i}", self.expr(e), stmt)
        elif isinstance(stmt, ast.Import):
            if not top or self.in_function:
                raise self.error("imports can only appear at the top level of a script", stmt)
            self.import_stmt(stmt)
        else:  # pragma: no cover - the parser produces no other statements
            raise self.error(f"unsupported statement {type(stmt).__name__}", stmt)

    def assignment(self, stmt: ast.Assign) -> None:
        targets = stmt.targets
        if len(targets) == 1:
            values = [self.expr(stmt.value)]
        else:
            if not isinstance(stmt.value, ast.Call):
                raise self.error(f"assigning {len(targets)} variables needs a function call "
                                 f"with {len(targets)} results on the right", stmt)
            values = self.call(stmt.value, nresults=len(targets))
        for target, value in zip(targets, values, strict=True):
            if target.indexed:
                obj = self.lookup(target.name, target)
                rows = self.index_spec(target.rows, labels=False)
                cols = self.index_spec(target.cols, labels=False)
                value = Value(self.region.emit("insert", (obj.operand, rows, cols, value.operand),
                                               obj.kind, self.where(target)), obj.kind)
            self.assign(target.name, value, target)

    def visible_state(self, nodes: list[Any]) -> tuple[list[str], list[str]]:
        """(carried, captured): visible names the construct assigns / only reads."""
        visible = self.region.scope.visible()
        carried = [n for n in _assigned(nodes) if n in visible]
        captured = [n for n in _referenced(nodes) if n in visible and n not in carried]
        return carried, captured

    def block(self, stmts: list[ast.Stmt], carried: list[str], captured: list[str],
              where: ast.Node, loop_var: str | None = None, result: ast.Expr | None = None
              ) -> Block:
        """Lower statements (or one expression) into a nested block over the given state."""
        outer = self.region
        visible = outer.scope.visible()
        scope = Scope()
        nparams = 0
        if loop_var is not None:
            scope.names[loop_var] = Binding(Value(Var(0), Kind.SCALAR), readonly=True)
            nparams = 1
        for name in carried:
            scope.names[name] = Binding(Value(Var(nparams), visible[name].value.kind))
            nparams += 1
        for name in captured:
            bound = visible[name]
            if type(bound.value.operand) is Var:
                scope.names[name] = Binding(Value(Var(nparams), bound.value.kind), bound.readonly)
                nparams += 1
            else:
                scope.names[name] = bound  # a constant: inlined, not a parameter
        self.region = Region(nparams, scope)
        try:
            if result is not None:
                outs = [self.expr(result).operand]
            else:
                self.statements(stmts)
                outs = [scope.names[n].value.operand for n in carried]
            self.region.emit("results", outs, Kind.NONE, self.where(where))
            return Block(nparams, self.finish(self.region))
        finally:
            self.region = outer

    def state_args(self, carried: list[str], captured: list[str]) -> list[Any]:
        visible = self.region.scope.visible()
        args = [visible[n].value.operand for n in carried]
        args += [visible[n].value.operand for n in captured
                 if type(visible[n].value.operand) is Var]
        return args

    def rebind(self, result: Var, carried: list[str], node: ast.Node) -> None:
        visible = self.region.scope.visible()
        for i, name in enumerate(carried):
            kind = visible[name].value.kind
            out = self.region.emit("item", (result, i), kind, self.where(node))
            scope = self.region.scope.find(name)
            scope.names[name] = Binding(Value(out, kind), scope.names[name].readonly)

    def statements(self, stmts: list[ast.Stmt]) -> None:
        if not self.in_function:
            for s in stmts:
                self.statement(s)
            return
        # Inside a function: statements after an if with a return in a branch run only on
        # the paths that do not return, so they move into those branches (and into a block
        # that returns on some path).
        for i, s in enumerate(stmts):
            rest = stmts[i + 1:]
            if rest and _always_returns(s):
                # Dead code after a return, or after an if/block that returns on every path:
                # DAPHNE accepts it (test controlflow/if_10), and so do we; it is not lowered.
                self.statement(s)
                return
            if isinstance(s, ast.Block) and rest and _has_return(s):
                self.statement(ast.Block(s.line, s.col, [*s.body, *rest]))
                return
            if isinstance(s, ast.If) and rest and _has_return(s):
                then = s.then if _always_returns(s.then) else ast.Block(
                    s.line, s.col, [*_body(s.then), *rest])
                other = s.other if _always_returns(s.other) else ast.Block(
                    s.line, s.col, [*_body(s.other), *rest])
                self.statement(ast.If(s.line, s.col, s.cond, then, other))
                return
            self.statement(s)

    def if_stmt(self, stmt: ast.If) -> None:
        cond = self.expr(stmt.cond)
        branches = [b for b in (stmt.then, stmt.other) if b is not None]
        carried, captured = self.visible_state(branches)
        then = self.block(_body(stmt.then), carried, captured, stmt)
        other = None if stmt.other is None else self.block(_body(stmt.other), carried, captured,
                                                           stmt)
        args = [cond.operand, then, other, len(carried), *self.state_args(carried, captured)]
        out = self.region.emit("if", args, Kind.NONE, self.where(stmt))
        self.region.carried[out.id] = tuple(carried)
        self.rebind(out, carried, stmt)

    def while_stmt(self, stmt: ast.While) -> None:
        self.no_return_in_loop(stmt.body)
        carried, captured = self.visible_state([stmt.body, stmt.cond])
        cond = self.block([], carried, captured, stmt, result=stmt.cond)
        body = self.block(_body(stmt.body), carried, captured, stmt)
        args = [cond, body, len(carried), *self.state_args(carried, captured)]
        out = self.region.emit("do-while" if stmt.do else "while", args, Kind.NONE,
                               self.where(stmt))
        self.region.carried[out.id] = tuple(carried)
        self.rebind(out, carried, stmt)

    def for_stmt(self, stmt: ast.For) -> None:
        self.no_return_in_loop(stmt.body)
        if stmt.var in _assigned([stmt.body]):
            node = next(t for n in _walk(stmt.body) if isinstance(n, ast.Assign)
                        for t in n.targets if t.name == stmt.var)
            raise self.error(f"the loop variable {stmt.var!r} is read-only inside the loop", node)
        start, end = self.expr(stmt.start), self.expr(stmt.end)
        step = None if stmt.step is None else self.expr(stmt.step).operand
        carried, captured = self.visible_state([stmt.body])
        # The loop variable shadows an outer variable of the same name inside the body.
        captured = [n for n in captured if n != stmt.var]
        body = self.block(_body(stmt.body), carried, captured, stmt, loop_var=stmt.var)
        args = [start.operand, end.operand, step, body, len(carried),
                *self.state_args(carried, captured)]
        out = self.region.emit("for", args, Kind.NONE, self.where(stmt))
        self.region.carried[out.id] = tuple(carried)
        self.rebind(out, carried, stmt)

    def no_return_in_loop(self, body: ast.Stmt) -> None:
        for n in _walk(body):
            if isinstance(n, ast.Return):
                raise self.error("'return' inside a loop is not supported; return after the "
                                 "loop", n)

    # -- functions ----------------------------------------------------------------------------

    def register_function(self, fn: ast.FuncDef) -> None:
        try:
            nresults = _static_results(fn)
        except ValueError:
            raise self.error(f"the return statements of function {fn.name!r} return different "
                             "numbers of values", fn) from None
        if fn.returns is not None and len(fn.returns) != nresults:
            raise self.error(f"function {fn.name!r} declares {len(fn.returns)} result type(s) "
                             f"but returns {nresults} value(s)", fn)
        names = [p.name for p in fn.params]
        dup = {n for n in names if names.count(n) > 1}
        if dup:
            raise self.error(f"function {fn.name!r} has duplicate parameter {sorted(dup)[0]!r}",
                             fn)
        group = self.module.functions.get(fn.name)
        if group is None:
            group = self.module.functions[fn.name] = FunctionGroup(fn.name)
            self.groups.append(group)
        returns = None if fn.returns is None else [_type_spec(t) for t in fn.returns]
        overload = Overload(fn.name, names, [_type_spec(p.type) for p in fn.params], returns)
        clash = next((o for o in group.overloads if o.param_types == overload.param_types
                      and self.nresults[id(o)] != nresults), None)
        if clash is not None:  # a call could not tell how many results it gets
            raise self.error(f"function {fn.name!r} is defined twice with the same parameter "
                             f"types but {self.nresults[id(clash)]} and {nresults} results", fn)
        group.overloads.append(overload)
        self.nresults[id(overload)] = nresults
        self.module.defs.append((fn, overload))

    def lower_function(self, fn: ast.FuncDef, overload: Overload) -> None:
        scope = Scope()
        for i, p in enumerate(fn.params):
            kind = _KIND_OF[p.type.data or "scalar"] if p.type is not None else None
            scope.names[p.name] = Binding(Value(Var(i), kind))
        nresults = _static_results(fn)
        for i in range(nresults):
            scope.names[f"{_RETURN}{i}"] = Binding(Value(None, None))
        if nresults and not _always_returns(fn.body):
            raise self.error(f"function {fn.name!r} does not return a value on every path",
                             fn)
        outer, outer_fn = self.region, self.in_function
        self.region, self.in_function = Region(len(fn.params), scope), True
        try:
            self.statements(fn.body.body)
            outs = [scope.names[f"{_RETURN}{i}"].value.operand for i in range(nresults)]
            self.region.emit("results", outs, Kind.NONE, self.where(fn))
            overload.block = Block(len(fn.params), self.finish(self.region))
        finally:
            self.region, self.in_function = outer, outer_fn

    def function(self, name: str) -> FunctionGroup | None:
        return self.module.functions.get(name)

    # -- imports ------------------------------------------------------------------------------

    def resolve_import(self, stmt: ast.Import) -> list[tuple[str, str]]:
        """(import name, absolute path) of each file an import statement brings in."""
        here = os.path.dirname(os.path.abspath(self.module.file))
        if stmt.path in self.import_paths:  # a library key: every file of its directories
            files = []
            for d in self.import_paths[stmt.path]:
                for f in sorted(os.listdir(d)) if os.path.isdir(d) else []:
                    if f.endswith(".daphne"):
                        files.append((f"{stmt.alias or stmt.path}.{f[:-7]}",
                                      os.path.join(d, f)))
            if not files:
                raise self.error(f"import library {stmt.path!r} has no .daphne files", stmt)
            return files
        candidates = [os.path.join(here, stmt.path)]
        candidates += [os.path.join(d, stmt.path)
                       for d in self.import_paths.get("default_dirs", [])]
        found = list(dict.fromkeys(os.path.abspath(c) for c in candidates if os.path.isfile(c)))
        if len(found) > 1:
            raise self.error(f"ambiguous import {stmt.path!r}: it names the files "
                             f"{', '.join(map(repr, found))}", stmt)
        if found:
            path = found[0]
            stem = os.path.splitext(os.path.basename(path))[0]
            name = stmt.alias or stem
            if stmt.alias is not None and name in self.imported_stems:
                raise self.error(f"import alias {name!r} is already the name of the import of "
                                 f"{self.imported_stems[name]!r}", stmt)
            if self.imported_stems.get(name, path) != path:
                name = f"{os.path.basename(os.path.dirname(path))}.{stem}"
            return [(name, path)]
        searched = ", ".join(os.path.dirname(c) or "." for c in candidates)
        raise self.error(f"cannot import {stmt.path!r}: no such file in {searched} (more "
                         "directories can be given in --config=FILE under "
                         "daphnedsl_import_paths)", stmt)

    def import_stmt(self, stmt: ast.Import) -> None:
        for name, path in self.resolve_import(stmt):
            if path in self.importing:
                raise self.error(f"circular import of {path!r}", stmt)
            if path in self.imported_stems.values():
                raise self.error(f"{path!r} is already imported by this file", stmt)
            self.imported_stems[name] = path
            with open(path, encoding="utf-8") as f:
                source = f.read()
            script = parse(source, path, self.args)
            module, scope = self.lower_imported(script, path)
            for var, binding in scope.names.items():
                if var not in module.imported_names and not var.startswith("#"):
                    self.region.scope.names[f"{name}.{var}"] = binding
                    self.module.imported_names.add(f"{name}.{var}")
            for fname, group in module.functions.items():
                if "." not in fname:
                    self.module.functions[f"{name}.{fname}"] = group

    def lower_imported(self, script: ast.Script, path: str) -> tuple[Module, Scope]:
        """Lower an imported file into the current top level, in a scope of its own."""
        saved = (self.module, self.region.scope, self.imported_stems)
        self.module = Module(path, script.source.split("\n"))
        self.sources[path] = self.module.lines
        self.region.scope = Scope()
        self.imported_stems = {}
        self.importing.append(path)
        try:
            self.lower_module(script.body)
            return self.module, self.region.scope
        finally:
            self.importing.pop()
            self.module, self.region.scope, self.imported_stems = saved

    # -- expressions --------------------------------------------------------------------------

    def expr(self, e: ast.Expr) -> Value:
        if isinstance(e, ast.Literal):
            return Value(e.value, Kind.SCALAR)
        if isinstance(e, ast.Name):
            return self.lookup(e.name, e)
        if isinstance(e, ast.Unary):
            v = self.expr(e.operand)
            return Value(self.region.emit("minus", (v.operand,), v.kind, self.where(e)), v.kind)
        if isinstance(e, ast.Binary):
            lhs, rhs = self.expr(e.lhs), self.expr(e.rhs)
            self.check_constant_divisor(e, rhs)
            kind = _ew_kind(lhs.kind, rhs.kind)
            return Value(self.region.emit(e.op, (lhs.operand, rhs.operand), kind, self.where(e)),
                         kind)
        if isinstance(e, ast.Ternary):
            c, t, f = self.expr(e.cond), self.expr(e.then), self.expr(e.other)
            kind = Kind.MATRIX if c.kind is Kind.MATRIX else _ew_kind(t.kind, f.kind)
            return Value(self.region.emit("?:", (c.operand, t.operand, f.operand), kind,
                                          self.where(e)), kind)
        if isinstance(e, ast.Cast):
            v = self.expr(e.arg)
            dt = e.target.split("<")[0]
            kind = _KIND_OF[dt] if dt in ("matrix", "frame", "scalar") else v.kind
            return Value(self.region.emit(f"as.{e.target}", (v.operand,), kind, self.where(e)),
                         kind)
        if isinstance(e, ast.Index):
            return self.index(e)
        if isinstance(e, ast.MatrixLit):
            return self.matrix_literal(e)
        if isinstance(e, ast.FrameLit):
            return self.frame_literal(e)
        if isinstance(e, ast.Call):
            return self.call(e, nresults=1)[0]
        raise self.error(f"unsupported expression {type(e).__name__}", e)  # pragma: no cover

    def check_constant_divisor(self, e: ast.Binary, rhs: Value) -> None:
        """DAPHNE's canonicalizer rejects ``x / 0`` and ``x % 0`` with a literal zero."""
        if e.op in ("/", "%") and type(rhs.operand) is not Var and isinstance(
                rhs.operand, (int, np.integer)) and not isinstance(rhs.operand, bool) and \
                rhs.operand == 0:
            what = "divide by 0" if e.op == "/" else "compute mod 0"
            raise self.error(f"Can't {what} (the divisor is the constant 0)", e.rhs,
                             CompileError)

    def index_spec(self, spec: ast.Expr | ast.Range | None, labels: bool) -> Any:
        if spec is None:
            return None
        if isinstance(spec, ast.Range):
            lo = None if spec.lo is None else self.expr(spec.lo).operand
            hi = None if spec.hi is None else self.expr(spec.hi).operand
            return slice(lo, hi)  # bounds may be Vars: the executor resolves them
        if labels and isinstance(spec, ast.MatrixLit) and spec.shape is None and spec.elems and \
                all(isinstance(x, ast.Literal) and isinstance(x.value, str) for x in spec.elems):
            return tuple(x.value for x in spec.elems)  # a list of frame column labels
        return self.expr(spec).operand

    def index(self, e: ast.Index) -> Value:
        obj = self.expr(e.obj)
        if e.bits:
            rows = None if e.rows is None else self.expr(e.rows).operand
            cols = None if e.cols is None else self.expr(e.cols).operand
            args = (obj.operand, rows, cols)
            return Value(self.region.emit("filter", args, obj.kind, self.where(e)), obj.kind)
        rows = self.index_spec(e.rows, labels=False)
        cols = self.index_spec(e.cols, labels=True)
        return Value(self.region.emit("extract", (obj.operand, rows, cols), obj.kind,
                                      self.where(e)), obj.kind)

    def matrix_literal(self, e: ast.MatrixLit) -> Value:
        if not e.elems:
            raise self.error("a matrix literal needs at least one element ([] is empty)", e)
        elems = [self.expr(x).operand for x in e.elems]
        rows = cols = None
        if e.shape is not None:
            rows = None if e.shape[0] is None else self.expr(e.shape[0]).operand
            cols = None if e.shape[1] is None else self.expr(e.shape[1]).operand
        return Value(self.region.emit("matrixLiteral", (rows, cols, *elems), Kind.MATRIX,
                                      self.where(e)), Kind.MATRIX)

    def frame_literal(self, e: ast.FrameLit) -> Value:
        labels = [self.expr(x).operand for x in e.labels]
        if e.rows is not None:
            for row in e.rows:
                if len(row) != len(labels):
                    raise self.error(f"a frame row has {len(row)} values but there are "
                                     f"{len(labels)} column labels", row[0] if row else e)
            columns = []
            for j in range(len(labels)):
                elems = [self.expr(row[j]).operand for row in e.rows]
                columns.append(self.region.emit("matrixLiteral", (None, None, *elems),
                                                Kind.MATRIX, self.where(e)))
        else:
            columns = [self.expr(c).operand for c in e.columns]
        if not columns:
            raise self.error("a frame literal needs at least one column", e)
        return Value(self.region.emit("createFrame", (*columns, *labels), Kind.FRAME,
                                      self.where(e)), Kind.FRAME)

    # -- calls --------------------------------------------------------------------------------

    def call(self, e: ast.Call, nresults: int) -> list[Value]:
        group = self.function(e.name)
        if group is not None:
            return self.udf_call(e, group, nresults)
        builtin = BUILTINS.get(e.name)
        if builtin is None:
            names = list(BUILTINS) + list(self.module.functions)
            hint = difflib.get_close_matches(e.name, names, n=1)
            extra = f"; did you mean {hint[0]!r}?" if hint else ""
            raise self.error(f"unknown function {e.name!r} (neither a builtin nor a function "
                             f"defined or imported by this script){extra}", e)
        if nresults > 1 and builtin.results != nresults:
            raise self.error(f"{e.name} has {builtin.results} result(s), but {nresults} "
                             "variables are assigned", e)
        if nresults == 1 and builtin.kinds == ("none",):
            raise self.error(f"{e.name} returns no value, so it cannot be used as one", e)
        if nresults == 1 and builtin.results > 1:
            targets = ", ".join(f"r{i}" for i in range(builtin.results))
            raise self.error(f"{e.name} has {builtin.results} results; receive them with "
                             f"{targets} = {e.name}(...);", e)
        if e.name == "map":  # its second argument names a function, it is no value
            return [self.builtin_map(e)]
        if e.name == "sql" and len(e.args) > 1:
            return [self.sql_with_views(e)]
        args = self.builtin_args(e, builtin)
        special = getattr(self, f"builtin_{e.name}", None)
        if special is not None:
            return [special(e, args)]
        kinds = self.builtin_kinds(builtin, args, e)
        operands = [a.operand for a in args]
        where = self.where(e)
        if builtin.results == 1:
            return [Value(self.region.emit(e.name, operands, kinds[0], where), kinds[0])]
        out = self.region.emit(e.name, operands, Kind.NONE, where)
        return [Value(self.region.emit("item", (out, i), k, where), k)
                for i, k in enumerate(kinds)]

    def builtin_args(self, e: ast.Call, b: Builtin) -> list[Value]:
        if b.params is None:
            if e.kwargs:
                raise self.error(f"{e.name} takes only positional arguments", e)
            if len(e.args) < b.required:
                raise self.error(f"{e.name} needs at least {b.required} argument(s), got "
                                 f"{len(e.args)}", e)
            return [self.expr(a) for a in e.args]
        params = b.params
        sig = f"{e.name}({', '.join(params)})"
        if len(e.args) > len(params):
            raise self.error(f"{e.name} takes at most {len(params)} argument(s), got "
                             f"{len(e.args)}: {sig}", e)
        slots: list[Any] = [*e.args, *([_MISSING] * (len(params) - len(e.args)))]
        for key, value in e.kwargs:
            if key not in params:
                raise self.error(f"{e.name} has no parameter {key!r}: {sig}", value)
            i = params.index(key)
            if slots[i] is not _MISSING:
                raise self.error(f"parameter {key!r} of {e.name} is given twice", value)
            slots[i] = value
        while slots and slots[-1] is _MISSING:
            slots.pop()
        for i, s in enumerate(slots):
            if s is _MISSING:
                if params[i] not in b.defaults:
                    raise self.error(f"{e.name}: parameter {params[i]!r} must be given when a "
                                     f"later one is: {sig}", e)
                slots[i] = ast.Literal(e.line, e.col, b.defaults[params[i]])
        if len(slots) < b.required:
            missing = ", ".join(params[len(slots):b.required])
            raise self.error(f"{e.name} is missing argument(s) {missing}: {sig}", e)
        return [self.expr(s) for s in slots]

    def builtin_kinds(self, b: Builtin, args: list[Value], e: ast.Call) -> list[Kind | None]:
        kinds = []
        for k in b.kinds:
            if k == "same":
                kind = args[0].kind if args else None
                if e.name == "order" and args and args[-1].operand is True:
                    kind = Kind.MATRIX  # returnIndexes: a position matrix
            elif k == "ew":
                kind = _ew_kind(*(a.kind for a in args))
            elif k == "agg":
                kind = Kind.SCALAR if len(args) == 1 else Kind.MATRIX
            else:
                kind = _KIND_OF[k]
            kinds.append(kind)
        return kinds

    def constant_str(self, value: Value, what: str, e: ast.Call) -> str:
        if type(value.operand) is Var or not isinstance(value.operand, str):
            raise self.error(f"{what} must be a constant string (DAPHNE resolves it when "
                             "compiling)", e)
        return value.operand

    def builtin_registerView(self, e: ast.Call, args: list[Value]) -> Value:
        name = self.constant_str(args[0], "the view name of registerView", e)
        self.views[name] = args[1]
        return Value(self.region.emit("registerView", (name, args[1].operand), Kind.NONE,
                                      self.where(e)), Kind.NONE)

    def builtin_sql(self, e: ast.Call, args: list[Value]) -> Value:
        query = self.constant_str(args[0], "the query of sql", e)
        views = [x for name, v in self.views.items() for x in (name, v.operand)]
        return Value(self.region.emit("sql", (query, *views), Kind.FRAME, self.where(e)),
                     Kind.FRAME)

    def sql_with_views(self, e: ast.Call) -> Value:
        """``sql(query, "name", frame, ...)``: the form the Python API's script rendering uses
        (a daphnelib extension), with the views given next to the query."""
        args = [self.expr(a) for a in e.args]
        if len(args) % 2 == 0 or e.kwargs:
            raise self.error("sql takes the query, optionally followed by view name/frame "
                             "pairs: sql(query, \"name\", frame, ...)", e)
        query = self.constant_str(args[0], "the query of sql", e)
        views = dict(self.views)
        for name, frame in zip(args[1::2], args[2::2], strict=True):
            views[self.constant_str(name, "a view name of sql", e)] = frame
        operands = [x for name, v in views.items() for x in (name, v.operand)]
        return Value(self.region.emit("sql", (query, *operands), Kind.FRAME, self.where(e)),
                     Kind.FRAME)

    def builtin_receiveFromNumpy(self, e: ast.Call, args: list[Value]) -> Value:
        address = args[0].operand
        shape = tuple(int(a.operand) for a in args[1:3] if type(a.operand) is not Var)
        constant = all(type(a.operand) is not Var for a in args)
        if callable(self.buffers) and constant and len(args) == 4:
            # A resolver reads the memory itself, as DAPHNE does (the libdaphnelib test double).
            arr = self.buffers(int(address), *shape, int(args[3].operand))
        elif (self.buffers is None or callable(self.buffers) or type(address) is Var
                or int(address) not in self.buffers):
            raise self.error("receiveFromNumpy reads the memory of a Python process; a script "
                             "can use it only when run from Python with the live arrays "
                             "(daphnelib.dsl.run_script(..., buffers={address: array}))", e)
        else:
            arr = self.buffers[int(address)]
        if len(shape) == 2 and arr.shape != shape:
            arr = arr.reshape(shape)  # a frame column (1-D) read as an n x 1 matrix: a view
        return Value(self.region.emit("receiveFromNumpy", (arr,), Kind.MATRIX, self.where(e)),
                     Kind.MATRIX)

    def builtin_map(self, e: ast.Call) -> Value:
        given = [*e.args, *(v for _, v in e.kwargs)]
        if len(given) != 2:
            raise self.error("map needs two arguments: map(X, functionName)", e)
        kw = dict(e.kwargs)
        arg = e.args[0] if e.args else kw.get("arg")
        fn = e.args[1] if len(e.args) > 1 else kw.get("func")
        group = self.function(fn.name) if isinstance(fn, ast.Name) else None
        if arg is None or group is None:
            raise self.error("map needs a matrix and the name of a function defined in the "
                             "script: map(X, functionName)", e)
        counts = {self.nresults[id(o)] for o in group.overloads if len(o.param_names) == 1}
        if counts != {1}:  # untyped functions may return several values, but not under map
            raise self.error(f"map needs a function of one parameter that returns one value; "
                             f"{group.name!r} does not", e)
        value = self.expr(arg)
        return Value(self.region.emit("map", (value.operand, group), value.kind,
                                      self.where(e)), value.kind)

    def udf_call(self, e: ast.Call, group: FunctionGroup, nresults: int) -> list[Value]:
        args = [self.expr(a) for a in e.args]
        if e.kwargs:
            args = self.udf_keywords(e, group, args)
        arity = [o for o in group.overloads if len(o.param_names) == len(args)]
        if not arity:
            sigs = "; ".join(o.signature() for o in group.overloads)
            raise self.error(f"function {e.name!r} takes no {len(args)} argument(s); defined: "
                             f"{sigs}", e)
        counts = {self.nresults[id(o)] for o in arity}
        if nresults > 0 and nresults not in counts:
            raise self.error(f"function {e.name!r} returns {' or '.join(map(str, sorted(counts)))}"
                             f" value(s), but {nresults} are expected here", e)
        kinds = self.udf_kinds(arity, max(nresults, 1))
        out = self.region.emit("call", (group, nresults, *(a.operand for a in args)),
                               kinds[0] if nresults == 1 else Kind.NONE, self.where(e))
        if nresults <= 1:
            return [Value(out, kinds[0])]
        return [Value(self.region.emit("item", (out, i), k, self.where(e)), k)
                for i, k in enumerate(kinds)]

    def udf_kinds(self, overloads: list[Overload], n: int) -> list[Kind | None]:
        kinds: list[Kind | None] = []
        for i in range(n):
            found = {_KIND_OF[o.return_types[i].data] if o.return_types and
                     i < len(o.return_types) else None for o in overloads}
            kinds.append(found.pop() if len(found) == 1 else None)
        return kinds

    def udf_keywords(self, e: ast.Call, group: FunctionGroup, args: list[Value]) -> list[Value]:
        total = len(args) + len(e.kwargs)
        for o in group.overloads:
            names = o.param_names
            if len(names) != total or any(k not in names[len(args):] for k, _ in e.kwargs):
                continue
            slots: list[Any] = [*args, *([None] * len(e.kwargs))]
            for key, value in e.kwargs:
                slots[names.index(key)] = self.expr(value)
            return slots
        sigs = "; ".join(o.signature() for o in group.overloads)
        raise self.error(f"no definition of {e.name!r} has parameters matching this call's "
                         f"keyword arguments ({', '.join(k for k, _ in e.kwargs)}); defined: "
                         f"{sigs}", e)
