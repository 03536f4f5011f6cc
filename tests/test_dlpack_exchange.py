"""DLPack both ways (dc.from_dlpack, Matrix.__dlpack__), and n-d tensor shapes kept."""

from __future__ import annotations

import gc

import numpy as np
import pytest

from daphnelib import DaphneContext


class Producer:
    """A DLPack producer that records how it was asked, exporting a numpy array."""

    def __init__(self, arr: np.ndarray, device: tuple[int, int] = (1, 0)) -> None:
        self.arr, self.device, self.calls = arr, device, []

    def __dlpack_device__(self) -> tuple[int, int]:
        return self.device

    def __dlpack__(self, **kwargs):
        self.calls.append(kwargs)
        if self.device != (1, 0) and kwargs.get("dl_device") != (1, 0):
            raise BufferError("this producer lives on a GPU")
        arr = self.arr.copy() if kwargs.get("copy") else self.arr
        return arr.__dlpack__(**{k: v for k, v in kwargs.items() if k != "dl_device"})


class Legacy:
    """A consumer's view of a producer through the unversioned protocol only."""

    def __init__(self, producer) -> None:
        self.producer = producer

    def __dlpack_device__(self) -> tuple[int, int]:
        return self.producer.__dlpack_device__()

    def __dlpack__(self, **kwargs):
        return self.producer.__dlpack__()


def test_versioned_capsules_are_asked_for_first(dc):
    src = np.arange(6.0).reshape(2, 3)
    producer = Producer(src)
    M = dc.from_dlpack(producer)
    assert producer.calls[0]["max_version"][0] >= 1
    assert M._args[0].ctypes.data == src.ctypes.data  # no copy
    np.testing.assert_array_equal(M.compute(), src, strict=True)


def test_read_only_flag_is_honoured(dc):
    src = np.arange(4.0)
    src.flags.writeable = False
    M = dc.from_dlpack(src)
    out = np.from_dlpack(M)  # a DLPack 1.x consumer gets the read-only flag
    assert out.ctypes.data == src.ctypes.data and not out.flags.writeable
    legacy = np.from_dlpack(Legacy(M))  # an unversioned capsule cannot say read-only
    assert legacy.ctypes.data != src.ctypes.data  # so the consumer gets a copy
    np.testing.assert_array_equal(legacy, src, strict=True)  # its 1-D shape kept
    with pytest.raises(BufferError):
        M.__dlpack__(copy=False)
    assert (M + 1).__dlpack__() is not None  # a computed result is the consumer's to write


def test_other_devices_are_copied_to_the_host_with_a_note(dc, capsys):
    producer = Producer(np.arange(3, dtype=np.int32), device=(2, 0))  # kDLCUDA
    M = dc.from_dlpack(producer, verbose=True)
    assert "from DLPack device (2, 0) to host memory" in capsys.readouterr().out
    assert producer.calls[-1]["dl_device"] == (1, 0) and producer.calls[-1]["copy"]
    np.testing.assert_array_equal(M.compute().ravel(), np.arange(3, dtype=np.int32))
    with pytest.raises(BufferError, match="live on the CPU"):
        M.__dlpack__(dl_device=(2, 0), max_version=(1, 0))
    assert M.__dlpack_device__() == (1, 0)


def test_refusals_name_the_problem(dc):
    with pytest.raises(TypeError, match="__dlpack__ and __dlpack_device__"):
        dc.from_dlpack([1, 2])
    torch = pytest.importorskip("torch")
    with pytest.raises(TypeError, match=r"bfloat16.*cannot be imported through DLPack"):
        dc.from_dlpack(torch.ones(2, dtype=torch.bfloat16))


def test_consumers_outlive_node_and_context():
    torch = pytest.importorskip("torch")
    dc = DaphneContext()
    M = dc.from_dlpack(torch.arange(24.0).reshape(2, 3, 4)) * 2
    t = torch.from_dlpack(M)
    a = np.from_dlpack(M)
    del M, dc
    gc.collect()
    np.ones(10**6)
    assert t.shape == (2, 3, 4) and torch.equal(t, torch.arange(24.0).reshape(2, 3, 4) * 2)
    np.testing.assert_array_equal(a, t.numpy())


def test_export_views_the_engine_result():
    dc = DaphneContext()
    M = dc.from_numpy(np.arange(6.0).reshape(2, 3)) + 1
    arr = M.compute()
    t = pytest.importorskip("torch").from_dlpack(M)
    assert t.shape == (2, 3)
    # Each export computes on demand; both are views of a result buffer, never a copy of it.
    np.testing.assert_array_equal(t.numpy(), arr)


# -- n-d shapes -------------------------------------------------------------------------

def test_four_d_tensor_keeps_its_shape_through_elementwise_ops_and_casts():
    torch = pytest.importorskip("torch")
    dc = DaphneContext()
    x = torch.arange(2 * 3 * 4 * 5, dtype=torch.float32).reshape(2, 3, 4, 5)
    X = dc.from_pytorch(x)
    Y = ((X * 2 + 1).sqrt().max(X) - X.abs()).asType(vtype="f64")
    out = Y.compute(asPyTorch=True)
    expected = (torch.maximum((x * 2 + 1).sqrt(), x) - x.abs()).double()
    assert out.shape == (2, 3, 4, 5) and torch.equal(out, expected)
    assert (X > 3).ifElse(X, 0.0).compute(asPyTorch=True).shape == (2, 3, 4, 5)
    assert X.sum().compute() == x.sum().item()  # full reductions are scalars
    assert X.compute().shape == (2, 60)  # numpy: DaphneLib's 2-D result


def test_ops_with_only_a_two_d_meaning_use_the_two_d_view():
    torch = pytest.importorskip("torch")
    dc = DaphneContext()
    X = dc.from_pytorch(torch.ones(2, 3, 4))
    assert X.t().compute(asPyTorch=True).shape == (12, 2)
    assert X.sum(axis=0).compute(asPyTorch=True).shape == (2, 1)
    other = dc.from_pytorch(torch.ones(2, 12))  # same 2-D view, another tensor shape
    assert (X + other).compute(asPyTorch=True).shape == (2, 12)
    assert (X + 1).compute(asPyTorch=True, shape=(4, 6)).shape == (4, 6)  # shape= wins
