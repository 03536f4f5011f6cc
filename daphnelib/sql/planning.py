"""``sql(query, name, frame, ...)``: DAPHNE's SQL over registered views, executed by DuckDB.

The query is parsed once (``sql/dialect.py``) in a dialect that reads DAPHNE's SQL and
accepts everything else DuckDB's SQL has. The planning passes (:data:`PASSES`, tree -> tree
functions applied to a copy of the parse tree) adjust it to DAPHNE's semantics, and it is
printed as DuckDB SQL (every identifier quoted and every literal escaped by the
generator, never spliced):

- each view's columns are named by their labels, with a leading ``x.`` qualifier dropped
  (DAPHNE re-prefixes every column of a view with the view's name or alias);
- ``*`` and ``t.*`` are expanded here, so their columns are labelled ``alias.col``;
- under GROUP BY, ``*`` and ``t.*`` stand for the grouping columns (of ``t``), as in DAPHNE;
- result labels: the alias if given, else ``t.col`` for a column, else the expression's token
  text without whitespace (``sum(f.b)``, ``1*2.5``); duplicate labels are an error;
- row order: GROUP BY results ascending by the group keys, DISTINCT results by all columns,
  joins and products lhs-major (each row of the first table with its matches in order), and an
  ORDER BY is stable (ties keep that order);
- ``sum`` of a column keeps the column's value type (DuckDB widens to 128 bits).

Plans are kept (:data:`_PLANS`) per query text and per schema of the views it reads (name,
labels, Arrow types, categories of ordered categoricals: everything the passes look at), so a
query run again over views of the same schemas is neither parsed nor planned again; only the
views' data (their Arrow tables and row numbers) is bound anew. A plan also carries what its
first run learnt from DuckDB (``sql.duckdb.Shape``: the statement and its result types).

See docs/sql.md for the choice of DuckDB and for what goes beyond DAPHNE.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np

from daphnelib.engine.values import FrameValue
from daphnelib.errors import SQLError
from daphnelib.sql.dialect import _cte_names, check_tables, dialect, parsed, shared

_RID = "__daphnelib_row"  # hidden row-number column (lhs-major order of joins)


# ---------------------------------------------------------------------------------------------
# Views
# ---------------------------------------------------------------------------------------------

def _column_name(label: str) -> str:
    """A view column's name: the label without a leading ``identifier.`` qualifier."""
    head, dot, tail = label.partition(".")
    if dot and tail and head.isidentifier():
        return tail
    return label


@dataclass
class _View:
    name: str
    frame: FrameValue
    columns: list[str]  # names inside the query
    arrow: Any = None
    rid_name: str | None = None  # table registered with a row-number column, when needed
    internal: str = ""  # name registered in DuckDB (whose names ignore case, DAPHNE's do not)

    @classmethod
    def of(cls, name: str, frame: FrameValue, query: str) -> _View:
        columns = [_column_name(lbl) for lbl in frame.labels]
        lowered = [c.lower() for c in columns]  # DuckDB matches names case-insensitively
        dup = sorted({c for c, low in zip(columns, lowered, strict=True)
                      if lowered.count(low) > 1})
        if dup:
            raise SQLError(f"view {name!r} has columns {dup} more than once once the table "
                           f"qualifiers of its labels {frame.labels} are dropped", query)
        return cls(name, frame, columns)

    def enum_categories(self, j: int) -> tuple[str, ...] | None:
        """The categories of column ``j`` if it is an ordered categorical of strings, else
        None."""
        from daphnelib.interop.codecs import is_ordered

        record = self.frame.logical[j]
        if record is None or record.kind != "category" or not is_ordered(record):
            return None
        categories = tuple(record.extra)
        return categories if all(isinstance(c, str) for c in categories) else None

    def enum_type(self, j: int) -> Any:
        """DuckDB's ENUM type of column ``j`` if it is an ordered categorical of strings
        (compared, sorted and aggregated in category order, as pandas does), else None."""
        from sqlglot import exp

        categories = self.enum_categories(j)
        if categories is None:
            return None
        return exp.DataType(this=exp.DataType.Type.ENUM,
                            expressions=[exp.Literal.string(c) for c in categories])

    def key(self) -> tuple[Any, ...]:
        """Everything of the view that planning reads: its name, labels (hence column names),
        the Arrow types DuckDB sees and the categories of ordered categoricals (ENUMs)."""
        fields = tuple((f.name, f.type, f.nullable) for f in self.arrow.schema)
        return (self.name, tuple(self.frame.labels), fields,
                tuple(self.enum_categories(j) for j in range(len(self.columns))))

    def column(self, name: str) -> int | None:
        low = name.lower()
        return next((i for i, c in enumerate(self.columns) if c.lower() == low), None)


