"""Conformance family "numpy_roundtrip": numpy arrays through daphnelib and back.

Each case is one array sent in with ``from_numpy(a, return_shape=True)``, put through one op
and brought back with ``compute(shape=...)`` (``check_numpy`` in
``tests/conformance/_support.py``). Fields:

- ``rank``: 1..4 (shapes (5,), (3, 4), (2, 3, 2), (2, 1, 3, 2)).
- ``dtype``: every numeric dtype DAPHNE holds, the three it lacks (int16, uint16, float16:
  they travel widened and come back in their own dtype), bool, and strings held four ways:
  ``str_U`` (fixed-width unicode), ``str_S`` (bytes), ``str_T`` (StringDType),
  ``str_object`` (object array of str); strings come back as StringDType.
- ``layout``: ``C`` (C-contiguous), ``F`` (Fortran-ordered), ``transposed`` (the ``.T`` view
  of a C array), ``sliced`` (every other element along the last axis), ``unaligned``
  (C-contiguous, starting one byte past a 64-byte boundary), ``big_endian`` (non-native byte
  order; comes back in native order).
- ``op``: ``identity`` (the array itself; zero-copy and read-only exactly when it is
  C-contiguous with a dtype the engine holds as it is: a numeric one other than int16,
  uint16, float16 in native byte order, or StringDType), ``plus`` (``X + 1``, result
  type by DAPHNE's rules; for strings ``X + "!"``, a concatenation), ``reshape``
  (``X.reshape(1, n)``: the flat row, then the original shape through ``shape=``).

Every case compares the result exactly with the expected array (values, dtype, shape; the
sign of float zeros) and checks that the caller's array is unchanged.
"""

from __future__ import annotations

import itertools
from typing import NamedTuple

FAMILY = "numpy_roundtrip"

RANKS = (1, 2, 3, 4)
DTYPES = ("float64", "float32", "float16", "int64", "int32", "int16", "int8", "uint64",
          "uint32", "uint16", "uint8", "bool", "str_U", "str_S", "str_T", "str_object")
LAYOUTS = ("C", "F", "transposed", "sliced", "unaligned", "big_endian")
OPS = ("identity", "plus", "reshape")
ONE_BYTE = ("int8", "uint8", "bool", "str_S")  # no byte order
BY_REFERENCE = ("str_T", "str_object")  # elements live elsewhere: no byte order, alignment


def applies(rank: int, dtype: str, layout: str) -> bool:
    """Whether ``layout`` means something for an array of that rank and dtype."""
    if layout in ("F", "transposed"):
        return rank >= 2  # rank 1: the same as C
    if layout == "unaligned":
        return dtype not in BY_REFERENCE
    if layout == "big_endian":
        return dtype not in ONE_BYTE + BY_REFERENCE
    return True


class Case(NamedTuple):
    rank: int
    dtype: str
    layout: str
    op: str


CASES = tuple(Case(*fields) for fields in itertools.product(RANKS, DTYPES, LAYOUTS, OPS)
              if applies(*fields[:3]))

_MODULE = '''"""numpy exchange: ranks x dtypes x layouts x ops (the case module explains)."""

from __future__ import annotations

import pytest

from conformance._support import check_numpy

pytestmark = [pytest.mark.conformance("{family}"), pytest.mark.filterwarnings("error")]

# (rank, dtype, layout, op)
CASES = [
{cases}
]


@pytest.mark.parametrize("case", CASES, ids=lambda case: "-".join(map(str, case)))
def test_numpy(case: tuple[int, str, str, str]) -> None:
    check_numpy(*case)
'''


def render(cases: tuple[Case, ...]) -> str:
    """The generated test module: the case table and one parametrized test."""
    rows = "\n".join(f"    {tuple(case)!r}," for case in cases)
    return _MODULE.replace("{family}", FAMILY).replace("{cases}", rows)
