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
``--select-matrix-repr`` makes matrices CSR where DAPHNE would, and ``--distributed`` runs the
script on the Dask backend (docs/dask.md). DAPHNE's other performance
and representation options on an explicit allow-list (``--vec``, ``--columnar``,
``--libdir=DIR``, ``--num-threads=N``, ...; ``daphnelib run --help`` lists them) are accepted
and ignored; any other option is a usage error (status 1). ``--config=FILE`` is checked as
DAPHNE checks it and contributes its ``daphnedsl_import_paths``; ``--kernel-ext
file.json[:priority]`` makes the extension's kernels valid kernel hints. ``daphnelib
--version`` prints the version.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

# DAPHNE's own options that the embedded engine accepts: performance choices that do not
# change a script's output (ignored), and the matrix representation (CSR where DAPHNE picks
# it, with its own printing and random stream). Anything else is an error.
_SELECT_MATRIX_REPR = ("select-matrix-repr", "select-matrix-representations")  # DAPHNE's alias
DAPHNE_FLAGS = (
    "vec", *_SELECT_MATRIX_REPR, "columnar", "cuda", "distributed", "timing", "statistics",
    "pin-workers", "hyperthreading", "debug-mt", "mlir-codegen", "no-obj-ref-mgnt",
    "no-ipa-const-propa", "no-phy-op-selection", "use-cell-column-reference",
)
DAPHNE_VALUE_OPTIONS = (
    "libdir", "num-threads", "partitioning", "queue_layout", "victim_selection", "grain-size",
    "dist_backend", "log-level-limit", "max-distr-chunk-size", "fpgaopencl", "vec-type",
    "explain-kernels",
)


# DAPHNE's --explain values (the IR stages it can print).
EXPLAIN_VALUES = frozenset((
    "parsing", "parsing_simplified", "property_inference", "select_matrix_repr", "sql",
    "phy_op_selection", "type_adaptation", "vectorized", "obj_ref_mgnt", "kernels", "llvm",
    "mlir_codegen", "mlir_codegen_sparsity_exploiting", "mlir_codegen_daphneir_to_mlir",
    "mlir_codegen_mlir_specific"))
_INT32 = range(-(2**31), 2**31)


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
    run.add_argument("--explain", nargs="?", const="", metavar="STAGES",
                     help="alone: print the lowered IR instead of running the script; with "
                          "DAPHNE's stages (kernels,sql,...): run, and print the IR to stderr")
    run.add_argument("--kernel-ext", action="append", default=[], metavar="FILE[:PRIORITY]",
                     help="a DAPHNE kernel extension (JSON): its kernels become valid kernel "
                          "hints; the priority must be a 32-bit integer")
    daphne = run.add_argument_group(
        "DAPHNE options",
        "accepted for compatibility with DAPHNE's command line; except "
        "--select-matrix-repr (CSR matrices where DAPHNE picks them) and --distributed (the "
        "script runs on the Dask backend), they tune DAPHNE's own runtime and have no effect "
        "on the embedded engine: "
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


@dataclass
class Command:
    """A ``run`` command line, parsed."""

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


def _explain_arguments(argv: Sequence[str]) -> list[str]:
    """``--explain STAGES`` takes the next argument only when it is a list of DAPHNE's stages,
    so ``--explain script.daphne`` keeps its script (argparse would take it as the value)."""
    out: list[str] = []
    i = 0
    while i < len(argv):
        item = argv[i]
        i += 1
        if item == "--explain":
            nxt = argv[i] if i < len(argv) else None
            if _explain_value(nxt):
                item, i = f"--explain={nxt}", i + 1
            else:
                item = "--explain="
        out.append(item)
    return out


def _kernel_ext(value: str) -> tuple[str, int]:
    """``file.json`` or ``file.json:priority``; DAPHNE refuses any priority that is not a
    (32-bit) integer, even when the extension exists."""
    path, sep, prio = value.rpartition(":")
    if not sep:
        return value, 0
    if not re.fullmatch(r"[+-]?[0-9]+", prio) or int(prio) not in _INT32:
        raise UsageError(f"--kernel-ext {value}: the priority after ':' must be an integer "
                         f"(32 bits), got {prio!r}\n")
    return path, int(prio)


def parse_command(argv: Sequence[str]) -> Command:
    """The script, its arguments and the options of a ``run`` command line."""
    ns = _run_parser().parse_intermixed_args(_explain_arguments(argv))
    if ns.explain and not _explain_value(ns.explain):
        raise UsageError(f"unknown --explain value {ns.explain!r} (DAPHNE's are "
                         f"{', '.join(sorted(EXPLAIN_VALUES))})\n")
    cmd = Command(ns.script, config=ns.config, explain=ns.explain,
                  kernel_ext=[_kernel_ext(v) for v in ns.kernel_ext])
    for text in ns.args:
        for part in _split_args(text):
            _script_arg(part, cmd.args)
    for item in ns.assignments:
        _script_arg(item, cmd.args)
    return cmd


def _register_kernel_extensions(extensions: list[tuple[str, int]]) -> None:
    """Read each extension's JSON: its kernels become valid kernel hints. Their code (C++
    libraries for DAPHNE) cannot run here, so our own kernels compute the results."""
    from daphnelib.dsl.errors import ParseError
    from daphnelib.dsl.hints import use_extension_kernels

    names: list[str] = []
    for path, _priority in extensions:
        try:
            with open(path, encoding="utf-8") as f:
                names += [str(k["kernelFuncName"]) for k in json.load(f)]
        except (OSError, ValueError, TypeError, KeyError) as exc:
            raise ParseError(f"cannot read the kernel extension {path!r}: {exc}") from None
    use_extension_kernels(names)


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
        from daphnelib import progress

        backend = _distributed_backend(argv)
        watched = progress.start(f"daphnelib run {os.path.basename(cmd.script)}")
        try:
            execute(lowered, backend, select_matrix_repr=_selects_matrix_repr(argv))
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


def _selects_matrix_repr(argv: Sequence[str]) -> bool:
    """Whether DAPHNE's ``--select-matrix-repr`` (or its long alias) is among the options."""
    return any(a.lstrip("-") in _SELECT_MATRIX_REPR
               for a in argv if a.startswith("-"))


def report_error(exc: Exception) -> int:
    """Write DAPHNE's ``[error]: <stage>: <message>`` line for ``exc``; return the exit status.

    The one place the command line turns an exception into output: DSL errors carry their
    stage and status; a file that cannot be read is a parser error (1), as DAPHNE reports an
    unreadable script; anything else is an execution error (3), never a Python traceback.
    ``stop()`` is DAPHNE's exception: its ``system stopped: <reason>`` line goes to stdout.
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
