"""PyTorch <-> daphnelib exchange: ranks 0..6 x dtypes, zero-copy proofs, odd layouts, errors."""

from __future__ import annotations

import subprocess
import sys
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from daphnelib import DaphneContext
from daphnelib.engine.valuetypes import carrier_dtype
from daphnelib.interop import dlpack
from daphnelib.interop import torch as torch_interop
from daphnelib.interop.numpy import engine_matrix
from daphnelib.interop.torch import to_torch

torch = pytest.importorskip("torch")

pytestmark = pytest.mark.filterwarnings("error")

SHAPES = {0: (), 1: (5,), 2: (3, 4), 3: (2, 3, 2), 4: (2, 1, 3, 2), 5: (2, 2, 1, 2, 3),
          6: (1, 2, 2, 1, 3, 2)}
DTYPES = (torch.float64, torch.float32, torch.int64, torch.int32, torch.int16, torch.int8,
          torch.uint8, torch.bool, torch.float16, torch.bfloat16)
# The engine dtype each tensor dtype travels as (dtypes DAPHNE lacks are widened).
ENGINE = {torch.float64: np.float64, torch.float32: np.float32, torch.int64: np.int64,
          torch.int32: np.int32, torch.int16: np.int32, torch.int8: np.int8,
          torch.uint8: np.uint8, torch.bool: np.bool_, torch.float16: np.float32,
          torch.bfloat16: np.float32}


@pytest.fixture
def dc() -> DaphneContext:
    return DaphneContext()


def sample(shape: tuple[int, ...], dtype: torch.dtype, seed: int = 0) -> torch.Tensor:
    """Deterministic values covering each dtype's range (extremes included when room)."""
    g = torch.Generator().manual_seed(seed)
    n = int(np.prod(shape))
    if dtype == torch.bool:
        flat = torch.randint(0, 2, (n,), generator=g).bool()
    elif dtype.is_floating_point:
        flat = (torch.randn(n, generator=g, dtype=torch.float64) * 100).to(dtype)
    else:
        info = torch.iinfo(dtype)
        flat = torch.randint(info.min, info.max, (n,), generator=g, dtype=dtype)
        if n >= 2:
            flat[0], flat[-1] = info.min, info.max
    return flat.reshape(shape)


def engine_buffer(node) -> np.ndarray:
    """The engine input buffer of a from_pytorch node (what the engine reads)."""
    buf = node._args[0]
    assert isinstance(buf, np.ndarray)
    return buf


def span(x: np.ndarray | torch.Tensor) -> tuple[int, int]:
    """The address range of an array's buffer or a tensor's whole storage."""
    if isinstance(x, np.ndarray):
        return x.ctypes.data, x.ctypes.data + x.nbytes
    storage = x.untyped_storage()
    return storage.data_ptr(), storage.data_ptr() + storage.nbytes()


def overlaps(a: np.ndarray | torch.Tensor, b: np.ndarray | torch.Tensor) -> bool:
    (a_lo, a_hi), (b_lo, b_hi) = span(a), span(b)
    return a_lo < b_hi and b_lo < a_hi


def assert_same(out: torch.Tensor, expected: torch.Tensor) -> None:
    assert out.dtype == expected.dtype
    assert out.shape == expected.shape
    assert torch.equal(out, expected)


