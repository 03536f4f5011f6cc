"""PyTorch n-d tensors in and out of daphnelib, zero-copy, with the shape restored.

    python examples/torch_tensors.py
"""

import torch

from daphnelib import DaphneContext

dc = DaphneContext()
t = torch.arange(24, dtype=torch.float32).reshape(2, 3, 4)

# DAPHNE matrices are 2-D: an n-d tensor travels as (shape[0], -1); return_shape=True gives
# the original shape, and compute(shape=...) puts it back.
X, shape = dc.from_pytorch(t, return_shape=True)
print("original shape:", tuple(shape), "-> DAPHNE matrix", tuple(X.compute().shape))

same = X.compute(asPyTorch=True, shape=shape)
print("identity round trip shares the tensor's memory:", same.data_ptr() == t.data_ptr())

# DAPHNE's type rules: float32 * 2.0 (an f64 literal) is f64, unlike torch's float32.
Y = (X * 2.0 + 1.0).compute(asPyTorch=True, shape=shape)
assert Y.dtype == torch.float64 and torch.equal(Y, t.double() * 2.0 + 1.0)
print("X * 2.0 + 1.0 back as", tuple(Y.shape), Y.dtype)
