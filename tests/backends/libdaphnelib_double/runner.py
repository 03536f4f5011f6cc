"""The Python half of the libdaphnelib test double (``libdaphnelib.cpp`` calls :func:`run`).

It plays DAPHNE's part: reads the argv the library builds (``daphne --libdir <dir> <script>``,
with LLVM's ``@file`` response-file expansion, which DAPHNE's command-line parser does),
runs the script with daphnelib's DaphneDSL front end, makes ``receiveFromNumpy`` view the
raw address it is given (as DAPHNE's kernel aliases the buffer) and describes the value of
``saveDaphneLibResult`` for the C++ side, keeping it alive forever (DAPHNE never frees a
result). Status codes are DAPHNE's: 0 success, 1 parser, 2 pass (compile), 3 execution.
"""

from __future__ import annotations

import ctypes
import json
import os
import shlex
from typing import Any

import numpy as np

from daphnelib.dsl import CompileError, ParseError, compile_script, execute
from daphnelib.engine.values import FrameValue

# The last argv and user config a run received (the tests check which flags got through).
LAST_ARGV: list[str] = []
LAST_CONFIG: dict[str, Any] = {}
# Every saved result, never released: the pointers handed out stay valid.
_KEPT: list[Any] = []

_DTYPES = {0: np.int8, 1: np.int32, 2: np.int64, 3: np.uint8, 4: np.uint32, 5: np.uint64,
           6: np.float32, 7: np.float64}
_FLAGS = ("--vec", "--select-matrix-repr", "--explain", "--cuda", "--distributed",
          "--no-obj-ref-mgnt", "--mlir-codegen")
_VALUED = ("--num-threads", "--config", "--vec-type", "--partitioning", "--libdir")
SUCCESS, PARSER_ERROR, PASS_ERROR, EXECUTION_ERROR = range(4)


class _Failure(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _expand(argv: list[str]) -> list[str]:
    """LLVM's response files: an ``@path`` argument is replaced by the file's arguments."""
    out = []
    for a in argv:
        if a.startswith("@") and os.path.isfile(a[1:]):
            with open(a[1:], encoding="utf-8") as f:
                out += _expand(shlex.split(f.read()))
        else:
            out.append(a)
    return out


def _parse_argv(argv: list[str]) -> tuple[str, str]:
    """The library directory and the script path; records the options."""
    LAST_ARGV[:] = argv
    LAST_CONFIG.clear()
    libdir, script, i = "", None, 1
    while i < len(argv):
        a = argv[i]
        name, eq, value = a.partition("=")
        if name in _VALUED and not eq:
            value, i = argv[i + 1], i + 1
        if name == "--libdir":
            libdir = value
        elif name == "--config":
            with open(value, encoding="utf-8") as f:
                LAST_CONFIG.update(json.load(f))
        elif a.startswith("-") and name not in _FLAGS and name not in _VALUED:
            raise _Failure(PARSER_ERROR, f"daphne: Unknown command line argument '{a}'")
        elif not a.startswith("-"):
            script = a
        i += 1
    if script is None:
        raise _Failure(PARSER_ERROR, "daphne: no script file given")
    return libdir, script


def _receive(address: int, rows: int, cols: int, vtc: int) -> np.ndarray:
    """receiveFromNumpy: a read-only row-major view of the memory at ``address``."""
    dtype = _DTYPES.get(vtc)
    if dtype is None:
        raise ValueError(f"receiveFromNumpy: invalid value type code {vtc}")
    n = rows * cols
    if n == 0:
        return np.empty((rows, cols), dtype)
    raw = (ctypes.c_char * (n * np.dtype(dtype).itemsize)).from_address(address)
    arr = np.frombuffer(raw, dtype).reshape(rows, cols)
    arr.flags.writeable = False
    return arr


def _code(arr: np.ndarray, what: str) -> int:
    if arr.dtype.kind in "TUSO":
        return 8
    for code, dt in _DTYPES.items():
        if arr.dtype == dt:
            return code
    raise _Failure(EXECUTION_ERROR, f"saveDaphneLibResult: {what} has value type "
                                    f"{arr.dtype}, which has no ValueTypeCode")


def _column(arr: np.ndarray, what: str) -> tuple[int, int, list[str] | None]:
    code = _code(arr, what)
    if code == 8:  # std::string objects on the C++ side
        return code, 0, [str(s) for s in arr.reshape(-1)]
    arr = np.ascontiguousarray(arr)
    _KEPT.append(arr)
    return code, arr.ctypes.data, None


def _describe(value: Any) -> tuple:
    if isinstance(value, FrameValue):
        cols = [_column(c, f"frame column {lbl!r}")
                for c, lbl in zip(value.columns, value.labels, strict=True)]
        return (SUCCESS, "", 2, value.nrow, value.ncol, [c[0] for c in cols],
                [lbl.encode("utf-8") for lbl in value.labels], [c[1] for c in cols],
                [c[2] for c in cols])
    if isinstance(value, np.ndarray) and value.ndim == 2:
        code, address, strings = _column(value, "the matrix")
        return (SUCCESS, "", 1, value.shape[0], value.shape[1], [code], [], [address],
                [strings])
    raise _Failure(EXECUTION_ERROR, "saveDaphneLibResult takes a matrix or a frame, got "
                                    f"{type(value).__name__}")


def run(libdir: str, script_path: str) -> tuple:
    """Run ``daphne --libdir <libdir> <script_path>``; the result description (see the C++)."""
    try:
        libdir, script = _parse_argv(_expand(["daphne", "--libdir", libdir, script_path]))
        if not os.path.isfile(os.path.join(libdir, "libAllKernels.so")):
            raise _Failure(PASS_ERROR, f"no libAllKernels.so in the library directory {libdir}")
        try:
            lowered = compile_script(path=script, buffers=_receive)
        except ParseError as exc:
            raise _Failure(PARSER_ERROR, str(exc)) from None
        except CompileError as exc:
            raise _Failure(PASS_ERROR, str(exc)) from None
        instrs = lowered.program.instrs
        saves = bool(instrs) and instrs[-1].op == "saveDaphneLibResult"
        try:
            value = execute(lowered)
        except Exception as exc:  # every failure becomes DAPHNE's status 3
            raise _Failure(EXECUTION_ERROR, str(exc)) from None
        if not saves:
            return (SUCCESS, "", 0, 0, 0, [], [], [], [])
        _KEPT.append(value)
        return _describe(value)
    except _Failure as exc:
        return (exc.status, str(exc), 0, 0, 0, [], [], [], [])
