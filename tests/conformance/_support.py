"""What the generated conformance cases run: one checker per family, imported by the modules
``scripts/gen_conformance.py`` writes (``from conformance._support import ...``).

- numpy (:func:`check_numpy`): arrays of rank 1..4 of every dtype and memory layout;
- tensors (:func:`check_tensor`): PyTorch and TensorFlow tensors of rank 0..6;
- pandas (:func:`check_frame`): every DataFrame kind through frame operations.

Each checker sends the input in, applies one op, brings the result back and compares it
exactly (values, dtype, shape; labels and index for frames) with what the op means, and
checks that the caller's input is unchanged. The case modules in
``scripts/conformance_cases/`` document the case fields.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from daphnelib import DaphneContext
from daphnelib.engine.valuetypes import STRING_DTYPE
from support import EXACT

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # before TensorFlow is first imported


def values(shape: tuple[int, ...], dtype: str) -> np.ndarray:
    """Deterministic values for an array of ``dtype`` (integer extremes included): float64
    for float dtypes (to be cast), else of ``dtype`` itself."""
    rng = np.random.default_rng(sum(shape) * 31 + len(dtype))
    n = int(np.prod(shape))
    if dtype == "bool":
        flat = rng.integers(0, 2, n).astype(bool)
    elif dtype.startswith(("float", "bfloat")):
        flat = rng.standard_normal(n) * 100
    else:
        info = np.iinfo(dtype)
        flat = rng.integers(info.min, info.max, n, endpoint=True, dtype=dtype)
        if n >= 2:
            flat[0], flat[-1] = info.min, info.max
    return flat.reshape(shape)


def unaligned_bytes(nbytes: int, offset: int) -> np.ndarray:
    """``nbytes`` writable bytes starting ``offset`` bytes past a 64-byte boundary."""
    raw = np.zeros(nbytes + 128, np.uint8)
    start = (-raw.ctypes.data) % 64 + offset
    return raw[start:start + nbytes]


# ---------------------------------------------------------------------------------------------
# numpy
# ---------------------------------------------------------------------------------------------

NUMPY_SHAPES = {1: (5,), 2: (3, 4), 3: (2, 3, 2), 4: (2, 1, 3, 2)}
# Case dtype name -> numpy dtype of the input; "str_*" are the four ways numpy holds strings.
NUMPY_DTYPES: dict[str, Any] = {
    "float64": np.float64, "float32": np.float32, "float16": np.float16,
    "int64": np.int64, "int32": np.int32, "int16": np.int16, "int8": np.int8,
    "uint64": np.uint64, "uint32": np.uint32, "uint16": np.uint16, "uint8": np.uint8,
    "bool": np.bool_, "str_U": "U20", "str_S": "S20", "str_T": STRING_DTYPE,
    "str_object": object,
}
# X + 1 (an si64 literal): the most general operand VT, where int16/uint16/float16 count as
# the type they travel as (si32/ui32/f32) and bool ranks lowest.
NUMPY_PLUS_ONE = {"float64": "float64", "float32": "float32", "float16": "float32",
                  "uint64": "uint64"}
# Characters of the numeric dtypes the engine holds as they are (so does STRING_DTYPE): only
# arrays of these can be views.
ZERO_COPY_CHARS = "?bBiIlLqQfd"
# Backends that receive strings through files (DAPHNE's receiveFromNumpy takes no strings).
FILE_STRING_BACKENDS = frozenset({"daphne"})
STRINGS = ["", "a", "é漢字", "a string longer than sixteen bytes", "x,y \"q\"", "ü"]
ASCII = [b"", b"a", b"bc", b"a bytes value of twenty"[:20], b"q\"", b"z"]


def numpy_values(shape: tuple[int, ...], dtype: str) -> np.ndarray:
    """The logical input: deterministic values of ``dtype`` (native byte order), with
    NaN, -0.0 and infinities for floats and non-ASCII and long strings."""
    if dtype.startswith("str_"):
        pool = ASCII if dtype == "str_S" else STRINGS
        rng = np.random.default_rng(sum(shape))
        picks = rng.integers(0, len(pool), int(np.prod(shape)))
        flat = np.array([pool[i] for i in picks], dtype=NUMPY_DTYPES[dtype])
        return flat.reshape(shape)
    out = values(shape, dtype).astype(NUMPY_DTYPES[dtype])
    if dtype.startswith("float") and out.size >= 4:
        out.reshape(-1)[:4] = [np.nan, -0.0, np.inf, -np.inf]
    return out


def numpy_input(shape: tuple[int, ...], dtype: str, layout: str) -> np.ndarray:
    """An array equal to ``numpy_values(shape, dtype)`` laid out as ``layout`` says."""
    if layout == "transposed":
        return numpy_values(shape[::-1], dtype).T
    logical = numpy_values(shape, dtype)
    if layout == "F":
        return np.asfortranarray(logical)
    if layout == "sliced":  # every other element of an array twice as wide
        wide = np.empty((*shape[:-1], 2 * shape[-1]), logical.dtype)
        wide[..., ::2] = logical
        wide[..., 1::2] = logical
        return wide[..., ::2]
    if layout == "big_endian":
        return logical.astype(logical.dtype.newbyteorder(">"))
    if layout == "unaligned":  # one byte past a 64-byte boundary: misaligned for its dtype
        buf = unaligned_bytes(logical.nbytes, 1).view(logical.dtype).reshape(shape)
        buf[...] = logical
        assert buf.ctypes.data % 64 == 1
        return buf
    return logical


def engine_dtype(a: np.ndarray) -> np.dtype:
    """The dtype ``a`` comes back in unchanged: its own in native byte order; StringDType
    for every kind of string array."""
    if a.dtype.kind in "USTO":
        return STRING_DTYPE
    return a.dtype.newbyteorder("=")


def assert_exact(out: Any, expected: np.ndarray) -> None:
    """Same type, dtype, shape and values; floats also bit for bit in the sign of zeros."""
    assert isinstance(out, np.ndarray), type(out)
    assert out.dtype == expected.dtype, (out.dtype, expected.dtype)
    assert out.shape == expected.shape, (out.shape, expected.shape)
    np.testing.assert_array_equal(out, expected, strict=True)
    if expected.dtype.kind == "f":
        np.testing.assert_array_equal(np.signbit(out), np.signbit(expected))


def check_numpy(rank: int, dtype: str, layout: str, op: str,
                dc: DaphneContext | None = None) -> None:
    """One numpy case: ``from_numpy`` (``return_shape=True``), ``op``, ``compute(shape=)``;
    on ``dc``'s backend (default: a new embedded context)."""
    shape = NUMPY_SHAPES[rank]
    a = numpy_input(shape, dtype, layout)
    before, writeable = a.copy(), a.flags.writeable
    dc = dc or DaphneContext()
    X, orig = dc.from_numpy(a, return_shape=True)
    assert orig == shape
    # The input as the engine holds it (numpy cannot cast big-endian "U" to StringDType).
    native = a if a.dtype.isnative else a.astype(a.dtype.newbyteorder("="))
    same = native.astype(engine_dtype(a))
    if op == "identity":
        out = X.compute(shape=orig)
        assert_exact(out, same)
        strings_shared = dc.backend.name not in FILE_STRING_BACKENDS
        held = (a.dtype == STRING_DTYPE and strings_shared) or (
            a.dtype.char in ZERO_COPY_CHARS and a.dtype.isnative)
        viewable = held and a.flags.c_contiguous
        assert np.shares_memory(out, a) == viewable
        if viewable:  # a view of the caller's data must not let anyone write through it
            assert not out.flags.writeable
    elif op == "plus":
        if same.dtype == STRING_DTYPE:  # DaphneDSL's + concatenates strings
            out, expected = (X + "!").compute(shape=orig), np.strings.add(same, "!")
        else:
            vt = np.dtype(NUMPY_PLUS_ONE.get(dtype, "int64"))
            out, expected = (X + 1).compute(shape=orig), same.astype(vt) + vt.type(1)
        assert_exact(out, expected)
    else:
        flat = X.reshape(1, int(np.prod(shape)))
        assert_exact(flat.compute(), same.reshape(1, -1))
        assert_exact(flat.compute(shape=orig), same)
    np.testing.assert_array_equal(a, before, strict=True)  # the caller's array is untouched
    assert a.flags.writeable == writeable


