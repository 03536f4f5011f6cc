"""The base of every lazy node: DAG bookkeeping, lowering, execution and lifetime."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

import numpy as np

from daphnelib import _diagnostics, progress
from daphnelib._native import nodecore
from daphnelib._native.nodecore import NodeCore
from daphnelib.backends.embedded import EmbeddedBackend
from daphnelib.engine.program import RESULTS_OP, Instr, Kind, Program, Var
from daphnelib.engine.structure import DATA
from daphnelib.engine.valuetypes import held_dtype, most_general, vt_of_dtype
from daphnelib.operator import inspect as _inspect
from daphnelib.operator import structure_key

if TYPE_CHECKING:
    from daphnelib.context.daphne_context import DaphneContext
    from daphnelib.operator.nodes.scalar import Scalar

_N = TypeVar("_N", bound="OperationNode")

# Literal argument types a node may hold besides other nodes (engine inputs, index specs).
_LITERALS = (bool, int, float, str, slice, type(None))


def _held_value_types() -> dict[int, str]:
    """numpy type number -> value type, for the builtin dtypes the engine holds as they are
    (from_numpy views them; nodecore types such inputs without asking numpy)."""
    vts = {}
    for char in np.typecodes["All"]:
        dtype = np.dtype(char)
        if dtype.isbuiltin == 1 and held_dtype(dtype) is dtype:
            vts[dtype.num] = vt_of_dtype(dtype)
    return vts


nodecore.install(
    infer=_inspect.infer, tree_of=structure_key.tree_of, most_general=most_general,
    tokens=structure_key._tokens, data_key=DATA, max_nodes=structure_key.MAX_NODES,
    package_dir=_diagnostics._PACKAGE_DIR, vt_of_num=_held_value_types(),
    matrix_kind=Kind.MATRIX, elementwise=_inspect._ELEMENTWISE,
    shape_keeping=_inspect._SHAPE_KEEPING, type_keeping=_inspect._TYPE_KEEPING_INT,
    aggregates=_inspect._AGGREGATES)


class OperationNode(NodeCore):
    """A lazy operation: a DaphneDSL builtin applied to nodes and literals.

    Nodes are immutable once built, except that left indexing (``X[r, c] = v``) turns ``X``
    into the assignment and re-points the nodes that already consumed ``X`` to its old value,
    as DaphneLib does.
    """

    # The fields (daphne_context, _op, _args, _local_data, _program, _consumers, _deleted,
    # _tensor_shape, _origins, _origin, _type, _tree) and __init__, _add_consumer and
    # _check_alive are NodeCore's (_native/nodecore.pyx): building a node runs no Python frame.
    __slots__ = ()
    _kind: ClassVar[Kind] = Kind.NONE

    def _live_consumers(self) -> list[OperationNode]:
        """The nodes built on this one that are still alive."""
        if self._consumers is None:
            return []
        return [c for c in (r() for r in self._consumers) if c is not None]

    # -- lifetime ---------------------------------------------------------------------------

    def delete(self) -> None:
        """Release what this node holds (input data, compiled program) now.

        Computing this node, or a node built on it, afterwards raises a RuntimeError;
        arrays already returned by ``compute()`` stay valid (they own their buffers).

        Returns
        -------
        None

        Examples
        --------
        >>> X = dc.from_numpy(np.ones((2, 2)))
        >>> X.delete()
        >>> X.sum().compute()
        Traceback (most recent call last):
        ...
        RuntimeError: this Matrix node was deleted (delete()) and cannot be used any more
        """
        self._local_data = None
        self._args = ()
        self._deleted = True
        self._tree = None
        # Programs compiled before hold this node's data: drop them downstream too, so the
        # data is released and computing a consumer re-lowers and raises.
        stack: list[OperationNode] = [self]
        seen = {id(self)}
        while stack:
            node = stack.pop()
            node._program = None
            node._tree = None  # computing it must lower it, and find the deleted node
            fresh = [c for c in node._live_consumers() if id(c) not in seen]
            seen.update(map(id, fresh))
            stack.extend(fresh)

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
        origins: list[_inspect.Origin] | None = None if bound else []
        program = lower((self,), bound, origins)
        if origins is not None:
            self._origins = tuple(origins)
        return program

    def _lowered(self) -> Program:
        if self._program is None:
            self._program = self._lower()
        return self._program

    def _evaluate(self, verbose: bool = False) -> Any:
        """Run the sub-DAG under this node on the context's backend; the engine value of its
        root. A failure names the user's line that built the failing node."""
        self._check_alive()
        watched = progress.start("compute()")
        try:
            backend = self.daphne_context.backend
            tree = self._tree
            if tree is not None and type(backend) is EmbeddedBackend and not verbose:
                # The program compiled for this structure, found without lowering.
                return backend.execute_keyed(tree[0], tree[1], self._lowered)
            return backend.execute(self._lowered(), verbose=verbose)
        except Exception as exc:
            if not self._origins and self._tree is not None:
                self._lower()  # run by its key, not lowered: lowered now for the user's lines
            _inspect.point_at_origin(exc, self._origins)
            raise
        finally:
            if watched:
                progress.stop()

    def script(self) -> str:
        """The DaphneDSL script this node corresponds to.

        Returns
        -------
        str
            One DaphneDSL statement per operation of the node's sub-DAG, in execution
            order; nothing is computed.

        Examples
        --------
        >>> print(dc.fill(1.0, 2, 2).sum().script(), end="")
        V0 = fill(1.0, 2, 2);
        V1 = sum(V0);
        saveDaphneLibResult(as.matrix(V1));
        """
        from daphnelib.script_building.dsl import render

        return render(self._lower())

    def compute(self, *args: Any, **kwargs: Any) -> Any:
        """Execute a side-effect node (``print``, ``write``, ``registerView``).

        Parameters
        ----------
        verbose : bool, optional
            Print the generated DaphneDSL script and log the timings.

        Returns
        -------
        None
        """
        verbose = kwargs.get("verbose", False)
        self._evaluate(verbose)
        return None

    def _convert(self, value: Any, **_options: Any) -> Any:
        """What ``compute`` returns for this node's engine value: nothing (a side effect)."""
        return None

    # -- inspection -------------------------------------------------------------------------

    def __repr__(self) -> str:
        return _inspect.node_repr(self)

    def _repr_html_(self) -> str:
        """The plan (one DaphneDSL statement per op) for Jupyter, like a lazy frame's."""
        return _inspect.plan_html(self)


