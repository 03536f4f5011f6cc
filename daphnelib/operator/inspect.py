"""What a lazy node shows before it runs: its type and shape, its plan, where it was built.

- :func:`infer` gives a node's ``(rows, cols, value type)`` where they follow from its inputs
  without running anything (each part None when unknown), and raises for shapes that can
  never combine, so ``A @ B`` with 3x4 and 5x2 fails where it is written.
- A node records the user's ``file:line`` that built it (``OperationNode.__init__``: a walk
  of a few frames, no source read); :func:`point_at_origin` names it in a run-time error
  instead of the internal SSA name.
- :func:`node_repr` and :func:`plan_html` are ``repr(node)`` and Jupyter's view.
"""

from __future__ import annotations

import linecache
import re
from typing import TYPE_CHECKING, Any

import numpy as np

from daphnelib.engine.program import Kind
from daphnelib.engine.values import CSRMatrix
from daphnelib.engine.valuetypes import most_general, vt_of_dtype

if TYPE_CHECKING:
    from daphnelib.operator.operation_node import OperationNode

#: (op, file, line) of the user code that built a node; None outside any Python frame.
Origin = tuple[str, str, int] | None
#: (rows, cols, value type); a part is None when it is not known before running.
NodeType = tuple[int | None, int | None, str | None]
_UNKNOWN: NodeType = (None, None, None)

_INFIX = frozenset(("+", "-", "*", "/", "^", "%", "<", "<=", ">", ">=", "==", "!=", "@",
                    "&&", "||"))
_ELEMENTWISE = frozenset(("+", "-", "*", "/", "^", "%", "<", "<=", ">", ">=", "==", "!=",
                          "min", "max", "pow", "mod"))
_SHAPE_KEEPING = frozenset(("minus", "abs", "sign", "exp", "ln", "sqrt", "round", "floor",
                            "ceil", "sin", "cos", "tan", "sinh", "cosh", "tanh", "asin",
                            "acos", "atan", "isNan", "cumSum", "cumProd", "cumMin", "cumMax",
                            "reverse"))
_TYPE_KEEPING_INT = frozenset(("minus", "abs", "sign", "round", "floor", "ceil", "cumSum",
                               "cumProd", "cumMin", "cumMax", "reverse"))
_AGGREGATES = frozenset(("sum", "aggMin", "aggMax", "mean", "var", "stddev"))
_NOTE = re.compile(r"^\(in DaphneDSL builtin '(?P<op>[^']*)', V(?P<slot>\d+)\)$")


# -- where a node was built ----------------------------------------------------------------

def origin_text(origin: Origin) -> str:
    if origin is None:
        return "built outside Python code"
    _, file, line = origin
    source = linecache.getline(file, line).strip()
    return f'built at {file}:{line}' + (f": {source}" if source else "")


def point_at_origin(exc: BaseException, origins: tuple[Origin, ...]) -> None:
    """Replace the executor's note naming the failing SSA value by the user's line."""
    notes = getattr(exc, "__notes__", None)
    if not notes or getattr(exc, "_daphnelib_located", False):
        return
    for i, note in enumerate(notes):
        m = _NOTE.match(note)
        if m is None:
            continue
        slot = int(m["slot"])
        if slot < len(origins) and origins[slot] is not None and origins[slot][0] == m["op"]:
            notes[i] = f"(in DaphneDSL builtin {m['op']!r}, {origin_text(origins[slot])})"
            exc._daphnelib_located = True  # type: ignore[attr-defined]
        return


# -- static type and shape -----------------------------------------------------------------

def _type_of(arg: Any) -> NodeType:
    return getattr(arg, "_type", None) or _UNKNOWN


def _literal_vt(value: Any) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return "si64"
    if isinstance(value, float):
        return "f64"
    return None


_MOST_GENERAL: dict[tuple[str, str], str] = {}