# ---------------------------------------------------------------------------------------------
# PyTorch and TensorFlow
# ---------------------------------------------------------------------------------------------

TENSOR_SHAPES = {0: (), 1: (5,), 2: (3, 4), 3: (2, 3, 2), 4: (2, 1, 3, 2), 5: (2, 2, 1, 2, 3),
                 6: (1, 2, 2, 1, 3, 2)}
NARROW = ("int16", "float16", "bfloat16")  # dtypes DAPHNE lacks: converted once each way
# X + 1 (an si64 literal): the most general operand VT; computed values have engine VTs.
TENSOR_PLUS_ONE = {"float64": "float64", "float32": "float32", "float16": "float32",
                   "bfloat16": "float32", "int64": "int64", "int32": "int64",
                   "int16": "int64", "int8": "int64", "uint8": "int64", "bool": "int64"}


class Torch:
    def __init__(self) -> None:
        self.lib = pytest.importorskip("torch")

    def dtype(self, name: str) -> Any:
        return getattr(self.lib, name)

    def make(self, shape: tuple[int, ...], dtype: str, layout: str) -> tuple[Any, Any]:
        """The input tensor, and the tensor the expected values are computed from."""
        torch = self.lib
        dt = self.dtype(dtype)

        def dense(s: tuple[int, ...]) -> Any:
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

    def address(self, t: Any) -> int:
        return t.data_ptr()

    def nbytes(self, t: Any) -> int:
        return t.untyped_storage().nbytes()

    def cast(self, t: Any, dtype: str) -> Any:
        return t.to(self.dtype(dtype))

    def plus_one(self, t: Any, dtype: str) -> Any:
        return self.cast(t, dtype) + 1

    def flat(self, t: Any) -> Any:
        return t.reshape(1, -1)

    def equal(self, a: Any, b: Any) -> bool:
        return a.dtype == b.dtype and a.shape == b.shape and bool(self.lib.equal(a, b))

    def snapshot(self, t: Any) -> Any:
        return t.clone()

    def unchanged(self, t: Any, snap: Any) -> bool:
        return self.equal(t, snap)

    def ingest(self, dc: DaphneContext, t: Any) -> Any:
        return dc.from_pytorch(t, return_shape=True)

    def back(self, node: Any, shape: tuple[int, ...] | None = None) -> Any:
        return node.compute(asPyTorch=True, shape=shape)


