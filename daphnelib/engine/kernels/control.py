"""Kernels of structured control flow and of DSL-only builtins.

Control flow (see ``engine/control.py`` for the instruction layout): ``if``, ``for``,
``while``, ``do-while``, ``call``, ``item``, ``results``. DSL-only builtins: matrix literals,
``saveDaphneLibResult``, ``now``, profiling regions, ``stop``, lists (``createList``,
``length``, ``append``, ``remove``) and ``map``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from typing import Any

import numpy as np

from daphnelib.engine.control import Block, FunctionGroup, data_type, describe, truth
from daphnelib.engine.printing import format_scalar
from daphnelib.engine.registry import kernel
from daphnelib.engine.valuetypes import (
    DTYPE_OF_VT,
    STRING_DTYPE,
    SizeScalar,
    is_float,
    most_general,
    vt_of,
)
from daphnelib.errors import StopExecution

# -- structure --------------------------------------------------------------------------------

@kernel("results")
def results(*values: Any) -> tuple:
    return values


@kernel("item")
def item(values: Any, index: int) -> Any:
    if not isinstance(values, tuple):
        raise TypeError(f"expected several results to pick result {index} from, got one "
                        f"{describe(values)}")
    if not 0 <= index < len(values):
        raise IndexError(f"result {index} requested, but only {len(values)} were produced")
    return values[index]


@kernel("if")
def if_(cond: Any, then: Block, other: Block | None, ncarried: int, *state: Any) -> tuple:
    block = then if truth(cond, "if-condition") else other
    if block is None:
        return state[:ncarried]
    return block.run(state)


def _loop_values(start: Any, end: Any, step: Any) -> tuple[Any, int, Any, str]:
    """The first value, iteration count and step of ``for (i in start:end[:step])``."""
    for name, v in (("start", start), ("end", end), ("step", step)):
        if v is not None and (isinstance(v, np.ndarray) or data_type(v) != "scalar"):
            raise TypeError(f"the for-loop {name} must be a scalar, got {describe(v)}")
    vts = [vt_of(start), vt_of(end)] + ([] if step is None else [vt_of(step)])
    vt = most_general(*vts)
    if vt == "str":
        raise TypeError("the for-loop range must be numeric")
    if is_float(vt):
        # DAPHNE casts fractional bounds to si64, truncating toward zero: 0.5:2.9 is 0, 1, 2.
        for name, v in (("start", start), ("end", end), ("step", step)):
            if v is not None and not math.isfinite(float(v)):
                raise ValueError(f"the for-loop {name} must be finite, got {v}")
        start, end = math.trunc(float(start)), math.trunc(float(end))
        step = None if step is None else math.trunc(float(step))
        vt = "si64"
    if step is None:
        step = 1 if end >= start else -1
    if step == 0:
        raise ValueError("the for-loop step must not be 0")
    count = max(0, (int(end) - int(start)) // int(step) + 1)
    return start, count, step, vt


def loop_range(start: Any, end: Any, step: Any) -> Iterator[Any]:
    """The loop variable's values of ``for (i in start:end[:step])``, in its value type."""
    first, count, step, vt = _loop_values(start, end, step)
    scalar = SizeScalar if vt == "size" else DTYPE_OF_VT[vt].type
    first, step = int(first), int(step)
    return (scalar(first + k * step) for k in range(count))


@kernel("for")
def for_(start: Any, end: Any, step: Any, body: Block, ncarried: int, *state: Any) -> tuple:
    carried, captured = state[:ncarried], state[ncarried:]
    for i in loop_range(start, end, step):
        carried = body.run((i, *carried, *captured))
    return tuple(carried)


@kernel("while")
def while_(cond: Block, body: Block, ncarried: int, *state: Any) -> tuple:
    carried, captured = state[:ncarried], state[ncarried:]
    while truth(cond.run((*carried, *captured))[0], "while-condition"):
        carried = body.run((*carried, *captured))
    return tuple(carried)


@kernel("do-while")
def do_while(cond: Block, body: Block, ncarried: int, *state: Any) -> tuple:
    carried, captured = state[:ncarried], state[ncarried:]
    while True:
        carried = body.run((*carried, *captured))
        if not truth(cond.run((*carried, *captured))[0], "while-condition"):
            return tuple(carried)


@kernel("call")
def call(group: FunctionGroup, nresults: int, *args: Any) -> Any:
    return group.call(args, nresults)


