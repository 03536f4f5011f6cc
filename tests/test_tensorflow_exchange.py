"""TensorFlow <-> daphnelib exchange: ranks 0..6 x dtypes, zero-copy proofs, alignment, errors."""

from __future__ import annotations

import os
import sys

import numpy as np
import pytest

from daphnelib import DaphneContext
from daphnelib._native.buffers import aligned_copy
from daphnelib.engine.valuetypes import carrier_dtype
from daphnelib.interop import dlpack
from daphnelib.interop import tensorflow as tf_interop
from daphnelib.interop.numpy import engine_matrix
from daphnelib.interop.tensorflow import to_tensorflow

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
tf = pytest.importorskip("tensorflow")  # imported once per session (about 3 s)

pytestmark = pytest.mark.filterwarnings("error")

SHAPES = {0: (), 1: (5,), 2: (3, 4), 3: (2, 3, 2), 4: (2, 1, 3, 2), 5: (2, 2, 1, 2, 3),
          6: (1, 2, 2, 1, 3, 2)}
DTYPES = (tf.float64, tf.float32, tf.int64, tf.int32, tf.int16, tf.int8, tf.uint8, tf.bool,
          tf.float16, tf.bfloat16)
# The engine dtype each tensor dtype travels as (dtypes DAPHNE lacks are widened).
ENGINE = {tf.float64: np.float64, tf.float32: np.float32, tf.int64: np.int64,
          tf.int32: np.int32, tf.int16: np.int32, tf.int8: np.int8, tf.uint8: np.uint8,
          tf.bool: np.bool_, tf.float16: np.float32, tf.bfloat16: np.float32}
NARROW = (tf.int16, tf.float16, tf.bfloat16)
# X + 1 (an si64 literal): the most general operand VT; computed values have engine VTs.
PLUS_ONE = {tf.float64: tf.float64, tf.float32: tf.float32, tf.float16: tf.float32,
            tf.bfloat16: tf.float32, tf.int64: tf.int64, tf.int32: tf.int64,
            tf.int16: tf.int64, tf.int8: tf.int64, tf.uint8: tf.int64, tf.bool: tf.int64}


@pytest.fixture
def dc() -> DaphneContext:
    return DaphneContext()


def sample(shape: tuple[int, ...], dtype: tf.DType, seed: int = 0) -> tf.Tensor:
    """Deterministic values covering each dtype's range (extremes included when room)."""
    rng = np.random.default_rng(seed)
    n = int(np.prod(shape))
    if dtype == tf.bool:
        flat = rng.integers(0, 2, n).astype(np.bool_)
    elif dtype.is_floating:
        flat = rng.standard_normal(n) * 100
    else:
        info = np.iinfo(dtype.as_numpy_dtype)
        flat = rng.integers(info.min, info.max, n, dtype=dtype.as_numpy_dtype, endpoint=True)
        if n >= 2:
            flat[0], flat[-1] = info.min, info.max
    return tf.cast(tf.constant(flat.reshape(shape)), dtype)


def address(t: tf.Tensor) -> int:
    """The address of a tensor's buffer, found through DLPack (bfloat16 via its bits)."""
    if t.dtype == tf.bfloat16:
        t = tf.bitcast(t, tf.uint16)
    return np.from_dlpack(t).ctypes.data


def engine_buffer(node) -> np.ndarray:
    buf = node._args[0]
    assert isinstance(buf, np.ndarray)
    return buf


def bits(t: tf.Tensor) -> np.ndarray:
    """The tensor's bit patterns as a numpy array (exact comparison: -0.0, NaN payloads)."""
    if t.dtype == tf.bool:
        return np.from_dlpack(t).view(np.uint8).copy()
    return np.from_dlpack(tf.bitcast(t, {1: tf.uint8, 2: tf.uint16, 4: tf.uint32,
                                         8: tf.uint64}[t.dtype.size])).copy()


def assert_same(out: tf.Tensor, expected: tf.Tensor) -> None:
    assert out.dtype == expected.dtype
    assert out.shape == expected.shape
    assert bool(tf.reduce_all(out == expected))


# -- round trips over every rank x dtype ------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.name)
@pytest.mark.parametrize("rank", sorted(SHAPES))
def test_round_trip_rank_dtype(dc, rank, dtype):
    t = sample(SHAPES[rank], dtype)
    X, shape = dc.from_tensorflow(t, return_shape=True)
    assert isinstance(shape, tf.TensorShape) and shape == t.shape
    n = int(np.prod(SHAPES[rank]))
    expected_2d = (1, 1) if rank == 0 else (t.shape[0], n // t.shape[0])
    buf = engine_buffer(X)
    assert buf.shape == expected_2d and buf.dtype == ENGINE[dtype]
    assert not buf.flags.writeable
    out = X.compute(asTensorFlow=True, shape=shape)
    assert_same(out, t)
    np.testing.assert_array_equal(bits(out), bits(t))
    assert_same(X.compute(asTensorFlow=True), t)  # without shape=: the tensor's own shape


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.name)
def test_zero_copy_both_ways(dc, dtype):
    t = sample((4, 3, 2), dtype)
    X = dc.from_tensorflow(t)
    out = X.compute(asTensorFlow=True, shape=t.shape)
    if dtype in NARROW:  # converted once on the way in and once on the way out
        assert engine_buffer(X).ctypes.data != address(t) != address(out)
        return
    assert engine_buffer(X).ctypes.data == address(t)
    assert address(out) == address(t)  # input passed straight through: the same buffer


