"""DaphneLib's control flow and user-defined functions on the embedded engine (spec §1.7).

``dc.cond``, ``dc.for_loop``, ``dc.while_loop``, ``dc.do_while_loop`` and ``dc.function``
trace their Python callbacks once with placeholder nodes and lower what the callbacks return
into nested blocks of the IR's structured instructions (``engine/control.py``), the same ones
the DaphneDSL front end produces for ``if``/``for``/``while``/``def``.

Nodes a callback reads from its enclosing scope (closures and globals, found with
``inspect.getclosurevars``, also in loop conditions) are computed once, before the
construct, and passed in; any other node the callback's result depends on is recomputed in
the block. Fixed defects of the original: frames may be loop-carried or function inputs
(they crashed), and loop conditions may read outer nodes (``list.update`` crashed).
"""

from __future__ import annotations

import inspect
import itertools
import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from daphnelib.engine.control import Block, FunctionGroup, Overload, TypeSpec
from daphnelib.engine.program import Kind
from daphnelib.operator.nodes.frame import Frame
from daphnelib.operator.nodes.matrix import Matrix
from daphnelib.operator.nodes.scalar import Scalar
from daphnelib.operator.operation_node import OperationNode, new_node

if TYPE_CHECKING:
    from daphnelib.context.daphne_context import DaphneContext

_PARAM = "#param"  # placeholder op: a block parameter while a callback is traced
_VALUE_CLASSES = (Matrix, Frame, Scalar)
_DATA_TYPE = {Matrix: "matrix", Frame: "frame", Scalar: "scalar"}
_function_ids = itertools.count()


