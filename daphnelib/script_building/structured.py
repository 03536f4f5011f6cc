"""DaphneDSL text for the structured instructions of ``engine/control.py``.

``dsl.render`` calls :func:`render_structured` for ``if``/``for``/``while``/``do-while``/
``call``/``item``/``map``/``matrixLiteral`` and prepends :func:`take_definitions` (the ``def``
of every function called). Block parameters become DSL variables: the carried values get a
variable assigned before the construct and updated at the end of each block (so the
construct's results are those variables afterwards), captured values are referred to
directly. Nested instructions are renumbered with fresh ``V<n>`` names, so the text parses
back (``daphnelib.dsl``) into a program computing the same values.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import Any

from daphnelib.dsl.builtins import BUILTINS
from daphnelib.engine.control import Block, FunctionGroup, Overload
from daphnelib.engine.program import Instr, Var

# Builtins with several results: rendered as "a, b = op(...);", picked by "item".
MULTI_RESULT = {name: b.results for name, b in BUILTINS.items() if b.results > 1}
RENDERED_OPS = frozenset(("if", "for", "while", "do-while", "call", "item", "map",
                          "matrixLiteral", *MULTI_RESULT))
Statement = Callable[[Instr], str]

# Fresh variable numbers for nested code, far above any top-level instruction number.
_FIRST = 1_000_000
_fresh = itertools.count(_FIRST)
_items: dict[int, list[str]] = {}  # construct V<out> -> the variables holding its results
# id(function group) -> (its DSL name, its "def" text; None while the body is rendered)
_defs: dict[int, tuple[str, str | None]] = {}


def _var() -> Var:
    return Var(next(_fresh))


def take_definitions() -> list[str]:
    """The ``def`` texts of the functions called since the last call, in call order; ends
    the rendering of one script."""
    global _fresh
    defs = [d for _, d in _defs.values() if d]
    _defs.clear()
    _items.clear()
    _fresh = itertools.count(_FIRST)  # the next script numbers its nested code the same way
    return defs


def _map_arg(a: Any, mapping: dict[int, Any]) -> Any:
    if type(a) is Var:
        return mapping[a.id]
    if isinstance(a, slice):
        return slice(_map_arg(a.start, mapping), _map_arg(a.stop, mapping))
    return a


def _block_lines(block: Block, params: Sequence[Any], statement: Statement
                 ) -> tuple[list[str], list[Any]]:
    """The statements of a block with its parameters bound to ``params`` (operands), and the
    operands of its results."""
    mapping: dict[int, Any] = dict(enumerate(params))
    lines = []
    for ins in block.program.instrs[:-1]:
        out = _var()
        mapping[ins.out] = out
        args = tuple(_map_arg(a, mapping) for a in ins.args)
        lines.append(statement(Instr(out.id, ins.op, args, ins.kind)))
    results = [_map_arg(a, mapping) for a in block.program.result.args]
    return lines, results


def _assign(targets: Sequence[Var], values: Sequence[Any]) -> list[str]:
    from daphnelib.script_building.dsl import literal

    # None is the value of a function result before its "return": never read, any literal.
    return [f"V{t.id} = {'0' if v is None else literal(v)};"
            for t, v in zip(targets, values, strict=True)]


def _indent(lines: list[str]) -> str:
    return "".join("    " + line.replace("\n", "\n    ") + "\n" for line in lines)


def _state(ins: Instr, first: int) -> tuple[list[Var], list[Any], list[str]]:
    """Variables for the carried values of a construct (initialised before it), the block
    parameters, and the initialising statements."""
    n = ins.args[first]
    state = ins.args[first + 1:]
    carried = [_var() for _ in range(n)]
    _items[ins.out] = [f"V{v.id}" for v in carried]
    return carried, [*carried, *state[n:]], _assign(carried, state[:n])


def _if(ins: Instr, statement: Statement) -> str:
    from daphnelib.script_building.dsl import literal

    cond, then, other = ins.args[:3]
    carried, params, pre = _state(ins, 3)
    text = f"if ({literal(cond)}) {{\n"
    lines, res = _block_lines(then, params, statement)
    text += _indent(lines + _assign(carried, res)) + "}"
    if other is not None:
        lines, res = _block_lines(other, params, statement)
        text += " else {\n" + _indent(lines + _assign(carried, res)) + "}"
    return "\n".join([*pre, text])


def _for(ins: Instr, statement: Statement) -> str:
    from daphnelib.script_building.dsl import literal

    start, end, step, body = ins.args[:4]
    carried, params, pre = _state(ins, 4)
    var = _var()
    rng = f"{literal(start)}:{literal(end)}" + ("" if step is None else f":{literal(step)}")
    lines, res = _block_lines(body, [var, *params], statement)
    text = f"for (V{var.id} in {rng}) {{\n" + _indent(lines + _assign(carried, res)) + "}"
    return "\n".join([*pre, text])


def _while(ins: Instr, statement: Statement) -> str:
    cond, body = ins.args[:2]
    carried, params, pre = _state(ins, 2)
    test = _var()

    def evaluate() -> list[str]:
        lines, res = _block_lines(cond, params, statement)
        return lines + _assign([test], res)

    lines, res = _block_lines(body, params, statement)
    inner = _indent(lines + _assign(carried, res) + evaluate())
    # The test variable is assigned before the loop, so it is visible to do-while's test too.
    if ins.op == "while":
        text = f"while (V{test.id}) {{\n{inner}}}"
    else:
        text = f"do {{\n{inner}}} while (V{test.id});"
    return "\n".join([*pre, *evaluate(), text])


def _definition(group: FunctionGroup, statement: Statement) -> str:
    """The DSL name of a called function; its definition is rendered once."""
    known = _defs.get(id(group))
    if known is not None:
        return known[0]
    # Groups of different imported files may share a name: keep the DSL names distinct.
    taken = {name for name, _ in _defs.values()}
    name = next(n for n in itertools.chain([group.name], (f"{group.name}_{k}"
                                                          for k in itertools.count(1)))
                if n not in taken)
    _defs[id(group)] = (name, None)  # recursion: the body may call the function itself
    texts = [_overload_text(name, o, statement) for o in group.overloads]
    _defs[id(group)] = (name, "\n".join(texts))
    return name


def _overload_text(name: str, o: Overload, statement: Statement) -> str:
    from daphnelib.script_building.dsl import literal

    params = [_var() for _ in o.param_names]
    sig = ", ".join(f"V{p.id}" if t is None else f"V{p.id}: {t}"
                    for p, t in zip(params, o.param_types, strict=True))
    lines, res = _block_lines(o.block, params, statement)
    # Untyped functions may return several values (DAPHNE infers their types at each call).
    rets = [] if o.return_types is None else [str(t) for t in o.return_types]
    arrow = f" -> {', '.join(rets)}" if rets else ""
    if res:
        lines.append(f"return {', '.join(literal(r) for r in res)};")
    return f"def {name}({sig}){arrow} {{\n{_indent(lines)}}}"


def _call(ins: Instr, statement: Statement) -> str:
    from daphnelib.script_building.dsl import literal

    group, nresults = ins.args[:2]
    name = _definition(group, statement)
    call = f"{name}({', '.join(literal(a) for a in ins.args[2:])})"
    if nresults == 0:
        return f"{call};"
    if nresults == 1:
        return f"V{ins.out} = {call};"
    names = [f"V{_var().id}" for _ in range(nresults)]
    _items[ins.out] = names
    return f"{', '.join(names)} = {call};"


def render_structured(ins: Instr, statement: Statement) -> str:
    """The DSL text of one structured instruction (``statement`` renders nested ones)."""
    from daphnelib.script_building.dsl import literal

    op = ins.op
    if op == "if":
        return _if(ins, statement)
    if op == "for":
        return _for(ins, statement)
    if op in ("while", "do-while"):
        return _while(ins, statement)
    if op == "call":
        return _call(ins, statement)
    if op == "map":
        name = _definition(ins.args[1], statement)
        return f"V{ins.out} = map({literal(ins.args[0])}, {name});"
    if op in MULTI_RESULT:
        names = [f"V{_var().id}" for _ in range(MULTI_RESULT[op])]
        _items[ins.out] = names
        return f"{', '.join(names)} = {op}({', '.join(literal(a) for a in ins.args)});"
    if op == "matrixLiteral":
        rows, cols, *elems = ins.args
        shape = f"({literal(rows)}, {literal(cols)})"
        return f"V{ins.out} = [{', '.join(literal(e) for e in elems)}]{shape};"
    # item: the variable that holds the picked result of a construct or call
    names = _items.get(ins.args[0].id) if type(ins.args[0]) is Var else None
    if names is None:
        return f"V{ins.out} = item({literal(ins.args[0])}, {ins.args[1]});"
    return f"V{ins.out} = {names[ins.args[1]]};"