def test_result_tensor_views_engine_buffer(dc, monkeypatch):
    seen = {}

    def spy(arr, shape=None, **kw):
        seen["arr"] = arr
        return to_tensorflow(arr, shape, **kw)

    monkeypatch.setattr(tf_interop, "to_tensorflow", spy)
    t = sample((3, 4), tf.float64)
    out = (dc.from_tensorflow(t) + 1).compute(asTensorFlow=True)
    assert address(out) == seen["arr"].ctypes.data != address(t)
    assert_same(out, t + 1)


# -- ops: identity, arithmetic, reshape -----------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.name)
@pytest.mark.parametrize("rank", sorted(SHAPES))
def test_plus_one(dc, rank, dtype):
    t = sample(SHAPES[rank], dtype)
    X, shape = dc.from_tensorflow(t, return_shape=True)
    out = (X + 1).compute(asTensorFlow=True, shape=shape)
    want = PLUS_ONE[dtype]
    assert_same(out, tf.cast(t, want) + tf.constant(1, want))  # int64 extremes wrap


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.name)
@pytest.mark.parametrize("rank", [1, 2, 4, 6])
def test_reshape(dc, rank, dtype):
    t = sample(SHAPES[rank], dtype)
    X, shape = dc.from_tensorflow(t, return_shape=True)
    Y = X.reshape(1, int(np.prod(SHAPES[rank])))
    assert_same(Y.compute(asTensorFlow=True), tf.reshape(t, (1, -1)))
    assert_same(Y.compute(asTensorFlow=True, shape=shape), t)


@pytest.mark.parametrize("layout", ["transposed", "sliced"])
def test_derived_tensors_are_dense(dc, capsys, layout):
    """TensorFlow materialises transposes and slices, so they enter without a copy."""
    base = sample((4, 3, 2), tf.float64)
    t = tf.transpose(base) if layout == "transposed" else base[::2]
    X, shape = dc.from_tensorflow(t, return_shape=True, verbose=True)
    assert capsys.readouterr().out == ""
    assert engine_buffer(X).ctypes.data == address(t)
    assert_same(X.compute(asTensorFlow=True, shape=shape), t)


# -- alignment: TensorFlow aborts the process on unaligned buffers ---------------------------

def unaligned_float64(n: int, offset: int = 8) -> np.ndarray:
    """A writable float64 array whose data pointer is ``offset`` bytes past a 64-byte line."""
    raw = np.frombuffer(bytearray(n * 8 + 128), dtype=np.uint8)
    start = (-raw.ctypes.data) % 64 + offset
    arr = raw[start:start + n * 8].view(np.float64)
    arr[:] = np.arange(n) * 1.5
    assert arr.ctypes.data % 64 == offset
    return arr


def test_unaligned_numpy_input_to_tensorflow(dc, capsys):
    a = unaligned_float64(16).reshape(4, 4)
    out = dc.from_numpy(a).compute(asTensorFlow=True, verbose=True)
    assert "copying result once (buffer not 64-byte aligned" in capsys.readouterr().out
    assert address(out) % 64 == 0
    assert float(tf.reduce_sum(out)) == float(a.sum())  # TF kernels run on it: no abort
    np.testing.assert_array_equal(np.from_dlpack(out), a)


def test_unaligned_torch_input_to_tensorflow(dc):
    torch = pytest.importorskip("torch")
    t = torch.from_numpy(unaligned_float64(24)).reshape(2, 3, 4)
    X, shape = dc.from_pytorch(t, return_shape=True)
    assert engine_buffer(X).ctypes.data == t.data_ptr()  # zero-copy in
    out = X.compute(asTensorFlow=True, shape=tuple(shape))
    assert address(out) % 64 == 0 and out.shape == (2, 3, 4)
    assert float(tf.reduce_sum(out * 2)) == float(t.sum() * 2)


def test_unaligned_tensorflow_input_round_trip(dc):
    a = unaligned_float64(12).reshape(3, 4)
    t = tf.experimental.dlpack.from_dlpack(a.__dlpack__())  # TF tensor over unaligned memory
    X = dc.from_tensorflow(t)
    assert engine_buffer(X).ctypes.data == a.ctypes.data
    out = X.compute(asTensorFlow=True)
    assert address(out) % 64 == 0
    assert float(tf.reduce_max(out)) == 16.5


def test_unaligned_copy_is_announced(capsys):
    a = unaligned_float64(6).reshape(2, 3)
    out = to_tensorflow(a, (3, 2), verbose=True)
    assert "copying result once (buffer not 64-byte aligned" in capsys.readouterr().out
    np.testing.assert_array_equal(np.from_dlpack(out), a.reshape(3, 2))


