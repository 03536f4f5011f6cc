"""DaphneDSL tokens (spec daphnedsl.md §3.1).

Literals are converted to their engine values here, so the parser and the lowering see the
same constants the Python API passes: si64 as Python ``int``, f64 as ``float``, bool, str,
and numpy scalars for the suffixed types (``5u`` ui64, ``5z`` size, ``1.5f`` f32).
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from daphnelib.dsl.errors import ParseError
from daphnelib.engine.valuetypes import SizeScalar

KEYWORDS = frozenset((
    "if", "else", "while", "do", "for", "parfor", "in", "true", "false", "as", "def",
    "return", "import",
))
DATA_TYPES = ("matrix", "frame", "scalar")
VALUE_TYPES = ("f64", "f32", "si64", "si32", "si8", "ui64", "ui32", "ui8", "str", "bool")
RESERVED = KEYWORDS | frozenset(DATA_TYPES) | frozenset(VALUE_TYPES)

# Two-character operators are tried first, so that "==" wins over "=" and "->" over "-".
_OPERATORS = frozenset((
    "->", "::", "==", "!=", "<=", ">=", "&&", "||",
    "@", "^", "%", "*", "/", "+", "-", "<", ">", "?", ":", "=", "(", ")", "[", "]", "{", "}",
    ",", ";", ".",
))
_DIGITS = r"[0-9](?:['_]?[0-9])*"
_NUMBER = re.compile(
    rf"(?P<int>{_DIGITS})(?:(?P<frac>\.{_DIGITS})?(?P<exp>[eE][+-]?{_DIGITS})?)"
    r"(?P<suffix>ull|u|l|z|f)?"
)
_IDENT = re.compile(r"[A-Za-z_][A-Za-z_0-9]*")
_SPACE = re.compile(r"[ \t\r\n]+")
_ESCAPES = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}
_SPECIAL_FLOATS = {"nan": float("nan"), "nanf": float("nan"), "inf": float("inf"),
                   "inff": float("inf")}
_U64_MAX = (1 << 64) - 1


@dataclass(slots=True)
class Token:
    kind: str  # "int" "float" "str" "id" "kw" "op" "arg" "eof"
    text: str
    value: Any
    line: int
    col: int
    start: int  # offsets into the source, to tell adjacent tokens ("[[") apart from spaced ones
    end: int


class Lexer:
    def __init__(self, source: str, file: str = "<script>") -> None:
        self.source = source
        self.file = file
        self._line_starts = [0] + [m.end() for m in re.finditer("\n", source)]

    def position(self, offset: int) -> tuple[int, int]:
        """1-based line and column of a source offset."""
        line = bisect.bisect_right(self._line_starts, offset)
        return line, offset - self._line_starts[line - 1] + 1

    def source_line(self, line: int) -> str:
        lines = self.source.split("\n")
        return lines[line - 1] if 0 < line <= len(lines) else ""

    def error(self, message: str, offset: int) -> ParseError:
        line, col = self.position(offset)
        return ParseError(message, self.file, line, col, self.source_line(line))

    def tokens(self) -> list[Token]:
        out: list[Token] = []
        src, i, n = self.source, 0, len(self.source)
        while True:
            i = self._skip(i)
            if i >= n:
                line, col = self.position(i)
                out.append(Token("eof", "", None, line, col, i, i))
                return out
            kind, value, end = self._token(i)
            line, col = self.position(i)
            out.append(Token(kind, src[i:end], value, line, col, i, end))
            i = end

    def _skip(self, i: int) -> int:
        """Skip whitespace and the three comment forms."""
        src = self.source
        while i < len(src):
            m = _SPACE.match(src, i)
            if m:
                i = m.end()
            elif src.startswith("#", i) or src.startswith("//", i):
                nl = src.find("\n", i)
                i = len(src) if nl < 0 else nl + 1
            elif src.startswith("/*", i):
                close = src.find("*/", i + 2)
                if close < 0:
                    raise self.error("unterminated comment: '/*' has no closing '*/'", i)
                i = close + 2
            else:
                return i
        return i

    def _token(self, i: int) -> tuple[str, Any, int]:
        src = self.source
        c = src[i]
        # ASCII only outside strings, as DAPHNE's grammar: str.isdigit/isalpha also accept
        # letters and digits like 'µ' and '²', which no literal or identifier may contain.
        if "0" <= c <= "9":
            return self._number(i)
        if c == '"':
            return self._string(i)
        if c.isascii() and (c.isalpha() or c == "_"):
            end = _IDENT.match(src, i).end()
            word = src[i:end]
            if word in _SPECIAL_FLOATS:
                return "float", _SPECIAL_FLOATS[word], end
            if word in ("true", "false"):
                return "kw", word == "true", end
            return ("kw" if word in RESERVED else "id"), word, end
        if c == "$":
            m = _IDENT.match(src, i + 1)
            if m is None:
                raise self.error("'$' must be followed by the name of a script argument, "
                                 "e.g. $n", i)
            return "arg", m.group(), m.end()
        if c == "!" and not src.startswith("!=", i):
            raise self.error("DaphneDSL has no logical-not operator '!'; write x == 0 "
                             "(or x == false) instead", i)
        two = src[i:i + 2]
        if two in _OPERATORS:
            return "op", two, i + 2
        if c in _OPERATORS:
            return "op", c, i + 1
        raise self.error(f"unexpected character {c!r}", i)

    def _number(self, i: int) -> tuple[str, Any, int]:
        src = self.source
        m = _NUMBER.match(src, i)
        end = m.end()
        if end < len(src) and (src[end].isalnum() or src[end] == "_"):
            tail = re.compile(r"\w+").match(src, end)  # \w: also non-ASCII letters, '5µ'
            stop = tail.end() if tail else end + 1
            raise self.error(f"invalid numeric literal {src[i:stop]!r}: the suffixes are "
                             "u, ull, l, z (integers) and f (floats)", i)
        int_part = m.group("int").replace("_", "").replace("'", "")
        if len(int_part) > 1 and int_part[0] == "0":
            raise self.error(f"invalid numeric literal {src[i:end]!r}: leading zeros are not "
                             "allowed", i)
        suffix = m.group("suffix")
        is_float = m.group("frac") is not None or m.group("exp") is not None
        if is_float or suffix == "f":
            if not is_float:
                raise self.error(f"invalid numeric literal {src[i:end]!r}: an f32 literal "
                                 "needs a fraction or exponent, e.g. 5.0f", i)
            text = src[i:m.end("exp") if m.group("exp") else m.end("frac")]
            text = text.replace("_", "").replace("'", "")
            return "float", (np.float32(text) if suffix == "f" else float(text)), end
        value = int(int_part)
        if suffix in ("u", "ull"):
            if value > _U64_MAX:
                raise self.error(f"integer literal {src[i:end]!r} does not fit in ui64", i)
            return "int", np.uint64(value), end
        if suffix == "z":
            if value > _U64_MAX:
                raise self.error(f"integer literal {src[i:end]!r} does not fit in the size "
                                 "type", i)
            return "int", SizeScalar(value), end
        # si64 range is checked by the parser, which knows about a leading unary minus.
        return "int", value, end

    def _string(self, i: int) -> tuple[str, Any, int]:
        src, j, parts = self.source, i + 1, []
        while True:
            if j >= len(src):
                raise self.error('unterminated string literal: missing closing \'"\'', i)
            c = src[j]
            if c == '"':
                return "str", "".join(parts), j + 1
            if c == "\\":
                esc = src[j + 1] if j + 1 < len(src) else ""
                if esc not in _ESCAPES:
                    raise self.error(f"unknown escape sequence '\\{esc}' in string literal; "
                                     'allowed: \\b \\f \\n \\r \\t \\" \\\\', j)
                parts.append(_ESCAPES[esc])
                j += 2
            else:
                parts.append(c)
                j += 1
