"""Conformance family "tensor_roundtrip": PyTorch and TensorFlow round trips through daphnelib.

Each case (a :class:`Case`) is one tensor sent in with ``from_pytorch``/``from_tensorflow``
(``return_shape=True``), put through one op, and brought back with
``compute(asPyTorch=True | asTensorFlow=True, shape=...)``. Fields:

- ``library``: ``"torch"`` or ``"tensorflow"``; a test skips when the library is missing.
- ``rank``: 0..6; the shape is ``SHAPES[rank]`` in the generated module (every dim that can
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

import os

import numpy as np
import pytest

from daphnelib import DaphneContext

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
pytestmark = pytest.mark.filterwarnings("error")

SHAPES = {0: (), 1: (5,), 2: (3, 4), 3: (2, 3, 2), 4: (2, 1, 3, 2), 5: (2, 2, 1, 2, 3),
          6: (1, 2, 2, 1, 3, 2)}
NARROW = ("int16", "float16", "bfloat16")  # dtypes DAPHNE lacks: converted once each way
# X + 1 (an si64 literal): the most general operand VT; computed values have engine VTs.
PLUS_ONE = {"float64": "float64", "float32": "float32", "float16": "float32",
            "bfloat16": "float32", "int64": "int64", "int32": "int64", "int16": "int64",
            "int8": "int64", "uint8": "int64", "bool": "int64"}

# (library, rank, dtype, layout, op)
CASES = [
{cases}
]


def _id(case: tuple) -> str:
    return "-".join(map(str, case[1:]))


def values(shape: tuple[int, ...], dtype: str) -> np.ndarray:
    """Deterministic float64/int64 values for a tensor of ``dtype`` (extremes included)."""
    rng = np.random.default_rng(sum(shape) * 31 + len(dtype))
    n = int(np.prod(shape))
    if dtype == "bool":
        flat = rng.integers(0, 2, n)
    elif dtype.startswith(("float", "bfloat")):
        flat = rng.standard_normal(n) * 100
    else:
        info = np.iinfo(dtype)
        flat = rng.integers(info.min, info.max, n, endpoint=True)
        if n >= 2:
            flat[0], flat[-1] = info.min, info.max
    return flat.reshape(shape)


def unaligned_bytes(nbytes: int, offset: int) -> np.ndarray:
    """``nbytes`` writable bytes starting ``offset`` bytes past a 64-byte boundary."""
    raw = np.zeros(nbytes + 128, np.uint8)
    start = (-raw.ctypes.data) % 64 + offset
    return raw[start:start + nbytes]


class Torch:
    def __init__(self) -> None:
        self.lib = pytest.importorskip("torch")

    def dtype(self, name: str):
        return getattr(self.lib, name)

    def make(self, shape: tuple[int, ...], dtype: str, layout: str):
        """The input tensor, and the tensor the expected values are computed from."""
        torch = self.lib
        dt = self.dtype(dtype)

        def dense(s):
            return torch.from_numpy(values(s, dtype)).to(dt)

        if layout == "transposed":
            t = dense(shape[::-1]).permute(*reversed(range(len(shape))))
        elif layout == "sliced":
            t = dense((*shape[:-1], 2 * shape[-1]))[..., ::2]
        else:
            t = dense(shape)
        if layout == "unaligned":
            size = t.element_size()
            raw = torch.from_numpy(unaligned_bytes(t.numel() * size, size))
            t = raw.view(dt).reshape(shape).copy_(t)
            assert t.data_ptr() % 64 == size
        assert t.is_contiguous() == (layout in ("contiguous", "unaligned"))
        return t, t

    def address(self, t) -> int:
        return t.data_ptr()

    def nbytes(self, t) -> int:
        return t.untyped_storage().nbytes()

    def cast(self, t, dtype: str):
        return t.to(self.dtype(dtype))

    def plus_one(self, t, dtype: str):
        return self.cast(t, dtype) + 1

    def flat(self, t):
        return t.reshape(1, -1)

    def equal(self, a, b) -> bool:
        return a.dtype == b.dtype and a.shape == b.shape and bool(self.lib.equal(a, b))

    def snapshot(self, t):
        return t.clone()

    def unchanged(self, t, snap) -> bool:
        return self.equal(t, snap)

    def ingest(self, dc, t):
        return dc.from_pytorch(t, return_shape=True)

    def back(self, node, shape=None):
        return node.compute(asPyTorch=True, shape=shape)


class TensorFlow:
    def __init__(self) -> None:
        self.lib = pytest.importorskip("tensorflow")

    def dtype(self, name: str):
        return getattr(self.lib, name)

    def make(self, shape: tuple[int, ...], dtype: str, layout: str):
        """The input tensor, and the tensor the expected values are computed from."""
        tf = self.lib
        dt = self.dtype(dtype)

        def dense(s):
            return tf.cast(tf.constant(values(s, dtype)), dt)

        if layout == "transposed":
            t = tf.transpose(dense(shape[::-1]))
        elif layout == "sliced":
            t = dense((*shape[:-1], 2 * shape[-1]))[..., ::2]
        else:
            t = dense(shape)
        if layout != "unaligned":
            return t, t
        bits = self.bits(t)
        arr = unaligned_bytes(bits.nbytes, bits.itemsize).view(bits.dtype).reshape(shape)
        arr[...] = bits
        u = tf.experimental.dlpack.from_dlpack(arr.__dlpack__())
        if dt != tf.bool:  # the buffer holds the bit patterns as unsigned ints
            u = tf.bitcast(u, dt)
        assert self.address(u) % 64 == bits.itemsize
        return u, t

    def bits(self, t) -> np.ndarray:
        tf = self.lib
        if t.dtype == tf.bool:
            return np.from_dlpack(t).copy()
        width = {1: tf.uint8, 2: tf.uint16, 4: tf.uint32, 8: tf.uint64}[t.dtype.size]
        return np.from_dlpack(tf.bitcast(t, width)).copy()

    def address(self, t) -> int:
        tf = self.lib
        return np.from_dlpack(tf.bitcast(t, tf.uint16) if t.dtype == tf.bfloat16 else t
                              ).ctypes.data

    def nbytes(self, t) -> int:
        return int(np.prod(t.shape)) * t.dtype.size

    def cast(self, t, dtype: str):
        return self.lib.cast(t, self.dtype(dtype))

    def plus_one(self, t, dtype: str):
        return self.cast(t, dtype) + self.lib.constant(1, self.dtype(dtype))

    def flat(self, t):
        return self.lib.reshape(t, (1, -1))

    def equal(self, a, b) -> bool:
        return (a.dtype == b.dtype and a.shape == b.shape
                and bool(self.lib.reduce_all(a == b)))

    def snapshot(self, t) -> np.ndarray:
        return self.bits(t)  # a copy: TensorFlow may alias a tensor instead of copying it

    def unchanged(self, t, snap) -> bool:
        return np.array_equal(self.bits(t), snap)

    def ingest(self, dc, t):
        return dc.from_tensorflow(t, return_shape=True)

    def back(self, node, shape=None):
        return node.compute(asTensorFlow=True, shape=shape)


LIBS = {"torch": Torch, "tensorflow": TensorFlow}


def run_case(case: tuple) -> None:
    library, rank, dtype, layout, op = case
    lib = LIBS[library]()
    shape = SHAPES[rank]
    t, ref = lib.make(shape, dtype, layout)
    before = lib.snapshot(t)
    X, orig = lib.ingest(DaphneContext(), t)
    assert tuple(orig) == shape

    buf = X._args[0]  # the engine's input buffer
    lo, hi = lib.address(t), lib.address(t) + lib.nbytes(t)
    strided = library == "torch" and layout in ("transposed", "sliced")
    if dtype in NARROW or strided:
        assert not (buf.ctypes.data < hi and lo < buf.ctypes.data + buf.nbytes)
    else:
        assert buf.ctypes.data == lo

    if op == "identity":
        out = lib.back(X, orig)
        assert lib.equal(out, ref)
        aligned = lo % 64 == 0 or library == "torch"
        if dtype not in NARROW and not strided and aligned:
            assert lib.address(out) == lo  # zero-copy both ways
    elif op == "plus_one":
        assert lib.equal(lib.back(X + 1, orig), lib.plus_one(ref, PLUS_ONE[dtype]))
    else:
        Y = X.reshape(1, int(np.prod(shape)))
        assert lib.equal(lib.back(Y), lib.flat(ref))
        assert lib.equal(lib.back(Y, orig), ref)
    assert lib.unchanged(t, before)  # the caller's tensor is never modified


@pytest.mark.parametrize("case", [c for c in CASES if c[0] == "torch"], ids=_id)
def test_torch(case):
    run_case(case)


@pytest.mark.parametrize("case", [c for c in CASES if c[0] == "tensorflow"], ids=_id)
def test_tensorflow(case):
    run_case(case)
'''


def render(cases: tuple[Case, ...]) -> str:
    """The generated test module: the case table plus one parametrized test per library."""
    rows = "\n".join(f"    {tuple(case)!r}," for case in cases)
    return _MODULE.replace("{cases}", rows)
