"""The ``daphnelib`` command (also ``python -m daphnelib``).

::

    daphnelib run script.daphne [name=value ...] [--args k=v,k2=v2] [DAPHNE options]
    daphnelib [DAPHNE options] script.daphne [name=value ...]     # DAPHNE's command line
    daphnelib --explain script.daphne [name=value ...]           # print the IR, do not run
    daphnelib --explain kernels script.daphne      # run; our IR to stderr, as DAPHNE's IR
    daphnelib compat program.py [args ...]   # an unmodified DaphneLib program on daphnelib

Exit status as DAPHNE: 0 success, 1 parser error, 2 compile error, 3 execution error; errors
go to stderr as ``[error]: <stage>: <message>``, so stdout holds exactly what the script
prints, and ``stop(reason)``'s ``system stopped: reason`` line (stdout, as DAPHNE).
DAPHNE's performance and representation options (``--vec``, ``--select-matrix-repr``,
``--columnar``, ``--libdir=DIR``, ``--num-threads=N``, ...) are accepted and ignored;
``--config=FILE`` is checked as DAPHNE checks it and contributes its
``daphnedsl_import_paths``; ``--kernel-ext file.json[:priority]`` makes the extension's
kernels valid kernel hints.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field

USAGE = """\
usage: daphnelib run script.daphne [name=value ...] [--args k=v,k2=v2] [DAPHNE options]
       daphnelib --explain script.daphne [name=value ...]       (print our IR, do not run)
       daphnelib --explain kernels,sql script.daphne ...        (run; our IR to stderr)
       daphnelib compat program.py [args ...]
