"""Conformance family ``arrow_roundtrip``: every pandas kind Arrow can hold, through Arrow.

The kinds are those of the ``pandas_roundtrip`` family (``pandas_cases.KINDS``), minus the
ones pyarrow itself cannot convert (``EXCLUDED``, with the reason). The expected value is
``pa.Table.from_pandas(df, preserve_index=False)`` with strings as ``large_string`` and
dictionary indices as int32 (``arrow_of`` in ``tests/conformance/_support.py``: the physical
variants of the same logical type). Ops (``check_arrow``):

- ``out``: ``pa.table(dc.from_pandas(df))`` (the frame's ``__arrow_c_stream__``);
- ``roundtrip``: ``pa.table(dc.from_arrow(producer))`` where the producer speaks only the
  C stream protocol; fixed-width columns without nulls must come back as the very same
  buffers (zero-copy both ways), and the table is compared after node and context are gone;
- ``polars``: ``dc.from_polars(pl.from_arrow(t)).compute(asPolars=True)`` equals the input.
"""

from __future__ import annotations

import importlib.util
import pathlib

FAMILY = "arrow_roundtrip"

_spec = importlib.util.spec_from_file_location(
    "pandas_cases", pathlib.Path(__file__).with_name("pandas_cases.py"))
assert _spec is not None and _spec.loader is not None
_pandas_cases = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_pandas_cases)

EXCLUDED = {
    "sparse_float": "pyarrow has no sparse arrays",
    "sparse_int": "pyarrow has no sparse arrays",
    "sparse_bool": "pyarrow has no sparse arrays",
    "mixed": "holds a sparse column",
    "empty_rows": "pyarrow gives empty object and categorical columns Arrow's null type, "
                  "for which DAPHNE has no value type (from_arrow refuses it)",
    "labels_tuples": "pyarrow names a MultiIndex column str() of its stringified levels; "
                     "a DAPHNE label is str() of the tuple",
}
KINDS = [kind for kind in _pandas_cases.KINDS if kind not in EXCLUDED]
OPS = ("out", "roundtrip", "polars")
CASES = [(kind, op) for kind in KINDS for op in OPS]

_MODULE = '''"""pandas kinds through the Arrow PyCapsule interface and polars (see the cases)."""

from __future__ import annotations

import pytest

from conformance._support import check_arrow
from conformance.test_pandas_roundtrip import KINDS

pytestmark = [pytest.mark.conformance("{family}"), pytest.mark.filterwarnings("error")]

# (pandas kind, op)
CASES = [
{cases}
]


@pytest.mark.parametrize("case", CASES, ids=lambda case: "-".join(case))
def test_arrow(case: tuple[str, str]) -> None:
    pytest.importorskip("pyarrow")
    kind, op = case
    check_arrow(KINDS[kind](), op)
'''


def render(cases: list[tuple[str, str]]) -> str:
    """The generated test module: the case table and one parametrized test."""
    rows = "\n".join(f"    {case!r}," for case in cases)
    return _MODULE.replace("{family}", FAMILY).replace("{cases}", rows)
