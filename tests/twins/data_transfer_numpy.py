# numpy arrays into DAPHNE matrices: float64 2-D, int64 1-D (a column), strings, bools.
import numpy as np

from daphnelib import DaphneContext

dc = DaphneContext()
dc.from_numpy(np.array([[1.5, 2.5, -0.25], [3.0, -4.0, 1e-3]])).print().compute()
dc.from_numpy(np.array([7, -8, 9], dtype=np.int64)).print().compute()
dc.from_numpy(np.array([["x", "yy"], ["z z", ""]])).print().compute()
dc.from_numpy(np.zeros((2, 2))).print().compute()