class ValueNode(OperationNode):
    """A node that has a value (Matrix, Frame, Scalar), as opposed to a side effect."""

    __slots__ = ()

    def print(self) -> OperationNode:
        """A node that prints this value in DAPHNE's format when computed.

        Returns
        -------
        OperationNode
            A side-effect node; ``compute()`` writes exactly what DAPHNE's ``print`` writes.

        Examples
        --------
        >>> dc.fill(7, 1, 1).print().compute()
        DenseMatrix(1x1, int64_t)
        7
        """
        return new_node(OperationNode, self.daphne_context, "print", self)


class ShapedNode(ValueNode):
    """Matrix or Frame: values with rows and columns."""

    __slots__ = ()

    def _scalar(self, op: str, *args: Any) -> Scalar:
        return _scalar_class()(self.daphne_context, op, (self, *args))

    def nrow(self) -> Scalar:
        """The number of rows.

        Returns
        -------
        Scalar
            A lazy scalar of DAPHNE's index type; ``compute()`` gives a ``numpy.uint64``.

        Examples
        --------
        >>> dc.fill(0.0, 3, 2).nrow().compute()
        np.uint64(3)
        """
        return self._scalar("nrow")

    def ncol(self) -> Scalar:
        """The number of columns.

        Returns
        -------
        Scalar
            A lazy scalar of DAPHNE's index type; ``compute()`` gives a ``numpy.uint64``.

        Examples
        --------
        >>> dc.fill(0.0, 3, 2).ncol().compute()
        np.uint64(2)
        """
        return self._scalar("ncol")

    def ncell(self) -> Scalar:
        """The number of cells, rows x columns.

        Returns
        -------
        Scalar
            A lazy scalar of DAPHNE's index type; ``compute()`` gives a ``numpy.uint64``.

        Examples
        --------
        >>> dc.fill(0.0, 3, 2).ncell().compute()
        np.uint64(6)
        """
        return self._scalar("ncell")