class TensorFlow:
    def __init__(self) -> None:
        self.lib = pytest.importorskip("tensorflow")

    def dtype(self, name: str) -> Any:
        return getattr(self.lib, name)

    def make(self, shape: tuple[int, ...], dtype: str, layout: str) -> tuple[Any, Any]:
        """The input tensor, and the tensor the expected values are computed from."""
        tf = self.lib
        dt = self.dtype(dtype)

        def dense(s: tuple[int, ...]) -> Any:
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
        return u, t  # TensorFlow's kernels abort on u: expected values come from t

    def bits(self, t: Any) -> np.ndarray:
        tf = self.lib
        if t.dtype == tf.bool:
            return np.from_dlpack(t).copy()
        width = {1: tf.uint8, 2: tf.uint16, 4: tf.uint32, 8: tf.uint64}[t.dtype.size]
        return np.from_dlpack(tf.bitcast(t, width)).copy()

    def address(self, t: Any) -> int:
        tf = self.lib
        return np.from_dlpack(tf.bitcast(t, tf.uint16) if t.dtype == tf.bfloat16 else t
                              ).ctypes.data

    def nbytes(self, t: Any) -> int:
        return int(np.prod(t.shape)) * t.dtype.size

    def cast(self, t: Any, dtype: str) -> Any:
        return self.lib.cast(t, self.dtype(dtype))

    def plus_one(self, t: Any, dtype: str) -> Any:
        return self.cast(t, dtype) + self.lib.constant(1, self.dtype(dtype))

    def flat(self, t: Any) -> Any:
        return self.lib.reshape(t, (1, -1))

    def equal(self, a: Any, b: Any) -> bool:
        return (a.dtype == b.dtype and a.shape == b.shape
                and bool(self.lib.reduce_all(a == b)))

    def snapshot(self, t: Any) -> np.ndarray:
        return self.bits(t)  # a copy: TensorFlow may alias a tensor instead of copying it

    def unchanged(self, t: Any, snap: Any) -> bool:
        return np.array_equal(self.bits(t), snap)

    def ingest(self, dc: DaphneContext, t: Any) -> Any:
        return dc.from_tensorflow(t, return_shape=True)

    def back(self, node: Any, shape: tuple[int, ...] | None = None) -> Any:
        return node.compute(asTensorFlow=True, shape=shape)