@dataclass
class _Source:
    """A table in the top-level FROM/JOIN list."""

    alias: str
    view: _View | None  # None: a subquery or WITH table


@dataclass(frozen=True)
class _Star:
    """A ``*``/``t.*`` left to DuckDB (over a subquery): its columns keep DuckDB's names,
    qualified with ``prefix`` when there is one."""

    prefix: str


Label = str | _Star | None  # None: DuckDB's name


@dataclass
class _Plan:
    sql: str
    tables: dict[str, Any]
    labels: list[Label] = field(default_factory=list)  # per select item
    origins: list[tuple[_View, int] | None] = field(default_factory=list)  # carried columns
    casts: list[str | None] = field(default_factory=list)  # DuckDB types to cast items to
    shape: Any = None  # the template's sql.duckdb.Shape
    isolated: bool = False  # run on a connection of its own (the query seeds its connection)


# ---------------------------------------------------------------------------------------------
# Planning
# ---------------------------------------------------------------------------------------------

def _join_tokens(texts: list[str]) -> str:
    """Token texts without whitespace (DAPHNE's labels), except one space between two words
    (``count(DISTINCT f.x)``; DAPHNE's own expressions never have adjacent words)."""
    out = ""
    for text in texts:
        if out and (out[-1].isalnum() or out[-1] == "_") and (text[0].isalnum()
                                                              or text[0] == "_"):
            out += " "
        out += text
    return out


def _item_texts(query: str, count: int) -> list[str] | None:
    """The label text of each select item of the query's first SELECT, or None if the select
    list cannot be delimited (labels then fall back to DuckDB's names)."""
    from sqlglot.tokens import TokenType as T

    tokens = dialect()().tokenize(query)
    depth, i = 0, 0
    while i < len(tokens):
        tt = tokens[i].token_type
        depth += (tt == T.L_PAREN) - (tt == T.R_PAREN)
        i += 1
        if depth == 0 and tt == T.SELECT:
            break
    else:
        return None
    if i < len(tokens) and tokens[i].token_type in (T.DISTINCT, T.ALL):
        i += 1
        if i < len(tokens) and tokens[i].token_type == T.ON:  # DuckDB's DISTINCT ON (...)
            return None
    ends = {T.FROM, T.WHERE, T.GROUP_BY, T.HAVING, T.ORDER_BY, T.LIMIT, T.UNION, T.EXCEPT,
            T.INTERSECT, T.SEMICOLON, T.WINDOW, T.QUALIFY, T.INTO}
    items: list[str] = []
    current: list[str] = []
    for tok in tokens[i:]:
        tt = tok.token_type
        if depth == 0 and tt in ends:
            break
        if depth == 0 and tt == T.COMMA:
            items.append(_join_tokens(current))
            current = []
            continue
        depth += (tt == T.L_PAREN) - (tt == T.R_PAREN)
        current.append(query[tok.start:tok.end + 1])
    items.append(_join_tokens(current))
    return items if len(items) == count else None


def _sources(select: Any, views: Mapping[str, _View]) -> list[_Source]:
    from sqlglot import exp

    parts = []
    from_ = select.args.get("from_") or select.args.get("from")
    if from_ is not None:
        parts.append(from_.this)
        parts.extend(from_.expressions or ())
    parts.extend(j.this for j in select.args.get("joins") or ())
    out = []
    for part in parts:
        view = views.get(part.name) if isinstance(part, exp.Table) else None
        if isinstance(part, exp.Table) and part.name in _cte_names(select):
            view = None
        out.append(_Source(part.alias_or_name, view))
    return out


def _resolve(column: Any, sources: list[_Source]) -> tuple[_View, int] | None:
    """The view column a column reference names (None: not a plain view column)."""
    table = column.table
    candidates = [s for s in sources if s.view is not None
                  and (not table or s.alias.lower() == table.lower())]
    hits = [(s.view, j) for s in candidates if (j := s.view.column(column.name)) is not None]
    return hits[0] if len(hits) == 1 else None


