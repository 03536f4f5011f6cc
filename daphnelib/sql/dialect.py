"""DAPHNE's SQL dialect: sqlglot's DuckDB dialect with DAPHNE's literals, and the one parse of
a query (``"..."`` and ``'...'`` are string literals with backslash escapes; identifiers may be
quoted with backticks).

A query is parsed once, when its ``sql`` node is built: :class:`Query` is the query text (a
``str``, so programs print and compare as before) carrying its parse tree and the token texts
of its select items, and planning works on a copy of that tree. Parse trees are kept per query
text (:func:`shared`), so a program that builds the same query node again (a loop) parses it
once; they are never modified.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any, ClassVar, NamedTuple

from daphnelib.errors import SQLError

_DIALECT: Any = None


def dialect() -> Any:
    """sqlglot's DuckDB dialect with DAPHNE's literals (built on first use)."""
    global _DIALECT
    if _DIALECT is None:
        from sqlglot.dialects.duckdb import DuckDB

        class DaphneSQL(DuckDB):
            UNESCAPED_SEQUENCES: ClassVar[dict[str, str]] = {
                "\\b": "\b", "\\f": "\f", "\\n": "\n", "\\r": "\r", "\\t": "\t",
                "\\\\": "\\"}
            STRINGS_SUPPORT_ESCAPED_SEQUENCES = True

            class Tokenizer(DuckDB.Tokenizer):
                QUOTES: ClassVar[list[str]] = ["'", '"']
                IDENTIFIERS: ClassVar[list[str]] = ["`"]
                STRING_ESCAPES: ClassVar[list[str]] = ["\\", "'"]

        _DIALECT = DaphneSQL
    return _DIALECT


def _syntax_detail(exc: Exception) -> str:
    """``at line 1, column 23: WHERE is incomplete`` from a sqlglot error, without sqlglot's
    class names and without its copy of the query (SQLError adds the query once)."""
    errors = getattr(exc, "errors", None)
    if not errors:
        return ": " + re.sub(r"\x1b\[[0-9;]*m", "", str(exc)).splitlines()[0]
    first = errors[0]
    text = str(first.get("description", "invalid syntax"))
    missing = re.fullmatch(r"Required keyword: '\w+' missing for <class '[\w.]*\.(\w+)'>", text)
    if missing:
        text = f"{missing.group(1).upper()} is incomplete"
    text = re.sub(r"<class '[\w.]*\.(\w+)'>", lambda m: m.group(1).upper(), text)
    where = f" at line {first['line']}, column {first['col']}" if first.get("line") else ""
    near = str(first.get("highlight") or "")
    return f"{where}: {text}" + (f" (near {near!r})" if near else "")


def parse(query: str) -> Any:
    """The parse tree of one query (SELECT or a set operation of SELECTs)."""
    import sqlglot
    from sqlglot import exp

    try:
        trees = [t for t in sqlglot.parse(query, read=dialect()) if t is not None]
    except RecursionError:  # sqlglot's parser recurses once per nesting level
        raise SQLError("SQL syntax error: the query nests too deeply", query) from None
    except sqlglot.errors.SqlglotError as exc:
        raise SQLError(f"SQL syntax error{_syntax_detail(exc)}", query) from None
    if len(trees) != 1:
        raise SQLError(f"sql() runs exactly one query, got {len(trees)} statements", query)
    tree = trees[0]
    if not isinstance(tree, exp.Query):
        raise SQLError(f"sql() runs queries (SELECT ...), not {tree.key.upper()} statements",
                       query)
    return tree


def _cte_names(tree: Any) -> set[str]:
    from sqlglot import exp

    return {cte.alias_or_name for cte in tree.find_all(exp.CTE)}


def _check_tables(tree: Any, views: Iterable[str], query: str) -> None:
    """Every table a query reads is a registered view (or one of its WITH names)."""
    from sqlglot import exp

    known = set(views) | _cte_names(tree)
    for table in tree.find_all(exp.Table):
        if not isinstance(table.this, exp.Identifier):
            raise SQLError(f"sql() reads registered views only; {table.this.sql()} is not one",
                           query)
        if table.name not in known:
            raise SQLError(f"unknown table {table.name!r}: no view of that name is registered "
                           f"(registered: {sorted(views)})", query)


class Parsed(NamedTuple):
    """A query's parse tree (never modified) and the table names it reads."""

    tree: Any
    tables: frozenset[str]  # names of the tables of FROM/JOIN, subqueries included
    ctes: frozenset[str]  # names its WITH clauses define
    plain: bool  # every table is named by a plain identifier


def shared(query: str) -> Parsed:
    """The parse of ``query``'s text, shared by every query of that text (do not modify the
    tree: :func:`parsed` gives a copy to change). Syntax errors raise (and are not kept)."""
    return _shared(str(query))  # keyed by the plain text, never by a Query object


@lru_cache(maxsize=256)
def _shared(query: str) -> Parsed:
    from sqlglot import exp

    tree = parse(query)
    tables = list(tree.find_all(exp.Table))
    return Parsed(tree, frozenset(t.name for t in tables), frozenset(_cte_names(tree)),
                  all(isinstance(t.this, exp.Identifier) for t in tables))


def check_tables(query: str, views: Iterable[str]) -> None:
    """Raise the error of :func:`_check_tables` if ``query`` reads a table that is neither a
    view in ``views`` nor one of its WITH names (a set comparison when it does not)."""
    facts = shared(query)
    views = set(views)
    if not facts.plain or not facts.tables <= views | facts.ctes:
        _check_tables(facts.tree, views, query)


class Query(str):
    """Query text with its parse tree (the tree is never modified: planners copy it)."""

    __slots__ = ("tree",)
    tree: Any

    def __new__(cls, text: str) -> Query:
        self = super().__new__(cls, text)
        self.tree = shared(text).tree
        return self


def parsed(query: str) -> Any:
    """A fresh copy of ``query``'s parse tree."""
    tree = getattr(query, "tree", None)
    return (shared(query).tree if tree is None else tree).copy()


def check_query(query: str) -> Query:
    """Parse ``query`` (at node construction): syntax errors and statements that are not
    queries raise there. Tables are checked when it runs, as ``compute_sql`` may add views."""
    return Query(query)