def _common_vt(a: Any, b: Any) -> str | None:
    """The operands' most general value type, DAPHNE's result type of elementwise ops."""
    va = _type_of(a)[2] if hasattr(a, "_type") else _literal_vt(a)
    vb = _type_of(b)[2] if hasattr(b, "_type") else _literal_vt(b)
    if va is None or vb is None or va in ("str", "bool") or vb in ("str", "bool"):
        return None
    if va == vb:
        return va
    key = (va, vb)
    vt = _MOST_GENERAL.get(key)
    if vt is None:
        vt = _MOST_GENERAL[key] = most_general(va, vb)
    return vt


def _array_type(buf: Any) -> NodeType:
    try:
        vt: str | None = vt_of_dtype(buf.dtype)
    except TypeError:
        vt = None
    rows, cols = buf.shape if len(buf.shape) == 2 else (None, None)
    return rows, cols, vt


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _extent(key: Any, n: int | None) -> int | None:
    """How many rows/cols a literal index key selects, when that is certain."""
    if isinstance(key, int):
        return 1
    if isinstance(key, slice) and n is not None:
        start = 0 if key.start is None else key.start
        stop = n if key.stop is None else key.stop
        if isinstance(start, int) and isinstance(stop, int) and 0 <= start <= stop <= n:
            return stop - start
    return None


def _dims(r: int | None, c: int | None) -> str:
    return f"{'?' if r is None else r}x{'?' if c is None else c}"


def _shape_error(op: str, what: str, a: NodeType, b: NodeType) -> ValueError:
    return ValueError(f"{op!r}: {what}; got lhs {_dims(a[0], a[1])} and rhs "
                      f"{_dims(b[0], b[1])}")


_MATRIX, _FRAME = Kind.MATRIX, Kind.FRAME  # module globals: enum attribute access is slow


def _matrix_args(args: tuple[Any, ...]) -> bool:
    for a in args:  # a loop, not all(<generator>): this runs for every node built
        if getattr(a, "_kind", None) is not _MATRIX:
            return False
    return True


def infer(op: str, args: tuple[Any, ...], local_data: Any = None) -> NodeType:
    """The ``(rows, cols, value type)`` of ``op(args)`` known before running.

    Raises ValueError for operand shapes the op rejects whatever the values.
    """
    if op in _ELEMENTWISE and len(args) == 2:  # the most common node first
        x, y = args
        a, b = _type_of(x), _type_of(y)
        if getattr(x, "_kind", None) is _MATRIX and getattr(y, "_kind", None) is _MATRIX:
            n, m = a[0], a[1]
            r, c = b[0], b[1]
            if None not in (n, m, r, c) and (r, c) not in ((n, m), (1, m), (n, 1)):
                raise _shape_error(op, "lhs and rhs must have the same dimensions, or rhs "
                                   "must be a row (1 x m) or a column (n x 1) vector matching "
                                   "lhs", a, b)
        shaped = a if hasattr(x, "_type") and a[:2] != (None, None) else b
        return shaped[0], shaped[1], _common_vt(x, y)
    if op == "receiveFromNumpy" and args and isinstance(args[0], (np.ndarray, CSRMatrix)):
        return _array_type(args[0])
    if op == "fill" and len(args) == 3:
        return _count(args[1]), _count(args[2]), _literal_vt(args[0])
    if op in ("rand", "sample") and len(args) >= 2:
        return (_count(args[0]), _count(args[1]), None) if op == "rand" else (
            _count(args[1]), 1, None)
    if not args:
        return _UNKNOWN
    a = _type_of(args[0])
    if op == "@" and len(args) == 2:
        b = _type_of(args[1])
        if a[1] is not None and b[0] is not None and a[1] != b[0]:
            raise _shape_error(op, "the number of columns of lhs must equal the number of "
                               "rows of rhs", a, b)
        return a[0], b[1], a[2] if a[2] == b[2] else None
    if op in _SHAPE_KEEPING and len(args) == 1:
        keep = a[2] in ("f64", "f32") or op in _TYPE_KEEPING_INT
        return a[0], a[1], a[2] if keep else None
    if op == "t":
        return a[1], a[0], a[2]
    if op in _AGGREGATES:
        vt = a[2] if a[2] == "f64" else None
        if len(args) == 1:
            return None, None, vt
        return (a[0], 1, vt) if args[1] == 0 else (1, a[1], vt)
    if op in ("cbind", "rbind") and len(args) == 2 and _matrix_args(args):
        b = _type_of(args[1])
        along, other = (0, 1) if op == "cbind" else (1, 0)
        if a[along] is not None and b[along] is not None and a[along] != b[along]:
            which = "rows" if op == "cbind" else "columns"
            raise ValueError(f"{op} needs the same number of {which}: lhs is "
                             f"{_dims(a[0], a[1])}, rhs is {_dims(b[0], b[1])}")
        total = None if a[other] is None or b[other] is None else a[other] + b[other]
        vt = a[2] if a[2] == b[2] else None
        return (a[0], total, vt) if op == "cbind" else (total, a[1], vt)
    if op == "reshape" and len(args) == 3:
        rows, cols = _count(args[1]), _count(args[2])
        n, m = a[0], a[1]
        if (rows is not None and cols is not None and n is not None and m is not None
                and rows * cols != n * m):
            raise ValueError(f"reshape of a {n}x{m} matrix ({n * m} cells) to {rows}x{cols} "
                             f"({rows * cols} cells): the cell counts must match")
        return rows, cols, a[2]
    if op == "extract" and len(args) == 3 and _matrix_args(args[:1]):
        return _extent(args[1], a[0]), _extent(args[2], a[1]), a[2]
    return _UNKNOWN