def test_read_only_result_aliases_without_copy(dc):
    """A read-only input passed straight through still reaches TensorFlow without a copy."""
    a = aligned_copy(np.arange(16.0).reshape(4, 4))
    ro = a.view()
    ro.flags.writeable = False
    out = dc.from_numpy(ro).compute(asTensorFlow=True)
    assert address(out) == a.ctypes.data
    assert_same(out, tf.constant(a))


# -- variables, devices, special values ---------------------------------------------------

def test_variable_is_read_without_copy(dc):
    v = tf.Variable(sample((3, 4), tf.float32))
    X, shape = dc.from_tensorflow(v, return_shape=True)
    assert shape == v.shape
    assert engine_buffer(X).ctypes.data == address(v.read_value())
    v.assign_add(tf.ones((3, 4)))  # TensorFlow copies on write: the matrix keeps the read
    assert_same(X.compute(asTensorFlow=True), v - 1)


def test_device_tensor_copied_to_host_once(dc, capsys, monkeypatch):
    """The GPU branch (no GPU here): a tensor not on the host is copied to it, verbosely."""
    t = sample((2, 3), tf.float64)
    monkeypatch.setattr(tf_interop, "_on_host", lambda tensor: False)
    copied = []
    real_identity = tf.identity

    def identity(x):
        copied.append(x.device)  # the copy op runs under tf.device("/CPU:0")
        return real_identity(x)

    monkeypatch.setattr(tf, "identity", identity)
    X = dc.from_tensorflow(t, verbose=True)
    assert copied == [t.device]
    assert "copying tensor once (from device" in capsys.readouterr().out
    assert_same(X.compute(asTensorFlow=True), t)


def test_special_float_values_exact(dc):
    vals = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 5e-324, 1.5])
    for dtype in (tf.float64, tf.float32, tf.float16, tf.bfloat16):
        t = tf.cast(tf.constant(vals), dtype)
        out = dc.from_tensorflow(t).compute(asTensorFlow=True, shape=t.shape)
        assert out.dtype == dtype
        np.testing.assert_array_equal(bits(out), bits(t))


def test_empty_tensors(dc):
    for shape in [(0,), (0, 3), (3, 0), (2, 0, 4)]:
        t = tf.zeros(shape, tf.float32)
        X, s = dc.from_tensorflow(t, return_shape=True)
        out = X.compute(asTensorFlow=True, shape=s)
        assert out.shape == shape and out.dtype == tf.float32


def test_shared_memory_false_goes_through_files(dc):
    t = sample((3, 4), tf.float64)
    assert_same(dc.from_tensorflow(t, shared_memory=False).compute(asTensorFlow=True), t)


def test_narrow_dtype_outside_its_range_warns(dc):
    arr = engine_matrix(np.array([70000, 1], dtype=np.uint32).view(
        carrier_dtype("uint16")))
    with pytest.warns(dlpack.LogicalDtypeWarning, match="uint16"):
        out = to_tensorflow(arr)
    assert_same(out, tf.constant([[70000], [1]], tf.uint32))


# -- errors ---------------------------------------------------------------------------------

def test_both_tensor_kinds_is_an_error(dc):
    with pytest.raises(ValueError, match="not several"):
        dc.from_tensorflow(tf.ones((2, 2))).compute(asPyTorch=True, asTensorFlow=True)


@pytest.mark.parametrize(("make", "match"), [
    (lambda: np.ones((2, 2)), "tf.Tensor or tf.Variable"),
    (lambda: tf.sparse.from_dense(tf.ones((2, 2))), "tf.Tensor or tf.Variable"),
    (lambda: tf.constant(["a", "b"]), "tf.string"),
    (lambda: tf.complex(tf.ones(2), tf.ones(2)), "complex64"),
])
def test_bad_inputs(dc, make, match):
    with pytest.raises(TypeError, match=match):
        dc.from_tensorflow(make())


def test_symbolic_tensor_is_rejected(dc):
    errors = []

    @tf.function
    def inside(x):
        try:
            dc.from_tensorflow(x)
        except TypeError as exc:
            errors.append(str(exc))
        return x

    inside(tf.ones((2, 2)))
    assert errors and "eager tensor" in errors[0]


def test_bad_shape(dc):
    X = dc.from_tensorflow(tf.ones((2, 3)))
    with pytest.raises(ValueError, match=r"shape \(4,\) does not fit the 2x3 result"):
        X.compute(asTensorFlow=True, shape=(4,))
    with pytest.raises(ValueError, match="not fully defined"):
        X.compute(asTensorFlow=True, shape=tf.TensorShape([None, 3]))


def test_missing_tensorflow_names_the_extra(dc, monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorflow", None)
    with pytest.raises(ImportError, match=r"pip install daphnelib\[tensorflow\]"):
        dc.from_tensorflow(object())
    with pytest.raises(ImportError, match=r"pip install daphnelib\[tensorflow\]"):
        dc.from_numpy(np.ones((2, 2))).compute(asTensorFlow=True)
