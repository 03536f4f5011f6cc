"""Tensor exchange: from_pytorch / from_tensorflow and round trips, 1e3..1e8 float32 elements.

Every path is zero-copy, so the times should not grow with the size. ``floor_*`` time each
library's own zero-copy path for the same step, the cost we cannot go below.
"""

import numpy as np

from daphnelib import DaphneContext

from ._config import unless_giant

SIZES = unless_giant([10**3, 10**6, 10**8], lambda n: 4 * n)  # 1e8 float32: 400 MB
RANKS = ("2d", "4d")


def shape_of(n: int, rank: str) -> tuple[int, ...]:
    return (n // 10, 10) if rank == "2d" else (n // 1000, 10, 10, 10)


class _Exchange:
    params = (SIZES, RANKS)
    param_names = ("elements", "rank")
    timeout = 600

    def setup(self, n, rank):
        self.dc = DaphneContext()
        self.t = self.make(shape_of(n, rank))
        self.node, self.shape = self.ingest(self.t)
        self.back(self.node, self.shape)  # compile once, as a re-used node would be

    def teardown(self, n, rank):
        del self.t, self.node

    def time_from(self, n, rank):
        self.ingest(self.t)

    def time_compute_back(self, n, rank):
        self.back(self.node, self.shape)

    def time_round_trip(self, n, rank):
        node, shape = self.ingest(self.t)
        self.back(node, shape)


class PyTorch(_Exchange):
    def make(self, shape):
        try:
            import torch
        except ImportError:
            raise NotImplementedError("torch is not installed") from None
        self.torch = torch
        return torch.ones(shape, dtype=torch.float32)

    def ingest(self, t):
        return self.dc.from_pytorch(t, return_shape=True)

    def back(self, node, shape):
        return node.compute(asPyTorch=True, shape=shape)

    def time_floor_from(self, n, rank):
        self.t.numpy()

    def time_floor_round_trip(self, n, rank):
        self.torch.from_numpy(self.t.numpy())


class TensorFlow(_Exchange):
    def make(self, shape):
        try:
            import tensorflow as tf
        except ImportError:
            raise NotImplementedError("tensorflow is not installed") from None
        self.tf = tf
        return tf.ones(shape, dtype=tf.float32)

    def ingest(self, t):
        return self.dc.from_tensorflow(t, return_shape=True)

    def back(self, node, shape):
        return node.compute(asTensorFlow=True, shape=shape)

    def time_floor_from(self, n, rank):
        np.from_dlpack(self.t)

    def time_floor_round_trip(self, n, rank):
        dl = self.tf.experimental.dlpack
        dl.from_dlpack(dl.to_dlpack(self.t))
