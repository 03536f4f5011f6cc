"""DuckDB as the SQL executor: private in-memory databases, the views registered per connection.

Views are registered as Arrow tables on a connection; registrations are local to it, so a query
sees exactly the views of its own ``sql`` node, never another context's or another thread's
(every table a planned query names is registered for it). The databases cannot touch files or
the network, do not fall back to Python variables for unknown table names, and divide integers
by integers with truncation, as DAPHNE does.

A query over large views runs on a fresh connection to a database with every core, its views
registered for it and dropped with the connection. A query over small views (each at most
:data:`SMALL_ROWS` rows, all together at most :data:`SMALL_BYTES`) runs on its thread's kept
connection to a second, single-threaded database, because on such inputs DuckDB's fixed costs
exceed the query (registering a view ~0.4 ms, scheduling threads ~0.1-0.2 ms, the relation layer
learning the result types ~0.4 ms); DuckDB scans a table that small with one thread anyway, so
the answers are those of the parallel database. What is kept:

- registrations (:class:`_Session`): a view's Arrow table stays registered while the next
  query's table of that name has the same schema and *the same buffers* (addresses, sizes,
  offsets, lengths, null counts). The kept table holds its buffers alive, so a buffer at an
  equal address is the same memory: DuckDB reads the current values, whoever changed them in
  place, and a frame rebound to other data has other buffers and is registered again. Only the
  tables of the thread's last query are kept (at most :data:`SMALL_BYTES`).
- the statement and result types (:class:`Shape`, one per plan): the first run goes through
  the relation layer (bind, casts, Arrow export); later runs of the plan execute the same
  statement through the DB-API and fetch numpy arrays, which become the same Arrow arrays,
  when every result column is a number or a bool.

A query that calls ``setseed`` (which seeds its connection) always runs on a fresh connection.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

_CONFIG = {
    "enable_external_access": False,  # no read_csv('/etc/...'), COPY, ATTACH or extensions
    "python_enable_replacements": False,  # unknown tables never resolve to Python variables
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "integer_division": True,  # int / int truncates (DAPHNE); DuckDB's default is double
}
ENGINE_ERRORS = (duckdb.Error,)
SMALL_ROWS = 1 << 16  # below DuckDB's row group (122,880 rows): one scan task per table
SMALL_BYTES = 8 << 20

_lock = threading.Lock()
_databases: dict[bool, duckdb.DuckDBPyConnection] = {}
_local = threading.local()


def _connection(small: bool = False) -> duckdb.DuckDBPyConnection:
    """A new connection to the process's private database (``small``: the single-threaded
    one), created on first use."""
    database = _databases.get(small)
    if database is None:
        with _lock:
            database = _databases.get(small)
            if database is None:
                config = {**_CONFIG, "threads": 1} if small else _CONFIG
                database = _databases[small] = duckdb.connect(":memory:", config=config)
    return database.cursor()


def _signature(table: pa.Table) -> tuple[Any, ...] | None:
    """What makes two Arrow tables read the same memory as DuckDB scans them: the schema and
    every buffer's address and size (None: a column type whose buffers this does not list
    completely, such as dictionaries, whose values live outside ``buffers()``)."""
    cols = []
    for column in table.columns:
        t = column.type
        if not (pa.types.is_primitive(t) or pa.types.is_string(t)
                or pa.types.is_large_string(t)):
            return None
        cols.append(tuple(
            (chunk.offset, len(chunk), chunk.null_count,
             tuple(None if b is None else (b.address, b.size) for b in chunk.buffers()))
            for chunk in column.chunks))
    return (table.schema, tuple(cols))


class _Session:
    """The thread's connection and the tables it keeps registered (name -> signature, table)."""

    def __init__(self) -> None:
        self.con = _connection(small=True)
        self.kept: dict[str, tuple[tuple[Any, ...], pa.Table]] = {}

    def register(self, tables: Mapping[str, pa.Table]) -> None:
        """Register ``tables``, except those already registered over the same buffers."""
        for name, table in tables.items():
            sig = _signature(table)
            held = self.kept.pop(name, None)
            if sig is not None and held is not None and held[0] == sig:
                self.kept[name] = held
                continue
            self.con.register(name, table)
            if sig is not None:
                self.kept[name] = (sig, table)

    def release(self, tables: Mapping[str, pa.Table]) -> None:
        """Unregister every table but the kept ones of the query that used ``tables``."""
        for name in tables:
            if name not in self.kept:
                self.con.unregister(name)
        for name in [n for n in self.kept if n not in tables]:
            del self.kept[name]
            self.con.unregister(name)


