"""Ingress: any input gives a result or a Python exception naming the problem, and the
caller's data is never modified. Literals are checked when a node is built."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from daphnelib import DaphneContext
from hostile._isolated import run_isolated

ODD_DTYPES = ["f8", ">f8", "f4", "f2", "i8", ">i4", "i2", "u2", "u8", "i1", "?", "c16", "M8[s]",
              "m8[ms]", "U3", ">U2", "S3", "V4", "O"]


def _arrays() -> st.SearchStrategy[np.ndarray]:
    def build(dtype: str) -> st.SearchStrategy[np.ndarray]:
        shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4)
        if dtype == "O":
            elements = st.one_of(st.text(max_size=3), st.integers(), st.none(), st.binary(
                max_size=2))
            return shapes.flatmap(lambda s: st.lists(elements, min_size=math.prod(s),
                                                     max_size=math.prod(s)).map(
                lambda v, s=s: np.array([*v, None], dtype=object)[:-1].reshape(s)))
        if dtype == "V4":
            return shapes.map(lambda s: np.zeros(s, dtype="V4"))
        return hnp.arrays(np.dtype(dtype), shapes)

    return st.sampled_from(ODD_DTYPES).flatmap(build)


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes() if (
        a.dtype != object) else a.tolist() == b.tolist()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_arrays(), st.booleans(), st.booleans(), st.booleans())
def test_numpy_ingress_gives_a_result_or_an_exception(a: np.ndarray, transpose: bool,
                                                      readonly: bool, masked: bool) -> None:
    if transpose:
        a = a.T
    if masked and a.ndim:
        a = np.ma.array(a, mask=np.zeros(a.shape, bool))
        if a.size:
            a.mask.flat[0] = True
    a.flags.writeable = not readonly
    before = a.copy()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = DaphneContext().from_numpy(a).compute()
    except (TypeError, ValueError) as exc:
        assert str(exc)
    else:
        assert isinstance(out, np.ndarray) and out.ndim == 2
        if out.dtype.kind == "T":
            out.tolist()  # every string is readable
    assert _same(np.asarray(a), np.asarray(before)) and a.flags.writeable == (not readonly)


def test_invalid_utf8_bytes_and_masked_arrays_are_refused(dc: DaphneContext) -> None:
    with pytest.raises(ValueError, match="not valid UTF-8"):
        dc.from_numpy(np.array([b"ok", b"\xff"]))
    assert dc.from_numpy(np.array([b"\xc3\xa9"])).compute().tolist() == [["é"]]
    with pytest.raises(TypeError, match="masked arrays cannot be exchanged"):
        dc.from_numpy(np.ma.array([1.0, 2.0], mask=[False, True]))
    out = dc.from_numpy(np.ma.array([1.0, 2.0])).compute()  # nothing masked: the data
    assert out.tolist() == [[1.0], [2.0]]


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_pandas_ingress_never_changes_the_frame(data: st.DataObject) -> None:
    n = data.draw(st.integers(0, 5))
    kinds = {
        "f": st.lists(st.floats(), min_size=n, max_size=n),
        "i": st.lists(st.integers(-2**63, 2**63 - 1), min_size=n, max_size=n),
        "s": st.lists(st.one_of(st.text(max_size=3), st.none()), min_size=n, max_size=n),
        "b": st.lists(st.booleans(), min_size=n, max_size=n),
        "o": st.lists(st.one_of(st.integers(), st.text(max_size=2), st.none()), min_size=n,
                      max_size=n),
    }
    cols = data.draw(st.lists(st.sampled_from(sorted(kinds)), min_size=1, max_size=4))
    df = pd.DataFrame({f"{k}{j}": pd.Series(data.draw(kinds[k]), dtype=None if k != "o"
                                            else object) for j, k in enumerate(cols)})
    before = df.copy(deep=True)
    try:
        DaphneContext().from_pandas(df).compute()
    except (TypeError, ValueError) as exc:
        assert str(exc)
    pd.testing.assert_frame_equal(df, before)


@pytest.mark.parametrize(("build", "message"), [
    (lambda dc, X: X + 2**63, "does not fit si64"),
    (lambda dc, X: 2**64 * X, "does not fit si64"),
    (lambda dc, X: dc.fill(2**64, 1, 1), "fill value 18446744073709551616 does not fit si64"),
    (lambda dc, X: dc.fill(-2**63 - 1, 1, 1), "does not fit si64"),
    (lambda dc, X: dc.rand(2, 2, sparsity="a"), "sparsity must be a number"),
    (lambda dc, X: dc.rand(2, 2, seed="a"), "seed must be an integer"),
    (lambda dc, X: dc.fill(1.0, math.nan, 2), "rows must be a non-negative integer, got nan"),
    (lambda dc, X: dc.fill(1.0, 2, math.inf), "cols must be a non-negative integer, got inf"),
])
def test_bad_literals_fail_when_the_node_is_built(dc: DaphneContext, build, message) -> None:
    X = dc.from_numpy(np.ones((2, 2)))
    with pytest.raises((TypeError, ValueError), match=message):
        build(dc, X)


def test_unsigned_literals_beyond_si64_are_ui64(dc: DaphneContext) -> None:
    top = np.uint64(2**64 - 1)
    X = dc.from_numpy(np.ones((1, 1)))
    assert (X + top).compute().tolist() == [[1.0 + 2.0**64]]
    U = dc.from_numpy(np.zeros((1, 1), dtype=np.uint64))
    assert (U + top).compute().tolist() == [[2**64 - 1]]
    filled = dc.fill(top, 1, 1).compute()
    assert filled.dtype == np.uint64 and filled.tolist() == [[2**64 - 1]]


def test_tensor_ingress_fuzz_gives_a_result_or_an_exception() -> None:
    """Random tensors of every dtype and layout both libraries make, in a child process."""
    pytest.importorskip("torch")
    pytest.importorskip("tensorflow")
    lines = run_isolated('''
import random, warnings
import numpy as np, torch, tensorflow as tf
from daphnelib import DaphneContext
warnings.simplefilter("ignore")
dc = DaphneContext()
rng = random.Random(0)
torch_dtypes = [d for d in vars(torch).values() if isinstance(d, torch.dtype)]
tf_dtypes = [d for d in vars(tf.dtypes).values() if isinstance(d, tf.dtypes.DType)]
bad = 0
for case in range(200):
    shape = tuple(rng.randint(0, 3) for _ in range(rng.randint(0, 3)))
    try:
        if case % 2:
            t = torch.zeros(shape, dtype=rng.choice(torch_dtypes))
            if rng.random() < 0.3 and t.dim() >= 2:
                t = t.transpose(0, 1)
            fn = lambda: dc.from_pytorch(t).compute()
        else:
            t = tf.zeros(shape, dtype=rng.choice(tf_dtypes))
            fn = lambda: dc.from_tensorflow(t).compute()
    except Exception:
        continue  # the library cannot make that tensor
    try:
        fn()
    except (TypeError, ValueError) as exc:
        assert str(exc)
    except Exception as exc:
        bad += 1
        print("raw", type(t).__name__, t.dtype, type(exc).__name__, str(exc)[:100])
print("done", bad)
''', timeout=600)
    assert lines[-1] == "done 0", lines


@pytest.mark.parametrize("dtype", ["?", "i2", "u2", "f2", "i1", "u1", "i4", "u4", "i8", "u8",
                                   "f4", "f8"])
def test_files_transfer_keeps_every_dtype(dc: DaphneContext, dtype: str) -> None:
    a = np.array([[1, 0], [0, 1]], dtype=dtype)
    for out in (dc.from_numpy(a).compute(type="files"),
                dc.from_numpy(a, shared_memory=False).compute(),
                dc.from_numpy(a, shared_memory=False).compute(type="files")):
        assert out.dtype == a.dtype and np.array_equal(out, a)


def test_a_foreign_dtype_record_in_a_meta_file_is_an_error(tmp_path, dc: DaphneContext) -> None:
    path = tmp_path / "m.csv"
    path.write_text("1,2\n")
    (tmp_path / "m.csv.meta").write_text(
        '{"numRows":1,"numCols":2,"valueType":"si64","daphnelibDtype":{"dtype":"<U3"}}')
    with pytest.raises(ValueError, match="invalid meta data"):
        dc.readMatrix(str(path)).compute()
