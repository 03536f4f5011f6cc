# SQL over registered views (a star under GROUP BY stands for the grouping columns) and the
# semi join.
import pandas as pd

from daphnelib import DaphneContext

dc = DaphneContext()
f = dc.from_pandas(pd.DataFrame({"a": [0, 1, 2, 3, 4], "b": [5, 4, 5, 2, 4]}))
g = dc.from_pandas(pd.DataFrame({"a": [4, 3, 2, 1, 0], "c": [1.5, 2.5, 3.5, 4.5, 5.5]}))
f.registerView("f")
g.registerView("g")
dc.sql("SELECT f.b, sum(g.c) AS s FROM f JOIN g ON f.a = g.a GROUP BY f.b").print().compute()
dc.sql("SELECT *, count(*) AS n FROM f JOIN g ON f.a = g.a GROUP BY f.b").print().compute()
dc.sql("SELECT g.c FROM g WHERE g.c BETWEEN 4 AND 2").print().compute()
f.semiJoin(dc.from_pandas(pd.DataFrame({"k": [4, 0, 9]})), "a", "k").print().compute()
