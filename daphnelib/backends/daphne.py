"""The ``daphne`` backend: run programs on a real DAPHNE through its ``libdaphnelib.so``.

A program is rendered to DaphneDSL (``script_building``), with every input as
``receiveFromNumpy(address, rows, cols, vtc)`` over the engine buffer (no copy) and the
result handed back by ``saveDaphneLibResult``. The library's ``daphne(libDirPath,
scriptPath)`` runs the script file, and ``getResult()`` returns the result record, which
:func:`daphnelib._native.foreign.foreign_result` reads into arrays over DAPHNE's memory.

What DAPHNE cannot take is handled here, once, before the run:

- strided inputs are packed into one aligned copy (the record has no strides);
- bool travels as its bytes, ``ui8`` (DAPHNE has no value type code for bool). A result
  that is an input passed through comes back as that input's own dtype, read-only;
  computed results have DAPHNE's value types;
- strings cannot go through ``receiveFromNumpy`` (DAPHNE rejects code 8), so string inputs
  go through a CSV + ``.meta`` file (``readMatrix``/``readFrame``), and string results,
  which DAPHNE hands out as ``std::string`` objects, are fetched by running the script
  again with ``writeMatrix``/``writeFrame`` in place of ``saveDaphneLibResult``;
- frame columns keep their logical types (pandas dtypes, index roles) when they come back
  under their own label with their own value type; DAPHNE has no missing values, so a
  column with missing values is refused with an error naming it.

Flags (DaphneLib cannot pass any, DAPHNE issue #719): ``daphne()`` builds DAPHNE's argv
itself (``daphne --libdir <dir> <scriptPath>``), and DAPHNE parses it with LLVM's command
line library, which expands ``@file`` response files. With flags, the script path given
is ``@<file>`` holding the flags and the script path: ``flags_via="argv"`` puts the flags
there as they are (any DAPHNE command-line option), ``flags_via="config"`` translates them
into a DAPHNE user configuration file passed as ``--config=<file>`` (only the options that
have a configuration key: see :data:`CONFIG_KEYS`).
"""

from __future__ import annotations

import ctypes
import json
import os
import re
import shlex
import shutil
import sys
import tempfile
import threading
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any, ClassVar, Literal

import numpy as np

from daphnelib.backends.base import Backend
from daphnelib.engine.program import Kind, Program
from daphnelib.engine.values import FrameValue

LIBRARY = "libdaphnelib.so"
KERNELS = "libAllKernels.so"
# DAPHNE's exit statuses (api/internal/daphne_internal.h).
STATUS_NAMES = {1: "parser error", 2: "compiler pass error", 3: "execution error"}
# Command-line flags that have a key in DAPHNE's user configuration (JSON) file; the value
# is the key and how the flag's value is written there (True for a switch).
CONFIG_KEYS: dict[str, tuple[str, type]] = {
    "--vec": ("use_vectorized_exec", bool),
    "--num-threads": ("numberOfThreads", int),
    "--cuda": ("use_cuda", bool),
    "--mlir-codegen": ("use_mlir_codegen", bool),
    "--no-obj-ref-mgnt": ("use_obj_ref_mgnt", bool),  # written as false
    "--explain": ("explain_kernels", bool),
}
_NEGATED = frozenset({"--no-obj-ref-mgnt"})

