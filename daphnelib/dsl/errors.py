"""Errors of the DaphneDSL front end, with DAPHNE's exit statuses.

DAPHNE exits with 1 for parser errors (syntax, unknown names, wrong arguments: everything its
DSL visitor rejects), 2 for compiler-pass errors and 3 for execution errors. Errors that
point into a script carry the file, line and column, and show the offending source line with
a caret under the column, so a person can find and fix the spot.
"""

from __future__ import annotations


class DaphneDSLError(Exception):
    """Base class; ``exit_status`` is what ``daphnelib run`` exits with."""

    exit_status = 3
    stage = "Execution error"

    def __init__(self, message: str, file: str | None = None, line: int = 0, col: int = 0,
                 source_line: str | None = None) -> None:
        self.message = message
        self.file = file
        self.line = line
        self.col = col
        self.source_line = source_line
        super().__init__(self._text())

    def _text(self) -> str:
        if self.file is None:
            return self.message
        where = f"{self.file}:{self.line}:{self.col}: " if self.line else f"{self.file}: "
        text = where + self.message
        if self.source_line is not None and self.line:
            text += "\n    " + self.source_line.rstrip("\n")
            # Tabs keep their width so the caret lines up under the column.
            pad = "".join(c if c == "\t" else " " for c in self.source_line[: self.col - 1])
            text += "\n    " + pad + "^"
        return text


class ParseError(DaphneDSLError):
    """A syntax or semantic error found while reading the script (exit status 1)."""

    exit_status = 1
    stage = "Parser error"


class CompileError(DaphneDSLError):
    """A script that parses but cannot be compiled for the engine (exit status 2)."""

    exit_status = 2
    stage = "Compile error"


class ExecutionError(DaphneDSLError):
    """A failure while running the script (exit status 3)."""

    exit_status = 3
    stage = "Execution error"


class StoppedError(ExecutionError):
    """The script called ``stop()``. DAPHNE writes ``system stopped: <reason>`` to stdout,
    after what the script printed, and exits with status 3."""
