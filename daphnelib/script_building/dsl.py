"""Render a :class:`Program` as the DaphneDSL script DaphneLib would generate for it.

Used for ``compute(verbose=True)`` and for debugging; the DSL front end parses the same text
back into the same IR. Unlike the original, every Python string is emitted as a quoted,
escaped DSL string literal, so labels and file names cannot break the script.
"""

from __future__ import annotations

import math

import numpy as np

from daphnelib.engine.program import RESULTS_OP, Instr, Kind, Program, Var
from daphnelib.engine.values import CSRMatrix, FrameValue
from daphnelib.engine.valuetypes import CODE_OF_VT, UI8, vt_of_dtype
from daphnelib.script_building.structured import (
    RENDERED_OPS,
    render_structured,
    take_definitions,
)

INFIX = frozenset(("+", "-", "*", "/", "^", "%", "==", "!=", "<", "<=", ">", ">=", "&&", "||", "@"))
_ESCAPES = str.maketrans(
    {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r", "\b": "\\b", "\f": "\\f"}
)


def quote(text: str) -> str:
    """A DSL string literal for ``text``."""
    return '"' + text.translate(_ESCAPES) + '"'


def literal(value: object) -> str:
    """The DSL spelling of a constant argument."""
    if type(value) is Var:
        return f"V{value.id}"
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, str):
        return quote(value)
    if isinstance(value, (float, np.floating)):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        text = repr(float(value))
        return text + "f" if isinstance(value, np.float32) else text
    if isinstance(value, (int, np.integer)):
        return str(int(value)) + ("u" if isinstance(value, np.unsignedinteger) else "")
    if isinstance(value, slice):
        lo = "" if value.start is None else literal(value.start)
        hi = "" if value.stop is None else literal(value.stop)
        return f"{lo}:{hi}"
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    raise TypeError(f"no DaphneDSL literal for {type(value).__name__}")


def _receive(arr: np.ndarray) -> str:
    if isinstance(arr, CSRMatrix):
        raise TypeError(f"a CSR matrix input ({arr.shape[0]}x{arr.shape[1]}, from_scipy) has "
                        "no DaphneDSL form: it runs on the embedded engine only")
    rows, cols = arr.shape if arr.ndim == 2 else (arr.shape[0], 1)
    # DAPHNE has no code for bool: a bool buffer is sent as its bytes, ui8.
    vtc = UI8 if arr.dtype == np.bool_ else CODE_OF_VT.get(vt_of_dtype(arr.dtype), -1)
    return f"receiveFromNumpy({arr.ctypes.data}, {rows}, {cols}, {vtc})"


def _statement(ins: Instr) -> str:
    v = f"V{ins.out}"
    args = ins.args
    op = ins.op
    if op in RENDERED_OPS:  # control flow, function calls (script_building/structured.py)
        return render_structured(ins, _statement)
    if op == "receiveFromNumpy":
        return f"{v} = {_receive(args[0])};"
    if op == "receiveFrame":
        frame: FrameValue = args[0]
        cols = [f"{v}_{i} = {_receive(c)};" for i, c in enumerate(frame.columns)]
        names = [f"{v}_{i}" for i in range(frame.ncol)] + [quote(lbl) for lbl in frame.labels]
        return "\n".join([*cols, f"{v} = createFrame({', '.join(names)});"])
    if op == "readFrame":
        args = args[:1]  # a second argument holds daphnelib's logical column types, not DSL
    if op == "sql" and len(args) > 1:
        # The IR lists the views an sql op reads; DaphneDSL registers them beforehand.
        views = [f"registerView({quote(name)}, {literal(frame)});"
                 for name, frame in zip(args[1::2], args[2::2], strict=True)]
        return "\n".join([*views, f"{v} = sql({quote(args[0])});"])
    a = [literal(x) for x in args]
    if op in INFIX:
        expr = f"{a[0]} {op} {a[1]}"
    elif op == "minus":
        expr = f"-{a[0]}"
    elif op == "?:":
        expr = f"{a[0]} ? {a[1]} : {a[2]}"
    elif op == "extract":
        expr = f"{a[0]}[{a[1]}, {a[2]}]"
    elif op == "filter":
        expr = f"{a[0]}[[{a[1]}, {a[2]}]]"
    elif op == "insert":
        return f"{v} = {a[0]};\n{v}[{a[1]}, {a[2]}] = {a[3]};"
    else:
        expr = f"{op}({', '.join(a)})"
    if ins.kind is Kind.NONE:
        return f"{expr};"
    return f"{v} = {expr};"


def render(program: Program, *, files_path: str | None = None) -> str:
    """The whole script, ending with how the root reaches Python (DaphneLib's convention)."""
    lines = [_statement(ins) for ins in program.instrs]
    lines[:0] = take_definitions()  # the "def" of every function called
    root = program.result
    v = f"V{root.out}"
    if root.op == RESULTS_OP:  # several results: each value reaches Python on its own
        kinds = {ins.out: ins.kind for ins in program.instrs}
        lines[-1:] = [f"saveDaphneLibResult(as.matrix({literal(a)}));"
                      if kinds[a.id] is Kind.SCALAR else f"saveDaphneLibResult({literal(a)});"
                      for a in root.args if kinds[a.id] is not Kind.NONE]
        return "\n".join(lines) + "\n"
    if root.kind is Kind.SCALAR:
        v = f"as.matrix({v})"  # a scalar travels as a 1 x 1 matrix
    if root.kind is not Kind.NONE:
        if files_path is None:
            lines.append(f"saveDaphneLibResult({v});")
        else:
            writer = "writeFrame" if root.kind is Kind.FRAME else "writeMatrix"
            lines.append(f"{writer}({v}, {quote(files_path)});")
    return "\n".join(lines) + "\n"
