"""Logical column types: what a frame column means beyond its DAPHNE value type.

The engine computes on each frame column's physical buffer, whose dtype is a DAPHNE value type
(``FrameValue.columns[i]``). ``FrameValue.logical[i]`` is ``None`` when that buffer *is* the
column, or a :class:`Logical` record that says how an exchange library gets the original
column back:

========== =============================== =================================================
kind       physical column (engine VT)      restored from
========== =============================== =================================================
None       the values                       only ``label`` / ``index`` below are set
"numpy"    widened values (int16 -> si32)   ``dtype``: the original numpy dtype
"datetime" int64 ticks (si64, NaT = min)    ``dtype``: numpy ``M8[unit]`` or a tz-aware dtype
"timedelta" int64 ticks (si64)              ``dtype``: numpy ``m8[unit]``
"period"   int64 ordinals (si64)            ``dtype``: the period dtype
"category" codes (si8/si32/si64, -1 = NA)   ``dtype`` (categories, ordered); ``extra``: the
                                            categories, compared exactly (order matters)
"masked"   values (garbage where masked)    ``dtype`` (nullable Int/UInt/Float/boolean) and
                                            ``mask``; a kernel that makes nulls sets ``dtype``
                                            None and ``extra`` the values' numpy dtype
"string"   ``str`` ("" where missing)       ``dtype`` (object or a string dtype; None: the
                                            library's default), ``mask``, ``extra``: which
                                            missing value object was used
"sparse"   dense values                     ``dtype`` (subtype, fill value); ``extra``: the
                                            sparse index kind
========== =============================== =================================================

For "string" the missing-value token in ``extra`` is not part of the type (a column without
missing values has none; concatenation keeps whichever side has one).

Kernels never build or read an exchange library's dtype: they set kind-level facts only
(``kind``, ``mask``, ``ordered`` for categoricals, ``dtype=None`` for "the library's nullable
type of these values"), and interop turns those into library dtypes
(``interop/codecs.py``). Where pandas cannot be imported (Arrow and SQL need none), interop
makes such kind-level records too: "category" with ``dtype`` None, the categories in
``extra`` and ``ordered`` set.

``mask`` (True = missing) is per-row data: every kernel that moves rows (selection, order,
rbind, joins) applies the same row operation to it (:meth:`Logical.take`,
:func:`concat`). ``dtype`` and ``extra`` are opaque to the engine; two columns have the same
logical type when their ``kind``, ``dtype`` and ``extra`` are equal (rbind requires that).

Labels: DAPHNE labels are strings. ``label`` keeps the original label object when it is not
a ``str``, so int or tuple labels come back with their type; :data:`INT_LABEL` stands for
"``int`` of the DAPHNE label", which lets all int-labelled columns share one record.
``label_range``: the label came from a ``RangeIndex`` of column labels.
``index = (level, name, how)`` marks a column that holds level ``level`` of the original row
index (``keepIndex``); ``how`` is ``"range"`` for a RangeIndex, else the index's ``freq``
(datetime-like indexes) or None. Relabelling a column (setColLabels, setColLabelsPrefix)
drops both: the column is then an ordinary column.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np


class _Marker:
    """A label marker compared by identity; unpickles as the same module-level object, so
    records keep their meaning on Dask workers."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name

    def __reduce__(self) -> str:
        return self.name


NO_LABEL: Any = _Marker("NO_LABEL")
INT_LABEL: Any = _Marker("INT_LABEL")


@dataclass(frozen=True, slots=True, eq=False)
class Logical:
    """The logical type, original label and index role of one frame column (see module doc)."""

    kind: str | None = None
    dtype: Any = None
    mask: np.ndarray | None = None
    extra: Any = None
    ordered: bool = False  # a categorical's categories are ordered (min/max are defined)
    label: Any = NO_LABEL
    label_range: bool = False
    index: tuple[int, Any, Any] | None = None

    def same_type(self, other: Logical | None) -> bool:
        """Whether columns with these records hold the same logical type (masks aside)."""
        if other is None:
            return self.kind is None
        return (self.kind == other.kind and _same(self.dtype, other.dtype)
                and (self.kind == "string" or _same(self.extra, other.extra)))

    def take(self, rows: Any) -> Logical:
        """The record of the column's rows ``rows`` (positions, a slice or a bool mask)."""
        if self.mask is None:
            return self
        return replace(self, mask=self.mask[rows])

    def relabeled(self) -> Logical | None:
        """The record once the column got a new DAPHNE label: type only, or None."""
        if self.kind is None:
            return None
        if self.label is NO_LABEL and self.index is None:
            return self
        return replace(self, label=NO_LABEL, label_range=False, index=None)

    def describe(self) -> str:
        if self.kind is None:
            return "plain"
        return f"{self.kind}[{self.dtype if self.dtype is not None else self.extra}]"


def _same(a: Any, b: Any) -> bool:
    if a is b:
        return True
    equals = getattr(a, "equals", None)  # pandas Index: exact element-wise equality
    if equals is not None:
        return bool(equals(b))
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return False


def same_type(a: Logical | None, b: Logical | None) -> bool:
    """Whether two columns' records (either may be None) describe the same logical type."""
    if a is None:
        return b is None or b.kind is None
    return a.same_type(b)


def describe(record: Logical | None) -> str:
    """A column's logical type in error messages."""
    return "plain" if record is None else record.describe()


def _each(logical: list[Logical | None], fn: Callable[[Logical], Logical | None]
          ) -> list[Logical | None]:
    """``fn`` of every record (a plain column's None stays None)."""
    if logical.count(None) == len(logical):  # the common all-plain frame: no calls
        return list(logical)
    return [None if lg is None else fn(lg) for lg in logical]


def take(logical: list[Logical | None], rows: Any) -> list[Logical | None]:
    """The records of a frame's columns after selecting ``rows`` of every column."""
    return _each(logical, lambda lg: lg.take(rows))


def concat(a: Logical | None, b: Logical | None, n_a: int, n_b: int) -> Logical | None:
    """The record of column ``a`` (n_a rows) with column ``b``'s rows appended.

    The callers check :func:`same_type` first; the result keeps ``a``'s label and index role.
    """
    if a is None or (a.mask is None and (b is None or b.mask is None)):
        return a
    parts = [lg.mask if lg is not None and lg.mask is not None else np.zeros(n, np.bool_)
             for lg, n in ((a, n_a), (b, n_b))]
    extra = a.extra if a.extra is not None or b is None else b.extra  # a string NA token
    return replace(a, mask=np.concatenate(parts), extra=extra)


def relabeled(logical: list[Logical | None]) -> list[Logical | None]:
    """The records after every column got a new label."""
    return _each(logical, Logical.relabeled)


def for_files(columns: list[np.ndarray], logical: list[Logical | None]) -> list[Logical | None]:
    """The records that restore a frame after DAPHNE's CSV + .meta format.

    The format has no bool (bool columns are written as ui8 0/1), so a bool column's record
    says to cast back; every other record passes unchanged.
    """
    out = list(logical)
    for j, col in enumerate(columns):
        if col.dtype == np.bool_ and (out[j] is None or out[j].kind is None):
            out[j] = replace(out[j] or Logical(), kind="numpy", dtype=col.dtype)
    return out
