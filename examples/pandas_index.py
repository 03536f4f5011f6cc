"""pandas index handling: keepIndex on the way in, useIndexColumn on the way out.

    python examples/pandas_index.py
"""

import pandas as pd

from daphnelib import DaphneContext

dc = DaphneContext()
df = pd.DataFrame({"price": [9.5, 3.25, 7.0], "qty": [1, 4, 2]},
                  index=pd.Index(["apple", "pear", "plum"], name="fruit"))

# Without keepIndex the frame holds the columns only: the index comes back as 0..n-1.
plain = dc.from_pandas(df).compute()
print("without keepIndex:", list(plain.index))

# keepIndex=True stores the index as an extra column (DAPHNE sees it as "index"); with
# useIndexColumn=True compute() turns it back into the index, name and dtype included.
F = dc.from_pandas(df, keepIndex=True)
F.print().compute()  # DAPHNE's view: the index is the first column
back = F.compute(useIndexColumn=True)
print(back)
pd.testing.assert_frame_equal(back, df, check_exact=True)
print("keepIndex + useIndexColumn restores the index:", list(back.index))