def _small(tables: Mapping[str, pa.Table]) -> bool:
    return (all(t.num_rows <= SMALL_ROWS for t in tables.values())
            and sum(t.nbytes for t in tables.values()) <= SMALL_BYTES)


def _session() -> _Session:
    session = getattr(_local, "session", None)
    if session is None:
        session = _local.session = _Session()
    return session


class Shape:
    """What the first run of a plan learnt: the statement to execute (the query, or it under
    the casts) and the Arrow types of the result columns, if numpy can fetch them all.

    The result types depend on the query text and the views' schemas only, which key the plan.
    """

    __slots__ = ("cast", "names", "sql", "types")

    def __init__(self) -> None:
        self.sql: str | None = None
        self.cast = False  # the statement is the query under the casts
        self.names: list[str] = []
        self.types: list[pa.DataType] = []

    def learn(self, query: str, sql: str, table: pa.Table) -> None:
        types = list(table.schema.types)
        if all(t in _NUMPY_TYPES for t in types):
            self.names, self.types, self.cast = list(table.column_names), types, sql != query
            self.sql = sql  # last: a concurrent run reads the fields once this is set


# The result types DuckDB's fetchnumpy gives as the arrays its Arrow export holds.
_NUMPY_TYPES = {pa.bool_(), pa.int8(), pa.int16(), pa.int32(), pa.int64(), pa.uint8(),
                pa.uint16(), pa.uint32(), pa.uint64(), pa.float32(), pa.float64()}


def _fetch(con: duckdb.DuckDBPyConnection, shape: Shape) -> pa.Table | None:
    """The result of ``shape.sql`` through the DB-API (None if a column came back in another
    numpy dtype than its Arrow type's: then the caller runs the relation path)."""
    try:
        columns = con.execute(shape.sql).fetchnumpy()
    except duckdb.ConversionException as exc:
        if not shape.cast:
            raise
        raise overflow(exc) from None
    arrays = []
    for col, t in zip(columns.values(), shape.types, strict=True):
        if col.dtype != t.to_pandas_dtype():
            return None
        if isinstance(col, np.ma.MaskedArray):
            arrays.append(pa.array(col.data, mask=np.ma.getmaskarray(col), type=t))
        else:
            arrays.append(pa.array(col, type=t))
    return pa.Table.from_arrays(arrays, names=shape.names)


def run(query: str, tables: Mapping[str, pa.Table],
        casts: Sequence[str | None] | None = None, shape: Shape | None = None,
        isolated: bool = False) -> pa.Table:
    """Execute ``query`` over ``tables`` (name -> Arrow table) and return the Arrow result.

    ``casts[i]`` names a DuckDB type the i-th result column is cast to (None: keep); 128-bit
    integer results (DuckDB's sum of integers) become BIGINT and decimals DOUBLE, in DuckDB,
    as its DataFrame export does. ``shape``: the plan's :class:`Shape` (learnt on its first
    run, used on later ones). ``isolated``: run on a fresh connection. Raises ``duckdb.Error``.
    """
    session = None if isolated or not _small(tables) else _session()
    con = _connection() if session is None else session.con
    done = False
    try:
        if session is None:
            for name, table in tables.items():
                con.register(name, table)
        else:
            session.register(tables)
        table = None
        if shape is not None and shape.sql is not None:
            table = _fetch(con, shape)
        if table is None:
            table, sql = _relation_run(con, query, casts)
            if shape is not None:
                shape.learn(query, sql, table)
        done = True
        return table
    except duckdb.Error:
        done = True  # DuckDB rolled the statement back: the connection is as before
        raise
    finally:
        if session is None:
            con.close()
        elif done:
            session.release(tables)
        else:  # interrupted (KeyboardInterrupt, a time limit): the next query starts afresh
            _local.session = None
            con.close()


def _relation_run(con: duckdb.DuckDBPyConnection, query: str,
                  casts: Sequence[str | None] | None) -> tuple[pa.Table, str]:
    """The result through DuckDB's relation layer, and the statement it executed."""
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
        return rel.to_arrow_table(), query
    projected = rel.project(", ".join(exprs))
    try:
        # The projection names its columns after the casts: give them DuckDB's names back.
        table = projected.to_arrow_table().rename_columns(rel.columns)
    except duckdb.ConversionException as exc:
        raise overflow(exc) from None
    return table, projected.sql_query()


def overflow(exc: duckdb.ConversionException) -> duckdb.ConversionException:
    """DuckDB quotes the CAST(#i AS ...) projection of the casts, which the user never wrote:
    the error without it."""
    detail = str(exc).split("\n", 1)[0].removeprefix("Conversion Error: ")
    return duckdb.ConversionException(f"integer overflow: {detail}")


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
