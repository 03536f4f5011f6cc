"""The ``daphnelib`` command (also ``python -m daphnelib``).

::

    daphnelib run script.daphne [name=value ...] [--args k=v,k2=v2] [DAPHNE options]
    daphnelib [DAPHNE options] script.daphne [name=value ...]     # DAPHNE's command line
    daphnelib --explain script.daphne [name=value ...]           # print the IR, do not run
    daphnelib compat program.py [args ...]   # an unmodified DaphneLib program on daphnelib

Exit status as DAPHNE: 0 success, 1 parser error, 2 compile error, 3 execution error; errors
go to stderr as ``[error]: <stage>: <message>``, so stdout holds exactly what the script
prints. DAPHNE's performance and representation options on an explicit allow-list
(``--vec``, ``--select-matrix-repr``, ``--columnar``, ``--libdir=DIR``, ``--num-threads=N``,
...; ``daphnelib run --help`` lists them) are accepted and ignored, except ``--distributed``,
which runs the script on the Dask backend (docs/dask.md); any other option is a usage error
(status 1). ``--config=FILE`` contributes its ``daphnedsl_import_paths``.
``daphnelib --version`` prints the version.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Any

# DAPHNE's own options that the embedded engine accepts and ignores: performance and
# representation choices that do not change a script's output. Anything else is an error.
DAPHNE_FLAGS = (
    "vec", "select-matrix-repr", "columnar", "cuda", "distributed", "timing", "statistics",
    "pin-workers", "hyperthreading", "debug-mt", "mlir-codegen", "no-obj-ref-mgnt",
    "no-ipa-const-propa", "no-phy-op-selection", "use-cell-column-reference",
)
DAPHNE_VALUE_OPTIONS = (
    "libdir", "num-threads", "partitioning", "queue_layout", "victim_selection", "grain-size",
    "dist_backend", "log-level-limit", "max-distr-chunk-size", "fpgaopencl", "vec-type",
    "explain-kernels",
)


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    """Usage errors exit with status 1 (DAPHNE's parser-error status), not argparse's 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{message}\n{self.format_usage()}")


def _version() -> str:
    from daphnelib import __version__

    return f"daphnelib {__version__}"


_RUN_DESCRIPTION = (
    "Run a DaphneDSL script with DAPHNE's command line and output. Exit status: 0 success, "
    "1 parser error, 2 compile error, 3 execution error; errors go to stderr as "
    "'[error]: <stage>: <message>'.")


def _add_run_arguments(run: argparse.ArgumentParser) -> None:
    run.add_argument("script", help="the .daphne file")
    run.add_argument("assignments", nargs="*", metavar="name=value",
                     help="script arguments ($name in the script): literals only")
    run.add_argument("--args", action="append", default=[], metavar="k=v,k2=v2",
                     help="more script arguments, comma-separated (quotes protect commas)")
    run.add_argument("--config", metavar="FILE",
                     help="a DAPHNE configuration file; its daphnedsl_import_paths are used")
    run.add_argument("--explain", action="store_true",
                     help="print the lowered IR instead of running the script")
    daphne = run.add_argument_group(
        "DAPHNE options",
        "accepted for compatibility with DAPHNE's command line; they tune DAPHNE's own "
        "runtime and have no effect on the embedded engine (--distributed runs the script on "
        "the Dask backend): "
        + ", ".join(f"--{f}" for f in DAPHNE_FLAGS) + "; with a value: "
        + ", ".join(f"--{o}=VALUE" for o in DAPHNE_VALUE_OPTIONS))
    for flag in DAPHNE_FLAGS:
        daphne.add_argument(f"--{flag}", action="store_true", help=argparse.SUPPRESS)
    for option in DAPHNE_VALUE_OPTIONS:
        daphne.add_argument(f"--{option}", metavar="VALUE", help=argparse.SUPPRESS)


def _run_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="daphnelib run", allow_abbrev=False, description=_RUN_DESCRIPTION)
    _add_run_arguments(parser)
    return parser


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="daphnelib", allow_abbrev=False,
        description="Run DaphneDSL scripts and DaphneLib programs on daphnelib's embedded "
                    "engine (no DAPHNE installation needed).",
        epilog="Without a subcommand, the arguments are DAPHNE's command line: "
               "daphnelib [DAPHNE options] script.daphne [name=value ...]")
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="command", metavar="{run,compat}", parser_class=_Parser)
    run = sub.add_parser(
        "run", allow_abbrev=False, help="run a .daphne script", description=_RUN_DESCRIPTION)
    _add_run_arguments(run)
    compat = sub.add_parser(
        "compat", help="run an unmodified DaphneLib program on daphnelib",
        description="Run a Python program written for DaphneLib (importing "
                    "daphne.context.daphne_context) on daphnelib.")
    compat.add_argument("program", help="the Python file")
    compat.add_argument("program_args", nargs=argparse.REMAINDER, metavar="...",
                        help="arguments passed to the program")
    return parser


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
    """(script, script args, config file, explain) of a ``run`` command line."""
    ns = _run_parser().parse_intermixed_args(list(argv))
    args: dict[str, str] = {}
    for text in ns.args:
        for part in _split_args(text):
            _script_arg(part, args)
    for item in ns.assignments:
        _script_arg(item, args)
    return ns.script, args, ns.config, ns.explain


def _distributed_backend(argv: Sequence[str]) -> Any:
    """DAPHNE's ``--distributed``: the Dask backend, on the scheduler named by
    ``DAPHNELIB_DASK_SCHEDULER`` (else a threaded cluster on this machine); None without it."""
    if not _run_parser().parse_intermixed_args(list(argv)).distributed:
        return None
    from daphnelib._optional import import_optional

    distributed = import_optional("distributed", "dask", "--distributed")
    from daphnelib.backends.dask import DaskBackend

    address = os.environ.get("DAPHNELIB_DASK_SCHEDULER")
    if not address:
        return DaskBackend()
    # distributed closes this client when the interpreter exits
    return DaskBackend(client=distributed.Client(address, set_as_default=False))


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
        from daphnelib import progress

        backend = _distributed_backend(argv)
        watched = progress.start(f"daphnelib run {os.path.basename(script)}")
        try:
            execute(lowered, backend)
        finally:
            if watched:
                progress.stop()
            if backend is not None:
                backend.close()
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
    try:
        if not argv:
            raise UsageError(f"no script given\n{_run_parser().format_usage()}"
                             "(daphnelib --help lists the subcommands)\n")
        if argv[0] not in ("run", "compat", "-h", "--help", "--version"):
            argv = ["run", *argv]  # DAPHNE's command line: daphnelib [options] script ...
        if argv[0] == "run" and not any(a in ("-h", "--help") for a in argv[1:]):
            return run_command(argv[1:])
        ns = build_parser().parse_args(argv)  # --help, --version, compat
        if ns.command == "compat":
            from daphnelib.compat import run_path

            return run_path(ns.program, ns.program_args)
        return 0
    except UsageError as exc:
        sys.stderr.write(f"daphnelib: {exc}")
        return 1
    except BrokenPipeError:
        # stdout was closed early (| head): stop quietly, as the shell expects.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except Exception as exc:  # e.g. a program for `compat` that cannot be read
        return report_error(exc)


if __name__ == "__main__":
    sys.exit(main())