# -- display ---------------------------------------------------------------------------------

def describe(node: OperationNode) -> str:
    """``Matrix(3x4, f64)``: the node's class with what is known of its shape and type."""
    name = type(node).__name__
    if node._deleted:
        return f"{name}(deleted)"
    rows, cols, vt = node._type
    parts = []
    if node._kind in (_MATRIX, _FRAME) and (rows, cols) != (None, None):
        parts.append(_dims(rows, cols))
    if vt is not None:
        parts.append(vt)
    return f"{name}({', '.join(parts)})" if parts else name


def _arg_text(arg: Any) -> str:
    from daphnelib.operator.operation_node import OperationNode

    if isinstance(arg, OperationNode):
        return describe(arg)
    if isinstance(arg, np.ndarray):
        return f"array({'x'.join(map(str, arg.shape))}, {arg.dtype})"
    if isinstance(arg, slice):
        return f"{_arg_text(arg.start) if arg.start is not None else ''}:" \
               f"{_arg_text(arg.stop) if arg.stop is not None else ''}"
    text = repr(arg)
    return text if len(text) <= 40 else text[:37] + "..."


def node_repr(node: OperationNode) -> str:
    """``Matrix(3x4, f64) = Matrix(3x5, f64) @ Matrix(5x4, f64)``."""
    head = describe(node)
    if node._deleted:
        return head
    args = node._args
    if node._op in _INFIX and len(args) == 2:
        expr = f"{_arg_text(args[0])} {node._op} {_arg_text(args[1])}"
    elif node._op == "minus" and len(args) == 1:
        expr = f"-{_arg_text(args[0])}"
    else:
        shown = ", ".join(_arg_text(a) for a in args[:6]) + (", ..." if len(args) > 6 else "")
        expr = f"{node._op}({shown})"
    return f"{head} = {expr}"


def plan_html(node: OperationNode, max_lines: int = 200) -> str:
    """The node and its DaphneDSL plan as HTML, one statement per line."""
    import html  # for notebooks only: not on every import's path

    title = html.escape(node_repr(node))
    if node._deleted:
        return f"<pre>{title}</pre>"
    lines = node.script().splitlines()
    if len(lines) > max_lines:
        lines = [*lines[:max_lines], f"... {len(lines) - max_lines} more"]
    plan = html.escape("\n".join(lines))
    return (f"<div><b>{title}</b><br><small>plan (DaphneDSL, computed lazily)</small>"
            f"<pre>{plan}</pre></div>")
