"""Joins and group-by on frames, computed by daphnelib's own engine.

    python examples/joins_groupby.py
"""

import pandas as pd

from daphnelib import DaphneContext

dc = DaphneContext()
people = dc.from_pandas(pd.DataFrame({"pid": [1, 2, 3], "city": ["Graz", "Linz", "Graz"]}))
sales = dc.from_pandas(pd.DataFrame({"who": [1, 1, 3, 4], "euro": [10.0, 2.5, 7.0, 1.0]}))

inner = people.innerJoin(sales, "pid", "who").compute()
print("inner join:\n", inner, sep="")
left = people.leftJoin(sales, "pid", "who").compute()
print("left join (pid 2 has no sales):\n", left, sep="")

per_city = people.innerJoin(sales, "pid", "who").groupBy(
    "city", {"euro": ["sum", "max"], "*": "count"}).compute()
print("per city:\n", per_city, sep="")
assert per_city["SUM(euro)"].tolist() == [19.5]
print("group-by columns:", list(per_city.columns))
