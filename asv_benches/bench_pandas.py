"""pandas exchange: ``from_pandas`` and the round trip ``from_pandas(df).compute()`` for
frames of 1 to 10,000 float64 columns and 1e3 or 1e6 rows, against pyarrow's
``Table.from_pandas`` / ``.to_pandas()`` on the same frame.

Both of ours are zero-copy for such frames, so their cost grows with the number of columns
only. Combinations over 1e8 cells (800 MB) are skipped (n/a), and in quick mode those over
256 MiB. ``scripts/bench_pandas.py`` prints the same comparison with ratios.
``LogicalKinds`` does the same for 1,000 columns of one logical kind each (nullable,
categorical, tz-aware datetime, str): the per-column cost of the kinds' codecs.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from ._config import require_size

COLUMNS = [1, 10, 100, 1_000, 10_000]
ROWS = [1_000, 1_000_000]
ENGINES = ["ours", "pyarrow"]
MAX_BYTES = 8 * 10**8


def frame(ncol: int, nrow: int) -> pd.DataFrame:
    """A consolidated float64 frame whose every column is contiguous (as after read_csv)."""
    data = np.arange(ncol * nrow, dtype=np.float64).reshape(ncol, nrow).T
    return pd.DataFrame(data, columns=[f"c{i}" for i in range(ncol)], copy=False)


def workloads(df: pd.DataFrame) -> dict[str, dict[str, Callable[[], object]]]:
    """engine -> {"from": ingest, "round_trip": ingest and bring back as a DataFrame}."""
    import pyarrow as pa

    from daphnelib import DaphneContext

    dc = DaphneContext()
    return {
        "ours": {"from": lambda: dc.from_pandas(df),
                 "round_trip": lambda: dc.from_pandas(df).compute()},
        "pyarrow": {"from": lambda: pa.Table.from_pandas(df, preserve_index=False),
                    "round_trip": lambda: pa.Table.from_pandas(
                        df, preserve_index=False).to_pandas()},
    }


class PandasExchange:
    params = (COLUMNS, ROWS, ENGINES)
    param_names = ("columns", "rows", "engine")
    timeout = 300

    def setup(self, ncol, nrow, engine):
        require_size(8 * ncol * nrow, MAX_BYTES)
        self.df = frame(ncol, nrow)
        self.fns = workloads(self.df)[engine]
        self.fns["round_trip"]()  # first-use costs (lazy imports) out of the timing

    def time_from_pandas(self, ncol, nrow, engine):
        self.fns["from"]()

    def time_round_trip(self, ncol, nrow, engine):
        self.fns["round_trip"]()


# One column of each logical kind (100 rows); a frame holds 1,000 of them.
KINDS: dict[str, Callable[[], object]] = {
    "Int64": lambda: pd.array(np.arange(100), dtype="Int64"),
    "category": lambda: pd.Categorical(np.arange(100) % 3),
    "datetime_tz": lambda: pd.date_range("2024-01-01", periods=100, freq="s", tz="UTC"),
    "str": lambda: pd.array([f"s{i}" for i in range(100)], dtype="str"),
}


class LogicalKinds:
    """``from_pandas`` and the round trip of 1,000 columns of one logical kind: the cost per
    column of the kind's codec (interop/codecs.py), against pyarrow on the same frame."""

    params = (list(KINDS), ENGINES)
    param_names = ("kind", "engine")
    timeout = 300

    def setup(self, kind, engine):
        self.df = pd.DataFrame({f"c{i}": KINDS[kind]() for i in range(1_000)})
        self.fns = workloads(self.df)[engine]
        self.fns["round_trip"]()  # first-use costs (lazy imports) out of the timing

    def time_from_pandas(self, kind, engine):
        self.fns["from"]()

    def time_round_trip(self, kind, engine):
        self.fns["round_trip"]()
