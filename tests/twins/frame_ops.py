# Frame reorganisation and joins: labels, prefixes, cartesian, inner join, rbind, cbind, order.
import pandas as pd

from daphnelib import DaphneContext

dc = DaphneContext()
F = dc.from_pandas(pd.DataFrame({"a": [1, 2, 3], "b": [1.5, 2.5, 3.5]}))
G = dc.from_pandas(pd.DataFrame({"c": [3, 1], "d": ["x", "y"]}))
F.setColLabels(["k", "v"]).print().compute()
F.setColLabelsPrefix("t").print().compute()
F.cartesian(G).print().compute()
F.innerJoin(G, "a", "c").print().compute()
F.rbind(F).print().compute()
F.cbind(G.setColLabels(["e", "f"]).rbind(G.setColLabels(["e", "f"]))[0:3, :]).print().compute()
F.order([1], [False]).print().compute()