def _expand_stars(select: Any, sources: list[_Source], texts: list[str] | None
                  ) -> tuple[list[Any], list[Label]]:
    """The select list with ``*``/``t.*`` over views expanded, and a label per item."""
    from sqlglot import exp

    items, labels = [], []
    for k, expr in enumerate(select.expressions):
        star_table = None
        if isinstance(expr, exp.Star):
            star_table = ""
        elif isinstance(expr, exp.Column) and isinstance(expr.this, exp.Star):
            star_table = expr.table
        if star_table is not None:
            chosen = [s for s in sources
                      if not star_table or s.alias.lower() == star_table.lower()]
            if chosen and all(s.view is not None for s in chosen) and not expr.args.get(
                    "except") and not expr.args.get("replace"):
                for s in chosen:
                    for name in s.view.columns:
                        items.append(exp.column(name, table=s.alias, quoted=True))
                        labels.append(f"{s.alias}.{name}")
                continue
            items.append(expr)
            labels.append(_Star(f"{star_table}." if star_table else ""))
            continue
        items.append(expr)
        if isinstance(expr, exp.Alias):
            labels.append(expr.alias)
        elif isinstance(expr, exp.Column):
            labels.append(f"{expr.table}.{expr.name}" if expr.table else expr.name)
        else:
            labels.append(texts[k] if texts is not None else None)
    return items, labels


def _origin(expr: Any, sources: list[_Source]) -> tuple[_View, int] | None:
    """The view column whose values (and type) a result column carries, if any."""
    from sqlglot import exp

    if isinstance(expr, exp.Alias):
        expr = expr.this
    if isinstance(expr, (exp.Min, exp.Max)) and isinstance(expr.this, exp.Column):
        expr = expr.this
    return _resolve(expr, sources) if isinstance(expr, exp.Column) else None


def _sum_cast(expr: Any, sources: list[_Source]) -> str | None:
    """DAPHNE keeps a column's type in ``sum(col)``: the DuckDB type to cast the sum to."""
    from sqlglot import exp

    from daphnelib.sql.duckdb import arrow_type_name

    if isinstance(expr, exp.Alias):
        expr = expr.this
    if not (isinstance(expr, exp.Sum) and isinstance(expr.this, exp.Column)):
        return None
    hit = _resolve(expr.this, sources)
    if hit is None:
        return None
    view, j = hit
    return arrow_type_name(view.arrow.schema.field(j).type)


def _is_aggregate_query(select: Any) -> bool:
    from sqlglot import exp

    def has_agg(node: Any) -> bool:
        for sub in node.walk():
            if isinstance(sub, exp.AggFunc) and not sub.find_ancestor(exp.Window, exp.Subquery):
                return True
        return False

    return any(has_agg(e) for e in select.expressions)


def _group_keys(select: Any, sources: list[_Source]) -> list[Any] | None:
    """GROUP BY expressions (``*``/``t.*`` expanded, as DAPHNE allows); None: no GROUP BY."""
    from sqlglot import exp

    group = select.args.get("group")
    if group is None:
        return None
    if group.args.get("all"):
        return [exp.Literal.number(i) for i, e in enumerate(select.expressions, start=1)
                if not _is_aggregate_expr(e)]
    keys = []
    for e in group.expressions:
        table = "" if isinstance(e, exp.Star) else (
            e.table if isinstance(e, exp.Column) and isinstance(e.this, exp.Star) else None)
        if table is None:
            keys.append(e)
            continue
        for s in sources:
            if s.view is not None and (not table or s.alias.lower() == table.lower()):
                keys.extend(exp.column(n, table=s.alias, quoted=True) for n in s.view.columns)
    group.set("expressions", keys)
    if group.args.get("rollup") or group.args.get("cube") or group.args.get("grouping_sets"):
        return []
    return [k.copy() for k in keys]


def _is_aggregate_expr(expr: Any) -> bool:
    from sqlglot import exp

    return expr.find(exp.AggFunc) is not None


def _first_select(tree: Any) -> Any:
    """The SELECT that names a query's columns (the leftmost one of a set operation)."""
    from sqlglot import exp

    while isinstance(tree, exp.SetOperation):
        tree = tree.left
    return tree if isinstance(tree, exp.Select) else None


