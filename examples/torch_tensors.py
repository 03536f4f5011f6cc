"""PyTorch n-d tensors in and out of daphnelib, zero-copy in, with the shape restored.

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

# The engine reads the tensor's own memory. A result that would still view it comes back as
# a copy: torch tensors cannot be read-only, and a write must never reach the input.
same = X.compute(asPyTorch=True, shape=shape)
same[0, 0, 0] = -1.0
print("identity round trip is equal, and writing it leaves the input alone:",
      bool(torch.equal(same[1], t[1])) and t[0, 0, 0].item() == 0.0)

# DAPHNE's type rules: float32 * 2.0 (an f64 literal) is f64, unlike torch's float32.
Y = (X * 2.0 + 1.0).compute(asPyTorch=True, shape=shape)
assert Y.dtype == torch.float64 and torch.equal(Y, t.double() * 2.0 + 1.0)
print("X * 2.0 + 1.0 back as", tuple(Y.shape), Y.dtype)