class ControlFlowNode(OperationNode):
    """The structured instruction itself; its results are the nodes it returns."""

    __slots__ = ()
    _kind = Kind.NONE

    def compute(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("compute one of the nodes this control-flow construct "
                                  "returned, not the construct itself")


class MultiReturn(tuple):
    """The results of a user-defined function call; index it (``out[0]``) to get a node."""

    __slots__ = ()


# DaphneLib's class names for its control-flow nodes, for ``daphne.operator.nodes.*`` imports.
Cond = ForLoop = WhileLoop = DoWhileLoop = Function = ControlFlowNode


def _check_inputs(what: str, nodes: Sequence[Any]) -> list[OperationNode]:
    nodes = list(nodes)
    for n in nodes:
        if not isinstance(n, _VALUE_CLASSES):
            raise TypeError(f"{what}: input nodes must be Matrix, Frame or Scalar nodes, got "
                            f"{type(n).__name__}")
    return nodes


def _placeholder(ctx: DaphneContext, cls: type[OperationNode]) -> Any:
    return new_node(cls, ctx, _PARAM)


def _value_class(node: OperationNode) -> type[OperationNode]:
    return next(c for c in _VALUE_CLASSES if isinstance(node, c))


def _outputs(what: str, value: Any, like: Sequence[OperationNode] | None
             ) -> list[OperationNode]:
    """The nodes a callback returned; with ``like`` (the construct's inputs), one per input
    and each of its input's kind, since the results are typed as the inputs are."""
    outs = list(value) if isinstance(value, (tuple, list)) else [value]
    if like is not None and len(outs) != len(like):
        raise ValueError(f"{what} must return {len(like)} node(s), one per input node, got "
                         f"{len(outs)}")
    for o in outs:
        if not isinstance(o, _VALUE_CLASSES):
            raise TypeError(f"{what} must return Matrix, Frame or Scalar nodes, got "
                            f"{type(o).__name__}")
    for i, (o, n) in enumerate(zip(outs, like or (), strict=False)):
        if _value_class(o) is not _value_class(n):
            raise TypeError(f"{what} returns a {_value_class(o).__name__} as result {i}, but "
                            f"input node {i} is a {_value_class(n).__name__}: a value keeps its "
                            "kind through control flow")
    return outs


def _closure_nodes(*fns: Callable[..., Any] | None) -> list[OperationNode]:
    """Nodes the callbacks read from enclosing scopes or globals, in a stable order."""
    found: dict[int, OperationNode] = {}
    for fn in fns:
        if fn is None:
            continue
        try:
            cv = inspect.getclosurevars(fn)
        except (TypeError, ValueError):  # builtins, C functions: nothing to capture
            continue
        for value in (*cv.nonlocals.values(), *cv.globals.values()):
            if isinstance(value, OperationNode):
                found.setdefault(id(value), value)
    return list(found.values())


def _foreign_placeholders(outputs: Sequence[OperationNode], own: Sequence[OperationNode]
                          ) -> list[OperationNode]:
    """Placeholders of enclosing constructs that these outputs depend on (nested tracing)."""
    own_ids = {id(p) for p in own}
    seen: set[int] = set()
    found: list[OperationNode] = []
    stack = list(outputs)
    while stack:
        node = stack.pop()
        if id(node) in seen or id(node) in own_ids:
            continue
        seen.add(id(node))
        if node._op == _PARAM:
            found.append(node)
        args = node._args
        stack.extend(a for a in args if isinstance(a, OperationNode))
        stack.extend(b for a in args if isinstance(a, slice)
                     for b in (a.start, a.stop) if isinstance(b, OperationNode))
    return found


def _block(ctx: DaphneContext, params: Sequence[OperationNode],
           outputs: Sequence[OperationNode]) -> Block:
    """Lower the sub-DAG under ``outputs`` with ``params`` bound to block slots 0.."""
    results = OperationNode(ctx, "results", tuple(outputs))
    bound = {id(p): i for i, p in enumerate(params)}
    return Block(len(params), results._lower(bound))


def _captured(outputs: Sequence[OperationNode], own: Sequence[OperationNode],
              *fns: Callable[..., Any] | None) -> list[OperationNode]:
    own_ids = {id(p) for p in own}
    nodes = [n for n in _closure_nodes(*fns) if id(n) not in own_ids]
    nodes += [p for p in _foreign_placeholders(outputs, own)
              if all(p is not n for n in nodes)]
    return nodes


def _results(ctx: DaphneContext, construct: ControlFlowNode,
             like: Sequence[OperationNode]) -> tuple:
    return tuple(new_node(type(n), ctx, "item", construct, i) for i, n in enumerate(like))


def cond(ctx: DaphneContext, input_nodes: Sequence[Any], pred: Callable[[], Scalar],
         then_fn: Callable[..., Any], else_fn: Callable[..., Any] | None = None) -> tuple:
    """``if (pred()) {then_fn} else {else_fn}`` over the input nodes; returns their new values."""
    inputs = _check_inputs("cond", input_nodes)
    predicate = pred()
    if not isinstance(predicate, Scalar):
        raise TypeError(f"cond: pred must return a Scalar node, got {type(predicate).__name__}")
    branches = []
    for name, fn in (("then_fn", then_fn), ("else_fn", else_fn)):
        if fn is None:
            branches.append(None)
            continue
        params = [_placeholder(ctx, type(n)) for n in inputs]
        branches.append((params, _outputs(f"cond: {name}", fn(*params), inputs)))
    traced = [b for b in branches if b is not None]
    captured = _captured([o for _, outs in traced for o in outs],
                         [p for ps, _ in traced for p in ps], then_fn, else_fn)
    blocks = [None if b is None else _block(ctx, [*b[0], *captured], b[1]) for b in branches]
    node = new_node(ControlFlowNode, ctx, "if", predicate, blocks[0], blocks[1], len(inputs),
                    *inputs, *captured)
    return _results(ctx, node, inputs)


def for_loop(ctx: DaphneContext, input_nodes: Sequence[Any], callback: Callable[..., Any],
             start: Any, end: Any, step: Any = None) -> tuple:
    """``for (i in start:end[:step])`` (end inclusive); ``callback(*inputs, i)``."""
    inputs = _check_inputs("for_loop", input_nodes)
    for name, v in (("start", start), ("end", end), ("step", step)):
        if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float, Scalar))):
            raise TypeError(f"for_loop: {name} must be a number or a Scalar node, got "
                            f"{type(v).__name__}")
    if step is not None and not isinstance(step, Scalar) and math.trunc(step) == 0:
        # DAPHNE truncates fractional bounds and steps toward zero (so does the for kernel).
        raise ValueError(f"for_loop: step must not be 0 once truncated toward zero, got {step}")
    var = _placeholder(ctx, Scalar)
    params = [_placeholder(ctx, type(n)) for n in inputs]
    outs = _outputs("for_loop: callback", callback(*params, var), inputs)
    captured = _captured(outs, [var, *params], callback)
    body = _block(ctx, [var, *params, *captured], outs)
    node = new_node(ControlFlowNode, ctx, "for", start, end, step, body, len(inputs), *inputs,
                    *captured)
    return _results(ctx, node, inputs)


