# The context's data generators: fill, seq, diagMatrix, sample and sparse rand.
from daphnelib import DaphneContext

dc = DaphneContext()
dc.fill(3, 2, 3).print().compute()
dc.fill("ab", 1, 2).print().compute()
dc.seq(10, 1, -3).print().compute()
dc.seq(0.5, 2.0, 0.5).print().compute()
dc.diagMatrix(dc.seq(1, 3, 1)).print().compute()
dc.sample(100, 5, False, 3).print().compute()
dc.rand(4, 4, 1.0, 2.0, 0.25, 11).print().compute()
