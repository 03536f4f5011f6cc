# Scalar arithmetic, comparisons and elementwise functions on scalars.
from daphnelib import DaphneContext

dc = DaphneContext()
s = dc.fill(2.5, 1, 1).sum()
n = dc.fill(7, 1, 1).sum()
(s + 1).print().compute()
(s * s - 0.25).print().compute()
(s / 2).print().compute()
(n % 3).print().compute()
(s ** 2).print().compute()
(n > 5).print().compute()
(s <= 2.0).print().compute()
s.sqrt().print().compute()
(-s).abs().print().compute()
s.floor().print().compute()
s.round().print().compute()