@functools.cache
def _scalar_class() -> type[Scalar]:
    """Scalar, imported once (its module imports this one): an import statement per
    aggregate would cost more than building the node."""
    from daphnelib.operator.nodes.scalar import Scalar

    return Scalar


def evaluate_many(roots: Sequence[OperationNode], verbose: bool = False) -> tuple:
    """The engine values of several nodes of one context, from one run of their joint
    program on its backend (the value of the final ``results`` instruction)."""
    if len(roots) == 1:
        return (roots[0]._evaluate(verbose),)
    return roots[0].daphne_context.backend.execute(lower(roots), verbose=verbose)


def lower(roots: Sequence[OperationNode], bound: Mapping[int, int] | None = None,
          origins: list[_inspect.Origin] | None = None) -> Program:
    """The program computing ``roots``: their joint sub-DAG in dependency order, each node once.

    One root: its instruction is the program's last. Several roots: their shared sub-DAG is
    emitted once and a final ``results`` instruction gathers their values into a tuple (see
    ``DaphneContext.compute``). ``bound``: see :meth:`OperationNode._lower`. ``origins``, when
    given, receives each instruction's user line (for run-time errors).
    """
    ids: dict[int, int] = dict(bound) if bound else {}
    base = len(ids)
    instrs: list[Instr] = []
    stack: list[tuple[OperationNode, bool]] = [(r, False) for r in reversed(roots)]
    for root in roots:
        root._check_alive()
    push = stack.append
    while stack:
        node, ready = stack.pop()
        if id(node) in ids:
            continue
        if not ready:
            node._check_alive()
            push((node, True))
            for a in reversed(_input_nodes(node._args)):
                if id(a) not in ids:
                    push((a, False))
            continue
        out = base + len(instrs)
        args = tuple([Var(ids[id(a)]) if isinstance(a, OperationNode) else
                      _lowered_arg(a, ids) if type(a) is slice else a for a in node._args])
        ids[id(node)] = out
        instrs.append(Instr(out, node._op, args, node._kind))
        if origins is not None:
            origins.append(node._origin)
    if len(roots) > 1:
        gathered = tuple(Var(ids[id(r)]) for r in roots)
        instrs.append(Instr(base + len(instrs), RESULTS_OP, gathered, Kind.NONE))
    return Program(tuple(instrs))


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


_SI64 = (-(1 << 63), (1 << 63) - 1)


def literal(what: str, value: Any) -> Any:
    """A Python or numpy scalar operand as the DaphneDSL literal it stands for, checked now.

    numpy scalars become Python values (DaphneLib writes them as literals), except unsigned
    integers beyond si64, which stay ``np.uint64`` (a ``u`` literal). A Python int must fit
    si64, the type of DAPHNE's integer literals: checked when the node is built, not left to
    fail at compute with numpy's "Python int too large to convert to C long".
    """
    if isinstance(value, np.unsignedinteger) and value > _SI64[1]:
        return np.uint64(value)
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, int) and not isinstance(value, bool) and not (
            _SI64[0] <= value <= _SI64[1]):
        raise ValueError(f"{what} {value} does not fit si64, the type of DAPHNE's integer "
                         "literals; pass np.uint64(...) for an unsigned 64-bit value or a "
                         "float")
    return value


def new_node(cls: type[_N], ctx: DaphneContext, op: str, *args: Any) -> _N:
    """Build a node of ``cls`` for ``op(args)``; the one constructor path used internally."""
    return cls(ctx, op, args)