def _while(ctx: DaphneContext, op: str, input_nodes: Sequence[Any],
           cond_fn: Callable[..., Scalar], callback: Callable[..., Any]) -> tuple:
    what = "while_loop" if op == "while" else "do_while_loop"
    inputs = _check_inputs(what, input_nodes)
    cparams = [_placeholder(ctx, type(n)) for n in inputs]
    test = cond_fn(*cparams)
    if not isinstance(test, Scalar):
        raise TypeError(f"{what}: cond must return a Scalar node, got {type(test).__name__}")
    bparams = [_placeholder(ctx, type(n)) for n in inputs]
    outs = _outputs(f"{what}: callback", callback(*bparams), inputs)
    captured = _captured([test, *outs], [*cparams, *bparams], cond_fn, callback)
    cond_block = _block(ctx, [*cparams, *captured], [test])
    body = _block(ctx, [*bparams, *captured], outs)
    node = new_node(ControlFlowNode, ctx, op, cond_block, body, len(inputs), *inputs, *captured)
    return _results(ctx, node, inputs)


def while_loop(ctx: DaphneContext, input_nodes: Sequence[Any], cond: Callable[..., Scalar],
               callback: Callable[..., Any]) -> tuple:
    """``while (cond(*values)) values = callback(*values)``; returns the final values."""
    return _while(ctx, "while", input_nodes, cond, callback)


def do_while_loop(ctx: DaphneContext, input_nodes: Sequence[Any], cond: Callable[..., Scalar],
                  callback: Callable[..., Any]) -> tuple:
    """Like :func:`while_loop`, but the body runs once before the first test."""
    return _while(ctx, "do-while", input_nodes, cond, callback)


def function(ctx: DaphneContext, callback: Callable[..., Any]) -> Callable[..., MultiReturn]:
    """A user-defined function traced from ``callback``.

    Parameter types come from annotations (Matrix, Frame, Scalar; unannotated means Matrix).
    Calling the result with nodes returns a :class:`MultiReturn` of the output nodes.
    """
    sig = inspect.signature(callback)
    classes = []
    for p in sig.parameters.values():
        ann = p.annotation
        if isinstance(ann, str):  # postponed annotations
            ann = {"Matrix": Matrix, "Frame": Frame, "Scalar": Scalar}.get(ann, ann)
        if ann is inspect.Parameter.empty:
            ann = Matrix
        if ann not in _VALUE_CLASSES:
            raise ValueError(f"function: parameter {p.name!r} of {callback.__name__} must be "
                             f"annotated as Matrix, Frame or Scalar, got {ann!r}")
        classes.append(ann)
    params = [_placeholder(ctx, cls) for cls in classes]
    outs = _outputs(f"function {callback.__name__}", callback(*params), None)
    captured = _captured(outs, params, callback)
    name = f"function_{next(_function_ids)}"
    names = [f"ARG_{i}" for i in range(len(params))] + [f"CAPTURED_{i}"
                                                        for i in range(len(captured))]
    types = [TypeSpec(_DATA_TYPE[c]) for c in classes] + [None] * len(captured)
    group = FunctionGroup(name)
    group.overloads.append(Overload(name, names, types, None,
                                    _block(ctx, [*params, *captured], outs)))
    ctx._functions[name] = group
    out_classes = [type(o) for o in outs]

    def call(*args: Any) -> MultiReturn:
        if len(args) != len(classes):
            raise TypeError(f"{callback.__name__} takes {len(classes)} argument(s), got "
                            f"{len(args)}")
        for i, (a, cls) in enumerate(zip(args, classes, strict=True)):
            ok = isinstance(a, cls) or (cls is Scalar and isinstance(a, (int, float, bool)))
            if not ok:
                raise TypeError(f"{callback.__name__}: argument {i} must be a {cls.__name__}, "
                                f"got {type(a).__name__}")
        if len(outs) == 1:
            return MultiReturn((new_node(out_classes[0], ctx, "call", group, 1, *args,
                                         *captured),))
        node = new_node(ControlFlowNode, ctx, "call", group, len(outs), *args, *captured)
        return MultiReturn(_results(ctx, node, outs))

    call.__name__ = callback.__name__
    call.__doc__ = callback.__doc__
    return call