TENSOR_LIBS: dict[str, Callable[[], Torch | TensorFlow]] = {
    "torch": Torch, "tensorflow": TensorFlow}


def check_tensor(library: str, rank: int, dtype: str, layout: str, op: str,
                 dc: DaphneContext | None = None) -> None:
    """One tensor case: ``from_x(t, return_shape=True)``, ``op``, ``compute(asX=, shape=)``;
    on ``dc``'s backend (default: a new embedded context)."""
    lib = TENSOR_LIBS[library]()
    shape = TENSOR_SHAPES[rank]
    t, ref = lib.make(shape, dtype, layout)
    before = lib.snapshot(t)
    X, orig = lib.ingest(dc or DaphneContext(), t)
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
        if library == "torch":  # torch tensors cannot be read-only: an alias is copied out
            assert not lo <= lib.address(out) < hi
        elif dtype not in NARROW and lo % 64 == 0:
            assert lib.address(out) == lo  # zero-copy both ways (TensorFlow never writes)
    elif op == "plus_one":
        assert lib.equal(lib.back(X + 1, orig), lib.plus_one(ref, TENSOR_PLUS_ONE[dtype]))
    else:
        Y = X.reshape(1, int(np.prod(shape)))
        assert lib.equal(lib.back(Y), lib.flat(ref))
        assert lib.equal(lib.back(Y, orig), ref)
    assert lib.unchanged(t, before)  # the caller's tensor is never modified


# ---------------------------------------------------------------------------------------------
# pandas
# ---------------------------------------------------------------------------------------------

DATES = ["2020-03-29T00:00", "NaT", "1960-06-01T12:30", "2100-10-25T01:00"]


def one(values: Any) -> Any:
    """A one-column DataFrame labelled ``x``."""
    import pandas as pd

    return pd.DataFrame({"x": values})


def arrow_strings(values: list[Any]) -> Any:
    """A ``string[pyarrow]`` array; the case is skipped where pyarrow is not installed (the
    core install: numpy + pandas, see ``make test-nopyarrow``)."""
    import pandas as pd

    pytest.importorskip("pyarrow", reason="string[pyarrow] needs pyarrow")
    return pd.array(values, dtype="string[pyarrow]")


def frame_of(data: Any) -> Any:
    """A Series as the one-column frame daphnelib makes of it; a DataFrame as it is."""
    import pandas as pd

    return data.to_frame() if isinstance(data, pd.Series) else data


def combine(kinds: dict[str, Callable[[], Any]], *names: str) -> Any:
    """The frames of several kinds side by side, labels prefixed by the kind."""
    import pandas as pd

    return pd.concat([frame_of(kinds[k]()).add_prefix(f"{k}_") for k in names], axis=1)


def descending(df: Any) -> Any:
    """Rows by index level 0 descending, ties in input order (pandas 2.2's sort_index fails
    on a RangeIndex, so the permutation is computed here)."""
    import pandas as pd

    if len(df) < 2:
        return df
    if df.index.is_monotonic_increasing and df.index.is_unique:
        return df.iloc[::-1]  # keeps a RangeIndex and a (negated) freq, as sort_index does
    ranks = pd.factorize(df.index.get_level_values(0), sort=True)[0]
    return df.iloc[np.argsort(-ranks, kind="stable")]


