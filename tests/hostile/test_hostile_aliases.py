"""No egress hands out a writable alias of the caller's memory.

For every op that can return a view of its input (identity, ranges, single positions,
reshape, transposition of a row or a column) and every egress, the result either shares no
memory with the caller's array or is read-only; writing into whatever is writable never
changes the caller's data.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from daphnelib import DaphneContext

VIEW_OPS: dict[str, Callable[[Any], Any]] = {
    "identity": lambda x: x,
    "row range": lambda x: x[0:2, :],
    "column range": lambda x: x[:, 1:3],
    "one row": lambda x: x[1, :],
    "one cell": lambda x: x[1, 2],
    "reshape": lambda x: x.reshape(1, 12),
    "transposed column": lambda x: x[:, 0:1].t(),
    "transposed row": lambda x: x[0:1, :].t(),
    "twice transposed": lambda x: x.t().t(),
}


def _numpy(node: Any) -> np.ndarray:
    return node.compute()


def _torch(node: Any) -> np.ndarray:
    pytest.importorskip("torch")
    return node.compute(asPyTorch=True).numpy()


def _tensorflow(node: Any) -> np.ndarray:
    pytest.importorskip("tensorflow")
    # TensorFlow tensors are immutable; what a consumer can reach is their DLPack export.
    return np.from_dlpack(node.compute(asTensorFlow=True))


EGRESS: dict[str, Callable[[Any], np.ndarray]] = {
    "numpy": _numpy, "torch": _torch, "tensorflow": _tensorflow}


def _assert_no_writable_alias(out: np.ndarray, a: np.ndarray, before: np.ndarray) -> None:
    if np.shares_memory(out, a):
        assert not out.flags.writeable
        with pytest.raises(ValueError, match="read-only"):
            out.reshape(-1)[0] = 99
    elif out.flags.writeable and out.size:
        out.reshape(-1)[0] = 99
    np.testing.assert_array_equal(a, before)


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(sorted(VIEW_OPS)), st.sampled_from(sorted(EGRESS)),
       st.sampled_from(["float64", "float32", "int64", "uint8"]))
def test_matrix_egress_never_aliases_writably(op: str, egress: str, dtype: str) -> None:
    from daphnelib._native.buffers import aligned_allocation

    with aligned_allocation():  # aligned: the case where a zero-copy egress is possible
        a = np.arange(12).reshape(3, 4).astype(dtype)
    before = a.copy()
    node = VIEW_OPS[op](DaphneContext().from_numpy(a))
    _assert_no_writable_alias(EGRESS[egress](node), a, before)


def test_torch_round_trip_never_aliases_the_callers_tensor() -> None:
    torch = pytest.importorskip("torch")
    t = torch.arange(12, dtype=torch.float64).reshape(3, 4)
    dc = DaphneContext()
    for op in VIEW_OPS.values():
        out = op(dc.from_pytorch(t)).compute(asPyTorch=True)
        out.view(-1)[0] = 99
        assert torch.equal(t, torch.arange(12, dtype=torch.float64).reshape(3, 4))


@pytest.mark.usefixtures("pandas_copy_on_write")
def test_frame_egress_never_changes_the_callers_frame() -> None:
    df = pd.DataFrame({"a": np.arange(4.0), "b": np.arange(4, dtype=np.int64)})
    before = df.copy()
    dc = DaphneContext()
    f = dc.from_pandas(df)
    for node in (f, f[0:2, :], f[:, 1:2]):
        out = node.compute()
        try:
            out.iloc[0, 0] = 99
        except ValueError as exc:  # a read-only column refuses the write: no silent change
            assert "read-only" in str(exc)
        for column in out.columns:
            values = out[column].to_numpy()
            if np.shares_memory(values, df["a"].to_numpy()) or np.shares_memory(
                    values, df["b"].to_numpy()):
                assert not values.flags.writeable
    pd.testing.assert_frame_equal(df, before)
