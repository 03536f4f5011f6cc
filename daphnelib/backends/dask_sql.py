"""DAPHNE's SQL over distributed frames: the query split into per-partition DuckDB work and the
distributed frame steps of ``dask_frames``.

The query is first run by the ``sql`` kernel on the views' 0-row schemas: that raises the
embedded engine's errors (unknown tables and columns, types, labels) before any data moves
and gives the result's schema. Then the first strategy of this table that applies runs it:

=============  ==============================================  ===================================
strategy       applies to                                      runs
=============  ==============================================  ===================================
per partition  one view; no GROUP BY, aggregate, DISTINCT,     the whole query by DuckDB on every
               ORDER BY, LIMIT, window or subquery             partition (embedded row order)
per bucket:    one view; GROUP BY plain numeric or string      pushed-down WHERE per partition,
group by       columns; no DISTINCT, ORDER BY, LIMIT, window,  rows hash-partitioned on the keys,
               subquery                                        the whole query per bucket; when
                                                               SELECT and HAVING are expressions
                                                               of keys and sum, count, min, max,
                                                               avg: partial aggregates per
                                                               partition move instead of rows,
                                                               HAVING after the combine
                                                               (:class:`PreAgg`)
per bucket:    two views, inner or outer joined on equalities  pushed-down WHERE per partition,
join           of numeric or of string columns (inner: ON or   both sides hash-partitioned on the
               ``FROM a, b WHERE``; outer: ON); the rest as    keys, the whole query per bucket
               "per partition"
gathered       everything else (ORDER BY, LIMIT, DISTINCT,     pushed-down WHERE and the used
               global aggregates, categorical or datetime      columns per partition, then the
               keys, subqueries, positional joins)             query on the client
=============  ==============================================  ===================================

"Pushed-down WHERE": every conjunct of WHERE that reads one view only (no subquery, window or
aggregate) is evaluated by DuckDB on each partition of that view, and only the rows where it
holds (NULL counts as false) and the columns the query names move on; never on the
null-supplying side of an outer join, nor on either side of a positional or as-of join. The
whole query still runs afterwards, so re-applying those conjuncts changes nothing: the
answers are the embedded engine's, the row order is the embedded one except per bucket
(buckets in turn, each in the embedded order; docs/compatibility.md).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import dask
import numpy as np

from daphnelib.backends import dask_frames as frames
from daphnelib.engine.kernels.frame import select_columns, take_rows
from daphnelib.engine.registry import lookup
from daphnelib.engine.values import FrameValue
from daphnelib.sql.dialect import dialect, parsed
from daphnelib.sql.planning import _column_name

# One DuckDB query at a time per worker process: DuckDB runs each query on all cores itself,
# so queries from several worker threads would only compete for them.
_DUCKDB_LOCK = threading.Lock()


def _sql(*args: Any) -> FrameValue:
    with _DUCKDB_LOCK:
        return lookup("sql")(*args)


@dataclass
class _Source:
    alias: str
    view: str  # registered name
    columns: list[str]  # column names inside the query (labels without a qualifier)
    pushed: list[Any] = field(default_factory=list)  # WHERE conjuncts on this source alone
    keys: list[int] = field(default_factory=list)  # hash key columns (positions)


@dataclass
class SqlPlan:
    """What the strategies need to know about one query."""

    tree: Any
    sources: list[_Source]
    star: bool  # all columns may be read (``*``, ``t.*``, ``count(*)``, ``COLUMNS('re')``)
    named: set[str]  # lower-cased column names the query references
    strategy: str = "gathered"


def _lower(name: str) -> str:
    return name.lower()


def _has(tree: Any, *kinds: Any) -> bool:
    return any(True for _ in tree.find_all(*kinds))


def _owner(column: Any, sources: list[_Source]) -> _Source | None:
    """The one source a column reference reads (None: ambiguous or not a view column)."""
    if column.table:
        hits = [s for s in sources if _lower(s.alias) == _lower(column.table)]
    else:
        hits = [s for s in sources if _lower(column.name) in map(_lower, s.columns)]
    return hits[0] if len(hits) == 1 else None


def _column_index(source: _Source, name: str) -> int:
    return [_lower(c) for c in source.columns].index(_lower(name))


def _conjuncts(condition: Any) -> list[Any]:
    from sqlglot import exp

    if condition is None:
        return []
    return list(condition.flatten()) if isinstance(condition, exp.And) else [condition]


def _key_pair(cond: Any, sources: list[_Source]) -> tuple[int, int] | None:
    """(lhs column, rhs column) of an equality between a column of each source."""
    from sqlglot import exp

    if not (isinstance(cond, exp.EQ) and isinstance(cond.this, exp.Column)
            and isinstance(cond.expression, exp.Column)):
        return None
    a, b = _owner(cond.this, sources), _owner(cond.expression, sources)
    if a is None or b is None or a is b:
        return None
    if a is sources[1]:
        cond = exp.EQ(this=cond.expression, expression=cond.this)
    return (_column_index(sources[0], cond.this.name),
            _column_index(sources[1], cond.expression.name))


def _key_class(schema: FrameValue, j: int) -> str | None:
    """How a hash key column is hashed: "num" (numbers and bools by value, as DuckDB compares
    them across types), "str" (UTF-8 bytes, as DuckDB compares strings); None for the rest
    (categorical codes, datetime ticks: their hash need not match the values' equality)."""
    record, kind = schema.logical[j], schema.columns[j].dtype.kind
    if kind == "T" and (record is None or record.kind in (None, "string")):
        return "str"
    if kind in "biuf" and (record is None or record.kind in (None, "numpy", "masked")):
        return "num"
    return None


def _filterable(sel: Any, nfrom: int, nsources: int) -> set[int]:
    """The sources whose rows a WHERE conjunct may drop before the joins: not the
    null-supplying side of an outer join (its unmatched rows would change), and none when a
    join pairs rows by position or as-of (dropping a row moves the others)."""
    everyone = set(range(nsources))
    for i, j in enumerate(sel.args.get("joins") or (), start=nfrom):
        side = (j.side or "").upper()
        if (j.method or "").upper() not in ("", "NATURAL"):
            return set()
        if side == "LEFT":
            everyone.discard(i)
        elif side == "RIGHT":
            everyone -= set(range(i))
        elif side == "FULL":
            everyone -= set(range(i + 1))
    return everyone


def analyse(query: str, schemas: dict[str, FrameValue]) -> SqlPlan:
    """The query's sources, pushed-down conjuncts and strategy (the query is valid: it ran on
    the schemas)."""
    from sqlglot import exp

    tree = parsed(query)
    sel = tree if isinstance(tree, exp.Select) else None
    plan = SqlPlan(tree, [], _has(tree, exp.Star, exp.Columns),
                   {_lower(c.name) for c in tree.find_all(exp.Column)})
    if sel is None or sel.args.get("with") or sel.find(exp.Subquery, exp.Window) is not None \
            or any(isinstance(s, exp.Select) for s in sel.find_all(exp.Select) if s is not sel):
        return plan  # set operations, WITH, subqueries, windows: gathered, nothing pushed
    from_ = sel.args.get("from_") or sel.args.get("from")
    tables = [from_.this, *(from_.expressions or ())] if from_ is not None else []
    joins = list(sel.args.get("joins") or ())
    tables += [j.this for j in joins]
    if not tables or not all(isinstance(t, exp.Table) and t.name in schemas for t in tables):
        return plan
    plan.sources = [_Source(t.alias_or_name, t.name,
                            [_column_name(lbl) for lbl in schemas[t.name].labels])
                    for t in tables]
    if len({_lower(s.alias) for s in plan.sources}) != len(plan.sources) or len(
            {s.view for s in plan.sources}) != len(plan.sources):
        # A view read twice is registered once: it cannot be cut differently per alias.
        plan.sources = []
        return plan
    where = sel.args.get("where")
    conds = _conjuncts(where.this if where is not None else None)
    filterable = _filterable(sel, len(tables) - len(joins), len(plan.sources))
    for cond in conds:
        if cond.find(exp.AggFunc, exp.Star) is not None:
            continue
        owners = {id(_owner(c, plan.sources)) for c in cond.find_all(exp.Column)}
        owner = _owner(next(cond.find_all(exp.Column)), plan.sources) if len(owners) == 1 \
            else None
        if owner is not None and plan.sources.index(owner) in filterable:
            owner.pushed.append(cond)
    row_local = not (sel.args.get("group") or sel.args.get("distinct") or sel.args.get("order")
                     or sel.args.get("limit") or sel.args.get("offset")
                     or sel.args.get("having") or sel.args.get("qualify")
                     or any(e.find(exp.AggFunc) is not None for e in sel.expressions))

    def key_class(s: _Source, j: int) -> str | None:
        return _key_class(schemas[s.view], j)

    if len(plan.sources) == 1 and not joins:
        src = plan.sources[0]
        group = sel.args.get("group")
        if row_local:
            plan.strategy = "per partition"
        elif (group is not None and group.expressions and not sel.args.get("distinct")
              and not sel.args.get("order") and not sel.args.get("limit")
              and not sel.args.get("offset") and not group.args.get("all")
              and not any(group.args.get(k) for k in ("rollup", "cube", "grouping_sets"))
              and all(isinstance(e, exp.Column) and _owner(e, plan.sources) is src
                      for e in group.expressions)):
            src.keys = [_column_index(src, e.name) for e in group.expressions]
            if all(key_class(src, j) for j in src.keys):
                plan.strategy = "per bucket: group by"
        return plan
    if len(plan.sources) == 2 and len(joins) <= 1 and row_local:
        (join,) = joins or (None,)
        side = (join.side or "").upper() if join is not None else ""
        kind = (join.kind or "").upper() if join is not None else ""
        if join is not None and (join.method or join.args.get("using")
                                 or kind not in ("", "INNER", "CROSS", "OUTER")):
            return plan
        # An inner join's keys may come from ON or WHERE; an outer join's from ON only (a
        # WHERE equality filters its result, null-extended rows included).
        on = _conjuncts(join.args.get("on")) if join is not None else []
        candidates = on + conds if side == "" else on
        pairs = [p for c in candidates if (p := _key_pair(c, plan.sources)) is not None]
        lhs, rhs = plan.sources
        if pairs and all(key_class(lhs, a) is not None and key_class(lhs, a) == key_class(rhs, b)
                         for a, b in pairs):
            lhs.keys, rhs.keys = [a for a, _ in pairs], [b for _, b in pairs]
            plan.strategy = "per bucket: join"
    return plan


class Prefilter:
    """A partition with only the rows where the pushed-down conjuncts hold (by DuckDB) and
    only the columns ``keep``; the frame's own columns and records, no conversion."""

    __slots__ = ("alias", "keep", "predicate")

    def __init__(self, alias: str, predicate: str | None, keep: tuple[int, ...] | None) -> None:
        self.alias, self.predicate, self.keep = alias, predicate, keep

    def __call__(self, frame: FrameValue) -> FrameValue:
        if self.predicate is not None and frame.nrow:
            query = (f"SELECT COALESCE(CAST(({self.predicate}) AS BOOLEAN), FALSE) AS k "
                     f"FROM `{self.alias}`")
            mask = _sql(query, self.alias, frame).columns[0].astype(bool)
            frame = take_rows(frame, np.flatnonzero(mask))
        if self.keep is not None:
            frame = select_columns(frame, np.asarray(self.keep, dtype=np.intp))
        return frame


def _prefiltered(plan: SqlPlan, src: _Source, frame: frames.PartitionedFrame
                 ) -> frames.PartitionedFrame:
    from sqlglot import exp

    predicate = None
    if src.pushed:
        cond = exp.and_(*(c.copy() for c in src.pushed))
        # The mask query reads the partition under the query's alias for this view.
        for col in cond.find_all(exp.Column):
            col.set("table", None)
        predicate = cond.sql(dialect=dialect())
    keep = None
    if not plan.star:
        keep = tuple(j for j, c in enumerate(src.columns) if _lower(c) in plan.named)
        if len(keep) == len(src.columns) or not keep:
            keep = None
    if predicate is None and keep is None:
        return frame
    cut = Prefilter(src.alias, predicate, keep)
    run = dask.delayed(cut, pure=True)
    return frames.PartitionedFrame(tuple(run(p) for p in frame.parts), cut(frame.schema),
                                   (None,) * len(frame.parts) if predicate else frame.nrows)


class RunQuery:
    """The ``sql`` kernel over one partition (or bucket) per view, under the views' names."""

    __slots__ = ("names", "query")

    def __init__(self, query: str, names: tuple[str, ...]) -> None:
        self.query, self.names = query, names

    def __call__(self, *parts: FrameValue) -> FrameValue:
        args: list[Any] = []
        for name, part in zip(self.names, parts, strict=True):
            args += [name, part]
        return _sql(self.query, *args)


# Aggregates that combine from per-partition partials: the partials each needs, and the
# final expression over the partials' columns ({0}, {1}: their names). A partition whose
# group holds only NULLs gives a NULL partial, which comes back NaN in a float column
# (DAPHNE's float null): sum, max and avg skip such partials by their count, min needs not
# (DuckDB orders NaN above every number). avg divides as floats (the dialect's ``/`` on
# integers truncates, as DAPHNE's).
@functools.cache
def _partial_rules() -> dict[type, tuple[tuple[str, ...], str]]:
    from sqlglot import exp  # sqlglot only once SQL runs

    return {
        exp.Sum: (("SUM", "COUNT"), "SUM({0}) FILTER (WHERE {1} > 0)"),
        exp.Count: (("COUNT",), "SUM({0})"),
        exp.Min: (("MIN",), "MIN({0})"),
        exp.Max: (("MAX", "COUNT"), "MAX({0}) FILTER (WHERE {1} > 0)"),
        exp.Avg: (("SUM", "COUNT"),
                  "CAST(SUM({0}) FILTER (WHERE {1} > 0) AS DOUBLE) / NULLIF(SUM({1}), 0)"),
    }


@dataclass(frozen=True)
class PreAgg:
    """A GROUP BY query as a partial query per partition (keys ``k<i>``, partial aggregates
    ``p<j>``, the original FROM and WHERE) and a final query per bucket of partials (the
    SELECT items and HAVING over the partials: :meth:`final`)."""

    partial: str
    items: tuple[Any, ...]  # the SELECT items over the partials (sqlglot expressions)
    having: Any  # HAVING over the partials, or None
    view: str
    nkeys: int

    def final(self, floats: frozenset[str] = frozenset(),
              casts: tuple[str | None, ...] | None = None) -> str:
        """The final query. ``floats``: the partials in float columns (only their
        aggregates skip all-NULL partials by count, :func:`_partial_rules`; elsewhere NULL
        stays NULL and a bare ``max(p)`` keeps its column's type); ``casts``: per SELECT item
        a DuckDB type to cast it to, or None."""
        from sqlglot import exp

        def unfiltered(node: Any) -> Any:
            if isinstance(node, exp.Filter) and node.this.this.name not in floats:
                return node.this
            return node

        items = [e.transform(unfiltered) for e in self.items]
        items = [e if not casts or casts[i] is None else exp.cast(e, casts[i])
                 for i, e in enumerate(items)]
        out = exp.select(*(e.as_(f"c{i}") for i, e in enumerate(items))).from_(
            exp.to_table(self.view)).group_by(*(f"k{i}" for i in range(self.nkeys)))
        if self.having is not None:
            out = out.having(self.having.transform(unfiltered))
        return str(out.sql(dialect=dialect()))


class _NoSplit(Exception):
    """The query does not split into partial and final aggregates."""


def pre_aggregation(plan: SqlPlan) -> PreAgg | None:
    """The split of a "per bucket: group by" query whose SELECT items and HAVING are
    expressions of group keys and of sum/count/min/max/avg over row expressions (no DISTINCT
    or FILTER inside, no window, no function sqlglot does not know outside an aggregate: it
    may be an aggregate); else None."""
    from sqlglot import exp

    sel, rules = plan.tree, _partial_rules()
    if plan.strategy != "per bucket: group by" or sel.find(exp.Filter, exp.Window):
        return None
    src = plan.sources[0]
    by = sel.args["group"].expressions
    keys = [_lower(e.name) for e in by]
    partial: list[Any] = [e.copy().as_(f"k{i}") for i, e in enumerate(by)]
    made: dict[str, str] = {}  # partial aggregate -> its column

    def combined(node: Any) -> Any:
        """An aggregate as its combination of partials, a key as its partial column."""
        if isinstance(node, exp.AggFunc):
            rule, arg = rules.get(type(node)), node.this
            if rule is None or arg is None or isinstance(arg, exp.Distinct) or (
                    not isinstance(arg, exp.Star) and arg.find(exp.AggFunc) is not None):
                raise _NoSplit
            names = []
            for func in rule[0]:
                term = exp.Anonymous(this=func, expressions=[arg.copy()])
                if term.sql() not in made:  # each partial once (HAVING repeats SELECT's)
                    made[term.sql()] = f"p{len(made)}"
                    partial.append(term.as_(made[term.sql()]))
                names.append(made[term.sql()])
            out = exp.maybe_parse(rule[1].format(*names), dialect=dialect())
            return out if isinstance(out, exp.Func | exp.Filter) else exp.paren(out)
        if isinstance(node, exp.Column):
            if _owner(node, plan.sources) is not src or _lower(node.name) not in keys:
                raise _NoSplit  # a select alias, or a column that is no key
            return exp.column(f"k{keys.index(_lower(node.name))}")
        if isinstance(node, exp.Anonymous | exp.Star | exp.Columns | exp.Subquery):
            raise _NoSplit
        return node

    having = sel.args.get("having")
    aliases = {_lower(e.alias) for e in sel.expressions if isinstance(e, exp.Alias)}
    try:
        if having is not None and any(not c.table and _lower(c.name) in aliases
                                      for c in having.find_all(exp.Column)):
            raise _NoSplit  # DuckDB may read a select alias there
        final = [(e.this if isinstance(e, exp.Alias) else e).copy().transform(combined)
                 for e in sel.expressions]
        condition = having.this.copy().transform(combined) if having is not None else None
    except _NoSplit:
        return None
    part = sel.copy()
    part.set("expressions", partial)
    part.set("having", None)
    return PreAgg(part.sql(dialect=dialect()), tuple(final), condition, src.view, len(keys))


class Combine:
    """The final query over one bucket of partials, labelled as the one-pass result."""

    __slots__ = ("labels", "query")

    def __init__(self, query: RunQuery, labels: tuple[str, ...]) -> None:
        self.query, self.labels = query, labels

    def __call__(self, partials: FrameValue) -> FrameValue:
        return lookup("setColLabels")(self.query(partials), *self.labels)


def _same_schema(a: FrameValue, b: FrameValue) -> bool:
    from daphnelib.engine import logical

    return a.labels == b.labels and all(
        x.dtype == y.dtype and logical.same_type(r, q) for x, y, r, q in
        zip(a.columns, b.columns, a.logical, b.logical, strict=True))


def _pre_aggregated(plan: SqlPlan, split: PreAgg, frame: frames.PartitionedFrame,
                    schema: FrameValue) -> frames.PartitionedFrame | None:
    """Partial aggregates per partition, hash-partitioned on the keys, combined per bucket;
    None when the split's types, tried on the 0-row schemas, are not the query's."""
    import pyarrow as pa

    from daphnelib.sql.duckdb import arrow_type_name

    view = plan.sources[0].view
    partial = RunQuery(split.partial, (view,))
    try:
        partial_schema = partial(frame.schema)
        floats = frozenset(lbl for lbl, c in zip(partial_schema.labels, partial_schema.columns,
                                                 strict=True) if c.dtype.kind == "f")
        plain = Combine(RunQuery(split.final(floats), (view,)), tuple(schema.labels))(
            partial_schema)
        # Combined aggregates may come out wider (a sum of partial sums, unlike sum(col), is
        # not cast back to its column's type): cast to the query's types, the same kinds.
        if any(a.dtype.kind != b.dtype.kind for a, b in zip(plain.columns, schema.columns,
                                                             strict=True)):
            return None
        combine = Combine(RunQuery(split.final(floats, tuple(
            None if a.dtype == b.dtype else arrow_type_name(pa.from_numpy_dtype(b.dtype))
            for a, b in zip(plain.columns, schema.columns, strict=True))), (view,)),
            tuple(schema.labels))
        combined = combine(partial_schema)
    except Exception:  # a split the dialect rejects on these types: the rows move instead
        return None
    if not _same_schema(combined, schema):
        return None
    per_part = dask.delayed(partial, pure=True)
    partials = frames.PartitionedFrame(tuple(per_part(p) for p in frame.parts), partial_schema,
                                       (None,) * len(frame.parts))
    buckets = frames.bucket_count(len(frame.parts))
    run_final = dask.delayed(combine, pure=True)
    keys = partial_schema.labels[:split.nkeys]
    return frames.PartitionedFrame(tuple(run_final(b) for b in frames.shuffled(
        partials, keys, buckets)), schema, (None,) * buckets)


def run(query: str, views: dict[str, Any], compute: Callable[[Any], Any],
        note: Callable[[str], None]) -> Any:
    """``sql(query, views...)`` with partitioned views: a PartitionedFrame, or a local
    FrameValue when the query ran on the client."""
    from sqlglot import exp

    schemas = {n: v.schema if frames.is_partitioned(v) else take_rows(v, slice(0, 0))
               for n, v in views.items()}
    run_local = lookup("sql")
    schema = run_local(query, *(x for n, s in schemas.items() for x in (n, s)))
    plan = analyse(query, schemas)
    if schema.nrow and plan.strategy in ("per partition", "per bucket: join"):
        plan.strategy = "gathered"  # one row from no rows: an aggregate sqlglot does not know
    used = {s.view for s in plan.sources} or (
        {t.name for t in plan.tree.find_all(exp.Table)} & set(views))
    if not any(frames.is_partitioned(views[n]) for n in used):
        note("sql: embedded (no distributed view)")
        return run_local(query, *(x for n in used for x in (n, views[n])))
    local = plan.strategy == "per partition"  # the query itself filters each partition
    parts = {s.alias: _as_partitioned(views[s.view]) if local else
             _prefiltered(plan, s, _as_partitioned(views[s.view])) for s in plan.sources}
    pushed = "".join(f"; WHERE pushed down to {s.alias}" for s in plan.sources
                     if s.pushed and not local)
    split = pre_aggregation(plan)
    if split is not None:
        out = _pre_aggregated(plan, split, parts[plan.sources[0].alias], schema)
        if out is not None:
            note(f"sql: {plan.strategy}{pushed}; pre-aggregated per partition, combined in "
                 f"{len(out.parts)} buckets")
            return _conformed(out)
    names = tuple(s.view for s in plan.sources)
    task = dask.delayed(RunQuery(query, names), pure=True)
    if plan.strategy == "per partition":
        (src,) = plan.sources
        note(f"sql: per partition ({len(parts[src.alias].parts)} partitions)")
        return _conformed(frames.PartitionedFrame(tuple(task(p) for p in parts[src.alias].parts),
                                                  schema, (None,) * len(parts[src.alias].parts)))
    if plan.strategy.startswith("per bucket"):
        sides = [parts[s.alias] for s in plan.sources]
        buckets = frames.bucket_count(max(len(f.parts) for f in sides))
        on = [[schemas[s.view].labels[j] for j in s.keys] for s in plan.sources]
        note(f"sql: {plan.strategy}{pushed}; rows hash-partitioned on "
             f"{' = '.join(', '.join(k) for k in on)} into {buckets} buckets")
        shuffled = [frames.shuffled(f, keys, buckets) for f, keys in zip(sides, on, strict=True)]
        return _conformed(frames.PartitionedFrame(tuple(task(*b) for b in zip(
            *shuffled, strict=True)), schema, (None,) * buckets))
    note(f"sql: {plan.strategy}{pushed}")
    if not plan.sources:  # not analysable: the used views whole
        gathered = {n: compute(frames.gathered(_as_partitioned(views[n]))) for n in used}
        return run_local(query, *(x for n, f in gathered.items() for x in (n, f)))
    gathered = {s.alias: compute(frames.gathered(parts[s.alias])) for s in plan.sources}
    note("sql: ran on the client over " + ", ".join(
        f"{f.nrow}x{f.ncol} of {a}" for a, f in gathered.items()))
    args = [x for s in plan.sources for x in (s.view, gathered[s.alias])]
    return run_local(query, *args)


def _conformed(frame: frames.PartitionedFrame) -> frames.PartitionedFrame:
    """The result's partitions in one encoding per column (DuckDB met NULLs in some only)."""
    return replace(frame, parts=frames.conformed(frame.parts))


def _as_partitioned(value: Any) -> frames.PartitionedFrame:
    if isinstance(value, FrameValue):
        return frames.split(value, (value.nrow,))
    return value