def _bigint_literals(expr: Any) -> Any:
    """Integer literals typed as DAPHNE's si64 (DuckDB would make ``2`` an INTEGER)."""
    from sqlglot import exp

    def cast(node: Any) -> Any:
        if (isinstance(node, exp.Literal) and not node.is_string and node.this.isdigit()
                and int(node.this) <= np.iinfo(np.int64).max):
            return exp.Cast(this=node.copy(), to=exp.DataType.build("BIGINT"))
        return node

    return expr.transform(cast)


def _row_order(select: Any, sources: list[_Source], labels: list[Label]) -> list[_Source]:
    """Make the row order DAPHNE's (see the module doc) by extending ORDER BY; returns the
    sources that need a row-number column for it."""
    from sqlglot import exp

    order = list(select.args["order"].expressions) if select.args.get("order") else []
    keys = _group_keys(select, sources)
    need_rid: list[_Source] = []
    if keys is not None:
        extra = keys
    elif select.args.get("distinct"):
        # By every column; a star DuckDB expands has a width unknown here.
        n = len(select.expressions)
        extra = [] if any(isinstance(lbl, _Star) for lbl in labels) else [
            exp.Literal.number(i) for i in range(1, n + 1)]
    elif _is_aggregate_query(select):
        extra = []
    elif (len(sources) > 1 or order) and all(s.view is not None for s in sources):
        need_rid = sources
        extra = [exp.column(_rid_name(s.view), table=s.alias, quoted=True) for s in sources]
    else:
        extra = []
    if extra:
        select.set("order", exp.Order(expressions=order + [
            e if isinstance(e, exp.Ordered) else exp.Ordered(this=e) for e in extra]))
    if need_rid:
        _use_rid_tables(select, need_rid)
    return need_rid


@dataclass
class _Planning:
    """What the planning passes share: the query's views and FROM sources, and what they learn
    about each select item (label, carried view column, cast)."""

    query: str
    views: dict[str, _View]
    select: Any = None  # the SELECT naming the result columns (None: not a plain SELECT)
    sources: list[_Source] = field(default_factory=list)
    labels: list[Label] = field(default_factory=list)
    origins: list[tuple[_View, int] | None] = field(default_factory=list)
    casts: list[str | None] = field(default_factory=list)
    rid_views: list[_View] = field(default_factory=list)  # need a row-number column
    texts: list[str] | None = None  # label texts of the select items, once a pass changed them


def symmetric_between(tree: Any, st: _Planning) -> Any:
    """DAPHNE's BETWEEN is symmetric: ``x BETWEEN 6 AND 1`` holds for 1 <= x <= 6."""
    from sqlglot import exp

    for between in list(tree.find_all(exp.Between)):
        if between.args.get("symmetric") is not None:
            continue  # DuckDB's own BETWEEN SYMMETRIC/ASYMMETRIC, as written
        x, lo, hi = (between.args[k] for k in ("this", "low", "high"))
        swapped = exp.Between(this=x.copy(), low=hi.copy(), high=lo.copy())
        between.replace(exp.Paren(this=exp.or_(between.copy(), swapped)))
    return tree


def _star_scope(expr: Any) -> str | None:
    """``""`` for ``*``, ``"t"`` for ``t.*``, None for any other select item."""
    from sqlglot import exp

    if isinstance(expr, exp.Star):
        return ""
    if isinstance(expr, exp.Column) and isinstance(expr.this, exp.Star):
        return expr.table
    return None


def _key_columns(keys: list[Any], sources: list[_Source]) -> list[tuple[str, Any]]:
    """(source alias, qualified column) of each GROUP BY key that names one view column, once
    per column."""
    from sqlglot import exp

    out, seen = [], set()
    for key in keys:
        if not isinstance(key, exp.Column) or isinstance(key.this, exp.Star):
            continue
        hits = [(s.alias, s.view.columns[j]) for s in sources if s.view is not None
                and (not key.table or s.alias.lower() == key.table.lower())
                and (j := s.view.column(key.name)) is not None]
        if len(hits) == 1 and hits[0] not in seen:
            seen.add(hits[0])
            alias, name = hits[0]
            out.append((alias, exp.column(name, table=alias, quoted=True)))
    return out


