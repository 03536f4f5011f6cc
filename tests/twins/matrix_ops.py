# Matrix elementwise, outer, aggregation, reorganisation and preprocessing builtins.
import numpy as np

from daphnelib import DaphneContext

dc = DaphneContext()
X = dc.from_numpy(np.array([[1.0, -2.0, 3.0], [4.5, 0.0, -6.0]]))
Y = dc.from_numpy(np.array([[2.0, 2.0, 2.0], [1.0, -1.0, 0.5]]))
(X + Y * 2).print().compute()
(X / Y).print().compute()
X.abs().sqrt().print().compute()
(X > Y).print().compute()
X.sum(axis=0).print().compute()
X.mean(axis=1).print().compute()
X.aggMax().print().compute()
X.t().print().compute()
X.reshape(3, 2).print().compute()
X.rbind(Y).cbind(X.rbind(Y)).print().compute()
X.cumSum().print().compute()
(X @ Y.t()).print().compute()
c = dc.from_numpy(np.array([1.0, 2.0, 3.0]))
c.outerAdd(c.t()).print().compute()
codes = dc.from_numpy(np.array([[0, 5], [2, 6], [1, 7]], dtype=np.int64))
codes.oneHot(dc.from_numpy(np.array([[3, -1]], dtype=np.int64))).print().compute()
words = dc.from_numpy(np.array([["b", "u"], ["a", "u"], ["b", "v"]]))
words.oneHot(dc.from_numpy(np.array([[-1, 2]], dtype=np.int64))).print().compute()
