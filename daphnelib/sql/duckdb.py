"""DuckDB as the SQL executor: one private in-memory database, one connection per query.

Each query runs on a fresh cursor (its own connection to the database, about a microsecond
to open) on which the views are registered as Arrow tables; registrations are local to that
connection and dropped with it, so a query sees exactly the views of its own ``sql`` node,
never another context's or another thread's. The database cannot touch files or the network,
does not fall back to Python variables for unknown table names, and divides integers by
integers with truncation, as DAPHNE does.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence

import duckdb
import pyarrow as pa

_CONFIG = {
    "enable_external_access": False,  # no read_csv('/etc/...'), COPY, ATTACH or extensions
    "python_enable_replacements": False,  # unknown tables never resolve to Python variables
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "integer_division": True,  # int / int truncates (DAPHNE); DuckDB's default is double
}
ENGINE_ERRORS = (duckdb.Error,)

_lock = threading.Lock()
_database: duckdb.DuckDBPyConnection | None = None


def _connection() -> duckdb.DuckDBPyConnection:
    """A new connection to the process's private database (created on first use)."""
    global _database
    if _database is None:
        with _lock:
            if _database is None:
                _database = duckdb.connect(":memory:", config=_CONFIG)
    return _database.cursor()


def run(query: str, tables: Mapping[str, pa.Table],
        casts: Sequence[str | None] | None = None) -> pa.Table:
    """Execute ``query`` over ``tables`` (name -> Arrow table) and return the Arrow result.

    ``casts[i]`` names a DuckDB type the i-th result column is cast to (None: keep); 128-bit
    integer results (DuckDB's sum of integers) become BIGINT and decimals DOUBLE, in DuckDB,
    as its DataFrame export does. Raises ``duckdb.Error``.
    """
    con = _connection()
    try:
        for name, table in tables.items():
            con.register(name, table)
        rel = con.sql(query)
        if rel is None:
            raise duckdb.InvalidInputException("the statement returns no rows")
        targets = list(casts or ()) + [None] * (len(rel.types) - len(casts or ()))
        exprs, cast_any = [], False
        for i, (dtype, target) in enumerate(zip(rel.types, targets, strict=True), start=1):
            if target is None:
                target = _WIDE.get(str(dtype).split("(", 1)[0])
            cast_any |= target is not None and target != str(dtype)
            # Positional references (#i): generated text holds no user identifiers.
            exprs.append(f"CAST(#{i} AS {target})" if target is not None else f"#{i}")
        if not cast_any:
            return rel.to_arrow_table()
        try:
            # The projection names its columns after the casts: give them DuckDB's names back.
            return rel.project(", ".join(exprs)).to_arrow_table().rename_columns(rel.columns)
        except duckdb.ConversionException as exc:
            # DuckDB quotes the CAST(#i AS ...) projection above, which the user never wrote.
            detail = str(exc).split("\n", 1)[0].removeprefix("Conversion Error: ")
            raise duckdb.ConversionException(f"integer overflow: {detail}") from None
    finally:
        con.close()


# Result types the engine has no value type for, and what DuckDB casts them to.
_WIDE = {"HUGEINT": "BIGINT", "UHUGEINT": "UBIGINT", "DECIMAL": "DOUBLE"}


def arrow_type_name(dtype: pa.DataType) -> str | None:
    """DuckDB's name of a numeric Arrow type (None for other types)."""
    return _DUCK_NAMES.get(dtype)


_DUCK_NAMES = {
    pa.int8(): "TINYINT", pa.int16(): "SMALLINT", pa.int32(): "INTEGER", pa.int64(): "BIGINT",
    pa.uint8(): "UTINYINT", pa.uint16(): "USMALLINT", pa.uint32(): "UINTEGER",
    pa.uint64(): "UBIGINT", pa.float32(): "FLOAT", pa.float64(): "DOUBLE",
}