def grouped_stars(tree: Any, st: _Planning) -> Any:
    """Under GROUP BY, ``*``/``t.*`` stand for the grouping columns (of ``t``), as in DAPHNE
    (``SELECT * FROM f JOIN g ON ... GROUP BY f.b`` gives the column ``f.b``); DuckDB's
    binder would reject the columns that are not grouped."""
    select = _first_select(tree)
    group = None if select is None else select.args.get("group")
    if group is None or group.args.get("all") or any(
            _star_scope(e) is not None and (e.args.get("except") or e.args.get("replace"))
            for e in select.expressions):
        return tree
    sources = _sources(select, st.views)
    keys = _group_keys(select, sources)
    if not keys:
        return tree
    columns = _key_columns(keys, sources)
    old = select.expressions
    texts = _item_texts(st.query, len(old))
    items, new_texts, changed = [], [], False
    for k, expr in enumerate(old):
        scope = _star_scope(expr)
        chosen = [s for s in sources if scope is not None
                  and (not scope or s.alias.lower() == scope.lower())]
        picked = [c.copy() for alias, c in columns
                  if any(s.alias == alias for s in chosen)]
        if not chosen or not picked or any(s.view is None for s in chosen):
            items.append(expr)
            new_texts.append(texts[k] if texts is not None else "")
            continue
        items.extend(picked)
        new_texts.extend(c.sql() for c in picked)  # columns are labelled table.col anyway
        changed = True
    if changed:
        select.set("expressions", items)
        st.texts = new_texts if texts is not None else None
    return tree


def expand_stars(tree: Any, st: _Planning) -> Any:
    """``*``/``t.*`` over views expanded; a label, origin and cast per select item."""
    st.select = _first_select(tree)
    if st.select is None:
        return tree
    st.sources = _sources(st.select, st.views)
    texts = st.texts if st.texts is not None else _item_texts(st.query,
                                                               len(st.select.expressions))
    items, st.labels = _expand_stars(st.select, st.sources, texts)
    st.select.set("expressions", items)
    st.origins = [_origin(e, st.sources) for e in items]
    st.casts = [_sum_cast(e, st.sources) for e in items]
    return tree


def enum_literals(tree: Any, st: _Planning) -> Any:
    """A string literal compared with an ordered categorical column is cast to its ENUM type
    (DuckDB would otherwise compare the column as text, alphabetically)."""
    from sqlglot import exp

    def enum_of(node: Any) -> Any:
        if not isinstance(node, exp.Column):
            return None
        hit = _resolve(node, st.sources)
        return None if hit is None else hit[0].enum_type(hit[1])

    if st.select is None:
        return tree
    for node in list(st.select.find_all(exp.Binary, exp.Between, exp.In)):
        if isinstance(node, exp.Binary) and not isinstance(
                node, (exp.EQ, exp.NEQ, exp.LT, exp.LTE, exp.GT, exp.GTE)):
            continue
        enum = enum_of(node.this) or (isinstance(node, exp.Binary) and enum_of(node.expression))
        if not enum:
            continue
        for lit in list(node.iter_expressions()):
            if isinstance(lit, exp.Literal) and lit.is_string:
                lit.replace(exp.cast(lit.copy(), enum.copy()))
    return tree


def type_literals(tree: Any, st: _Planning) -> Any:
    """Integer literals of the select list typed as DAPHNE's si64."""
    if st.select is not None:
        st.select.set("expressions", [_bigint_literals(e) for e in st.select.expressions])
    return tree


def daphne_row_order(tree: Any, st: _Planning) -> Any:
    """DAPHNE's row order, by ORDER BY keys (row-number columns for joins and products)."""
    if st.select is tree:
        st.rid_views = list({s.view.name: s.view
                             for s in _row_order(st.select, st.sources, st.labels)}.values())
    return tree


