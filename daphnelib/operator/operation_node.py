"""The base of every lazy node: DAG bookkeeping, lowering, execution and lifetime."""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from daphnelib.engine.program import Instr, Kind, Program, Var

if TYPE_CHECKING:
    from daphnelib.context.daphne_context import DaphneContext

# Literal argument types a node may hold besides other nodes (engine inputs, index specs).
_LITERALS = (bool, int, float, str, slice, type(None))


class OperationNode:
    """A lazy operation: a DaphneDSL builtin applied to nodes and literals.

    Nodes are immutable once built, except that left indexing (``X[r, c] = v``) turns ``X``
    into the assignment and re-points the nodes that already consumed ``X`` to its old value,
    as DaphneLib does.
    """

    __slots__ = (
        "__weakref__",
        "_args",
        "_consumers",
        "_deleted",
        "_local_data",
        "_op",
        "_program",
        "daphne_context",
    )
    _kind: ClassVar[Kind] = Kind.NONE

    def __init__(
        self,
        daphne_context: DaphneContext,
        operation: str,
        unnamed_input_nodes: tuple | list | None = None,
        named_input_nodes: dict[str, Any] | None = None,
        local_data: Any = None,
    ) -> None:
        args = tuple(unnamed_input_nodes or ())
        if named_input_nodes:
            # DaphneLib emits named inputs positionally, in insertion order.
            args += tuple(named_input_nodes.values())
        for a in _input_nodes(args):
            a._check_alive()
            if a._consumers is None:
                # Keyed by id: nodes are unhashable (== builds a node, as in DaphneLib).
                a._consumers = weakref.WeakValueDictionary()
            a._consumers[id(self)] = self
        self.daphne_context = daphne_context
        self._op = operation
        self._args = args
        self._local_data = local_data  # keeps input buffers alive as long as the node
        self._program: Program | None = None  # lowered once; the backend caches its compilation
        self._consumers: weakref.WeakValueDictionary[int, OperationNode] | None = None
        self._deleted = False

    # -- lifetime ---------------------------------------------------------------------------

    def delete(self) -> None:
        """Release what this node holds (input data, compiled program).

        Computing this node, or a node built on it, afterwards raises a RuntimeError.
        """
        self._local_data = None
        self._args = ()
        self._deleted = True
        # Programs compiled before hold this node's data: drop them downstream too, so the
        # data is released and computing a consumer re-lowers and raises.
        stack: list[OperationNode] = [self]
        seen = {id(self)}
        while stack:
            node = stack.pop()
            node._program = None
            if node._consumers is not None:
                fresh = [c for c in node._consumers.values() if id(c) not in seen]
                seen.update(map(id, fresh))
                stack.extend(fresh)

    def _check_alive(self) -> None:
        if self._deleted:
            raise RuntimeError(f"this {type(self).__name__} node was deleted (delete()) and "
                               "cannot be used any more")

    def __bool__(self) -> bool:
        raise TypeError(f"a lazy {type(self).__name__} has no truth value; call compute() "
                        "to get its value")

    # -- lowering and execution -------------------------------------------------------------

    def _lower(self, bound: Mapping[int, int] | None = None) -> Program:
        """The program computing this node: its sub-DAG in dependency order, once per node.

        ``bound`` maps ``id(node)`` of nodes that are parameters of a nested control-flow block
        to their slots ``0..len(bound)-1``; they are not lowered, and the instructions are
        numbered after them (see ``engine/control.py``).
        """
        self._check_alive()
        ids: dict[int, int] = dict(bound) if bound else {}
        base = len(ids)
        instrs: list[Instr] = []
        stack: list[tuple[OperationNode, bool]] = [(self, False)]
        while stack:
            node, ready = stack.pop()
            if id(node) in ids:
                continue
            if not ready:
                node._check_alive()
                stack.append((node, True))
                stack.extend(
                    (a, False) for a in reversed(_input_nodes(node._args)) if id(a) not in ids
                )
                continue
            args = tuple(_lowered_arg(a, ids) for a in node._args)
            ids[id(node)] = base + len(instrs)
            instrs.append(Instr(base + len(instrs), node._op, args, node._kind))
        return Program(tuple(instrs))

    def _lowered(self) -> Program:
        if self._program is None:
            self._program = self._lower()
        return self._program

    def _evaluate(self, verbose: bool = False) -> Any:
        """Run the sub-DAG under this node on the context's backend; the engine value of its
        root."""
        self._check_alive()
        return self.daphne_context.backend.execute(self._lowered(), verbose=verbose)

    def script(self) -> str:
        """The DaphneDSL script this node corresponds to."""
        from daphnelib.script_building.dsl import render

        return render(self._lower())

    def compute(self, *args: Any, **kwargs: Any) -> Any:
        """Execute a side-effect node (print, write, registerView); returns None."""
        verbose = kwargs.get("verbose", False)
        self._evaluate(verbose)
        return None


class ValueNode(OperationNode):
    """A node that has a value (Matrix, Frame, Scalar), as opposed to a side effect."""

    __slots__ = ()

    def print(self) -> OperationNode:
        """A node that prints this value in DAPHNE's format when computed."""
        return new_node(OperationNode, self.daphne_context, "print", self)


class ShapedNode(ValueNode):
    """Matrix or Frame: values with rows and columns."""

    __slots__ = ()

    def _scalar(self, op: str, *args: Any) -> Any:
        from daphnelib.operator.nodes.scalar import Scalar

        return new_node(Scalar, self.daphne_context, op, self, *args)

    def nrow(self) -> Any:
        """The number of rows (a Scalar of DAPHNE's index type)."""
        return self._scalar("nrow")

    def ncol(self) -> Any:
        """The number of columns."""
        return self._scalar("ncol")

    def ncell(self) -> Any:
        """rows x columns."""
        return self._scalar("ncell")


def _input_nodes(args: tuple) -> list[OperationNode]:
    """The nodes an op reads: its node arguments and nodes used as range bounds."""
    nodes = []
    for a in args:
        if isinstance(a, OperationNode):
            nodes.append(a)
        elif isinstance(a, slice):
            nodes += [b for b in (a.start, a.stop) if isinstance(b, OperationNode)]
    return nodes


def _lowered_arg(arg: Any, ids: dict[int, int]) -> Any:
    if isinstance(arg, OperationNode):
        return Var(ids[id(arg)])
    if isinstance(arg, slice):
        return slice(*(Var(ids[id(b)]) if isinstance(b, OperationNode) else b
                       for b in (arg.start, arg.stop)))
    return arg


def new_node(cls: type[OperationNode], ctx: DaphneContext, op: str, *args: Any) -> Any:
    """Build a node of ``cls`` for ``op(args)``; the one constructor path used internally."""
    return cls(ctx, op, args)
