"""Conformance family ``dlpack_roundtrip``: ``dc.from_dlpack`` and ``__dlpack__`` for every
dtype and rank of the tensor family, with numpy, PyTorch and JAX as producer and consumer.

Each case (``check_dlpack`` in ``tests/conformance/_support.py``) makes a tensor of
``TENSOR_SHAPES[rank]`` (rank 0..6) in the producer library, sends it in with
``dc.from_dlpack`` (the engine buffer must be the tensor's own memory for dtypes DAPHNE
holds), applies the op and takes the result back with the same library's ``from_dlpack``
after the node and its context are gone: the shape is the tensor's (n-d shapes are kept
through elementwise ops and casts), values and dtype exact, the input unchanged.

- ``identity``: the same values and dtype, and for held dtypes the very same buffer (JAX
  asks for unversioned capsules and copies what it imports, so not with JAX);
- ``plus_one``: ``X + 1`` in DAPHNE's value type (float16 + 1 -> float32, int8 + 1 -> int64);
- ``as_f64``: ``X.asType(vtype="f64")``.

``plus_one`` and ``as_f64`` run at ranks 0, 1 and 4 (``OP_RANKS``), identity at every rank.

Narrow dtypes (int16, uint16, float16) travel widened and come back in their own dtype.
bfloat16 is not in the family: numpy cannot import it through DLPack (``from_pytorch``
takes it); a JAX case skips when JAX is not installed.
"""

from __future__ import annotations

import itertools

FAMILY = "dlpack_roundtrip"

PRODUCERS = ("numpy", "torch", "jax")
RANKS = tuple(range(7))
DTYPES = ("float64", "float32", "int64", "int32", "int16", "int8", "uint8", "uint16", "bool",
          "float16")
OPS = ("identity", "plus_one", "as_f64")
# torch has no uint16 arithmetic on the CPU for the producer side's own checks.
UNSUPPORTED = {("torch", "uint16")}
# identity at every rank; the computing ops at the ranks whose 2-D view differs in kind
# (scalar-like, vector, n-d), which keeps the family at a few minutes.
OP_RANKS = {"identity": RANKS, "plus_one": (0, 1, 4), "as_f64": (0, 1, 4)}
CASES = [case for case in itertools.product(PRODUCERS, RANKS, DTYPES, OPS)
         if (case[0], case[2]) not in UNSUPPORTED and case[1] in OP_RANKS[case[3]]]

_MODULE = '''"""DLPack in and out: producers x ranks x dtypes x ops (see the case module)."""

from __future__ import annotations

import pytest

from conformance._support import check_dlpack

pytestmark = [pytest.mark.conformance("{family}"), pytest.mark.filterwarnings("error")]

# (producer, rank, dtype, op)
CASES = [
{cases}
]


@pytest.mark.parametrize("case", CASES, ids=lambda case: "-".join(map(str, case)))
def test_dlpack(case: tuple[str, int, str, str]) -> None:
    check_dlpack(*case)
'''


def render(cases: list[tuple[str, int, str, str]]) -> str:
    """The generated test module: the case table and one parametrized test."""
    rows = "\n".join(f"    {case!r}," for case in cases)
    return _MODULE.replace("{family}", FAMILY).replace("{cases}", rows)