def internal_names(tree: Any, st: _Planning) -> Any:
    """Point every view reference at its internal DuckDB name, aliased by the view's name.

    DuckDB matches table names ignoring case, so views ``t`` and ``T`` registered under their
    own names would silently share one table.
    """
    from sqlglot import exp

    views = st.views
    ctes = _cte_names(tree)
    targets = {v.rid_name: v for v in views.values() if v.rid_name}
    targets.update((name, v) for name, v in views.items() if name not in ctes)
    for table in list(tree.find_all(exp.Table)):
        view = targets.get(table.name)
        if view is None:
            continue  # a WITH name
        target = view.rid_name if table.name == view.rid_name else view.internal
        alias = table.alias or view.name
        enums = [(name, t) for j, name in enumerate(view.columns)
                 if (t := view.enum_type(j)) is not None]
        if not enums:
            table.set("alias", exp.TableAlias(this=exp.to_identifier(alias, quoted=True)))
            table.set("this", exp.to_identifier(target, quoted=True))
            continue
        # Ordered categoricals become DuckDB ENUMs, whose order is the category order.
        star = exp.Star(replace=[exp.alias_(exp.cast(exp.column(name, quoted=True), t), name,
                                            quoted=True) for name, t in enums])
        inner = exp.select(star).from_(exp.to_identifier(target, quoted=True))
        table.replace(exp.Subquery(this=inner, alias=exp.TableAlias(
            this=exp.to_identifier(alias, quoted=True))))
    return tree


# The planning passes, in order: each takes the tree (a copy of the parsed query, tables
# already checked) and returns the tree to hand on. tests/sql_plans/ holds their fixtures.
PASSES: tuple[Callable[[Any, _Planning], Any], ...] = (
    symmetric_between, grouped_stars, expand_stars, enum_literals, type_literals, daphne_row_order,
    internal_names)


@dataclass(frozen=True)
class _Template:
    """A plan without its data: what the passes made of a query over views of given schemas.
    It names views (no frames, no tables), so the plan cache keeps no data alive."""

    sql: str
    labels: tuple[Label, ...]
    origins: tuple[tuple[str, int] | None, ...]  # (view name, column) per select item
    casts: tuple[str | None, ...]
    rid_views: tuple[str, ...]  # views registered with a row-number column
    isolated: bool = False  # the query calls setseed, which seeds the connection it runs on
    shape: Any = field(default=None, compare=False)  # sql.duckdb.Shape (statement, types)

    @classmethod
    def of(cls, query: str, views: dict[str, _View]) -> _Template:
        """Run the planning passes on a copy of ``query``'s tree over ``views``."""
        from sqlglot import exp

        from daphnelib.sql.duckdb import Shape

        tree = parsed(query)
        isolated = any(f.name.lower() == "setseed" for f in tree.find_all(exp.Anonymous))
        st = _Planning(query, views)
        for step in PASSES:
            tree = step(tree, st)
        return cls(tree.sql(dialect="duckdb", identify=True), tuple(st.labels),
                   tuple(None if o is None else (o[0].name, o[1]) for o in st.origins),
                   tuple(st.casts), tuple(v.name for v in st.rid_views), isolated, Shape())

    def bind(self, views: dict[str, _View]) -> _Plan:
        """The plan over ``views``' data (views of the schemas it was made for)."""
        tables = {v.internal: v.arrow for v in views.values()}
        for name in self.rid_views:
            v = views[name]
            tables[_rid_table(v)] = v.arrow.append_column(_rid_name(v), _row_numbers(v.frame.nrow))
        origins = [None if o is None else (views[o[0]], o[1]) for o in self.origins]
        return _Plan(self.sql, tables, list(self.labels), origins, list(self.casts), self.shape,
                     self.isolated)


