"""Who owns result memory, and releasing inputs early with node.delete().

    python examples/lifetimes.py
"""

import gc
import weakref

import numpy as np

from daphnelib import DaphneContext

dc = DaphneContext()

# A result is an array over an engine buffer; the buffer lives as long as any array
# viewing it, and is freed when the last one dies.
out = (dc.from_numpy(np.ones((1000, 1000))) + 1.0).compute()
owner = weakref.ref(out.base)
row = out[0]
del out
gc.collect()
print("buffer alive while a view of it exists:", owner() is not None)
del row
gc.collect()
print("buffer freed after the last view died:", owner() is None)

# A node keeps its input alive; delete() lets it go before the node itself is collected.
a = np.arange(6.0).reshape(2, 3)
X = dc.from_numpy(a)
Y = X * 2.0
print(Y.compute())
X.delete()
try:
    Y.compute()
except RuntimeError as exc:
    print("computing on a deleted input raises:", exc)
