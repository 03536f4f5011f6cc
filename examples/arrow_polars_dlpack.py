"""Arrow, polars and DLPack: any library that speaks the protocols exchanges without copies.

    python examples/arrow_polars_dlpack.py
"""

import numpy as np
import polars as pl
import pyarrow as pa
import torch
import torch.utils.dlpack

from daphnelib import DaphneContext

dc = DaphneContext()

# A pyarrow table in (numbers viewed, nulls as masks, dictionaries as categoricals) ...
table = pa.table({"price": [1.5, 2.0, 7.25], "qty": pa.array([3, None, 1], pa.int32()),
                  "shop": pa.array(["a", "b", "a"]).dictionary_encode()})
F = dc.from_arrow(table)

# ... and out again to pyarrow and polars through __arrow_c_stream__.
out = pa.table(F)
print("price comes back as the very same buffer:",
      out.column("price").chunk(0).buffers()[1].address
      == table.column("price").chunk(0).buffers()[1].address)
print("back in pyarrow:", out.schema.types)
print("polars frame:", pl.DataFrame(F).shape)

# A 4-d tensor through DLPack keeps its shape through elementwise ops and casts.
x = torch.arange(24.0).reshape(2, 3, 2, 2)
Y = (dc.from_dlpack(x) * 2 + 1).asType(vtype="f32")
print("torch.from_dlpack(Y).shape:", tuple(torch.utils.dlpack.from_dlpack(Y).shape))

# Several results in one run: the shared t(X) @ X is computed once.
X = dc.from_numpy(np.random.default_rng(0).random((1000, 20)))
G = X.t() @ X
total, diag_mean = dc.compute(G.sum(), G.diagVector().mean())
print("two results from one run:", bool(np.isclose(total, G.sum().compute())))