# -- round trips over every rank x dtype ------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("rank", sorted(SHAPES))
def test_round_trip_rank_dtype(dc, rank, dtype):
    t = sample(SHAPES[rank], dtype)
    before = t.clone()
    X, shape = dc.from_pytorch(t, return_shape=True)
    assert isinstance(shape, torch.Size) and shape == t.shape
    n = t.numel()
    expected_2d = (1, 1) if rank == 0 else (t.shape[0], n // t.shape[0])
    buf = engine_buffer(X)
    assert buf.shape == expected_2d
    assert buf.dtype == ENGINE[dtype]
    assert not buf.flags.writeable
    assert_same(X.compute(asPyTorch=True, shape=shape), t)
    assert_same(X.compute(asPyTorch=True), t)  # without shape=: the tensor's own shape
    assert_same(t, before)


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_zero_copy_both_ways(dc, dtype):
    t = sample((4, 3, 2), dtype)
    X = dc.from_pytorch(t)
    if dtype in (torch.int16, torch.float16, torch.bfloat16):
        # One conversion on the way in, one on the way out: no aliasing possible.
        assert not overlaps(engine_buffer(X), t)
        assert not overlaps(X.compute(asPyTorch=True), t)
        return
    assert engine_buffer(X).ctypes.data == t.data_ptr()
    out = X.compute(asPyTorch=True, shape=t.shape)
    # An input passed straight through is copied out: torch tensors cannot be read-only.
    assert not overlaps(out, t)
    assert torch.equal(out, t)


def test_result_tensor_views_engine_buffer(dc, monkeypatch):
    """The tensor compute() returns is the engine's result buffer, not a copy of it."""
    seen = {}

    def spy(arr, shape=None, **kw):
        seen["arr"] = arr
        return to_torch(arr, shape, **kw)

    monkeypatch.setattr(torch_interop, "to_torch", spy)
    t = sample((3, 4), torch.float64)
    out = (dc.from_pytorch(t) + 1).compute(asPyTorch=True)
    assert out.data_ptr() == seen["arr"].ctypes.data != t.data_ptr()
    assert_same(out, t + 1)


def test_to_torch_zero_copy_and_reshape():
    from daphnelib._native.buffers import matrix_result

    arr = matrix_result(np.arange(24.0).reshape(2, 12)).matrix()
    t = to_torch(arr, (2, 3, 4))
    assert t.data_ptr() == arr.ctypes.data and t.shape == (2, 3, 4)
    assert torch.equal(t.flatten(), torch.arange(24.0, dtype=torch.float64))


# -- ops: identity, arithmetic (DAPHNE's value-type rules), reshape --------------------------

# X + 1 (an si64 literal): the result value type is the most general of the two operands, and
# a computed result has the engine's value type (DAPHNE has no float16, bfloat16 or int16).
PLUS_ONE = {torch.float64: torch.float64, torch.float32: torch.float32,
            torch.float16: torch.float32, torch.bfloat16: torch.float32,
            torch.int64: torch.int64, torch.int32: torch.int64, torch.int16: torch.int64,
            torch.int8: torch.int64, torch.uint8: torch.int64, torch.bool: torch.int64}


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("rank", sorted(SHAPES))
def test_plus_one(dc, rank, dtype):
    t = sample(SHAPES[rank], dtype)
    before = t.clone()
    X, shape = dc.from_pytorch(t, return_shape=True)
    out = (X + 1).compute(asPyTorch=True, shape=shape)
    assert_same(out, t.to(PLUS_ONE[dtype]) + 1)  # int64 extremes wrap, as in DAPHNE
    assert_same(t, before)


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("rank", [1, 2, 4, 6])
def test_reshape(dc, rank, dtype):
    t = sample(SHAPES[rank], dtype)
    X, shape = dc.from_pytorch(t, return_shape=True)
    Y = X.reshape(1, t.numel())
    assert_same(Y.compute(asPyTorch=True), t.reshape(1, -1))
    assert_same(Y.compute(asPyTorch=True, shape=shape), t)


# -- layouts the engine cannot view directly ------------------------------------------------

NON_CONTIGUOUS = {
    "transposed": lambda t: t.transpose(0, -1),
    "sliced": lambda t: t[::2],
    "expanded": lambda t: t[:1].expand(4, *t.shape[1:]),
}


@pytest.mark.parametrize("dtype", [torch.float64, torch.int16, torch.bool, torch.bfloat16],
                         ids=str)
@pytest.mark.parametrize("layout", sorted(NON_CONTIGUOUS))
def test_non_contiguous_copies_once(dc, capsys, layout, dtype):
    base = sample((4, 3, 2), dtype)
    before = base.clone()
    t = NON_CONTIGUOUS[layout](base)
    assert not t.is_contiguous()
    X, shape = dc.from_pytorch(t, verbose=True, return_shape=True)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1 and lines[0].startswith("daphnelib: copying tensor once")
    assert not overlaps(engine_buffer(X), base)
    assert_same(X.compute(asPyTorch=True, shape=shape), t)
    assert_same(base, before)


def test_contiguous_input_is_silent(dc, capsys):
    dc.from_pytorch(sample((3, 4), torch.float32), verbose=True)
    assert capsys.readouterr().out == ""


def test_narrow_dtype_conversions_are_announced(dc, capsys):
    t = sample((3, 4), torch.float16)
    X = dc.from_pytorch(t, verbose=True)
    assert capsys.readouterr().out == "daphnelib: copying tensor once (dtype float16 -> float32)\n"
    assert_same(X.compute(asPyTorch=True, verbose=True), t)
    assert "daphnelib: copying result once (dtype float32 -> float16)" in capsys.readouterr().out


def test_unaligned_contiguous_view_stays_zero_copy(dc):
    base = torch.arange(17, dtype=torch.float64)
    t = base[1:].reshape(4, 4)  # contiguous, 8 bytes past an aligned start
    X = dc.from_pytorch(t)
    assert engine_buffer(X).ctypes.data == t.data_ptr()
    assert not overlaps(X.compute(asPyTorch=True), t)  # copied out: see test_zero_copy_...


def test_requires_grad_is_detached(dc):
    t = sample((3, 4), torch.float32).requires_grad_()
    X = dc.from_pytorch(t)
    assert engine_buffer(X).ctypes.data == t.data_ptr()
    out = (X * 2).compute(asPyTorch=True)
    assert not out.requires_grad
    assert_same(out, t.detach() * 2)
    assert t.requires_grad and t.grad is None


def test_device_tensor_copied_to_host_once(dc, capsys, monkeypatch):
    """The GPU branch (no GPU here): a tensor not on the host is copied to it, verbosely."""
    t = sample((2, 3), torch.float64)
    monkeypatch.setattr(torch_interop, "_on_host", lambda tensor: False)
    moved = []
    real_to = torch.Tensor.to

    def to(self, *args, **kwargs):
        moved.append(args)
        return real_to(self, *args, **kwargs)

    monkeypatch.setattr(torch.Tensor, "to", to)
    X = dc.from_pytorch(t, verbose=True)
    assert moved == [("cpu",)]
    assert "from device cpu to host memory" in capsys.readouterr().out
    assert_same(X.compute(asPyTorch=True), t)


def test_negative_view_is_resolved(dc):
    base = sample((3, 4), torch.float64)
    t = base._neg_view()
    assert t.is_neg()
    assert_same(dc.from_pytorch(t).compute(asPyTorch=True), -base)


def test_special_float_values_exact(dc):
    vals = [0.0, -0.0, float("inf"), float("-inf"), float("nan"), 5e-324, 1.5]
    for dtype in (torch.float64, torch.float32, torch.float16, torch.bfloat16):
        t = torch.tensor(vals, dtype=torch.float64).to(dtype)
        out = dc.from_pytorch(t).compute(asPyTorch=True, shape=t.shape)
        assert out.dtype == dtype
        bits = {2: torch.int16, 4: torch.int32, 8: torch.int64}[t.element_size()]
        assert torch.equal(out.view(bits), t.view(bits))  # bit-exact: -0.0, NaN, subnormals


def test_shared_memory_false_goes_through_files(dc):
    t = sample((3, 4), torch.float64)
    assert_same(dc.from_pytorch(t, shared_memory=False).compute(asPyTorch=True), t)


def test_empty_tensors(dc):
    for shape in [(0,), (0, 3), (3, 0), (2, 0, 4)]:
        t = torch.zeros(shape, dtype=torch.float32)
        X, s = dc.from_pytorch(t, return_shape=True)
        assert_same(X.compute(asPyTorch=True, shape=s), t)


@settings(max_examples=60, deadline=None)
@given(hnp.arrays(
    dtype=st.sampled_from([np.float64, np.float32, np.float16, np.int64, np.int32, np.int16,
                           np.int8, np.uint8, np.bool_]),
    shape=hnp.array_shapes(min_dims=0, max_dims=6, min_side=0, max_side=3),
    elements={"allow_nan": False},
))
def test_round_trip_property(arr):
    t = torch.from_numpy(arr.copy())
    X, shape = DaphneContext().from_pytorch(t, return_shape=True)
    assert_same(X.compute(asPyTorch=True, shape=shape), t)


NARROW = {"float16": torch.float16, "bfloat16": torch.bfloat16, "int16": torch.int16}


def _restore(arr: np.ndarray) -> tuple[torch.Tensor | None, int]:
    """to_torch's dtype restoration of a tagged carrier array: (restored or None, warnings)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out, logical = dlpack.restore_dtype(arr)
    if logical is None:
        return None, len(caught)
    t = torch.from_numpy(out)
    return (t.view(torch.bfloat16) if logical == "bfloat16" else t), len(caught)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.floats(width=16) | st.floats(width=32), min_size=1, max_size=8),
       st.sampled_from(["float16", "bfloat16"]))
def test_restore_is_sound(values, logical):
    """Whenever the narrow dtype comes back, widening it again reproduces every bit."""
    arr = np.array(values, dtype=carrier_dtype(logical))
    restored, warned = _restore(arr)
    if restored is None:
        assert warned == 1
        return
    assert warned == 0 and restored.dtype == NARROW[logical]
    bits = restored.view(torch.int16).numpy().view(np.uint16)
    # numpy widens float16 keeping NaN payloads; a bfloat16 is the top half of a float32.
    wide = (bits.view(np.float16).astype(np.float32).view(np.uint32) if logical == "float16"
            else bits.astype(np.uint32) << 16)
    np.testing.assert_array_equal(wide, arr.view(np.uint32))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, 2**16 - 1), min_size=1, max_size=8),
       st.sampled_from(["float16", "bfloat16", "int16"]))
def test_restore_is_complete(bit_patterns, logical):
    """Every value that came from the narrow dtype (any bit pattern, NaNs too) comes back."""
    t = torch.tensor(bit_patterns, dtype=torch.int32).to(torch.uint16).view(NARROW[logical])
    X = DaphneContext().from_pytorch(t)
    out = X.compute(asPyTorch=True, shape=t.shape)
    assert out.dtype == t.dtype
    assert torch.equal(out.view(torch.int16), t.view(torch.int16))  # bit-exact


def test_int16_out_of_range_keeps_int32(dc):
    t = torch.tensor([32767, -32768], dtype=torch.int16)
    X = dc.from_pytorch(t)
    assert_same(X.compute(asPyTorch=True, shape=(2,)), t)
    arr = engine_matrix(np.array([40000, 1], dtype=np.int32).view(
        carrier_dtype("int16")))
    with pytest.warns(dlpack.LogicalDtypeWarning, match="int16"):
        out = to_torch(arr)
    assert_same(out, torch.tensor([[40000], [1]], dtype=torch.int32))


# -- errors ---------------------------------------------------------------------------------

def test_both_tensor_kinds_is_an_error(dc):
    with pytest.raises(ValueError, match="not several"):
        dc.from_pytorch(torch.ones(2, 2)).compute(asPyTorch=True, asTensorFlow=True)


@pytest.mark.parametrize(("value", "exc", "match"), [
    (np.ones((2, 2)), TypeError, "torch.Tensor"),
    (torch.ones(2, 2).to_sparse(), TypeError, "dense"),
    (torch.ones(2, 2, dtype=torch.complex64), TypeError, "complex64"),
])
def test_bad_inputs(dc, value, exc, match):
    with pytest.raises(exc, match=match):
        dc.from_pytorch(value)


def test_bad_shape(dc):
    X = dc.from_pytorch(torch.ones(2, 3))
    with pytest.raises(ValueError, match=r"shape \(4,\) does not fit the 2x3 result"):
        X.compute(asPyTorch=True, shape=(4,))


def test_string_matrix_cannot_become_a_tensor(dc):
    with pytest.raises(TypeError, match="cannot become a torch tensor"):
        dc.from_numpy(np.array([["a", "b"]])).compute(asPyTorch=True)


def test_missing_torch_names_the_extra(dc, monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(ImportError, match=r"pip install daphnelib\[torch\]"):
        dc.from_pytorch(object())
    with pytest.raises(ImportError, match=r"pip install daphnelib\[torch\]"):
        dc.from_numpy(np.ones((2, 2))).compute(asPyTorch=True)


def test_import_daphnelib_imports_no_tensor_library():
    code = ("import daphnelib, sys, numpy as np\n"
            "from daphnelib import DaphneContext\n"
            "DaphneContext().from_numpy(np.ones((2, 2))).compute()\n"
            "assert 'torch' not in sys.modules and 'tensorflow' not in sys.modules, "
            "sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'tensorflow'))\n")
    subprocess.run([sys.executable, "-c", code], check=True)
