"""SQL over pandas frames: register views, query them with dc.sql.

    python examples/sql.py
"""

import pandas as pd

from daphnelib import DaphneContext

dc = DaphneContext()
customers = pd.DataFrame({"id": [101, 102, 103], "name": ["Ada", "Bo", "Cy"]})
orders = pd.DataFrame({"cust": [101, 103, 103, 101], "amount": [20.0, 5.5, 4.5, 10.0]})

dc.from_pandas(customers).registerView("customers")
dc.from_pandas(orders).registerView("orders")
query = ("SELECT c.name, o.amount FROM customers AS c, orders AS o "
         "WHERE c.id = o.cust AND o.amount > 5.0")
res = dc.sql(query).compute()
print(res)
assert sorted(res["o.amount"]) == [5.5, 10.0, 20.0]
print(f"{len(res)} rows from the SQL query")
