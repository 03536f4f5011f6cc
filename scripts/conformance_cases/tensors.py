"""Conformance family "tensor_roundtrip": PyTorch and TensorFlow round trips through daphnelib.

Each case (a :class:`Case`) is one tensor sent in with ``from_pytorch``/``from_tensorflow``
(``return_shape=True``), put through one op, and brought back with
``compute(asPyTorch=True | asTensorFlow=True, shape=...)`` (``check_tensor`` in
``tests/conformance/_support.py``). Fields:

- ``library``: ``"torch"`` or ``"tensorflow"``; a test skips when the library is missing.
- ``rank``: 0..6; the shape is ``TENSOR_SHAPES[rank]`` in ``_support`` (every dim that can
  be > 1 is, so flattening to ``(shape[0], -1)`` is visible).
- ``dtype``: the tensor dtype name (float64, float32, int64, int32, int16, int8, uint8, bool,
  float16, bfloat16). int16/float16/bfloat16 are dtypes DAPHNE lacks: they travel widened
  (si32/f32) and come back in their own dtype.
- ``layout``: how the input tensor is laid out in memory:
  ``contiguous`` (fresh dense tensor), ``transposed`` (all axes reversed: a strided view in
  torch, a materialised tensor in TensorFlow; rank >= 2), ``sliced`` (every other row of a
  tensor twice as wide: strided in torch, materialised in TensorFlow; rank >= 1),
  ``unaligned`` (dense, but starting one element past a 64-byte boundary, which TensorFlow
  cannot take back without a copy; TensorFlow's own kernels abort on such a tensor, so the
  expected values come from an aligned twin).
- ``op``: ``identity`` (``X`` itself: the tensor must come back equal, and on the zero-copy
  paths as the very same buffer), ``plus_one`` (``X + 1``: DAPHNE's value-type rules give
  the most general operand type, and computed values come back in the engine's value type,
  e.g. float16 + 1 -> float32, int16 + 1 -> int64), ``reshape`` (``X.reshape(1, n)``: the
  flat 1 x n result and, with ``shape=``, the original tensor).

Every case also checks the ingress copy rule: the engine's input buffer is the tensor's own
memory unless the layout is strided (torch transposed/sliced) or the dtype is one DAPHNE
lacks; then it does not overlap the tensor. The caller's tensor must be unchanged afterwards.
"""

from __future__ import annotations

import itertools
from typing import NamedTuple

FAMILY = "tensor_roundtrip"

LIBRARIES = ("torch", "tensorflow")
RANKS = tuple(range(7))
DTYPES = ("float64", "float32", "int64", "int32", "int16", "int8", "uint8", "bool",
          "float16", "bfloat16")
LAYOUTS = ("contiguous", "transposed", "sliced", "unaligned")
OPS = ("identity", "plus_one", "reshape")
MIN_RANK = {"contiguous": 0, "transposed": 2, "sliced": 1, "unaligned": 0}


class Case(NamedTuple):
    library: str
    rank: int
    dtype: str
    layout: str
    op: str


CASES = tuple(
    Case(*fields)
    for fields in itertools.product(LIBRARIES, RANKS, DTYPES, LAYOUTS, OPS)
    if fields[1] >= MIN_RANK[fields[3]]
)

_MODULE = '''"""PyTorch and TensorFlow exchange: ranks x dtypes x layouts x ops, both libraries.

See the case module for what each field means.
"""

from __future__ import annotations

import pytest

from conformance._support import check_tensor

pytestmark = [pytest.mark.conformance("{family}"), pytest.mark.filterwarnings("error")]

# (library, rank, dtype, layout, op)
CASES = [
{cases}
]


@pytest.mark.parametrize("case", CASES, ids=lambda case: "-".join(map(str, case)))
def test_tensor(case: tuple[str, int, str, str, str]) -> None:
    check_tensor(*case)
'''


def render(cases: tuple[Case, ...]) -> str:
    """The generated test module: the case table and one parametrized test."""
    rows = "\n".join(f"    {tuple(case)!r}," for case in cases)
    return _MODULE.replace("{family}", FAMILY).replace("{cases}", rows)