def check_frame(dc: DaphneContext, data: Any, op: str) -> None:
    """Run ``op`` through daphnelib and pandas; results equal, input untouched."""
    import pandas as pd

    before = data.copy(deep=True)
    frame = dc.from_pandas(data, keepIndex=True, shared_memory=op != "files")
    expected = frame_of(data)
    kind = "files" if op == "files" else "shared memory"
    if op == "cbind":
        other = pd.DataFrame({"cbind_extra": np.arange(len(expected), dtype=np.int64)})
        frame = frame.cbind(dc.from_pandas(other))
        expected = pd.concat([expected, other.set_axis(expected.index)], axis=1)
    elif op == "rbind":
        frame = frame.rbind(frame)
        expected = pd.concat([expected, expected])
    elif op == "order":
        frame = frame.order([0], [False])
        expected = descending(expected)
    out = frame.compute(type=kind, useIndexColumn=True)
    pd.testing.assert_frame_equal(out, expected, **EXACT)
    if isinstance(data, pd.Series):
        pd.testing.assert_series_equal(data, before, check_exact=True)
    else:
        pd.testing.assert_frame_equal(data, before, **EXACT)


# ---------------------------------------------------------------------------------------------
# Arrow (PyCapsule interface)
# ---------------------------------------------------------------------------------------------

class _Stream:
    """A producer that speaks only the Arrow C stream protocol (no pyarrow type to sniff)."""

    def __init__(self, table: Any) -> None:
        self._table = table

    def __arrow_c_stream__(self, requested_schema: Any = None) -> Any:
        return self._table.__arrow_c_stream__(requested_schema)


def _strings_normalised(t: Any) -> Any:
    """``t`` with every string type as large_string and dictionary indices as int32: the
    physical variants that carry the same logical type (daphnelib writes large_string)."""
    import pyarrow as pa

    def norm(typ: Any) -> Any:
        if pa.types.is_string(typ) or pa.types.is_string_view(typ):
            return pa.large_string()
        if pa.types.is_dictionary(typ):
            return pa.dictionary(pa.int32(), norm(typ.value_type), typ.ordered)
        return typ

    schema = pa.schema([pa.field(f.name, norm(f.type)) for f in t.schema])
    return t.replace_schema_metadata(None).cast(schema)


def arrow_of(data: Any) -> Any:
    """The Arrow table pyarrow itself makes of a pandas kind (no index, no pandas metadata),
    except that NaN in a numpy float column stays a value, as in DAPHNE (pyarrow's
    ``from_pandas`` makes it a null)."""
    import pandas as pd
    import pyarrow as pa

    df = frame_of(data)
    t = pa.Table.from_pandas(df, preserve_index=False)
    columns = [pa.array(np.asarray(arr)) if isinstance(arr, pd.arrays.NumpyExtensionArray)
               and arr.dtype.kind == "f" else col
               for col, arr in zip(t.columns, (df.iloc[:, i].array for i in range(df.shape[1])),
                                   strict=True)]
    t = pa.Table.from_arrays(columns, schema=t.schema)
    return _strings_normalised(t)


def assert_tables_equal(got: Any, expected: Any) -> None:
    """Same schema, nulls and values; NaN equals NaN (``Table.equals`` says it does not)."""
    assert got.schema.equals(expected.schema), (got.schema, expected.schema)
    assert got.num_rows == expected.num_rows
    for name in expected.column_names:
        a, b = got.column(name), expected.column(name)
        assert a.is_null().equals(b.is_null()), name
        if a.type.id == b.type.id and str(a.type) in ("halffloat", "float", "double"):
            np.testing.assert_array_equal(a.to_numpy(), b.to_numpy(), strict=True)
        else:
            assert a.equals(b), (name, a, b)


def _fixed_width_addresses(t: Any) -> dict[str, int]:
    """Column -> values buffer address, for the columns daphnelib must not copy."""
    import pyarrow as pa

    out = {}
    for name, col in zip(t.column_names, t.columns, strict=True):
        typ = col.type
        plain = (pa.types.is_integer(typ) or pa.types.is_floating(typ)) and typ.bit_width != 16
        if plain and col.null_count == 0 and col.num_chunks == 1 and len(col):
            out[name] = col.chunk(0).buffers()[1].address
    return out


