# Indexing (rows, columns, ranges, bit vectors), conditional selection and casts.
import numpy as np
import pandas as pd

from daphnelib import DaphneContext

dc = DaphneContext()
X = dc.from_numpy(np.arange(12, dtype=np.float64).reshape(3, 4))
X[1, :].print().compute()
X[:, 2].print().compute()
X[0:2, 1:3].print().compute()
(X > 5).ifElse(X, -1.0).print().compute()
X.asType(vtype="si64").print().compute()
X.replace(4.0, 40.0).print().compute()
X.bin(3).print().compute()
F = dc.from_pandas(pd.DataFrame({"a": [1, 2, 3], "b": [0.5, 1.5, 2.5]}))
F.toMatrix("f64").print().compute()
F[1:3, :].print().compute()
