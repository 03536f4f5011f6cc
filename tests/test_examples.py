"""Every example in examples/ runs in a fresh interpreter, exits 0 and prints its key line.

An example that needs an optional library (torch, tensorflow, duckdb/sqlglot) is skipped
when the library is missing. A new example must be added to EXAMPLES (checked below).
"""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import pytest

EXAMPLES_DIR = pathlib.Path(__file__).resolve().parent.parent / "examples"

# file -> (optional modules it needs, lines its output must contain)
EXAMPLES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "demo.py": ((), ("df3 == pd.concat([df, df2], axis=1), and df is unchanged",)),
    "arrow_polars_dlpack.py": (("pyarrow", "polars", "torch"), (
        "price comes back as the very same buffer: True",
        "polars frame: (3, 3)",
        "torch.from_dlpack(Y).shape: (2, 3, 2, 2)",
        "two results from one run: True")),
    "numpy_zero_copy.py": ((), (
        "pass-through shares memory with the input: True",
        "pass-through is writeable: False",
        "shift-and-scale equals numpy's: (1000, 4) float64")),
    "pandas_index.py": ((), (
        "without keepIndex: [0, 1, 2]",
        "keepIndex + useIndexColumn restores the index: ['apple', 'pear', 'plum']")),
    "pandas_kinds.py": ((), (
        "dtypes after the round trip: Int64, category, datetime64[us, Europe/Berlin], "
        "string",)),
    "torch_tensors.py": (("torch",), (
        "original shape: (2, 3, 4) -> DAPHNE matrix (2, 12)",
        "identity round trip is equal, and writing it leaves the input alone: True",
        "X * 2.0 + 1.0 back as (2, 3, 4) torch.float64")),
    "tensorflow_tensors.py": (("tensorflow",), (
        "original shape: (2, 3, 4) -> DAPHNE matrix (2, 12)",
        "X - mean(X) back as (2, 3, 4) float32")),
    "sql.py": (("duckdb", "sqlglot"), ("3 rows from the SQL query",)),
    "joins_groupby.py": ((), (
        "group-by columns: ['city', 'SUM(euro)', 'MAX(euro)', 'COUNT(*)']",)),
    "lifetimes.py": ((), (
        "buffer alive while a view of it exists: True",
        "buffer freed after the last view died: True",
        "computing on a deleted input raises: this Matrix node was deleted (delete()) and "
        "cannot be used any more")),
    "analysis.daphne": ((), (
        "rows: 5, cols: 3", "DenseMatrix(5x3, double)", "every column has mean 0: 1",
        "every column has stddev 1: 1")),
}


def test_every_example_is_listed() -> None:
    on_disk = {p.name for p in EXAMPLES_DIR.iterdir() if p.suffix in (".py", ".daphne")}
    assert on_disk == set(EXAMPLES)


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_example_runs(name: str) -> None:
    needs, expected = EXAMPLES[name]
    for module in needs:
        pytest.importorskip(module)
    path = EXAMPLES_DIR / name
    if path.suffix == ".daphne":
        cmd = [sys.executable, "-m", "daphnelib", "run", str(path), "n=5"]
    else:
        cmd = [sys.executable, str(path)]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env,
                          cwd=EXAMPLES_DIR.parent)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    for line in expected:
        assert line in lines, f"{name} did not print {line!r}:\n{proc.stdout}"