"""

# DAPHNE options that take a value; given without "=", the value is the next argument.
_VALUE_OPTIONS = frozenset((
    "args", "config", "libdir", "num-threads", "partitioning", "queue_layout",
    "victim_selection", "grain-size", "dist_backend", "log-level-limit", "max-distr-chunk-size",
    "fpgaopencl", "vec-type", "explain-kernels", "kernel-ext",
))


class UsageError(Exception):
    pass


def _split_args(text: str) -> list[str]:
    """``k=v,k2="a,b"``: split at commas outside string quotes."""
    parts, cur, quoted, escaped = [], [], False, False
    for c in text:
        if escaped:
            escaped = False
        elif c == "\\" and quoted:
            escaped = True
        elif c == '"':
            quoted = not quoted
        elif c == "," and not quoted:
            parts.append("".join(cur))
            cur = []
            continue
        cur.append(c)
    parts.append("".join(cur))
    return [p for p in parts if p]


def _script_arg(item: str, args: dict[str, str]) -> None:
    from daphnelib.dsl.errors import ParseError
    from daphnelib.dsl.parser import parse_arg_value

    name, sep, value = item.partition("=")
    if not sep or not name.isidentifier():
        raise ParseError(f"script argument {item!r} must look like name=value")
    if name in args:
        raise ParseError(f"script argument {name!r} is given twice")
    parse_arg_value(name, value)  # only literals: reject garbage even if unused (as DAPHNE)
    args[name] = value


# DAPHNE's --explain values (the IR stages it can print).
EXPLAIN_VALUES = frozenset((
    "parsing", "parsing_simplified", "property_inference", "select_matrix_repr", "sql",
    "phy_op_selection", "type_adaptation", "vectorized", "obj_ref_mgnt", "kernels", "llvm",
    "mlir_codegen", "mlir_codegen_sparsity_exploiting", "mlir_codegen_daphneir_to_mlir",
    "mlir_codegen_mlir_specific"))
_INT32 = range(-(2**31), 2**31)


@dataclass
class Command:
    """A DAPHNE-style command line, parsed."""

    script: str
    args: dict[str, str] = field(default_factory=dict)
    config: str | None = None
    # None: no --explain; "": bare --explain (print our IR, do not run); else DAPHNE's
    # comma-separated stages (run, and print our IR to stderr, where DAPHNE prints its IR).
    explain: str | None = None
    kernel_ext: list[tuple[str, int]] = field(default_factory=list)  # (JSON file, priority)


def _explain_value(value: str | None) -> bool:
    """Whether ``value`` is a list of --explain stages (else --explain stands alone)."""
    return value is not None and all(v in EXPLAIN_VALUES for v in value.split(","))


def _kernel_ext(value: str) -> tuple[str, int]:
    """``file.json`` or ``file.json:priority``; DAPHNE refuses any priority that is not a
    (32-bit) integer, even when the extension exists."""
    path, sep, prio = value.rpartition(":")
    if not sep:
        return value, 0
    if not re.fullmatch(r"[+-]?[0-9]+", prio) or int(prio) not in _INT32:
        raise UsageError(f"--kernel-ext {value}: the priority after ':' must be an integer "
                         f"(32 bits), got {prio!r}")
    return path, int(prio)


def parse_command(argv: Sequence[str]) -> Command:
    """The script, its arguments and the options of a DAPHNE-style command line."""
    script = None
    cmd = Command("")
    i = 0
    while i < len(argv):
        item = argv[i]
        i += 1
        if item.startswith("-") and item != "-":
            name, sep, value = item.lstrip("-").partition("=")
            if name == "explain":
                if not sep:  # "--explain stages" takes the next argument if it is stages
                    nxt = argv[i] if i < len(argv) else None
                    value, i = (nxt, i + 1) if _explain_value(nxt) else ("", i)
                elif not _explain_value(value):
                    raise UsageError(f"unknown --explain value {value!r} (DAPHNE's are "
                                     f"{', '.join(sorted(EXPLAIN_VALUES))})")
                cmd.explain = value
                continue
            if name in _VALUE_OPTIONS and not sep:
                if i == len(argv):
                    raise UsageError(f"option {item} needs a value")
                value = argv[i]
                i += 1
            if name == "args":
                for part in _split_args(value):
                    _script_arg(part, cmd.args)
            elif name == "config":
                cmd.config = value
            elif name == "kernel-ext":
                cmd.kernel_ext.append(_kernel_ext(value))
            continue  # performance/representation options: accepted, no effect here
        if script is None:
            script = item
        else:
            _script_arg(item, cmd.args)
    if script is None:
        raise UsageError("no script given")
    cmd.script = script
    return cmd


def _register_kernel_extensions(extensions: list[tuple[str, int]]) -> None:
    """Read each extension's JSON: its kernels become valid kernel hints. Their code (C++
    libraries for DAPHNE) cannot run here, so our own kernels compute the results."""
    from daphnelib.dsl.errors import ParseError
    from daphnelib.dsl.hints import register_extension_kernels

    for path, _priority in extensions:
        try:
            with open(path, encoding="utf-8") as f:
                kernels = json.load(f)
            register_extension_kernels(str(k["kernelFuncName"]) for k in kernels)
        except (OSError, ValueError, TypeError, KeyError) as exc:
            raise ParseError(f"cannot read the kernel extension {path!r}: {exc}") from None


def run_command(argv: Sequence[str]) -> int:
    from daphnelib.dsl import compile_script, execute, explain, read_import_paths
    from daphnelib.dsl.errors import DaphneDSLError, ParseError

    try:
        cmd = parse_command(argv)
        try:
            import_paths = read_import_paths(cmd.config) if cmd.config else None
        except (OSError, ValueError) as exc:  # ValueError: not JSON, or not DAPHNE's keys
            raise ParseError(f"cannot read the configuration {cmd.config!r}: {exc}") from None
        _register_kernel_extensions(cmd.kernel_ext)
        try:
            lowered = compile_script(path=cmd.script, args=cmd.args, import_paths=import_paths)
        except OSError as exc:
            raise ParseError(f"cannot read script {cmd.script!r}: {exc.strerror or exc}"
                             ) from None
        if cmd.explain == "":
            sys.stdout.write(explain(lowered))
            return 0
        if cmd.explain is not None:
            sys.stderr.write(explain(lowered))
        execute(lowered)
    except DaphneDSLError as exc:
        return report_error(exc)
    finally:
        sys.stdout.flush()
    return 0


def report_error(exc: Exception) -> int:
    """Write DAPHNE's ``[error]: <stage>: <message>`` line for ``exc``; return the exit status.

    The one place the command line turns an exception into output: DSL errors carry their
    stage and status; a file that cannot be read is a parser error (1), as DAPHNE reports an
    unreadable script; anything else is an execution error (3), never a Python traceback.
    """
    from daphnelib.dsl.errors import DaphneDSLError, ExecutionError, ParseError, StoppedError

    if isinstance(exc, OSError) and exc.filename is not None:
        exc = ParseError(f"cannot read {exc.filename!r}: {exc.strerror or exc}")
    elif not isinstance(exc, DaphneDSLError):
        exc = ExecutionError(f"{type(exc).__name__}: {exc}")
    if isinstance(exc, StoppedError):
        sys.stdout.write(f"{exc}\n")
    else:
        sys.stdout.flush()
        sys.stderr.write(f"[error]: {exc.stage}: {exc}\n")
    return exc.exit_status


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help", "help"):
        (sys.stdout if argv else sys.stderr).write(USAGE)
        return 0 if argv else 1
    try:
        if argv[0] == "compat":
            if len(argv) < 2:
                raise UsageError("compat needs the DaphneLib program to run")
            from daphnelib.compat import run_path

            return run_path(argv[1], argv[2:])
        if argv[0] == "run":
            argv = argv[1:]
        return run_command(argv)
    except UsageError as exc:
        sys.stderr.write(f"daphnelib: {exc}\n{USAGE}")
        return 1
    except BrokenPipeError:
        # stdout was closed early (| head): stop quietly, as the shell expects.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except Exception as exc:  # e.g. a program for `compat` that cannot be read
        return report_error(exc)


if __name__ == "__main__":
    sys.exit(main())
