"""polars <-> engine values, through Arrow (polars is imported lazily).

polars speaks the Arrow PyCapsule interface both ways, so ingress is
:func:`daphnelib.interop.arrow.frame_value_from_arrow` and egress hands polars the Arrow
table of a frame: numeric columns stay zero-copy, and polars converts strings to its own
``string_view`` layout (one copy, in polars' native code).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from daphnelib._optional import import_optional

if TYPE_CHECKING:
    import pyarrow as pa


def check_polars(obj: Any) -> None:
    """Raise a TypeError unless ``obj`` is a polars DataFrame or Series."""
    pl = import_optional("polars", "arrow", "from_polars")
    if not isinstance(obj, (pl.DataFrame, pl.Series)):
        raise TypeError(f"from_polars needs a polars DataFrame or Series, got "
                        f"{type(obj).__name__} (use from_arrow for other Arrow producers)")


def to_polars(table: pa.Table) -> Any:
    """The polars DataFrame of an Arrow table (no copy of numeric columns)."""
    pl = import_optional("polars", "arrow", "compute(asPolars=True)")
    return pl.from_arrow(table, rechunk=False)