# One lock per loaded library: its result record is a process-wide global.
_LOCKS: dict[str, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


class DaphneRunError(RuntimeError):
    """DAPHNE failed to run a script; ``status`` is its exit status, ``message`` its text."""

    def __init__(self, status: int, message: str, builtin: str | None = None) -> None:
        self.status = status
        self.message = message
        self.builtin = builtin
        what = STATUS_NAMES.get(status, "error")
        where = f" in DaphneDSL builtin {builtin!r}" if builtin else ""
        super().__init__(f"DAPHNE failed{where} (status {status}, {what}): {message}")


def find_library(daphne_lib_dir: str | os.PathLike[str] | None = None) -> str:
    """The directory holding ``libdaphnelib.so``: ``daphne_lib_dir``, else
    ``$DAPHNELIB_DIR_PATH``, else the first ``$LD_LIBRARY_PATH`` entry that has it."""
    if daphne_lib_dir is not None:
        candidates = [os.fspath(daphne_lib_dir)]
    elif os.environ.get("DAPHNELIB_DIR_PATH"):
        candidates = [os.environ["DAPHNELIB_DIR_PATH"]]
    else:
        candidates = [d for d in os.environ.get("LD_LIBRARY_PATH", "").split(os.pathsep) if d]
    for d in candidates:
        if os.path.isfile(os.path.join(d, LIBRARY)):
            if not os.path.isfile(os.path.join(d, KERNELS)):
                raise FileNotFoundError(f"{d} has {LIBRARY} but not {KERNELS}, which DAPHNE "
                                        "loads its kernels from; point daphne_lib_dir at "
                                        "DAPHNE's lib directory")
            return os.path.abspath(d)
    where = ", ".join(candidates) or "nowhere (no daphne_lib_dir, DAPHNELIB_DIR_PATH or " \
                                    "LD_LIBRARY_PATH)"
    raise FileNotFoundError(f"no {LIBRARY} found in {where}: pass daphne_lib_dir=<DAPHNE's "
                            "lib directory> or set DAPHNELIB_DIR_PATH")


def _wire_code(dtype: np.dtype) -> int | None:
    """The value type code an input buffer is sent as; None for strings (files)."""
    from daphnelib.engine.valuetypes import CODE_OF_VT, UI8, vt_of_dtype

    if dtype == np.bool_:
        return UI8
    vt = vt_of_dtype(dtype)
    return None if vt == "str" else CODE_OF_VT[vt]


class DaphneBackend(Backend):
    """Runs programs with a DAPHNE installation through its ``libdaphnelib.so``.

    Parameters
    ----------
    daphne_lib_dir : str, optional
        DAPHNE's ``lib`` directory (``libdaphnelib.so`` and ``libAllKernels.so``); default
        ``$DAPHNELIB_DIR_PATH``, else ``$LD_LIBRARY_PATH``.
    flags : sequence of str
        DAPHNE command-line options, e.g. ``["--vec", "--num-threads=4"]``.
    flags_via : {"argv", "config"}
        How the flags reach DAPHNE (module docstring): as arguments, or as a generated user
        configuration file (only flags listed in :data:`CONFIG_KEYS`).
    copy : bool
        Copy results into daphnelib's own buffers. By default results view DAPHNE's memory,
        which DAPHNE never frees (valid for the process lifetime; see docs/daphne-backend.md).
    """

    name: ClassVar[str] = "daphne"

    def __init__(
        self,
        daphne_lib_dir: str | os.PathLike[str] | None = None,
        flags: Iterable[str] = (),
        flags_via: Literal["argv", "config"] = "argv",
        copy: bool = False,
    ) -> None:
        if flags_via not in ("argv", "config"):
            raise ValueError(f"flags_via must be 'argv' or 'config', got {flags_via!r}")
        self.flags = [str(f) for f in flags]
        self.flags_via = flags_via
        self.copy = bool(copy)
        self._config = _config(self.flags) if flags_via == "config" else None
        self.lib_dir = find_library(daphne_lib_dir)
        path = os.path.join(self.lib_dir, LIBRARY)
        self._lib = ctypes.CDLL(path)  # ctypes releases the GIL during the calls
        self._lib.daphne.argtypes = (ctypes.c_char_p, ctypes.c_char_p)
        self._lib.daphne.restype = ctypes.c_int
        # getResult returns a C++ struct by value: called from C++ (_native/foreign.pyx).
        self._get_result = ctypes.cast(self._lib.getResult, ctypes.c_void_p).value
        with _LOCKS_GUARD:
            self._lock = _LOCKS.setdefault(path, threading.Lock())
        self._tmpdir: str | None = None

    # -- Backend ----------------------------------------------------------------------------

    def execute(self, program: Program, *, verbose: bool = False) -> Any:
        """Render ``program``, run it with DAPHNE and return the engine value of its root."""
        from daphnelib._native.foreign import StringResultError

        workdir = tempfile.mkdtemp(prefix="run-", dir=self._dir())
        try:
            program, inputs, records = _prepare(program, workdir, verbose)
            root = program.result
            try:
                value = self._run(program, inputs, workdir, None, verbose)
            except StringResultError:
                value = self._run(program, inputs, workdir, os.path.join(workdir, "result.csv"),
                                  verbose)
            if root.kind is Kind.SCALAR and value is not None:
                return _scalar(value)
            if isinstance(value, FrameValue):
                _restore(value, records)
            return value
        finally:
            shutil.rmtree(workdir, ignore_errors=True)

    def close(self) -> None:
        """Remove this backend's temporary directory (the library stays loaded)."""
        if self._tmpdir is not None:
            shutil.rmtree(self._tmpdir, ignore_errors=True)
            self._tmpdir = None

    # -- running ----------------------------------------------------------------------------

    def _dir(self) -> str:
        if self._tmpdir is None:
            self._tmpdir = tempfile.mkdtemp(prefix="daphnelib-daphne-")
        return self._tmpdir

    def _run(self, program: Program, inputs: list[tuple[np.ndarray, int]], workdir: str,
             files_path: str | None, verbose: bool) -> Any:
        from daphnelib._native.foreign import foreign_result, result_message
        from daphnelib.engine import fileio
        from daphnelib.script_building.dsl import render

        script = render(program, files_path=files_path)
        if verbose:
            sys.stdout.write(script)
        script_path = os.path.join(workdir, "files.daphne" if files_path else "script.daphne")
        with open(script_path, "w", encoding="utf-8") as f:
            f.write(script)
        target = self._argument(script_path, workdir)
        with self._lock:
            # The buffers in `inputs` are alive (the program holds them) during the call.
            status = self._lib.daphne(self.lib_dir.encode(), target.encode())
            if status != 0:
                message = result_message(self._get_result)
                raise DaphneRunError(status, message, _builtin(message, script_path, script))
            kind = program.result.kind
            if kind is Kind.NONE:
                return None
            if files_path is None:
                result = foreign_result(self._get_result, inputs=inputs, keep=self._lib,
                                        copy=self.copy)
                if result.is_frame:
                    return FrameValue(result.columns(), result.labels(), nrow=result.rows)
                return result.matrix()
        if kind is Kind.FRAME:
            return fileio.read_frame(files_path)
        return fileio.read_matrix(files_path)

    def _argument(self, script_path: str, workdir: str) -> str:
        """The ``scriptPath`` argument: the script, or an ``@file`` with flags before it."""
        if not self.flags:
            return script_path
        args = list(self.flags)
        if self._config is not None:
            config = os.path.join(workdir, "UserConfig.json")
            with open(config, "w", encoding="utf-8") as f:
                json.dump(self._config, f)
            args = [f"--config={config}"]
        response = os.path.join(workdir, "args.rsp")
        with open(response, "w", encoding="utf-8") as f:
            f.write(" ".join(shlex.quote(a) for a in [*args, script_path]) + "\n")
        return "@" + response


def _config(flags: Sequence[str]) -> dict[str, Any]:
    """DAPHNE's user configuration for ``flags``; a flag without a key raises ValueError."""
    config: dict[str, Any] = {}
    for flag in flags:
        name, eq, value = flag.partition("=")
        if name not in CONFIG_KEYS:
            raise ValueError(f"the DAPHNE flag {flag!r} has no user-configuration key; pass it "
                             f"with flags_via='argv' (configurable: {', '.join(CONFIG_KEYS)})")
        key, kind = CONFIG_KEYS[name]
        if kind is bool:
            if eq:
                raise ValueError(f"the DAPHNE flag {name} takes no value, got {flag!r}")
            config[key] = name not in _NEGATED
        else:
            try:
                config[key] = kind(value)
            except ValueError:
                raise ValueError(f"the DAPHNE flag {name} needs an integer value, got "
                                 f"{flag!r}") from None
    return config


def _builtin(message: str, script_path: str, script: str) -> str | None:
    """The builtin on the generated-script line DAPHNE's message points at, if any."""
    m = re.search(re.escape(os.path.basename(script_path)) + r"\D{0,3}(\d+)", message)
    if m is None:
        return None
    lines = script.split("\n")
    line = int(m.group(1))
    if not 0 < line <= len(lines):
        return None
    # "V3 = name(...)" or "V3 = V1 op V2" (rendered infix operators)
    m = re.search(r"=\s*(?:([A-Za-z_][\w.]*)\(|\S+\s+(\S+)\s)", lines[line - 1])
    return None if m is None else m.group(1) or m.group(2)


# -- inputs and results ---------------------------------------------------------------------

def _prepare(program: Program, workdir: str, verbose: bool
             ) -> tuple[Program, list[tuple[np.ndarray, int]], dict[str, tuple[np.dtype, Any]]]:
    """The program with every input in a form DAPHNE takes (module docstring), the buffers
    sent with their value type codes, and per frame-column label its dtype and record."""
    from daphnelib._native.buffers import aligned_copy
    from daphnelib.engine import fileio

    inputs: list[tuple[np.ndarray, int]] = []
    records: dict[str, tuple[np.dtype, Any]] = {}
    files = 0

    def sendable(arr: np.ndarray, what: str) -> np.ndarray | None:
        code = _wire_code(arr.dtype)
        if code is None:
            return None
        if not arr.flags.c_contiguous:
            if verbose:
                sys.stdout.write(f"daphnelib: copying {what} once (DAPHNE reads row-major "
                                 "buffers without strides)\n")
            arr = aligned_copy(arr)
        inputs.append((arr, code))
        return arr

    def file_of(value: Any) -> str:
        nonlocal files
        path = os.path.join(workdir, f"input{files}.csv")
        files += 1
        if isinstance(value, FrameValue):
            fileio.write_frame(value, path)
        else:
            fileio.write_matrix(value, path)
        return path

    def note(labels: Sequence[str], dtypes: Sequence[np.dtype], logical: Sequence[Any]
             ) -> None:
        for label, dtype, record in zip(labels, dtypes, logical, strict=True):
            if record is not None and record.mask is not None and record.mask.any():
                raise ValueError(f"frame column {label!r} has missing values, which DAPHNE "
                                 "cannot hold (it has no nulls); fill them first or use the "
                                 "embedded backend")
            records[label] = (dtype, record)

    instrs = []
    for ins in program.instrs:
        if ins.op == "receiveFromNumpy":
            arr = sendable(ins.args[0], "an input matrix")
            ins = (replace(ins, op="readMatrix", args=(file_of(ins.args[0]),)) if arr is None
                   else replace(ins, args=(arr,)))
        elif ins.op == "readFrame" and len(ins.args) > 1 and ins.args[1] is not None:
            # from_pandas(shared_memory=False): the records the file format cannot hold
            labels, dtypes = _file_schema(ins.args[0])
            note(labels, dtypes, ins.args[1])
        elif ins.op == "receiveFrame":
            frame: FrameValue = ins.args[0]
            note(frame.labels, [c.dtype for c in frame.columns], frame.logical)
            cols = [sendable(c, f"frame column {lbl!r}")
                    for c, lbl in zip(frame.columns, frame.labels, strict=True)]
            if any(c is None for c in cols):  # a string column: the whole frame via a file
                del inputs[len(inputs) - sum(c is not None for c in cols):]
                ins = replace(ins, op="readFrame", args=(file_of(frame),))
            else:
                ins = replace(ins, args=(FrameValue(cols, frame.labels, frame.logical,
                                                    nrow=frame.nrow),))
        instrs.append(ins)
    return Program(tuple(instrs)), inputs, records


def _file_schema(path: str) -> tuple[list[str], list[np.dtype]]:
    """The labels and column dtypes a frame file's ``.meta`` declares."""
    from daphnelib.engine.valuetypes import DTYPE_OF_VT

    with open(path + ".meta", encoding="utf-8") as f:
        schema = json.load(f).get("schema", [])
    return ([str(c.get("label", "")) for c in schema],
            [DTYPE_OF_VT.get(c.get("valueType"), np.dtype(np.float64)) for c in schema])


def _restore(frame: FrameValue, records: dict[str, tuple[np.dtype, Any]]) -> None:
    """Give result columns that are input columns (same label, same value type) their
    input's dtype (bool came back as ui8) and logical record."""
    for j, (col, label) in enumerate(zip(frame.columns, frame.labels, strict=True)):
        known = records.get(label)
        if known is None:
            continue
        dtype, record = known
        if col.dtype != dtype:
            if dtype.kind in "TUSO" or col.dtype.itemsize != dtype.itemsize \
                    or _wire_code(dtype) != _wire_code(col.dtype):
                continue
            frame.columns[j] = col = col.view(dtype)
        if record is not None and record.mask is not None:
            record = replace(record, mask=np.zeros(len(col), np.bool_))
        frame.logical[j] = record


def _scalar(matrix: np.ndarray) -> Any:
    """A scalar root comes back as a 1 x 1 matrix (``as.matrix``): its element."""
    if matrix.shape != (1, 1):
        raise RuntimeError(f"DAPHNE returned a {matrix.shape} matrix for a scalar")
    value = matrix[0, 0]
    return str(value) if matrix.dtype.kind in "TUSO" else value
