"""The ``daphnelib`` command (also ``python -m daphnelib``).

::

    daphnelib run script.daphne [name=value ...] [--args k=v,k2=v2] [DAPHNE options]
    daphnelib [DAPHNE options] script.daphne [name=value ...]     # DAPHNE's command line
    daphnelib --explain script.daphne [name=value ...]           # print the IR, do not run
    daphnelib compat program.py [args ...]   # an unmodified DaphneLib program on daphnelib

Exit status as DAPHNE: 0 success, 1 parser error, 2 compile error, 3 execution error; errors
go to stderr as ``[error]: <stage>: <message>``, so stdout holds exactly what the script
prints. ``--select-matrix-repr`` makes matrices CSR where DAPHNE would. DAPHNE's performance
options (``--vec``, ``--columnar``, ``--libdir=DIR``, ``--num-threads=N``, ...) are accepted
and ignored; ``--config=FILE`` contributes its ``daphnedsl_import_paths``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

USAGE = """\
usage: daphnelib run script.daphne [name=value ...] [--args k=v,k2=v2] [DAPHNE options]
       daphnelib --explain script.daphne [name=value ...]
       daphnelib compat program.py [args ...]
"""

# DAPHNE options that take a value; given without "=", the value is the next argument.
_VALUE_OPTIONS = frozenset((
    "args", "config", "libdir", "num-threads", "partitioning", "queue_layout",
    "victim_selection", "grain-size", "dist_backend", "log-level-limit", "max-distr-chunk-size",
    "fpgaopencl", "vec-type", "explain-kernels",
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


def parse_command(argv: Sequence[str]) -> tuple[str, dict[str, str], str | None, bool]:
    """(script, script args, config file, explain) of a DAPHNE-style command line."""
    script = None
    args: dict[str, str] = {}
    config = None
    explain = False
    it = iter(argv)
    for item in it:
        if item.startswith("-") and item != "-":
            name, sep, value = item.lstrip("-").partition("=")
            if name == "explain":
                explain = True
                continue
            if name in _VALUE_OPTIONS and not sep:
                value = next(it, None)
                if value is None:
                    raise UsageError(f"option {item} needs a value")
            if name == "args":
                for part in _split_args(value):
                    _script_arg(part, args)
            elif name == "config":
                config = value
            continue  # performance/representation options: accepted, no effect here
        if script is None:
            script = item
        else:
            _script_arg(item, args)
    if script is None:
        raise UsageError("no script given")
    return script, args, config, explain


def run_command(argv: Sequence[str]) -> int:
    from daphnelib.dsl import compile_script, execute, explain, read_import_paths
    from daphnelib.dsl.errors import DaphneDSLError, ParseError

    try:
        script, args, config, show_ir = parse_command(argv)
        try:
            import_paths = read_import_paths(config) if config else None
        except (OSError, ValueError) as exc:  # ValueError: not JSON
            raise ParseError(f"cannot read the configuration {config!r}: {exc}") from None
        try:
            lowered = compile_script(path=script, args=args, import_paths=import_paths)
        except OSError as exc:
            raise ParseError(f"cannot read script {script!r}: {exc.strerror or exc}") from None
        if show_ir:
            sys.stdout.write(explain(lowered))
            return 0
        execute(lowered, select_matrix_repr=_selects_matrix_repr(argv))
    except DaphneDSLError as exc:
        return report_error(exc)
    finally:
        sys.stdout.flush()
    return 0


def _selects_matrix_repr(argv: Sequence[str]) -> bool:
    """Whether DAPHNE's ``--select-matrix-repr`` (or its long alias) is among the options."""
    return any(a.lstrip("-") in ("select-matrix-repr", "select-matrix-representations")
               for a in argv if a.startswith("-"))


def report_error(exc: Exception) -> int:
    """Write DAPHNE's ``[error]: <stage>: <message>`` line for ``exc``; return the exit status.

    The one place the command line turns an exception into output: DSL errors carry their
    stage and status; a file that cannot be read is a parser error (1), as DAPHNE reports an
    unreadable script; anything else is an execution error (3), never a Python traceback.
    """
    from daphnelib.dsl.errors import DaphneDSLError, ExecutionError, ParseError

    if isinstance(exc, OSError) and exc.filename is not None:
        exc = ParseError(f"cannot read {exc.filename!r}: {exc.strerror or exc}")
    elif not isinstance(exc, DaphneDSLError):
        exc = ExecutionError(f"{type(exc).__name__}: {exc}")
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