class _PlanCache:
    """Templates by (query text, view keys), the least recently used dropped beyond ``size``."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[tuple[Any, ...], _Template] = OrderedDict()
        self._lock = threading.Lock()  # queries may run on several threads

    def get(self, key: tuple[Any, ...]) -> _Template | None:
        with self._lock:
            template = self._items.get(key)
            if template is not None:
                self._items.move_to_end(key)
            return template

    def put(self, key: tuple[Any, ...], template: _Template) -> None:
        with self._lock:
            self._items[key] = template
            if len(self._items) > self._size:
                self._items.popitem(last=False)


_PLANS = _PlanCache(256)


def plan(query: str, frames: Mapping[str, FrameValue]) -> _Plan:
    """The DuckDB query, registered tables and result labels for a DAPHNE query."""
    from daphnelib.interop.arrow import table_from_frame

    check_tables(query, frames.keys())
    used = sorted(shared(query).tables.intersection(frames))
    views = {name: _View.of(name, frames[name], query) for name in used}
    for k, v in enumerate(views.values()):
        v.arrow = table_from_frame(v.frame, v.columns)
        v.internal = f"__daphnelib_view_{k}"
    key = (str(query), tuple(v.key() for v in views.values()))
    template = _PLANS.get(key)
    if template is None:
        template = _Template.of(query, views)
        _PLANS.put(key, template)
    return template.bind(views)


def _row_numbers(n: int) -> Any:
    """0..n-1 as an Arrow array; the same one for the same small ``n``, so that a small view's
    table with row numbers stays registered between queries (sql/duckdb.py)."""
    return _kept_row_numbers(n) if n <= 1 << 16 else _arange(n)


def _arange(n: int) -> Any:
    import pyarrow as pa

    return pa.array(np.arange(n, dtype=np.int64))


_kept_row_numbers = lru_cache(maxsize=8)(_arange)


def _rid_name(view: _View) -> str:
    """A row-number column name no column of the view has."""
    name = _RID
    while view.column(name) is not None:
        name += "_"
    return name


def _rid_table(view: _View) -> str:
    """The DuckDB name of the view's table with a row-number column."""
    return f"{view.internal}_rid"


def _use_rid_tables(select: Any, sources: list[_Source]) -> None:
    """Point the top-level FROM/JOIN tables at their copies with a row-number column."""
    from sqlglot import exp

    from_ = select.args.get("from_") or select.args.get("from")
    parts = [from_.this, *(from_.expressions or ()), *(j.this for j in select.args.get(
        "joins") or ())]
    for part, source in zip(parts, sources, strict=True):
        view = source.view
        view.rid_name = _rid_table(view)
        part.set("this", exp.to_identifier(view.rid_name, quoted=True))
        part.set("alias", exp.TableAlias(this=exp.to_identifier(source.alias, quoted=True)))


# ---------------------------------------------------------------------------------------------
# Execution
# ---------------------------------------------------------------------------------------------

def _result_labels(p: _Plan, names: list[str], query: str) -> list[str]:
    """One label per result column (``names``: DuckDB's)."""
    width = len(names)
    stars = sum(isinstance(lbl, _Star) for lbl in p.labels)
    if len(p.labels) == width and not stars:
        labels = [lbl if lbl is not None else names[i] for i, lbl in enumerate(p.labels)]
    elif stars == 1:
        k = next(i for i, lbl in enumerate(p.labels) if isinstance(lbl, _Star))
        span = width - len(p.labels) + 1
        star = [p.labels[k].prefix + n for n in names[k:k + span]]
        labels = [lbl if lbl is not None else names[i] for i, lbl in enumerate(p.labels[:k])]
        labels += star + [lbl if lbl is not None else names[k + span + i]
                          for i, lbl in enumerate(p.labels[k + 1:])]
    else:
        labels = list(names)
    dup = sorted({lbl for lbl in labels if labels.count(lbl) > 1})
    if dup:
        raise SQLError(f"the result would have the column labels {dup} more than once (DAPHNE "
                       "needs unique labels; use AS)", query)
    return labels


def _per_column(per_item: list[Any], width: int) -> list[Any]:
    """Per-item info per result column (None everywhere if a star spans several columns)."""
    return per_item if len(per_item) == width else [None] * width


def run_sql(query: str, frames: Mapping[str, FrameValue]) -> FrameValue:
    """The result of ``query`` over the views ``frames`` (name -> frame)."""
    from daphnelib.sql import duckdb as engine
    from daphnelib.sql.result import frame_value_from_result

    p = plan(query, frames)
    casts = p.casts if not any(isinstance(lbl, _Star) for lbl in p.labels) else None
    try:
        table = engine.run(p.sql, p.tables, casts, p.shape, p.isolated)
    except engine.ENGINE_ERRORS as exc:
        raise SQLError(str(exc), query) from None  # DuckDB's message names its error kind
    labels = _result_labels(p, table.column_names, query)
    origins = [None if o is None else (o[0].frame, o[1])
               for o in _per_column(p.origins, table.num_columns)]
    try:
        return frame_value_from_result(table, labels, origins)
    except TypeError as exc:
        raise SQLError(f"the result has a column type daphnelib cannot hold: {exc}",
                       query) from None
