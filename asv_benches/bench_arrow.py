"""Arrow, polars and DLPack exchange round trips, against the libraries' own conversions.

One workload per (kind, engine) on 1e6 rows (``ROWS``), each a full round trip:

- ``numeric`` (an int64 and a float64 column, no nulls): ours ``pa.table(dc.from_arrow(t))``
  (``arrow``) and ``dc.from_polars(df).compute(asPolars=True)`` (``polars``), both zero-copy,
  and ours through pandas, ``dc.from_pandas(df).compute()`` (``pandas``); references
  ``pa.Table.from_pandas(t.to_pandas())`` (``pyarrow``: pyarrow's own Arrow <-> pandas) and
  ``pl.from_pandas(df.to_pandas())`` (``polars_own``: polars' own);
- ``strings`` (one str column): the same engines; strings are converted into the engine's
  numpy ``StringDType`` and back in native code (issue 13 item 5), which no reference needs
  to do, so ``pyarrow_numpy`` adds pyarrow's own conversion of the same Arrow buffers to a
  numpy string array and back (``to_numpy`` + ``pa.array``);
- ``tensor`` (1e6 float64 as 1000 x 10 x 100): ours ``np.from_dlpack(dc.from_dlpack(x))``
  (``dlpack``), against numpy's own ``np.from_dlpack(x)`` (``numpy_own``).

``scripts/bench_arrow.py`` prints the medians with ratios against the references.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ._config import QUICK

ROWS = 10**5 if QUICK else 10**6
KINDS = ("numeric", "strings", "tensor")
ENGINES = ("arrow", "polars", "pandas", "dlpack", "pyarrow", "polars_own", "pyarrow_numpy",
           "numpy_own")


def workloads(kind: str, rows: int = ROWS) -> dict[str, Callable[[], object]]:
    """engine -> a round trip of ``kind`` data (engines that do not apply are absent)."""
    import polars as pl
    import pyarrow as pa

    from daphnelib import DaphneContext

    dc = DaphneContext()
    if kind == "tensor":
        x = np.arange(rows, dtype=np.float64).reshape(rows // 1000, 10, 100)
        return {"dlpack": lambda: np.from_dlpack(dc.from_dlpack(x)),
                "numpy_own": lambda: np.from_dlpack(x)}
    if kind == "numeric":
        t = pa.table({"i": np.arange(rows), "f": np.arange(rows, dtype=np.float64) / 7})
    else:
        t = pa.table({"s": pa.array([f"value {i}" for i in range(rows)], pa.large_string())})
    df = t.to_pandas()
    pdf = pl.from_arrow(t)
    fns: dict[str, Callable[[], object]] = {
        "arrow": lambda: pa.table(dc.from_arrow(t)),
        "polars": lambda: dc.from_polars(pdf).compute(asPolars=True),
        "pandas": lambda: dc.from_pandas(df).compute(),
        "pyarrow": lambda: pa.Table.from_pandas(t.to_pandas(), preserve_index=False),
        "polars_own": lambda: pl.from_pandas(pdf.to_pandas()),
    }
    if kind == "strings":
        col = t.column("s").chunk(0)
        fns["pyarrow_numpy"] = lambda: pa.array(col.to_numpy(zero_copy_only=False),
                                                pa.large_string())
    return fns


def check(kind: str, rows: int = 1000) -> None:
    """Every engine's round trip gives the input back (run before timing)."""
    import pyarrow as pa

    fns = workloads(kind, rows)
    results = {engine: fn() for engine, fn in fns.items()}
    first = next(iter(results.values()))
    for engine, out in results.items():
        if kind == "tensor":
            np.testing.assert_array_equal(out, first)
            continue
        table = pa.table(out) if not isinstance(out, pa.Array) else pa.table({"s": out})
        assert table.column(0).to_pylist() == pa.table(first).column(0).to_pylist(), engine


class ArrowExchange:
    params = (KINDS, ENGINES)
    param_names = ("kind", "engine")
    timeout = 300

    def setup(self, kind, engine):
        fns = workloads(kind)
        if engine not in fns:
            raise NotImplementedError(f"{engine} does not apply to {kind}")
        self.fn = fns[engine]
        self.fn()  # first-use costs (imports, compilation) out of the timing

    def time_round_trip(self, kind, engine):
        self.fn()
