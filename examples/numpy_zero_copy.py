"""numpy in and out of daphnelib without copies, and a shift-and-scale pipeline.

    python examples/numpy_zero_copy.py
"""

import numpy as np

from daphnelib import DaphneContext

dc = DaphneContext()
a = np.random.default_rng(7).random((1_000, 4))

# A C-contiguous float64 array enters as a read-only view; passed straight through, the
# result is that same memory, and writing through it raises instead of changing `a`.
same = dc.from_numpy(a).compute()
print("pass-through shares memory with the input:", np.shares_memory(same, a))
print("pass-through is writeable:", same.flags.writeable)

# Shift and scale every column to mean 0 and (population) standard deviation 1.
# Aggregation axis 1 is per column in DaphneDSL, giving 1 x m rows that broadcast.
X = dc.from_numpy(a)
Y = (X - X.mean(axis=1)) / X.stddev(axis=1)
z = Y.compute()  # a new array over the engine's 64-byte aligned result buffer
print("column means:", z.mean(axis=0).round(12) + 0.0)  # + 0.0: no "-0."
print("column std:  ", z.std(axis=0).round(12))

expected = (a - a.mean(axis=0)) / a.std(axis=0)
np.testing.assert_allclose(z, expected, rtol=1e-12)
print("shift-and-scale equals numpy's:", z.shape, z.dtype)