def check_arrow(data: Any, op: str) -> None:
    """One pandas kind through Arrow: out of a frame, in and out again, or into polars."""
    import pyarrow as pa

    expected = arrow_of(data)
    dc = DaphneContext()
    if op == "out":  # a frame from pandas, consumed by pyarrow through __arrow_c_stream__
        got = pa.table(dc.from_pandas(data))
    elif op == "roundtrip":  # any producer in (stream protocol only), pyarrow out
        node = dc.from_arrow(_Stream(expected))
        got = pa.table(node)
        zero_copy = _fixed_width_addresses(expected)
        assert _fixed_width_addresses(got.select(list(zero_copy))) == zero_copy
        del node, dc  # the consumer's table outlives node and context (freed by refcount)
    else:  # polars: in from polars, out to polars
        pl = pytest.importorskip("polars")
        from polars.testing import assert_frame_equal

        source = pl.from_arrow(expected)
        out = dc.from_polars(source).compute(asPolars=True)
        assert_frame_equal(out, source, check_exact=True)
        return
    assert_tables_equal(_strings_normalised(got), expected)


# ---------------------------------------------------------------------------------------------
# DLPack
# ---------------------------------------------------------------------------------------------

class _Producer:
    """How one library makes a tensor of a dtype and takes a DLPack object back."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.lib = pytest.importorskip({"numpy": "numpy", "torch": "torch",
                                        "jax": "jax"}[name])
        if name == "jax":  # 64-bit dtypes are off by default in JAX
            self.lib.config.update("jax_enable_x64", True)

    def make(self, arr: np.ndarray, dtype: str) -> Any:
        if self.name == "numpy":
            return arr.astype(dtype)
        if self.name == "torch":
            return self.lib.from_numpy(arr).to(getattr(self.lib, dtype))
        import jax.numpy as jnp

        return jnp.asarray(arr).astype(getattr(jnp, dtype))

    def consume(self, obj: Any) -> np.ndarray:
        """The library's own import of ``obj`` (through DLPack), as a numpy view."""
        if self.name == "numpy":
            return np.from_dlpack(obj)
        if self.name == "torch":
            t = self.lib.from_dlpack(obj)
            return t.view(self.lib.uint16).numpy() if t.dtype == self.lib.bfloat16 else t.numpy()
        import jax

        return np.from_dlpack(jax.dlpack.from_dlpack(obj))

    def host(self, x: Any) -> np.ndarray:
        return self.consume(x)


DLPACK_PLUS_ONE = TENSOR_PLUS_ONE


def check_dlpack(producer: str, rank: int, dtype: str, op: str) -> None:
    """``dc.from_dlpack(x)``, one op, and the producer's own ``from_dlpack`` of the result."""
    lib = _Producer(producer)
    shape = TENSOR_SHAPES[rank]
    src = values(shape, dtype)
    x = lib.make(src, dtype)
    ref = lib.host(x).copy()
    dc = DaphneContext()
    X = dc.from_dlpack(x)
    held = dtype not in NARROW and dtype != "uint16"
    if held:
        assert X._args[0].ctypes.data == lib.host(x).ctypes.data  # no copy on the way in
    if op == "identity":
        Y = X
        expected = ref
    elif op == "plus_one":
        Y = X + 1
        expected = ref.astype(DLPACK_PLUS_ONE.get(dtype, "int64")) + 1
    else:  # cast to f64: shape kept, values converted exactly
        Y = X.asType(vtype="f64")
        expected = ref.astype(np.float64)
    out = lib.consume(Y)
    del X, Y, dc  # the consumer's tensor outlives node and context (freed by refcount)
    assert out.shape == shape and out.dtype == expected.dtype, (out.shape, out.dtype)
    np.testing.assert_array_equal(out, expected, strict=True)
    if op == "identity" and held and producer != "jax":  # JAX copies what it imports
        assert out.ctypes.data == lib.host(x).ctypes.data  # no copy on the way out
    np.testing.assert_array_equal(lib.host(x), ref, strict=True)  # input unchanged
