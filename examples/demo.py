"""daphnelib demo: pandas DataFrames in and out of a DAPHNE pipeline, zero-copy.

Run with ``make demo`` (or ``python examples/demo.py``).
"""

import pandas as pd

from daphnelib import DaphneContext

dc = DaphneContext()

df = pd.DataFrame({"a": [1, 2, 3], "b": [1.1, -2.2, 3.3]})
F = dc.from_pandas(df, keepIndex=True)
df2 = pd.DataFrame({"c": [30, 25, 0], "d": [-1, 2.4, 5.9], "e": [7, 5, 9]})
F2 = dc.from_pandas(df2)
F = F.cbind(F2)
F.print().compute()  # DAPHNE's view of the frame
df3 = F.compute(useIndexColumn=True)
print(df3)

pd.testing.assert_frame_equal(df3, pd.concat([df, df2], axis=1))
pd.testing.assert_frame_equal(df, pd.DataFrame({"a": [1, 2, 3], "b": [1.1, -2.2, 3.3]}))
print("df3 == pd.concat([df, df2], axis=1), and df is unchanged")