# -- DSL-only builtins ------------------------------------------------------------------------

def _literal_shape(n: int, rows: Any, cols: Any) -> tuple[int, int]:
    if rows is None and cols is None:
        return n, 1
    r = None if rows is None else int(rows)
    c = None if cols is None else int(cols)
    if r is None:
        r = n // c if c else 0
    if c is None:
        c = n // r if r else 0
    if r * c != n or r < 0 or c < 0:
        raise ValueError(f"a matrix literal with {n} elements cannot have shape ({rows}, {cols})")
    return r, c


@kernel("matrixLiteral")
def matrix_literal(rows: Any, cols: Any, *elems: Any) -> np.ndarray:
    """``[e0, e1, ...](rows, cols)``: row-major, value type = most general element type."""
    for e in elems:
        if data_type(e) != "scalar":
            raise TypeError(f"matrix literal elements must be scalars, got {describe(e)}")
    vts = [vt_of(e) for e in elems]
    vt = most_general(*vts) if vts else "f64"
    shape = _literal_shape(len(elems), rows, cols)
    if vt == "str":
        cells = [e if isinstance(e, str) else format_scalar(e) for e in elems]
        return np.array(cells, dtype=STRING_DTYPE).reshape(shape)
    dtype = DTYPE_OF_VT[vt]
    if len(set(vts)) <= 1:
        return np.array(elems, dtype=dtype).reshape(shape)
    # Mixed types: convert each through its own type (C-style casts, no float detour).
    out = np.empty(len(elems), dtype=dtype)
    for i, e in enumerate(elems):
        out[i] = np.asarray(e).astype(dtype)
    return out.reshape(shape)


@kernel("saveDaphneLibResult")
def save_result(arg: Any) -> Any:
    """The end of a DaphneLib-generated script: its value is the script's result."""
    return arg


@kernel("now")
def now() -> np.int64:
    """Nanoseconds since the epoch."""
    return np.int64(time.time_ns())


@kernel("startProfiling", "stopProfiling")
def profiling_region() -> None:
    """Profiling regions mark code for DAPHNE's profiler; the embedded engine has none."""


@kernel("stop")
def stop(message: Any = "unspecified reason") -> None:
    raise StopExecution(str(message))


def _list_check(items: list[np.ndarray], what: str) -> list[np.ndarray]:
    for m in items:
        if not isinstance(m, np.ndarray):
            raise TypeError(f"{what}: list elements must be matrices, got {describe(m)}")
    if len({m.dtype for m in items}) > 1:
        raise TypeError(f"{what}: all list elements must have the same value type, got "
                        + ", ".join(sorted({describe(m) for m in items})))
    return items


@kernel("createList")
def create_list(*items: np.ndarray) -> list[np.ndarray]:
    return _list_check(list(items), "createList")


@kernel("length")
def length(lst: list[np.ndarray]) -> SizeScalar:
    if not isinstance(lst, list):
        raise TypeError(f"length needs a list, got {describe(lst)}")
    return SizeScalar(len(lst))


@kernel("append")
def append(lst: list[np.ndarray], elem: np.ndarray) -> list[np.ndarray]:
    if not isinstance(lst, list):
        raise TypeError(f"append needs a list, got {describe(lst)}")
    return _list_check([*lst, elem], "append")


@kernel("remove")
def remove(lst: list[np.ndarray], idx: Any) -> tuple[list[np.ndarray], np.ndarray]:
    if not isinstance(lst, list):
        raise TypeError(f"remove needs a list, got {describe(lst)}")
    i = int(idx)
    if not 0 <= i < len(lst):
        raise IndexError(f"remove: position {i} is out of bounds for a list of {len(lst)}")
    return [*lst[:i], *lst[i + 1:]], lst[i]


@kernel("map")
def map_(arg: np.ndarray, func: FunctionGroup) -> np.ndarray:
    """Apply a scalar UDF to every cell; the result keeps ``arg``'s value type.

    The UDF is arbitrary user code, so it runs once per cell.
    """
    if not isinstance(arg, np.ndarray):
        raise TypeError(f"map needs a matrix, got {describe(arg)}")
    flat = arg.reshape(-1)
    out = np.empty(flat.shape, dtype=arg.dtype)
    for i in range(flat.size):
        out[i] = func.call((flat[i],), 1)
    return out.reshape(arg.shape)
