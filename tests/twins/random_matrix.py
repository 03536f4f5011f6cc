# Seeded random matrices draw the same stream as the DaphneDSL builtin.
from daphnelib import DaphneContext

dc = DaphneContext()
X = dc.rand(3, 4, 0.0, 1.0, 1.0, 42)
Y = dc.rand(3, 4, -2.0, 2.0, 0.5, 7)
X.print().compute()
Y.print().compute()
(X + Y).print().compute()
(X @ Y.t()).print().compute()
X.sum().print().compute()
